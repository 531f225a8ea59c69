"""What skipping the question fit costs: verdicts with the fit measured always, against measured only where open.

    python bench/fit_skip.py RUN_DIR[@PART=INDEX_DIR,...] ... --index PART=INDEX_DIR ...
        [--model-scores runs/model_scores.json] [--out bench/results/fit_skip.json]

The confidence gate measures the question fit (``rag.confidence.question_fit``, about 3.6 s of the
generator on 2 cores) only where the other six signals leave the verdict open
(``ConfidenceModel.decided_without_fit``). That is exact by construction for a fit inside
``question_fit_range`` and changes a verdict only for one beyond it. This re-judges a saved run twice,
as ``eval/generalisation/recheck.py`` does, once as the pipeline judges and once with the fit measured
for every answer the gate judges, and prints JSON: answers the gate judged, fits measured each way,
verdicts that differ (should be none), and measured fits outside the range (how often the clip acts).
``--index`` gives each part's index; ``RUN_DIR@answerable=data/index`` overrides it for one run.
The fits come from the real generator through ``bench/scorecache.py`` (its cache makes a rerun free).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval" / "generalisation"))

from bench.benchlib import machine_info, run_rows, switched_off  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="RUN_DIR, or RUN_DIR@PART=INDEX_DIR,... for indexes of its own")
    ap.add_argument("--index", action="append", default=[], help="PART=INDEX_DIR (answerable, nearmiss, offtopic)")
    ap.add_argument("--model-scores", type=Path, default=ROOT / "runs" / "model_scores.json")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fit_skip.json")
    args = ap.parse_args(argv)

    import rag.confidence as confidence
    from bench.scorecache import ScoreCache
    from rag.config import load_settings
    from rag.generators import FakeGenerator
    from rag.indexing import open_index
    from rag.pipeline import Pipeline
    from recheck import recheck

    settings = load_settings(None)
    cache = ScoreCache(args.model_scores, settings)
    indexes = dict(x.split("=", 1) for x in args.index)
    fits: list[float] = []
    real_fit = confidence.question_fit

    def counted_fit(*a, **k):
        value = real_fit(*a, **k)
        if value is not None:
            fits.append(value)
        return value

    confidence.question_fit = counted_fit
    model = confidence.model_for("multilingual-e5-small")
    lo, hi = model.question_fit_range()
    totals = {"questions": 0, "fits_with_skip": 0, "fits_always": 0, "verdicts_differ": 0}
    differ, outside = [], []
    for spec in args.runs:
        run, _, own = spec.partition("@")
        run = Path(run)
        for part, index_dir in {**indexes, **dict(x.split("=", 1) for x in own.split(",") if x)}.items():
            rows = run_rows(run / part)
            if rows is None:
                continue
            pipeline = Pipeline(open_index(index_dir, settings=settings),
                                FakeGenerator(likelihood=cache.continuation_logprobs), settings)
            fits.clear()
            skip = recheck(rows, pipeline, rescore=True)
            totals["fits_with_skip"] += len(fits)
            fits.clear()
            with switched_off(confidence.ConfidenceModel, "decided_without_fit", lambda self, s: False):
                always = recheck(rows, pipeline, rescore=True)
            cache.save()
            totals["questions"] += len(rows)
            totals["fits_always"] += len(fits)  # measured always: one fit for each answer the gate judged
            outside += [round(f, 3) for f in fits if not lo <= f <= hi]
            for a, b in zip(skip, always):
                if a["shown_now"] != b["shown_now"]:
                    totals["verdicts_differ"] += 1
                    differ.append({"run": run.name, "id": a["id"], "with_skip": a["reason_now"], "always": b["reason_now"]})
    result = {"name": "fit_skip", "machine": machine_info(), "runs": [str(r) for r in args.runs],
              "question_fit_range": [round(lo, 3), round(hi, 3)], **totals, "gate_judged": totals["fits_always"],
              "fits_outside_range": len(outside), "outside": outside, "differ": differ}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
