"""Near-duplicate articles: the same story from several outlets, found at indexing, folded at retrieval.

A document's signature is a MinHash of its character 5-gram set (whitespace removed, the crud_news
``…，正文：`` header and a ``原标题：`` line left out, first ``SHINGLE_CHARS`` characters: outlets
rewrite the end of a story more than its opening). Two documents whose estimated Jaccard similarity
reaches ``retrieval.duplicate_threshold`` are the same story; groups are the connected components
(a story reprinted three times is one group). Candidate pairs come from LSH banding, so the work is
linear in the number of documents.

Why 5-grams and 0.6 (measured on crud_news, see the README section "Dates, filters and
collections"): templated reports (``股票行情快报：X公司8月3日主力资金净卖出…``, ``8月1日基金净值：…``)
share their wording but not their company and figures; they score 0.45–0.55 and must stay apart,
while reprints of one story score 0.6 and above.

A small numpy MinHash rather than ``datasketch``: 30 lines, no dependency, and signatures that are
plain arrays we store with the index generation (``dedup.npz``).
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable, Mapping, Sequence

import numpy as np

from .types import Hit

# 128 permutations: the estimate's standard error is ~0.04 at Jaccard 0.6 (64 gave ~0.06, and templated
# reports at 0.5 crossed 0.6). 32 bands of 4 rows: a pair at 0.6 becomes a candidate with probability ~0.98.
PERMUTATIONS = 128
BANDS = 32
SHINGLE = 5
SHINGLE_CHARS = 1500
# Universal hashing (a*h + b) mod p with the Mersenne prime 2^31-1: a, b and h below 2^31, so a*h + b
# stays below 2^63 and uint64 arithmetic is exact.
_PRIME = np.uint64((1 << 31) - 1)
_rng = np.random.default_rng(20230817)  # fixed: the same text always gives the same signature
_A = _rng.integers(1, (1 << 31) - 1, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, PERMUTATIONS, dtype=np.uint64)
_SPACE = re.compile(r"\s+")
_HEADER_END = "，正文："


def story_text(text: str) -> str:
    """The part of a document that says what the story is: no header, no 原标题 line, no spaces."""
    i = text.find(_HEADER_END, 0, 120)
    if i >= 0:
        text = text[i + len(_HEADER_END):]
    text = _SPACE.sub("", text)
    if text.startswith("原标题："):  # the label, not the story (the headline itself stays)
        text = text[4:]
    return text[:SHINGLE_CHARS]


def signature(text: str) -> np.ndarray:
    """MinHash signature (PERMUTATIONS uint64 values) of the story's character 5-gram set."""
    t = story_text(text)
    grams = {t[i:i + SHINGLE] for i in range(max(1, len(t) - SHINGLE + 1))}
    h = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams)) % _PRIME
    prod = (_A[:, None] * h[None, :] + _B[:, None]) % _PRIME
    return prod.min(axis=1)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


# Reprints of one story appear within a day of each other; the same template filled in for the same
# company on two days (股票行情快报：瑞晨环保 8月2日 / 8月4日) is textually as close but another report.
MAX_DAYS_APART = 1


def _days_apart(a: str | None, b: str | None) -> int:
    from datetime import date

    if not a or not b:
        return 0
    return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)


def groups(signatures: Mapping[str, np.ndarray], threshold: float,
           dates: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """``{doc_id: group_id}`` for documents that have at least one near-duplicate; the group id is the
    smallest doc id of the group (stable across rebuilds). With ``dates`` (publication dates), two
    documents published more than ``MAX_DAYS_APART`` days apart are never paired."""
    dates = dates or {}
    ids = sorted(signatures)
    parent = {d: d for d in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple, list[str]] = {}
    for d in ids:
        sig = signatures[d]
        for b in range(BANDS):
            buckets.setdefault((b, sig[b * rows:(b + 1) * rows].tobytes()), []).append(d)
    checked: set[tuple[str, str]] = set()
    for members in buckets.values():
        if len(members) < 2:
            continue
        for i, x in enumerate(members):
            for y in members[i + 1:]:
                if (x, y) in checked:
                    continue
                checked.add((x, y))
                if similarity(signatures[x], signatures[y]) >= threshold and \
                        _days_apart(dates.get(x), dates.get(y)) <= MAX_DAYS_APART:
                    rx, ry = find(x), find(y)
                    if rx != ry:
                        parent[max(rx, ry)] = min(rx, ry)
    out: dict[str, list[str]] = {}
    for d in ids:
        out.setdefault(find(d), []).append(d)
    return {d: min(g) for g in out.values() if len(g) > 1 for d in g}


def fold(hits: Sequence[Hit], group_of: Mapping[str, str], k: int) -> list[Hit]:
    """The first ``k`` hits with near-duplicates folded: the best-ranked document of each group stays,
    later hits from other documents of its group are dropped and their doc ids listed in its
    ``duplicates``. Other chunks of the representative document itself are kept. Ranks are renumbered."""
    import dataclasses

    kept: list[Hit] = []
    rep_of_group: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    for h in hits:
        doc = h.chunk.doc_id
        g = group_of.get(doc)
        if g is not None:
            rep = rep_of_group.setdefault(g, doc)
            if rep != doc:
                if doc not in extra.setdefault(rep, []):
                    extra[rep].append(doc)
                continue
        if len(kept) < k:
            kept.append(h)
    out = []
    for i, h in enumerate(kept, start=1):
        dups = tuple(extra.get(h.chunk.doc_id, ()))
        out.append(dataclasses.replace(h, rank=i, duplicates=dups) if (dups or h.rank != i) else h)
    return out


def duplicate_share(hit_lists: Iterable[Sequence[Hit]], group_of: Mapping[str, str], k: int = 5) -> float:
    """Share of the top-``k`` slots taken by a second (third...) document of a duplicate group."""
    slots = wasted = 0
    for hits in hit_lists:
        seen: set[str] = set()
        docs: set[str] = set()
        for h in list(hits)[:k]:
            slots += 1
            g = group_of.get(h.chunk.doc_id)
            if g is not None and g in seen and h.chunk.doc_id not in docs:
                wasted += 1
            if g is not None:
                seen.add(g)
            docs.add(h.chunk.doc_id)
    return wasted / slots if slots else 0.0
