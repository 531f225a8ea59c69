"""FAISS wrapper: every kind finds the same neighbours on easy data, survives save/load, and picks by size."""

from __future__ import annotations

import numpy as np
import pytest

from rag.dense import FaissIndex, choose_kind, ivf_lists
from rag.errors import ConfigError


def _vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    # Clustered, like embeddings of texts on a few topics (uniform random data has no structure
    # for an approximate index to use).
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).standard_normal((50, dim))
    v = (centres[rng.integers(0, 50, n)] + 0.4 * rng.standard_normal((n, dim))).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_choose_kind():
    assert choose_kind("auto", 10, 100) == "flat"
    assert choose_kind("auto", 101, 100) == "ivf"
    assert choose_kind("hnsw", 10, 100) == "hnsw"
    with pytest.raises(ConfigError, match="retrieval.faiss"):
        choose_kind("annoy", 10, 100)


def test_ivf_lists_grow_with_size():
    assert ivf_lists(3) == 1 and ivf_lists(79) == 1
    assert ivf_lists(200_000) == 1024 and ivf_lists(1_000_000) == 2048
    for n in (100, 1000, 10_000):
        assert n // ivf_lists(n) >= 40  # enough points to train every list


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_kinds_find_neighbours_and_survive_save_load(kind, tmp_path):
    v = _vectors(5000)
    exact = FaissIndex.build(v, "flat")
    index = FaissIndex.build(v, kind)
    index.save(tmp_path / "d.faiss")
    loaded = FaissIndex.load(tmp_path / "d.faiss")
    assert loaded.kind == kind and loaded.ntotal == 5000 and loaded.dim == 32
    queries = _vectors(20, seed=1)
    recall = np.mean([len({r for r, _ in exact.search(q, 10)} & {r for r, _ in loaded.search(q, 10)}) / 10
                      for q in queries])
    assert recall >= 0.9
    row, score = loaded.search(v[123], 1)[0]
    assert row == 123 and score == pytest.approx(1.0, abs=1e-5)


def test_tiny_ivf_is_a_flat_scan():
    index = FaissIndex.build(_vectors(3), "ivf")
    assert index.kind == "flat" and index.ntotal == 3


def test_empty_index_searches_to_nothing():
    assert FaissIndex.build(np.zeros((0, 8), np.float32)).search(np.ones(8, np.float32), 5) == []
