"""How much of a question's topic the retrieved passages cover: a refusal signal measured without the model.

``langrules.topic_coverage`` is the idf-weighted share of a question's topic words that a passage
(read with its title, its article's opening and the text before it, as the post-generation checks
read it) mentions. The topic check refuses an answer whose supporting passages cover none of them;
this script measures what a higher bar would cost and catch, from retrieval-only runs
(``rag eval QUESTIONS --no-generate --out DIR``), so no threshold is set by taste:

- answerable questions: the coverage of the best retrieved passage that holds an accepted answer
  (the passage a correct answer cites). Below the bar, a correct answer would be refused.
- near misses and off-topic questions: the coverage of the best retrieved passage of all (an
  upper bound on what the cited one has). Below the bar, any answer would be refused.

Questions the relevance gate stops are left out (refused whatever their coverage); so are English
questions, which the pipeline checks through their Chinese translation (not made here).

    python bench/topic_coverage.py --run gen=runs/retr_gen --index answerable=data/gen/index_full \\
        --index nearmiss=data/gen/index_near --index offtopic=data/gen/index_full [--name NAME]

Prints one JSON object (per threshold: answerable below, unanswerable below, per run and pooled)
and writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import saved_runs_main  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
PARTS = ("answerable", "nearmiss", "offtopic")


def _norm(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).lower().split())


def _forms(answers: list) -> list[str]:
    """Accepted forms of the first required part (a list answer needs each part; one suffices here)."""
    if not answers:
        return []
    first = answers[0]
    return [_norm(a) for a in (first if isinstance(first, list) else answers)]


def measure(rows: list[dict], pipeline, part: str) -> list[dict]:
    from rag.langrules import topic_coverage
    from rag.prompting import question_language
    from rag.types import chunk_from_dict

    gate = pipeline.min_relevance()
    out = []
    for r in rows:
        if question_language(r["question"]) == "en":
            continue
        hits = r["hits"]
        dense = max((h.get("scores", {}).get("dense", 0.0) for h in hits), default=0.0)
        rec = {"part": part, "id": r["id"], "question": r["question"], "gated": dense < gate}
        covs, gold = [], []
        forms = _forms(r.get("answers") or [])
        for h in hits:
            c = chunk_from_dict(h)
            cov = topic_coverage(r["question"], [c.title, c.text, pipeline._opening(c), pipeline._preceding(c)])
            covs.append(cov)
            if forms and any(f in _norm(c.text) for f in forms):
                gold.append(cov)
        rec["max_cov"] = max(covs, default=0.0)
        rec["gold_cov"] = max(gold) if gold else None
        out.append(rec)
    return out


def table(recs: list[dict]) -> dict:
    ans = [r["gold_cov"] for r in recs if r["part"] == "answerable" and not r["gated"] and r["gold_cov"] is not None]
    un = [r["max_cov"] for r in recs if r["part"] != "answerable" and not r["gated"]]
    rows = {}
    for t in THRESHOLDS:
        lost = sum(c < t for c in ans)
        caught = sum(c < t for c in un)
        rows[str(t)] = {"answerable_below": lost, "answerable": len(ans),
                        "unanswerable_below": caught, "unanswerable_past_gate": len(un)}
    return rows


def main(argv: list[str] | None = None) -> int:
    return saved_runs_main(argv, __doc__.splitlines()[0], "topic_coverage", measure, table, PARTS)


if __name__ == "__main__":
    raise SystemExit(main())
