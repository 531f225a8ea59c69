"""Near-miss removal list for the thirty-first fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                    # the pool first
    python eval/generalisation_fresh31/make_removed.py --check  # writes data/gen/fresh31_nearmiss_removed.txt

The rule and the check are ``make_pool.fresh_script``'s, the same for every fresh set from the third
on: near-miss removals as for the main set, answers checked against their passages, and no question
written from a document (or a near duplicate) that an earlier set uses or removes.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generalisation"))
import make_pool as mp  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return mp.fresh_script(HERE, __doc__, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
