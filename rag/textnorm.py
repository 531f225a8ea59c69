"""Text normalisation for matching: one home for the forms every module compares in.

``normalize`` (NFKC, lower case) and ``compact`` (that without whitespace) are the matching forms
of questions, answers and chunks; ``bigrams`` is the package's one character-bigram function and
``CJK`` its one range of Chinese characters. None of these change what is shown: offsets shown
to the reader refer to the cleaned text.

Traditional -> simplified Chinese conversion for retrieval queries.

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

import re
import threading
import unicodedata

# CJK Unified Ideographs with Extension A and the compatibility block: the one range the
# package uses to tell Chinese text (rare characters of names live in Extension A).
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\s\W_]+")
# Quotation marks are not the quoted words: a quote inside a quote is written with single marks
# (“尚没有船只通过这条‘人道主义走廊’”) where the source, quoting once, wrote double ones
# (尚没有船只通过这条“人道主义走廊”), and 「」『』 are the same marks in other typesetting.
QUOTE_MARKS = re.compile(r"[“”‘’「」『』\"']")


def normalize(text: str) -> str:
    """Matching form of a text: NFKC (full-width digits and letters to half-width), lower case.

    Used only to compare and tokenise; offsets shown to the reader refer to the cleaned text.
    """
    return unicodedata.normalize("NFKC", text).lower()


def compact(text: str) -> str:
    """``normalize`` without any whitespace: the form for substring tests across line breaks."""
    return _WS.sub("", normalize(text))


def bigrams(text: str) -> list[str]:
    """Character bigrams of the normalised text with whitespace and punctuation removed.

    A text of one character gives that character (so a one-character claim still compares).
    """
    t = _NON_WORD.sub("", normalize(text))
    return [t[i : i + 2] for i in range(len(t) - 1)] or ([t] if t else [])

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
    return _CJK_CHAR.search(text) is not None


_CJK_CHAR = re.compile(f"[{CJK}]")


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
