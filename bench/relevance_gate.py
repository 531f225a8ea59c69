"""Where the relevance gate should stand: its threshold measured on saved answering runs, no model.

The gate refuses before generation when no chunk's dense similarity (``Retrieval.dense_top``)
reaches ``Pipeline.min_relevance()``. It acts before the model, and the model answers the same
prompt the same way whatever the gate's value (greedy decoding), so a saved answering run
(``rag eval QUESTIONS --out DIR``) tells exactly what any higher threshold would have done: a
question whose best similarity falls below it becomes a refusal, every other outcome stays.

For every question of every run the script retrieves again, as the pipeline does (the Chinese
translation the run saved for an English question, its time scope, the same index), and reports
per threshold: answerable questions lost in all (below it) and correct answers lost, and near misses
and off-topic questions refused in all (by the gate, or as they were), so that the trade-off is
read from the distributions, not from one set that passes.

    python bench/relevance_gate.py --run gen=runs/r7 --index answerable=data/gen/index_full \\
        --index nearmiss=data/gen/index_near --index offtopic=data/gen/index_full \\
        --run seeds=DIR_WITH_answerable/ --index seeds:answerable=data/index [--name NAME] [--details F]

A part named ``answerable`` may hold unanswerable questions too (the seed sets): each question is
counted by its own ``answerable`` flag, as a near miss unless its part is ``offtopic``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import saved_runs_main  # noqa: E402

THRESHOLDS = (0.85, 0.855, 0.86, 0.865, 0.87, 0.875, 0.88)
PARTS = ("answerable", "nearmiss", "offtopic")


def retrieve_again(pipeline, row: dict):
    """The saved question's retrieval as the pipeline does it (an English question by the Chinese
    translation the run saved, in its time scope)."""
    from rag.pipeline import scoped_retrieve
    from rag.translation import search_text

    question = row.get("translation") or row["question"]
    query = search_text(question, row["question"]) if row.get("translation") else question
    got, _ = scoped_retrieve(pipeline.current_index(), question, pipeline.settings.retrieval.k, pipeline.settings,
                             query=query)
    return got


def measure(rows: list[dict], pipeline, part: str) -> list[dict]:
    """One record per question: its kind, the best dense similarity, and its saved outcome."""
    out = []
    for r in rows:
        got = retrieve_again(pipeline, r)
        kind = "answerable" if r.get("answerable", True) else ("offtopic" if part == "offtopic" else "nearmiss")
        out.append({"part": part, "kind": kind, "id": r["id"], "question": r["question"],
                    "dense_top": round(float(got.dense_top), 4),
                    "bm25_top": round(max((h.scores.get("bm25", 0.0) for h in got.hits), default=0.0), 3), "shown": not r["abstained"],
                    "correct": bool((r.get("scores") or {}).get("correct"))})
    return out


def table(recs: list[dict], thresholds=THRESHOLDS) -> dict:
    """Per threshold: what the gate would take from answerable questions and add to refusals."""
    ans = [r for r in recs if r["kind"] == "answerable"]
    rows = {}
    for t in thresholds:
        row: dict = {"answerable": len(ans), "answerable_below": sum(r["dense_top"] < t for r in ans),
                     "correct": sum(r["correct"] for r in ans),
                     "correct_lost": sum(r["correct"] and r["dense_top"] < t for r in ans)}
        for kind in ("nearmiss", "offtopic"):
            xs = [r for r in recs if r["kind"] == kind]
            row[kind] = len(xs)
            row[f"{kind}_refused_as_run"] = sum(not r["shown"] for r in xs)
            row[f"{kind}_refused"] = sum((not r["shown"]) or r["dense_top"] < t for r in xs)
        rows[str(t)] = row
    return rows


def _gate_now() -> dict:
    from rag.pipeline import CALIBRATED_MIN_RELEVANCE

    return {"gate_now": CALIBRATED_MIN_RELEVANCE.get("multilingual-e5-small")}


def main(argv: list[str] | None = None) -> int:
    return saved_runs_main(argv, __doc__.splitlines()[0], "relevance_gate", measure, table, PARTS, extra=_gate_now)


if __name__ == "__main__":
    raise SystemExit(main())
