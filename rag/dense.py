"""Dense retrieval: unit vectors in FAISS, searched by inner product (= cosine).

Exact search (``IndexFlatIP``) is the default: at seed and department scale it is fast enough and
never misses. Above ``retrieval.approx_threshold`` chunks (or when asked), an HNSW graph is built
instead; its recall against exact search is measured in ``bench/``. Row ids are the chunk store's
row numbers, so a hit maps straight back to its chunk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# HNSW parameters: M=32 links per node and efSearch=128 gave recall@10 >= 0.95 at 1M chunks in
# bench/search.py while keeping queries well under the latency budget.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def choose_kind(setting: str, n: int, threshold: int) -> str:
    """Resolve ``auto`` to ``flat`` or ``hnsw`` by corpus size."""
    if setting == "auto":
        return "hnsw" if n > threshold else "flat"
    return setting


class FaissIndex:
    """A FAISS index over row-numbered unit vectors."""

    def __init__(self, index, kind: str) -> None:
        self._index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> "FaissIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
        if kind == "hnsw":
            base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            base.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            base = faiss.IndexFlatIP(dim)
        # Rows are numbered 0..n-1 in the chunk store, so FAISS's sequential ids are the rows.
        if len(vectors):
            base.add(vectors)
        return cls(base, kind)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top-k (row, cosine) for one query vector, best first."""
        if self.ntotal == 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(k, self.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "FaissIndex":
        import faiss

        index = faiss.read_index(str(path))
        kind = "hnsw" if isinstance(index, faiss.IndexHNSW) or "HNSW" in type(index).__name__ else "flat"
        if kind == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index, kind)
