"""Per-kind figures for a fresh dated-set run: python eval/dated_fresh/score.py RUN_DIR [RUN_DIR...] --index INDEX_DIR

eval/dated/score.py with this folder's meta.json: that script reads eval/dated/meta.json from its own
folder, so for the fresh set its kinds would all come out as "?". The figures (src@1, ans@1, ans@4,
date@1, in_scope, dup@5, acc) are computed by its score() unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "dated"))

import score  # noqa: E402  (eval/dated/score.py)

if __name__ == "__main__":
    sys.exit(score.main(HERE, __doc__))
