"""Headline figures of a generalisation run, per tag, from the runs' own results files.

    python eval/generalisation/summarize.py runs/gen_first --out eval/results/gen_first_metrics.json

RUN holds the folders written by `rag eval`: answerable/, nearmiss/, offtopic/ and
answerable_retrieval/ (the --no-generate run). Scores are read from each results line as the run
that wrote it computed them (`scores`), so a later change to the scoring code cannot rewrite an old
run's figures (--rescore judges the saved answers with the current scorer instead, to compare
two runs under one answer matcher). The query-style subset is every answerable question tagged `query_style` in
tags.json. Prints a Markdown table; --out writes the figures, the per-tag breakdown, the runs'
metrics.json files and the answers given to unanswerable questions (for reading).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _results(run: Path) -> list[dict]:
    path = run / "results.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _rescored(rows: list[dict]) -> list[dict]:
    """The rows with scores recomputed by the importable package's scorer (the current code)."""
    try:
        from rag.scoring import score_result
    except ImportError:  # before scoring moved out of the evaluation runner
        from rag.evaluation import score_result
    return [{**r, "scores": score_result(r)} for r in rows]


def summarize(root: Path, tags: dict[str, list[str]], *, rescore: bool = False) -> dict:
    """Headline figures, per-tag figures and the runs' metrics for one run folder."""
    ans = _results(root / "answerable")
    near = _results(root / "nearmiss")
    off = _results(root / "offtopic")
    retr = _results(root / "answerable_retrieval") or ans
    if rescore:
        ans, near, off, retr = (_rescored(x) for x in (ans, near, off, retr))
    out: dict = {"run": str(root), "rescored": rescore,
                 "questions": {"answerable": len(ans), "nearmiss": len(near), "offtopic": len(off)}}
    judged = [r for r in ans if r["scores"].get("correct") is not None]
    correct = [r for r in judged if r["scores"]["correct"]]
    with_cite = [r for r in correct if r["scores"].get("cited_chunk_has_answer") is not None]
    qs = [r for r in retr if "query_style" in tags.get(r["id"], [])]

    def hit(rows: list[dict], n: int) -> float | None:
        return _share(sum(1 for r in rows if r["scores"].get("source_rank") and r["scores"]["source_rank"] <= n), len(rows))

    def in_top(rows: list[dict], n: int) -> float | None:
        return _share(sum(1 for r in rows if r["scores"].get(f"answer_in_top{n}")), len(rows))

    out["headline"] = {
        "accuracy_answerable": _share(len(correct), len(judged)),
        "false_refusal": _share(sum(1 for r in ans if r.get("abstained")), len(ans)),
        "nearmiss_refused": _share(sum(1 for r in near if r.get("abstained")), len(near)),
        "offtopic_refused": _share(sum(1 for r in off if r.get("abstained")), len(off)),
        "correct_citing_chunk_with_answer": _share(sum(1 for r in with_cite if r["scores"]["cited_chunk_has_answer"]),
                                                   len(with_cite)),
        "correct_marker_chunk_with_answer": _share(
            sum(1 for r in correct if r["scores"].get("marker_chunk_has_answer")), len(correct)),
        "query_style_retrieval": {"questions": len(qs), "hit@1": hit(qs, 1), "hit@5": hit(qs, 5),
                                  "answer_in_top5": in_top(qs, 5)},
        "all_answerable_retrieval": {"questions": len(retr), "hit@1": hit(retr, 1), "hit@5": hit(retr, 5),
                                     "answer_in_top5": in_top(retr, 5)},
    }
    by_tag: dict[str, dict] = defaultdict(lambda: {"answerable": 0, "correct": 0, "refused": 0})
    for r in ans:
        for t in tags.get(r["id"], []) + ["all"]:
            b = by_tag[t]
            b["answerable"] += 1
            b["correct"] += bool(r["scores"].get("correct"))
            b["refused"] += bool(r.get("abstained"))
    for b in by_tag.values():
        b["accuracy"] = _share(b["correct"], b["answerable"])
    un_tag: dict[str, dict] = defaultdict(lambda: {"questions": 0, "refused": 0})
    for set_name, rows in (("nearmiss", near), ("offtopic", off)):
        for r in rows:
            for t in sorted(set(tags.get(r["id"], [])) | {set_name}):
                un_tag[f"{set_name}:{t}"]["questions"] += 1
                un_tag[f"{set_name}:{t}"]["refused"] += bool(r.get("abstained"))
    for b in un_tag.values():
        b["share_refused"] = _share(b["refused"], b["questions"])
    out["answerable_by_tag"] = dict(sorted(by_tag.items()))
    out["unanswerable_by_tag"] = dict(sorted(un_tag.items()))
    out["answered_unanswerable"] = [
        {"id": r["id"], "question": r["question"], "answer": r.get("answer")}
        for r in near + off if r.get("answer") is not None and not r.get("abstained")]
    out["metrics"] = {}
    for name in ("answerable", "nearmiss", "offtopic", "answerable_retrieval"):
        # metrics_partial.json: metrics computed over the answers of a run that did not finish
        for m in (root / name / "metrics.json", root / name / "metrics_partial.json"):
            if m.exists():
                out["metrics"][name] = json.loads(m.read_text(encoding="utf-8"))
                break
    return out


def table(s: dict) -> str:
    """The headline figures as a Markdown table."""
    h = s["headline"]
    q = s["questions"]
    qs = h["query_style_retrieval"]

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}%"

    rows = [
        ("accuracy on answerable", pct(h["accuracy_answerable"]), f"{q['answerable']} questions"),
        ("false refusals", pct(h["false_refusal"]), f"{q['answerable']} answerable"),
        ("near misses refused", pct(h["nearmiss_refused"]), f"{q['nearmiss']} questions"),
        ("off-topic refused", pct(h["offtopic_refused"]), f"{q['offtopic']} questions"),
        ("correct answers citing a chunk that holds the answer", pct(h["correct_citing_chunk_with_answer"]),
         "shown citations"),
        ("query-style retrieval: gold passage @1 / @5 / answer in top-5 chunks",
         f"{pct(qs['hit@1'])} / {pct(qs['hit@5'])} / {pct(qs['answer_in_top5'])}", f"{qs['questions']} questions"),
    ]
    lines = ["| measure | value | over |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--tags", type=Path, default=HERE / "tags.json")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--rescore", action="store_true",
                    help="judge the saved answers with the current package's scorer instead of the run's own scores")
    a = ap.parse_args(argv)
    s = summarize(a.run, json.loads(a.tags.read_text(encoding="utf-8")), rescore=a.rescore)
    print(table(s))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(s, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
