"""How well the generator's own refusal probability tells a good shown answer from a bad one.

Reads generated runs (``rag eval ... --out DIR``; ``results.jsonl`` lines carry ``refusal_prob``)
and looks only at answers the other checks let through (``abstained`` false): those are what a
threshold on ``answer.max_refusal_prob`` could still stop. An answer is *good* when its question
is answerable and the answer is scored correct, *bad* otherwise (a near miss, an off-topic
question or a wrong answer shown). For each threshold it reports how many bad answers would be
refused (recall of the refusal), how many good ones lost, and the precision of the refusals, plus
the ROC AUC (0.5 is chance). A threshold is chosen from this table, not from one run's best point.

    python bench/refusal_prob.py RUN_DIR [RUN_DIR ...] [--out bench/results/refusal_prob.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import write_result  # noqa: E402
from bench.refusal_signals import auc  # noqa: E402

THRESHOLDS = (0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5)


def shown(rows: list[dict]) -> tuple[list[float], list[float]]:
    """Refusal probabilities of the shown answers: (good, bad)."""
    good, bad = [], []
    for r in rows:
        p = r.get("refusal_prob")
        if r.get("abstained") is not False or p is None:
            continue
        ok = r.get("answerable", True) and (r.get("scores") or {}).get("correct")
        (good if ok else bad).append(p)
    return good, bad


def sweep(good: list[float], bad: list[float]) -> list[dict]:
    out = []
    for t in THRESHOLDS:
        stopped_bad = sum(p >= t for p in bad)
        lost_good = sum(p >= t for p in good)
        out.append({"threshold": t, "bad_refused": stopped_bad, "good_lost": lost_good,
                    "recall": round(stopped_bad / len(bad), 3) if bad else None,
                    "precision": round(stopped_bad / (stopped_bad + lost_good), 3) if stopped_bad + lost_good else None})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    per_run, all_good, all_bad = {}, [], []
    for run in args.runs:
        rows = [json.loads(x) for x in (run / "results.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
        good, bad = shown(rows)
        all_good += good
        all_bad += bad
        per_run[str(run)] = {"questions": len(rows), "shown_good": len(good), "shown_bad": len(bad),
                             "auc": (round(a, 3) if (a := auc(bad, good)) is not None else None)}
    write_result("refusal_prob", {"runs": per_run, "pooled": {
        "shown_good": len(all_good), "shown_bad": len(all_bad),
        "auc": (round(a, 3) if (a := auc(all_bad, all_good)) is not None else None),
        "sweep": sweep(all_good, all_bad)}}, args.out)


if __name__ == "__main__":
    main()
