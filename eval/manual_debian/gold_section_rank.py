"""Gold-section rank for a run over another rendering of the manual (its PDF or HTML chapters).

    python eval/manual_debian/gold_section_rank.py RUN_DIR [RUN_DIR ...] [--docs data/gen/manual_debian.jsonl]

An index built from the PDF or the HTML chapters has its own document ids, so the set's ``sources``
(``debref-<section>``) cannot be looked up. A retrieved chunk counts as its gold section's when at least
``SHARE`` of its character bigrams (whitespace removed) occur in that section's text, the sections read
from ``make_docs.py``'s output. Prints, for each run, the share of answerable questions whose gold section
is among the top 1, 3 and 5 chunks. Used in round r34 to measure the PDF and HTML layout changes on the
32 answerable questions (``rag eval … --no-generate`` runs over each rendering, before and after).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

SHARE = 0.6


def _grams(text: str) -> set[str]:
    t = re.sub(r"\s+", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def gold_rank(row: dict, sections: dict[str, set[str]], depth: int = 5) -> int | None:
    """The rank (1-based) of the first of the top ``depth`` hits that is the row's gold section."""
    gold = set().union(*(sections[s] for s in row["sources"]))
    for i, hit in enumerate(row["hits"][:depth], 1):
        g = _grams(hit["text"])
        if g and len(g & gold) / len(g) >= SHARE:
            return i
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--docs", type=Path, default=Path("data/gen/manual_debian.jsonl"))
    args = ap.parse_args(argv)
    sections = {}
    for line in args.docs.open(encoding="utf-8"):
        doc = json.loads(line)
        sections[doc["doc_id"]] = _grams(doc["text"])
    for run in args.runs:
        path = run / "results.jsonl" if (run / "results.jsonl").exists() else run / "answerable" / "results.jsonl"
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        rows = [r for r in rows if r.get("answerable", True) and r.get("sources")]
        ranks = [gold_rank(r, sections) for r in rows]
        share = {f"@{k}": round(sum(1 for x in ranks if x and x <= k) / len(rows), 3) for k in (1, 3, 5)}
        print(json.dumps({"run": str(run), "questions": len(rows), **share}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
