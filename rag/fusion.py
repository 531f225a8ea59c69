"""Reciprocal-rank fusion of several rankings, with weights set per question.

RRF adds ``weight / (rrf_k + rank)`` per retriever. The constant damps the head of each list:
with 60 (the value from Cormack et al. 2009) a rank-1 hit is worth only ~1.6x a rank-30 hit, so
one retriever's confident mistake cannot dominate.

Which retriever deserves the weight depends on the question, not on the corpus: BM25 wins where
the question reuses the passage's words (the seed questions, CMRC), the dense retriever where
the question says it in other words (search-box queries over news). ``lexical_weights`` reads
that from the question itself: how much more of the question's words (idf-weighted) BM25's best
chunk holds than the dense retriever's best chunk. See the README's retrieval tables.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from .textnorm import compact

if TYPE_CHECKING:
    from .config import RetrievalSettings

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


# The coverage lead (BM25's best chunk minus the dense best chunk, shares of the question's idf
# mass) at which both retrievers count the same. Chosen on the seed questions and CMRC 2018 dev:
# where BM25 alone had the gold page first the lead was 0.10-0.88 (median ~0.5); where dense
# alone had it, -0.07-0.35 (median ~0.1).
LEXICAL_PIVOT = 0.2
# How fast the weight moves with the lead: 20 makes a lead 0.1 above (below) the pivot weigh
# BM25 e^2 ~ 7x more (less) than dense. 10-40 measured the same on seeds and CMRC.
LEXICAL_STEEPNESS = 20.0
# The largest weight ratio: past this the second retriever only breaks the leader's near ties.
# 8 lost two seed questions (a BM25 best chunk at dense rank 45 needs ~13x to come first).
MAX_WEIGHT_RATIO = 30.0


def lexical_weights(bm25_coverage: float, dense_coverage: float, *, pivot: float = LEXICAL_PIVOT,
                    steepness: float = LEXICAL_STEEPNESS, max_ratio: float = MAX_WEIGHT_RATIO) -> dict[str, float]:
    """RRF weights ``{"dense", "bm25"}`` (summing to 2, as equal weights do) for one question.

    ``bm25_coverage`` and ``dense_coverage`` are the shares of the question's idf mass present in
    each retriever's best chunk (``Bm25Index.coverage``). The ratio bm25/dense is
    ``exp(steepness * (lead - pivot))``, clamped to ``[1/max_ratio, max_ratio]``.
    """
    bound = math.log(max_ratio)
    x = max(-bound, min(bound, steepness * (bm25_coverage - dense_coverage - pivot)))
    ratio = math.exp(x)
    return {"dense": 2.0 / (1.0 + ratio), "bm25": 2.0 * ratio / (1.0 + ratio)}


Ranking = Sequence[tuple[int, float]]


def fuse_retrievers(question: str, dense: Ranking, bm25: Ranking, cfg: "RetrievalSettings", *,
                    coverage: Callable[[list[int]], Sequence[float]] | None,
                    titles: Callable[[list[int]], Mapping[int, str]]) -> list[tuple[int, float, dict[str, int], dict[str, float]]]:
    """One question's dense and BM25 rankings fused as ``retrieval`` says, title ranking included.

    ``coverage(rows)`` gives the share of the question's idf mass in each row (``Bm25Index.coverage``);
    without it, or with ``retrieval.fusion = "fixed"``, the fixed weights apply. ``titles(rows)``
    gives each candidate's title. Every index backend fuses through this one function.
    """
    rankings = {"dense": dense, "bm25": bm25}
    lexical = cfg.fusion == "lexical" and coverage is not None and bool(dense)
    if lexical:
        # No BM25 hit means no shared word: coverage 0, and the dense ranking leads.
        lead = list(coverage([bm25[0][0], dense[0][0]])) if bm25 else [0.0, 0.0]
        weights = lexical_weights(lead[0], lead[1])
    else:
        weights = {"dense": cfg.dense_weight, "bm25": cfg.sparse_weight}
    fused = fuse_rankings(rankings, weights, cfg.rrf_k)
    if cfg.title_weight:
        pool = [i for i, *_ in fused]
        named = title_ranking(question, titles(pool), pool)
        if named:  # rarely for news: headlines are not named in questions
            # With per-question weights the title ranking speaks as loud as the weaker retriever:
            # it reorders pages the leader nearly ties on and does not outvote the leader
            # (CMRC 2018 dev @1: 98.1% so, 97.5% at a fixed weight 1, 98.0% without it).
            scale = min(weights["dense"], weights["bm25"]) if lexical else 1.0
            rankings["title"], weights["title"] = named, cfg.title_weight * scale
            fused = fuse_rankings(rankings, weights, cfg.rrf_k)
    return fused
