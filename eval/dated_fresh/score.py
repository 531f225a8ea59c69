"""Per-kind figures for a fresh dated-set run: python eval/dated_fresh/score.py RUN_DIR [RUN_DIR...] --index INDEX_DIR

eval/dated/score.py with this folder's meta.json: that script reads eval/dated/meta.json from its own
folder, so for the fresh set its kinds would all come out as "?". The figures (src@1, ans@1, ans@4,
date@1, in_scope, dup@5, acc) are computed by its score() unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "dated"))

from score import _manifest, score  # noqa: E402  (eval/dated/score.py)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--index", required=True)
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    meta = json.loads((HERE / "meta.json").read_text(encoding="utf-8"))
    docs = _manifest(Path(args.index))["documents"]
    out = {}
    for run in args.runs:
        out[run] = score(Path(run), meta, docs)
        print(run)
        for kind, figs in sorted(out[run].items()):
            print(f"  {kind:10s} " + "  ".join(f"{k}={v}" for k, v in figs.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
