"""Near-miss removal list for the fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                 # the pool first
    python eval/generalisation_fresh/make_removed.py --check  # writes data/gen/fresh_nearmiss_removed.txt

Same rule as the main set (see ../generalisation/make_pool.py): a pool document holding an accepted
answer is removed when it is the near miss's passage, a near duplicate of it, or holds a key term
of the question within WINDOW characters of the answer. Answerable fresh questions are checked
against their passages in the pool.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generalisation"))
import make_pool as mp  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return mp.fresh_main(HERE, "fresh", __doc__, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
