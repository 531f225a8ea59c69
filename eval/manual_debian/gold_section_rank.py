"""Gold-section rank for a run over another rendering of the manual (its PDF or HTML chapters).

    python eval/manual_debian/gold_section_rank.py RUN_DIR [RUN_DIR ...] [--docs data/gen/manual_debian.jsonl]
    python eval/manual_debian/gold_section_rank.py RUN_DIR [RUN_DIR ...] --txt GUIDE.txt[.gz] [--prefix ""]

With ``--txt``, the sections are read from a manual's plain text instead (``rag.cleaning.find_sections`` over its
cleaned text), keyed by ``--prefix`` and the heading's number ("2.3"): how the confirmation set
(``eval/manual_maintguide/``, whose sources are section numbers) is scored.

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


def _txt_sections(path: Path, prefix: str) -> dict[str, set[str]]:
    import gzip
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from rag.cleaning import clean_text, find_sections

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        text = clean_text(fh.read())
    out: dict[str, set[str]] = {}
    for art in find_sections(text, ""):
        m = re.match(r"\s*(\d+(?:\.\d+)*)", art.title)
        if m:
            out.setdefault(prefix + m.group(1), set()).update(_grams(text[art.start:art.end]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--docs", type=Path, default=Path("data/gen/manual_debian.jsonl"))
    ap.add_argument("--txt", type=Path, help="a manual's plain text (.txt or .txt.gz) to read the sections from")
    ap.add_argument("--prefix", default="", help="with --txt: what goes before a section number in the sources")
    args = ap.parse_args(argv)
    sections = _txt_sections(args.txt, args.prefix) if args.txt else {}
    for line in ([] if args.txt else args.docs.open(encoding="utf-8")):
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
