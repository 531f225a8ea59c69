"""Embedding backends: sentence-transformers for real use, a hashed-bigram fake for tests.

All satisfy the ``Embedder`` protocol, so the indexer and the pipeline never know which one
they hold. Vectors are L2-normalised float32 so inner product is cosine similarity. The real
model runs on one of three runtimes (``embedder.runtime``): ``torch`` (sentence-transformers as
is), ``onnx`` (the same vectors through ONNX Runtime) and ``onnx-int8`` (the default: 2.5-6x
faster than torch on CPU, its own ``model_id``; see ``onnx_embedder`` and ``bench/README.md``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

import numpy as np

from .errors import ConfigError, ModelError, ModelNotFoundError

if TYPE_CHECKING:
    from .config import Settings


class Embedder(Protocol):
    """Turns questions and chunks into unit vectors."""

    model_id: str

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_chunks(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


class FakeEmbedder:
    """Deterministic embedder: hashed character unigrams and bigrams.

    Chinese texts that share characters land close together, which is enough to test ranking,
    fusion and refusal without a model.
    """

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim
        self.model_id = f"fake-bigram-{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self._dim, dtype=np.float32)
        t = "".join(text.lower().split())
        grams = list(t) + [t[i : i + 2] for i in range(len(t) - 1)]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "little")
            v[h % self._dim] += 1.0 if len(g) == 2 else 0.5
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def embed_chunks(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = self.embed_queries(texts)
        if progress:
            progress(len(texts))
        return out


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from disk, never from a hub.

    The model loads on first use (constructors stay cheap); prompts follow the model's own
    convention (``query: `` / ``passage: `` for e5) through sentence-transformers' prompt support.
    """

    def __init__(self, path: str, *, query_prompt: str = "query: ", passage_prompt: str = "passage: ",
                 batch_size: int = 32, device: str = "cpu", model_id: str | None = None,
                 threads: int | None = None) -> None:
        self.path = str(path)
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self.model_id = model_id or os.path.basename(self.path.rstrip("/"))
        self._model = None
        self._lock = threading.Lock()

    def load(self):
        """Load the model (idempotent, thread-safe)."""
        with self._lock:
            if self._model is None:
                if not os.path.isdir(self.path):
                    raise ModelNotFoundError("embedding model folder", self.path)
                # Offline semantics: a missing file must be an error, not a download attempt.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                # sentence-transformers pulls in torch: imported here so `import rag` stays fast.
                from sentence_transformers import SentenceTransformer

                if self.threads:
                    import torch

                    # torch's own default may count hyper-threads, which only add contention.
                    torch.set_num_threads(int(self.threads))
                try:
                    self._model = SentenceTransformer(self.path, device=self.device, local_files_only=True)
                except Exception as e:  # noqa: BLE001 - any load failure means a broken folder
                    raise ModelError(f"cannot load embedding model from {self.path}: {e}. See models/README.md.") from e
        return self._model

    @property
    def dim(self) -> int:
        m = self.load()
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    def _encode(self, texts: Sequence[str], prompt: str, progress: Callable[[int], None] | None) -> np.ndarray:
        model = self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Encode in slices so the caller can show progress. Sorting all texts by length first
        # (sentence-transformers only sorts within a call) keeps padding, i.e. wasted compute, low.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = max(self.batch_size * 8, 1)
        for i in range(0, len(texts), step):
            rows = order[i : i + step]
            vecs = model.encode([texts[j] for j in rows], prompt=prompt, batch_size=self.batch_size,
                                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            out[rows] = np.asarray(vecs, dtype=np.float32)
            if progress:
                progress(len(rows))
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt, None)

    def embed_chunks(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, progress)


def make_embedder(settings: "Settings", log: Callable[[str], None] = lambda m: None) -> Embedder:
    """The embedder the settings ask for (the only place backends are chosen)."""
    cfg = settings.embedder
    match cfg.backend:
        case "fake":
            return FakeEmbedder()
        case "sentence-transformers":
            from .models import ensure_embedder

            # Settings errors first: the model may take a minute to install or export.
            if cfg.runtime not in ("torch", "onnx", "onnx-int8"):
                raise ConfigError(f"unknown embedder.runtime {cfg.runtime!r}; use torch, onnx or onnx-int8")
            if cfg.runtime != "torch" and cfg.device != "cpu":
                raise ConfigError(f"embedder.runtime = {cfg.runtime!r} runs on the CPU only; "
                                  f"set embedder.runtime = \"torch\" to use device {cfg.device!r}")
            path = ensure_embedder(settings, log=log)
            name = os.path.basename(str(cfg.model).rstrip("/"))
            if cfg.runtime == "torch":
                return SentenceTransformerEmbedder(path, query_prompt=cfg.query_prompt, passage_prompt=cfg.passage_prompt,
                                                   batch_size=cfg.batch_size, device=cfg.device, model_id=name,
                                                   threads=cfg.threads)
            from .onnx_embedder import OnnxEmbedder

            # The int8 vectors differ slightly from fp32 ones, so they carry their own id; the
            # export to ONNX happens on first use, with a message through ``log``.
            model_id = f"{name}@onnx-int8" if cfg.runtime == "onnx-int8" else name
            return OnnxEmbedder(path, runtime=cfg.runtime, query_prompt=cfg.query_prompt,
                                passage_prompt=cfg.passage_prompt, batch_size=cfg.batch_size, threads=cfg.threads,
                                model_id=model_id, log=log)
    raise ModelError(f"unknown embedder backend {cfg.backend!r}")
