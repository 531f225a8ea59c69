"""How many answerable questions the generator itself answers right, before any check: the ceiling
that no post-generation check can lift accuracy above.

Every check after the model can only refuse. So over a run's answerable questions, accuracy is at
most the share whose *model text* holds the gold answer: the shown answers scored correct plus the
refused drafts that hold it (``rag.scoring.match_answer``, the evaluation's own matcher; a draft is
the model's text the checks replaced, saved in ``draft``). A question the model refused itself, or
the relevance gate stopped, has no draft and counts against the ceiling. The gap between accuracy
and the ceiling is what better checks could still win; the ceiling is what only a better draft
(another generator, prompt or context) can raise.

    python bench/draft_ceiling.py runs/gen_fresh*_first [--name draft_ceiling_first]

Reads ``RUN/answerable/results.jsonl`` of each run. Figures per run and pooled:
questions, correct (the run's own scores), right drafts refused, wrong drafts refused, model or
gate refusals, wrong answers shown, and the ceiling.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import write_result  # noqa: E402


def classify(row: dict) -> str:
    """One answerable result: correct | wrong_shown | right_draft_refused | wrong_draft_refused |
    no_draft (the model's own refusal, or the gate's)."""
    from rag.scoring import match_answer

    if not row.get("abstained"):
        return "correct" if (row.get("scores") or {}).get("correct") else "wrong_shown"
    draft = row.get("draft") or ""
    if not draft.strip():
        return "no_draft"
    return "right_draft_refused" if match_answer(draft, row.get("answers") or []) else "wrong_draft_refused"


KINDS = ("correct", "right_draft_refused", "wrong_draft_refused", "wrong_shown", "no_draft")


def tally(rows: list[dict]) -> dict:
    """Counts per kind, accuracy and the ceiling (correct + right drafts refused) as shares."""
    counts = dict.fromkeys(KINDS, 0)
    for r in rows:
        counts[classify(r)] += 1
    n = len(rows)
    out: dict = {"questions": n, **counts}
    out["accuracy"] = round(counts["correct"] / n, 4) if n else None
    out["ceiling"] = round((counts["correct"] + counts["right_draft_refused"]) / n, 4) if n else None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--name", default="draft_ceiling", help="result name (bench/results/<name>.json)")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    per_run, pooled = {}, []
    for run in a.runs:
        path = run / "answerable" / "results.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        rows = [r for r in rows if r.get("answerable", True)]
        per_run[str(run)] = tally(rows)
        pooled += rows
    result = {"runs": per_run, "pooled": tally(pooled)}
    write_result(a.name, result, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
