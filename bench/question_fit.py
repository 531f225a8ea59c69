"""How well the supporting passage predicts the question: the generator's question fit, alone.

``rag.confidence.question_fit`` with the real generator on each shown answer of archived runs, labelled
by the runs' own scores (correct, wrong, or a near-miss / off-topic / unanswerable answer): per-kind
means, and the ROC AUC of correct answers against each kind of bad one. The r29 pilot that chose the
signal (99 answers of 11 runs, 30 per kind) read it this way; the gate's fit (``bench/confidence_fit.py``)
then measured what it adds to the other six signals.

    python bench/question_fit.py RUN_DIR... [--per-kind N] [--out F]

RUN_DIR is an archived run (``eval/runs/NAME``); each shown answer with a held citation is one example,
read at the chunk spans its held citations point to.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import run_rows  # noqa: E402


def shown(run: Path) -> list[dict]:
    """Each shown answer of an archived run: question, supporting sentences, kind."""
    out = []
    for part in sorted(p for p in run.iterdir() if p.is_dir()):
        for r in run_rows(part) or []:
            if r["abstained"] or not r["answer"]:
                continue
            # The chunk's own words at each held citation's span (the row's "sentence" is the answer's).
            spans = [c["text"][c["span"][0]:c["span"][1]] for c in r.get("citations") or []
                     if c.get("holds", True) and c.get("text") and c.get("span")]
            if not spans:
                continue
            if part.name == "answerable" and r.get("answerable", True):
                kind = "correct" if r["scores"].get("correct") else "wrong"
            else:
                kind = part.name if part.name != "answerable" else "unanswerable"
            out.append({"run": run.name, "id": r["id"], "question": r.get("translation") or r["question"],
                        "spans": list(dict.fromkeys(spans)), "kind": kind})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--per-kind", type=int, default=0, help="at most this many examples of each kind (0: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "question_fit.json")
    args = ap.parse_args(argv)
    from rag.confidence import question_fit
    from rag.config import load_settings
    from rag.generators import make_generator
    from rag.prompting import load_prompts
    from sklearn.metrics import roc_auc_score

    rows = [e for run in args.runs for e in shown(run)]
    if args.per_kind:
        rng, kept = random.Random(0), []
        for kind in sorted({r["kind"] for r in rows}):
            group = [r for r in rows if r["kind"] == kind]
            kept += rng.sample(group, min(len(group), args.per_kind))
        rows = kept
    settings = load_settings(None)
    gen, system = make_generator(settings), load_prompts(settings.paths.prompts_dir).system("zh")
    for r in rows:
        r["fit"] = question_fit(gen, r["question"], r["spans"], system)
    rows = [r for r in rows if r["fit"] is not None]
    result = {"examples": len(rows), "by_kind": {}, "auc_correct_against": {}}
    for kind in sorted({r["kind"] for r in rows}):
        group = [r["fit"] for r in rows if r["kind"] == kind]
        result["by_kind"][kind] = {"n": len(group), "mean_fit": round(sum(group) / len(group), 3)}
        if kind != "correct":
            pair = [r for r in rows if r["kind"] in ("correct", kind)]
            result["auc_correct_against"][kind] = round(float(roc_auc_score(
                [r["kind"] == "correct" for r in pair], [r["fit"] for r in pair])), 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**result, "rows": rows}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
