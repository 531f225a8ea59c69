"""How well the supporting passage predicts the question: the model's query likelihood as a signal.

A correct answer's supporting sentence is about what the question asks, so a language model that
reads the sentence should find the question likely; a faithful quote of a passage about something
else (another country's figure, the men's event for the women's) leaves the question's distinctive
words unexplained. This measures, with the real generator, the mean log-probability per token of the
question as a reply to "根据这段资料提出一个问题" after the sentence (``cond``), and of the same question
with no passage (``null``); ``pmi = cond - null`` discounts how predictable the question is anyway
(query likelihood, as in unsupervised passage re-ranking, normalised by the question's prior).

    python bench/question_fit.py RUN_DIR... [--per-kind N] [--out F]

RUN_DIR is an archived run (``eval/runs/NAME``); each shown answer with a held citation is one
example, labelled by the run's own scores (correct, wrong, or a near-miss / off-topic / unanswerable
answer). Prints per-kind means and each score's ROC AUC of correct against the rest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def shown(run: Path) -> list[dict]:
    """Each shown answer of an archived run: question, supporting sentences, kind."""
    out = []
    for part in sorted(p for p in run.iterdir() if p.is_dir()):
        path = part / "results.jsonl.gz"
        if not path.exists():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
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

    rows = [e for run in args.runs for e in shown(run)]
    if args.per_kind:
        rng, kept = random.Random(0), []
        for kind in sorted({r["kind"] for r in rows}):
            group = [r for r in rows if r["kind"] == kind]
            kept += rng.sample(group, min(len(group), args.per_kind))
        rows = kept
    gen = make_generator(load_settings(None))
    for i, r in enumerate(rows):
        r.update(question_fit(gen, r["question"], r["spans"]) or {})
        print(i, r["kind"], r["question"][:30], {k: round(r.get(k, 0), 3) for k in ("cond", "null", "pmi")}, file=sys.stderr)
    from sklearn.metrics import roc_auc_score

    y = [r["kind"] == "correct" for r in rows]
    result = {"examples": len(rows), "by_kind": {}, "auc": {}}
    for k in ("cond", "null", "pmi"):
        result["auc"][k] = round(float(roc_auc_score(y, [r.get(k, 0.0) for r in rows])), 3)
    for kind in sorted({r["kind"] for r in rows}):
        g = [r for r in rows if r["kind"] == kind]
        result["by_kind"][kind] = {"n": len(g), **{k: round(sum(r.get(k, 0.0) for r in g) / len(g), 3) for k in ("cond", "null", "pmi")}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**result, "rows": rows}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
