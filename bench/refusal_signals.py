"""How well retrieval scores tell answerable from unanswerable questions (a refusal signal?).

Reads the ``results.jsonl`` of retrieval-only runs (``rag eval QUESTIONS --no-generate --out DIR``)
and reports, per run, the ROC AUC of four per-question scores for "answerable": the best dense
cosine, the dense margin (best - second), the best BM25 score and the BM25 relative margin
((best - second) / best). 0.5 is chance. Prints one JSON object and writes
``bench/results/refusal_signals.json``.

    python bench/refusal_signals.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import write_result  # noqa: E402

SIGNALS = ("dense_top", "dense_margin", "bm25_top", "bm25_margin")


def features(r: dict) -> dict:
    """The four scores of one results line."""
    d = sorted((h["scores"]["dense"] for h in r["hits"] if "dense" in h.get("scores", {})), reverse=True)
    b = sorted((h["scores"]["bm25"] for h in r["hits"] if "bm25" in h.get("scores", {})), reverse=True)
    return {"dense_top": d[0] if d else 0.0, "dense_margin": d[0] - d[1] if len(d) > 1 else 0.0,
            "bm25_top": b[0] if b else 0.0, "bm25_margin": (b[0] - b[1]) / b[0] if len(b) > 1 and b[0] else 0.0}


def auc(pos: list[float], neg: list[float]) -> float | None:
    """Probability that an answerable question scores above an unanswerable one (ties count half)."""
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def main(argv: list[str]) -> None:
    runs = {}
    for run in argv:
        rows = [json.loads(line) for line in (Path(run) / "results.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        f = [(r.get("answerable", True), features(r)) for r in rows]
        runs[run] = {"questions": len(f), "answerable": sum(1 for a, _ in f if a),
                     "auc": {s: (round(x, 3) if (x := auc([v[s] for a, v in f if a], [v[s] for a, v in f if not a]))
                                 is not None else None) for s in SIGNALS}}
    write_result("refusal_signals", {"runs": runs})


if __name__ == "__main__":
    main(sys.argv[1:])
