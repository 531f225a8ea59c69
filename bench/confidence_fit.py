"""Fit the confidence gate's model (``rag/confidence.py``) on every archived run.

    python bench/confidence_fit.py [--out bench/results/confidence_fit.json] [--loss 0.01]

Each archived run of ``eval/runs/`` (``ARCHIVE`` below: the run and the index each part was asked
against, as the sets' READMEs build them) is judged again with the current checks and the confidence
gate off, exactly as ``eval/generalisation/recheck.py`` does. Every answer the checks still show is
one example: its six ``confidence.Signals`` and whether it is correct (the current answer matcher;
an answer to a near-miss, off-topic or unanswerable question is never correct).

A logistic regression (scikit-learn, installed with sentence-transformers; balanced classes, L2
with C=0.3) is fitted on standardised signals. Its trade-off is estimated by cross-validation with
whole runs held out (8 folds, runs dealt round-robin in name order): for each share of correct
answers lost (0.5%, 1%, 1.5%, 2%, 3%, 5%), how many bad answers of each kind fall below the bar. The
printed model is fitted on every example; its threshold is the ``--loss`` quantile of the correct
answers' fitted scores. Paste ``model`` into ``confidence.CALIBRATED`` for the embedder it names.

Slow parts: every archived question is retrieved again and every shown answer embedded (about 1,200):
19 minutes on 2 cores beside a model run in r28; ``--rows FILE`` keeps the examples. The question fit
runs the generator on each example (about 3.6 s on 2 cores), so r29 fitted on every bad example and a
random sample of the correct ones (``--correct-sample``); ``--model-scores`` keeps the model's scores
(``bench/scorecache.py``), so a refit of the same examples is seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import astuple
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import given_chunks, run_rows  # noqa: E402

G = "data/gen"


def _news(n: str) -> dict[str, str]:
    return {"answerable": f"{G}/index_newsout{n}", "nearmiss": f"{G}/index_newsout{n}_near",
            "offtopic": f"{G}/index_newsout{n}"}


# Each archived run and the index of each of its parts (the sets' READMEs say how each is built).
ARCHIVE: dict[str, dict[str, str]] = {
    "newsout_base": _news(""),
    **{f"newsout{n}_first": _news(str(n)) for n in (2, 3, 6, *range(10, 25))},
    **{f"newsout{n}_final": _news(str(n)) for n in (4, 5, 7, 8, 9)},
    **{f"gen_fresh{n}_base": {"answerable": f"{G}/index_full", "nearmiss": f"{G}/index_near_fresh{n}",
                              "offtopic": f"{G}/index_full"} for n in (39, 40)},
    "seeds_base": {"answerable": "data/index"},
    "seeds_heldout_base": {"answerable": "data/index"},
    "cmrcoff_first": {"answerable": f"{G}/index_full", "nearmiss": f"{G}/index_cmrcoff_near"},
    # r29's sets (cmrcoff6, off29) joined after r29 reported them held out; r30's (cmrcoff7, off30) join after r30.
    **{f"cmrcoff{n}_first": {"answerable": f"{G}/index_full", "nearmiss": f"{G}/index_cmrcoff{n}_near"} for n in (2, 3, 4, 5, 6)},
    "days27_first": {"answerable": f"{G}/index_days27"},
    **{f"{name}_first": {"offtopic": f"{G}/index_full"} for name in ("off26", "off28", "off28b", "off29")},
}

LOSSES = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05)


def examples(run: str, part: str, index_dir: str, settings) -> list[dict]:
    """The answers the checks show for one part of one archived run, with their signals and labels."""
    from bench.relevance_gate import retrieve_again
    from rag.citations import check_answer
    from rag.confidence import signals
    from rag.generators import FakeGenerator
    from rag.indexing import open_index
    from rag.pipeline import Pipeline
    from rag.scoring import score_result

    rows = run_rows(ROOT / "eval" / "runs" / run / part)
    if rows is None:
        return []
    pipeline = Pipeline(open_index(ROOT / index_dir, settings=settings), FakeGenerator(), settings)
    refusal = pipeline.prompts.refusal("zh")
    embedder = pipeline.current_index().embedder
    out = []
    for r in rows:
        text = r["draft"] or ("" if r["abstained"] else r["answer"])
        if not text:
            continue
        best = retrieve_again(pipeline, r).dense_top
        if best < pipeline.min_relevance():
            continue
        question = r.get("translation") or r["question"]
        chunks = given_chunks(r)
        checked, reason = pipeline.judge(question, text, chunks, refusal, refusal_prob=r.get("refusal_prob"),
                                         translated=bool(r.get("translation")))
        if reason:
            continue
        draft = pipeline.draft(question, checked, translated=bool(r.get("translation")))
        s = signals(draft, best, r.get("refusal_prob"), embedder)
        if s is None:
            continue
        shown = pipeline.presented(text, checked.verified)[0]
        answerable = part == "answerable" and r.get("answerable", True)
        correct = bool(answerable and score_result({**r, "answer": shown, "abstained": False}).get("correct"))
        kind = ("correct" if correct else "wrong") if answerable else ("unanswerable" if part == "answerable" else part)
        out.append({"run": run, "id": r["id"], "question": r["question"], "answer": shown, "kind": kind,
                    "signals": list(astuple(s)), "refusal_prob": r.get("refusal_prob"),
                    "judged": draft.question, "spans": draft.spans()})
    return out


def add_question_fit(rows: list[dict], cache_path: Path, settings) -> None:
    """Each example's question fit (``confidence.question_fit``, the real generator through the score
    cache), as the pipeline measures it: the judged question, the draft's spans, the answering
    system prompt. Examples of an older fit, without it, get it appended."""
    from bench.scorecache import ScoreCache
    from rag.confidence import SIGNALS, question_fit
    from rag.prompting import load_prompts

    cache, system = ScoreCache(cache_path, settings), load_prompts(settings.paths.prompts_dir).system("zh")
    todo = [r for r in rows if len(r["signals"]) < len(SIGNALS)]
    for i, r in enumerate(todo, 1):
        value = question_fit(cache, r["judged"], r["spans"], system)
        r["signals"] = r["signals"][: len(SIGNALS) - 1] + [value]
        if i % 50 == 0:
            print(f"question fit: {i} of {len(todo)}", file=sys.stderr, flush=True)
    cache.save()
    typical = sorted(r["signals"][-1] for r in rows if r["signals"][-1] is not None)
    for r in rows:  # a fit the model could not measure counts as the fit's median, as in the pipeline
        if r["signals"][-1] is None:
            r["signals"][-1] = typical[len(typical) // 2] if typical else 0.0


def fit(rows: list[dict], loss: float) -> dict:
    """Cross-validated trade-off and the model fitted on every row (see the module docstring)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from rag.confidence import SIGNALS

    x = np.array([r["signals"] for r in rows], dtype=float)
    y = np.array([r["kind"] == "correct" for r in rows], dtype=int)
    kinds = np.array([r["kind"] for r in rows])
    means, scales = x.mean(0), x.std(0) + 1e-9
    xs = (x - means) / scales

    def model():
        return LogisticRegression(C=0.3, max_iter=5000, class_weight="balanced")

    runs = sorted({r["run"] for r in rows})
    fold = {run: i % 8 for i, run in enumerate(runs)}
    folds = np.array([fold[r["run"]] for r in rows])
    held_out = np.zeros(len(rows))
    for f in range(8):
        train = folds != f
        held_out[~train] = model().fit(xs[train], y[train]).predict_proba(xs[~train])[:, 1]
    trade = []
    for q in LOSSES:
        bar = float(np.quantile(held_out[y == 1], q))
        below = (held_out < bar)
        trade.append({"correct_lost_share": q, "correct_lost": int((below & (y == 1)).sum()),
                      **{f"{k}_refused": int((below & (kinds == k)).sum())
                         for k in ("wrong", "nearmiss", "offtopic", "unanswerable")}})
    final = model().fit(xs, y)
    fitted = final.predict_proba(xs)[:, 1]
    threshold = float(np.quantile(fitted[y == 1], loss))
    below = fitted < threshold
    single = {name: round(float(roc_auc_score(y, x[:, i])), 3) for i, name in enumerate(SIGNALS)}
    rp = [r["refusal_prob"] for r in rows if r["refusal_prob"] is not None]
    return {
        "examples": len(rows), "by_kind": {k: int((kinds == k).sum()) for k in sorted(set(kinds))},
        "single_signal_auc": single,
        "cross_validated_auc": round(float(roc_auc_score(y, held_out)), 3),
        "cross_validated_tradeoff": trade,
        "model": {"means": [round(float(v), 5) for v in means], "scales": [round(float(v), 5) for v in scales],
                  "weights": [round(float(v), 4) for v in final.coef_[0]], "bias": round(float(final.intercept_[0]), 4),
                  "threshold": round(threshold, 3),
                  "typical_refusal_prob": round(float(np.median(rp)), 4) if rp else 0.02,
                  "typical_question_fit": round(float(np.median(x[:, -1])), 4)},
        "fitted_at_threshold": {k: int((below & (kinds == k)).sum()) for k in sorted(set(kinds))},
        "below_threshold": [{"run": r["run"], "id": r["id"], "kind": r["kind"], "score": round(float(p), 3),
                             "question": r["question"], "answer": r["answer"][:80]}
                            for r, p, b in zip(rows, fitted, below) if b],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "confidence_fit.json")
    ap.add_argument("--loss", type=float, default=0.01, help="share of the fit's correct answers below the bar")
    ap.add_argument("--rows", type=Path, help="cache of the examples (read when it exists, else written)")
    ap.add_argument("--correct-sample", type=int, default=0,
                    help="keep every bad example and this many correct ones, drawn at random (seed 0): the question "
                         "fit costs the model about 3.6 s an example on 2 cores (0: every example)")
    ap.add_argument("--model-scores", type=Path, default=ROOT / "runs" / "model_scores.json",
                    help="cache of the generator's text scores for the question fit (bench/scorecache.py)")
    args = ap.parse_args(argv)
    from rag.config import load_settings

    settings = load_settings(None)
    settings.answer.min_confidence = 0  # the gate being fitted stays out of its own examples
    if args.rows and args.rows.exists():
        rows = json.loads(args.rows.read_text(encoding="utf-8"))
    else:
        rows = [e for run, parts in ARCHIVE.items() for part, index_dir in parts.items()
                for e in examples(run, part, index_dir, settings)]
        if args.rows:
            args.rows.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    if args.correct_sample:
        import random

        correct = [r for r in rows if r["kind"] == "correct"]
        kept = {id(r) for r in random.Random(0).sample(correct, min(args.correct_sample, len(correct)))}
        rows = [r for r in rows if r["kind"] != "correct" or id(r) in kept]
    add_question_fit(rows, args.model_scores, settings)
    if args.rows and not args.correct_sample:  # a sample must not replace the whole cache
        args.rows.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = fit(rows, args.loss)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "below_threshold"}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
