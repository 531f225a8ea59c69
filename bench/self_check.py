"""The model asked to judge a shown answer ("does the passage say it, and is it what was asked?"):
a refusal signal measured on saved runs, with the real model.

For every answer a saved (or re-judged) run shows, the model reads the question, the passage text
around the spans its citations hold and the answer, and the script takes its probability of
replying 是 against 否 (``Generator.refusal_prob`` of each one-character reply, prompt cached after
the first). Reported: the distribution per kind of answer (correct, wrong, near miss, off-topic),
the ROC AUC of correct against the rest, and per threshold how many of each would be refused.

    python bench/self_check.py runs/gen_fresh5_final runs/gen_fresh6_final [--name NAME] [--details F]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import log, write_details, write_result  # noqa: E402

SYSTEM = ("你是审核员。给你一个问题、一段资料原文和一个回答。判断：资料原文是否说明了回答的内容，"
          "并且这个回答正是问题所问的？只回答“是”或“否”。")
THRESHOLDS = (0.75, 0.8, 0.85, 0.9)
PARTS = ("answerable", "nearmiss", "offtopic")


def passage_text(r: dict, around: int = 60, limit: int = 600) -> str:
    """The text around the spans of the answer's citations that hold."""
    chunks = {h["chunk_id"]: h["text"] for h in r["hits"]}
    spans = []
    for c in r.get("citations") or []:
        text = chunks.get(c["chunk_id"])
        if c.get("holds", True) and text:
            a, b = c["span"]
            spans.append(text[max(0, a - around): b + around])
    return " …… ".join(dict.fromkeys(spans))[:limit]


def judge(gen, question: str, passage: str, answer: str) -> float | None:
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"问题：{question}\n资料原文：{passage}\n回答：{answer}"}]
    yes, no = gen.refusal_prob(messages, "是"), gen.refusal_prob(messages, "否")
    return yes / (yes + no) if yes is not None and no is not None and yes + no > 0 else None


def label(r: dict, part: str) -> str:
    if part == "answerable" and r.get("answerable", True):
        return "correct" if (r.get("scores") or {}).get("correct") else "wrong"
    return part


def auc(pos: list[float], neg: list[float]) -> float | None:
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def main(argv: list[str] | None = None) -> int:
    import json

    from rag.config import load_settings
    from rag.generators import make_generator

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders with <part>/results.jsonl")
    ap.add_argument("--name", default="self_check")
    ap.add_argument("--details", type=Path)
    args = ap.parse_args(argv)
    gen = make_generator(load_settings(None))
    recs = []
    for run in args.runs:
        for part in PARTS:
            path = run / part / "results.jsonl"
            if not path.exists():
                continue
            rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
            log(f"{run}/{part}: {len(rows)} questions")
            for r in rows:
                passage = passage_text(r)
                if r["abstained"] or not passage:
                    continue
                p = judge(gen, r.get("translation") or r["question"], passage, r["answer"])
                if p is not None:
                    recs.append({"run": str(run), "id": r["id"], "kind": label(r, part), "p_yes": round(p, 4)})
    kinds = sorted({r["kind"] for r in recs})
    by = {k: sorted(r["p_yes"] for r in recs if r["kind"] == k) for k in kinds}
    bad = [p for k in kinds if k != "correct" for p in by[k]]
    result = {"answers": {k: len(v) for k, v in by.items()},
              "auc_correct_vs_rest": auc(by.get("correct", []), bad),
              "quantiles": {k: [v[int(len(v) * q)] for q in (0.0, 0.05, 0.1, 0.25, 0.5)] for k, v in by.items() if v},
              "refused_below": {str(t): {k: sum(p < t for p in v) for k, v in by.items()} for t in THRESHOLDS}}
    write_details(args.details, recs)
    write_result(args.name, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
