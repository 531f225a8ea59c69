"""Traditional -> simplified Chinese conversion for retrieval queries.

The articles are written in simplified characters; a question typed in traditional ones
(``西寧地區生產總值增長多少？``) shares almost no characters with them, so neither BM25 nor the
embedder finds the answer. ``to_simplified`` folds the question before retrieval; the text shown
to the model and to the user stays as typed.

The converter is ``zhconv`` (pure Python, ships its own MediaWiki dictionary, ~600 KB, no network).
It is imported on first use because loading its dictionary costs ~30 ms that ``import rag`` and
``rag --help`` should not pay. Without it the text is returned unchanged: retrieval of simplified
questions keeps working, traditional ones simply match less.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_convert = None  # zhconv.convert once loaded; False when zhconv is not installed


def _converter():
    global _convert
    with _lock:
        if _convert is None:
            try:
                from zhconv import convert
            except ImportError:  # optional at run time: see the module docstring
                convert = False
            else:
                # zhconv builds its tables on the first call without a lock; build them here, once,
                # so two threads of the chat page never see half-built tables.
                convert("中", "zh-cn")
            _convert = convert
    return _convert


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def to_simplified(text: str) -> str:
    """``text`` with traditional Chinese characters and mainland-variant words made simplified.

    Text without CJK characters is returned as it is (no dictionary load). The ``zh-cn`` variant
    also maps Taiwan/Hong Kong vocabulary (軟體 -> 软件) to what mainland articles use.
    """
    if not text or not _has_cjk(text):
        return text
    convert = _converter()
    if not convert:
        return text
    return convert(text, "zh-cn")
