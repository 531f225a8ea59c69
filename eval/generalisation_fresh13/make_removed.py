"""Near-miss removal list for the thirteenth fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                    # the pool first
    python eval/generalisation_fresh13/make_removed.py --check  # writes data/gen/fresh13_nearmiss_removed.txt

Same rule as the main set (see ../generalisation/make_pool.py): a pool document holding an accepted
answer is removed when it is the near miss's passage, a near duplicate of it, or holds a key term
of the question within WINDOW characters of the answer. Answerable questions are checked against
their passages in the pool; the check also proves that no question of this set is written from a
document (or a near duplicate of one) that the main set or the first, second, third, fourth,
fifth, sixth, seventh, eighth, ninth, tenth, eleventh or twelfth fresh set uses as a source, a near-miss passage, or removes for a near miss.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generalisation"))
import make_pool as mp  # noqa: E402

EARLIER = tuple(HERE.parent / d for d in ("generalisation", "generalisation_fresh", "generalisation_fresh2", "generalisation_fresh3", "generalisation_fresh4", "generalisation_fresh5", "generalisation_fresh6", "generalisation_fresh7", "generalisation_fresh8", "generalisation_fresh9", "generalisation_fresh10", "generalisation_fresh11", "generalisation_fresh12"))


def main(argv: list[str] | None = None) -> int:
    return mp.fresh_main(HERE, "fresh13", __doc__, EARLIER,
                         "an earlier set (source, near-miss passage or removed document, or a near duplicate)", argv=argv)


if __name__ == "__main__":
    sys.exit(main())
