"""Does the answer's figure sit among the question's words in its passage? A refusal signal, measured on saved runs.

For every shown answer of a run (``rag eval … --out DIR``; parts answerable / nearmiss / offtopic),
the saved text is verified again as the pipeline does (``Pipeline.judge``), and for each figure of
its held claims that the question does not already give (``langrules.quantities``) the text of the
supporting passage around that figure (``--window`` characters each side) is read: the score is the
idf-weighted share of the question's topic words and subjects found there (the best over the
answer's figures; answers without a figure get none). A near miss or off-topic answer quotes a
figure from a passage about something else ("米和水的比例是1:1" from a sentence about a fund), so
its figure should sit among fewer of the question's words than a correct answer's does.

    python bench/figure_context.py --run fresh3=runs/gen_fresh3 --index answerable=data/gen/index_full \\
        --index offtopic=data/gen/index_full --index fresh3:nearmiss=data/gen/index_near_fresh3 [--name N]

Prints one JSON object: per label (correct, wrong, unanswerable shown) the scores, and per
threshold how many of each would be refused; writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import saved_runs, shown_answers, write_details, write_result  # noqa: E402

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
PARTS = ("answerable", "nearmiss", "offtopic")


def measure(rows: list[dict], pipeline, part: str, window: int) -> list[dict]:
    from rag.grounding import figure_context

    return [{"part": part, "id": r["id"], "label": label, "question": r["question"], "answer": r["answer"][:80],
             "score": (figure_context(question, checked.verified, window) or (None,))[0]}
            for r, question, checked, label in shown_answers(rows, pipeline, part, all_answerable=True)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="append", default=[], help="NAME=RUN_DIR")
    ap.add_argument("--index", action="append", default=[], help="PART=INDEX_DIR or NAME:PART=INDEX_DIR")
    ap.add_argument("--window", type=int, default=30)
    ap.add_argument("--name", default="figure_context")
    ap.add_argument("--details", type=Path)
    args = ap.parse_args(argv)
    recs = [{**x, "run": name} for name, part, rows, pipeline in saved_runs(args.run, args.index, PARTS)
            for x in measure(rows, pipeline, part, args.window)]
    labels = ("correct", "wrong", "unanswerable")
    result = {"window": args.window, "runs": [s.split("=", 1)[0] for s in args.run],
              "shown": {k: sum(r["label"] == k for r in recs) for k in labels},
              "with_figure": {k: sum(r["label"] == k and r["score"] is not None for r in recs) for k in labels},
              "refused_at": {str(t): {k: sum(r["label"] == k and r["score"] is not None and r["score"] < t for r in recs)
                                      for k in labels} for t in THRESHOLDS}}
    write_details(args.details, recs)
    write_result(args.name, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
