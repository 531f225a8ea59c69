"""Reciprocal-rank fusion of several rankings.

RRF adds ``weight / (rrf_k + rank)`` per retriever. The constant damps the head of each list:
with 60 (the value from Cormack et al. 2009) a rank-1 hit is worth only ~1.6x a rank-30 hit, so
one retriever's confident mistake cannot dominate. Weights let a retriever that measures better
on our data (BM25 on Chinese news) count for more.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from .textnorm import compact

_QUALIFIER = re.compile(r"\s*[(（][^()（）]{1,20}[)）]\s*$")


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


def _title_keys(title: str) -> list[str]:
    t = compact(title)
    bare = compact(_QUALIFIER.sub("", title))
    return [k for k in dict.fromkeys((t, bare)) if len(k) >= 2]


def title_ranking(question: str, titles: Mapping[int, str], order: Sequence[int]) -> list[tuple[int, float]]:
    """Candidates whose title the question names, longest title first, then in ``order``.

    Encyclopedia pages and many document sets are titled by their subject ("前肛鳗", "大沙地站");
    a question naming that subject should prefer its page over a page that only mentions it
    ("异齿前肛鳗"). A trailing qualifier ("雅芳河 (布里斯托)") may be left out by the question.
    News headlines are rarely named in a question, so there this ranking is simply empty.
    """
    q = compact(question)
    pos = {item: i for i, item in enumerate(order)}
    matched = []
    for item, title in titles.items():
        length = max((len(k) for k in _title_keys(title) if k in q), default=0)
        if length:
            matched.append((item, float(length)))
    matched.sort(key=lambda x: (-x[1], pos.get(x[0], len(pos)), x[0]))
    return matched
