"""Reciprocal-rank fusion of several rankings.

RRF adds ``weight / (rrf_k + rank)`` per retriever. The constant damps the head of each list:
with 60 (the value from Cormack et al. 2009) a rank-1 hit is worth only ~1.6x a rank-30 hit, so
one retriever's confident mistake cannot dominate. Weights let a retriever that measures better
on our data (BM25 on Chinese news) count for more.
"""

from __future__ import annotations

from typing import Mapping, Sequence


def fuse_rankings(rankings: Mapping[str, Sequence[tuple[int, float]]], weights: Mapping[str, float] | None = None,
                  rrf_k: int = 60) -> list[tuple[int, float, dict[str, int], dict[str, float]]]:
    """Fuse ``{name: [(item, score), ...] best first}`` into ``[(item, fused, ranks, scores)]``.

    Ties on the fused score are broken by the best single rank, then by item id, so the order is
    deterministic.
    """
    fused: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    scores: dict[int, dict[str, float]] = {}
    for name, ranking in rankings.items():
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        for r, (item, score) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + w / (rrf_k + r)
            ranks.setdefault(item, {})[name] = r
            scores.setdefault(item, {})[name] = float(score)
    order = sorted(fused, key=lambda i: (-fused[i], min(ranks[i].values()), i))
    return [(i, fused[i], ranks[i], scores[i]) for i in order]
