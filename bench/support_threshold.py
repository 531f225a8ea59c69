"""How well the support score separates supported from unsupported answer sentences, per threshold.

Reads labelled (sentence, chunk) pairs (``eval/support_labels.jsonl``: ``sentence``, ``chunk``,
``label`` = supported | unsupported, ``origin``), scores each with ``rag.citations.verify`` (bigram
recall, voided by a figure the chunk does not state or a guess it does not make), and reports for
each threshold the precision and recall of "supported" (the sentences shown as supported) and the
share of unsupported sentences caught. Prints one JSON object and writes
``bench/results/support_threshold.json``.

    python bench/support_threshold.py [--labels eval/support_labels.jsonl] [--origin hand]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import write_result  # noqa: E402


def table(rows: list[dict], thresholds: list[float]) -> list[dict]:
    """Precision/recall of 'supported' at each threshold over scored rows."""
    out = []
    pos = sum(1 for r in rows if r["label"] == "supported")
    neg = len(rows) - pos
    for t in thresholds:
        tp = sum(1 for r in rows if r["support"] >= t and r["label"] == "supported")
        fp = sum(1 for r in rows if r["support"] >= t and r["label"] != "supported")
        out.append({
            "threshold": t,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / pos, 4) if pos else None,
            "unsupported_caught": round((neg - fp) / neg, 4) if neg else None,
            "shown_supported": tp + fp,
        })
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default="eval/support_labels.jsonl")
    ap.add_argument("--origin", default=None, help="only pairs whose origin starts with this")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from rag.citations import verify

    rows = []
    for line in Path(args.labels).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if args.origin and not r.get("origin", "").startswith(args.origin):
            continue
        support, _, problems = verify(r["sentence"], r["chunk"], r.get("question", ""))
        rows.append({"id": r["id"], "label": r["label"], "origin": r.get("origin", ""), "support": support,
                     "voided_by_rule": bool(problems)})
    thresholds = [round(0.05 * i, 2) for i in range(2, 20)]
    by_origin: dict[str, list[dict]] = {}
    for r in rows:
        by_origin.setdefault(r["origin"].split(":")[0], []).append(r)
    result = {
        "labels": args.labels,
        "pairs": len(rows),
        "supported": sum(1 for r in rows if r["label"] == "supported"),
        "unsupported": sum(1 for r in rows if r["label"] != "supported"),
        "unsupported_voided_by_rules": sum(1 for r in rows if r["label"] != "supported" and r["voided_by_rule"]),
        "supported_voided_by_rules": [r["id"] for r in rows if r["label"] == "supported" and r["voided_by_rule"]],
        "all": table(rows, thresholds),
        "by_origin": {k: table(v, thresholds) for k, v in sorted(by_origin.items())},
        "scores": sorted(({"id": r["id"], "label": r["label"], "support": r["support"]} for r in rows),
                         key=lambda x: x["support"]),
    }
    write_result("support_threshold", result, args.out)


if __name__ == "__main__":
    main()
