"""How much of an advice question's topic its shown answer's passages cover: the bar of ``check_advice``.

``grounding.check_advice`` refuses an answer to a question asking what to do (``langrules.asks_advice``)
when its supporting passages, read as the checks read them (title, text, the article's opening and
the text before the chunk), mention less than ``ADVICE_MIN_TOPIC_COVERAGE`` of its topic words
(``langrules.topic_coverage``). This script measures that bar on re-judged runs made *without* the
check (``eval/generalisation/recheck.py`` with an earlier commit's code), one record per shown answer:

- ``advice``: whether the question has the advice shape, and its coverage;
- ``label``: correct, wrong (answerable questions) or unanswerable (near misses, off-topic
  questions, and the seed sets' unanswerable questions).

Few answerable questions of the sets have the advice shape, so the cost side is also read from every
correct answer of any shape: the share of its passages' coverage below each bar, an upper bound on
what an advice question's correct answer would lose if it were like them.

    python bench/advice_coverage.py --run f5=/tmp/cmpA/f5 … --index answerable=data/gen/index_full \\
        --index nearmiss=… --index offtopic=data/gen/index_full [--name advice_coverage]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import saved_runs_main  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
PARTS = ("answerable", "nearmiss", "offtopic")


def measure(rows: list[dict], pipeline, part: str) -> list[dict]:
    from rag.langrules import asks_advice, topic_coverage
    from rag.types import chunk_from_dict

    out = []
    for r in rows:
        if r.get("abstained"):
            continue
        held = [c for c in r.get("citations") or [] if c.get("holds")]
        if not held:
            continue
        texts, hits = [], {h["chunk_id"]: h for h in r.get("hits") or []}
        for c in held:
            chunk = chunk_from_dict(hits.get(c["chunk_id"], c))  # the hit has the chunk's offsets
            texts += [chunk.title, chunk.text, pipeline._opening(chunk), pipeline._preceding(chunk)]
        question = r.get("translation") or r["question"]
        if part == "answerable" and r.get("answerable", True):
            label = "correct" if (r.get("scores") or {}).get("correct") else "wrong"
        else:
            label = "unanswerable"
        out.append({"part": part, "id": r["id"], "question": r["question"], "label": label,
                    "advice": asks_advice(question), "coverage": round(topic_coverage(question, texts), 3)})
    return out


def table(recs: list[dict]) -> dict:
    rows = {}
    for t in THRESHOLDS:
        row = {}
        for label in ("correct", "wrong", "unanswerable"):
            advice = [r for r in recs if r["advice"] and r["label"] == label]
            row[f"advice_{label}_below"] = sum(r["coverage"] < t for r in advice)
            row[f"advice_{label}"] = len(advice)
        every = [r for r in recs if r["label"] == "correct"]
        row["any_shape_correct_below"] = sum(r["coverage"] < t for r in every)
        row["any_shape_correct"] = len(every)
        rows[str(t)] = row
    return rows


def main(argv: list[str] | None = None) -> int:
    return saved_runs_main(argv, __doc__.splitlines()[0], "advice_coverage", measure, table, PARTS)


if __name__ == "__main__":
    raise SystemExit(main())
