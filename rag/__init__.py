"""Local question answering over Chinese articles, with cited answers and honest refusal.

Heavy libraries (torch, sentence-transformers, faiss, llama_cpp, gradio) are imported inside the
functions that need them so that ``import rag`` and ``rag --help`` stay fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["open_index", "Pipeline", "evaluate", "Settings", "load_settings"]


def __getattr__(name: str) -> Any:
    # Lazy re-exports keep `import rag` cheap: each attribute pulls in its module on first use.
    if name == "open_index":
        from .indexing import open_index

        return open_index
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    if name == "evaluate":
        from .evaluation import evaluate

        return evaluate
    if name in ("Settings", "load_settings"):
        from . import config

        return getattr(config, name)
    raise AttributeError(name)
