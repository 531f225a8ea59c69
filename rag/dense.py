"""Dense retrieval: unit vectors in FAISS, searched by inner product (= cosine).

Exact search (``IndexFlatIP``) is the default: at seed and department scale it is fast enough and
never misses (FAISS ~40 ms a query at 100k chunks on 2 shared cores, but ~280 ms at 1M;
``bench/search.py``). Above ``retrieval.approx_threshold`` chunks, ``auto`` builds an
inverted-file index (IVF) instead. IVF was chosen over HNSW by measurement (``bench/README.md``):
at 100k chunks both answer in ~1 ms with recall@10 ~0.97, but HNSW (M=32) took 43 s to build
against 2 s for IVF, its build grows faster than linearly (~10 min extrapolated at 1M, against
43 s for IVF) and its graph adds ~270 bytes a chunk in memory and on disk. HNSW stays available as
an explicit choice. Row ids are the chunk store's row numbers, so a hit maps straight back to its
chunk.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# HNSW parameters (only when asked for explicitly): M=32 links per node, efSearch=128.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128

# IVF parameters. About 2*sqrt(n) lists (a power of two) keeps both the list scan and the centroid
# scan small; 40 training points per list is FAISS's own advice, and 10 k-means iterations
# instead of 25 cut the build time. Searching 64 lists gave recall@10 0.97-0.98 against exact
# search at 100k, 200k and 1M chunks (32 lists: 0.94-0.96) for 2-4 ms a query at 1M.
IVF_NPROBE = 64
IVF_TRAIN_PER_LIST = 40
IVF_NITER = 10
KINDS = ("flat", "ivf", "hnsw")


def choose_kind(setting: str, n: int, threshold: int) -> str:
    """Resolve ``auto`` to ``flat`` or ``ivf`` by corpus size."""
    if setting == "auto":
        return "ivf" if n > threshold else "flat"
    if setting not in KINDS:
        from .errors import ConfigError

        raise ConfigError(f"retrieval.faiss = {setting!r} is unknown; use flat, ivf, hnsw or auto")
    return setting


def ivf_lists(n: int) -> int:
    """Number of IVF lists for ``n`` vectors (1 when there are too few to train more)."""
    if n < 2 * IVF_TRAIN_PER_LIST:
        return 1
    lists = 2 ** round(math.log2(2 * math.sqrt(n)))
    return max(1, min(lists, n // IVF_TRAIN_PER_LIST))


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
        if kind == "ivf" and ivf_lists(len(vectors)) == 1:
            kind = "flat"  # one list is a flat scan; too few vectors to train more
        if kind == "hnsw":
            base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            base.hnsw.efSearch = HNSW_EF_SEARCH
        elif kind == "ivf":
            lists = ivf_lists(len(vectors))
            # index_factory owns its coarse quantiser, so nothing else has to keep it alive.
            base = faiss.index_factory(dim, f"IVF{lists},Flat", faiss.METRIC_INNER_PRODUCT)
            base.cp.niter = IVF_NITER
            base.cp.seed = 1234
            train = vectors
            if len(vectors) > lists * IVF_TRAIN_PER_LIST:
                # A fixed sample: the same vectors always give the same index.
                pick = np.random.default_rng(0).choice(len(vectors), lists * IVF_TRAIN_PER_LIST, replace=False)
                train = vectors[np.sort(pick)]
            if len(train):
                base.train(train)
            base.nprobe = min(IVF_NPROBE, lists)
        elif kind == "flat":
            base = faiss.IndexFlatIP(dim)
        else:
            raise ValueError(f"unknown FAISS index kind {kind!r}")
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

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-k (row, cosine) for one query vector, best first; only rows where the boolean mask
        ``allowed`` is True when it is given (a SearchFilter, applied inside FAISS so filtered-out
        rows never take one of the k places)."""
        if self.ntotal == 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            scores, ids = self._index.search(q, min(k, self.ntotal))
        else:
            import faiss

            rows = np.flatnonzero(allowed).astype(np.int64)
            if not len(rows):
                return []
            selector = faiss.IDSelectorBatch(rows)  # kept referenced until the search returns
            if self.kind == "ivf":
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
            elif self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=HNSW_EF_SEARCH)
            else:
                params = faiss.SearchParameters(sel=selector)
            scores, ids = self._index.search(q, min(k, len(rows)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "FaissIndex":
        import faiss

        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSW) or "HNSW" in type(index).__name__:
            faiss.downcast_index(index).hnsw.efSearch = HNSW_EF_SEARCH
            return cls(index, "hnsw")
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = min(IVF_NPROBE, index.nlist)
            return cls(index, "ivf")
        return cls(index, "flat")
