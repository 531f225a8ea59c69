"""Near-miss removal list of one fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                                           # the pool first
    python eval/generalisation/make_removed.py eval/generalisation_fresh29 --check    # writes data/gen/fresh29_nearmiss_removed.txt

The rule and the check are ``make_pool.fresh_script``'s, the same for every fresh set from the
third on: near-miss removals as for the main set, answers checked against their passages, and no
question written from a document (or a near duplicate) that an earlier set uses or removes. Until r16
each of those sets carried its own copy of this script (identical but for its folder's name); the
first two sets (``generalisation_fresh``, ``_fresh2``) keep theirs, which differ.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_pool as mp  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        print("usage: make_removed.py SET_FOLDER [--check]", file=sys.stderr)
        return 2
    folder = Path(argv[0]).resolve()
    if not (folder / "nearmiss_gold.json").is_file():
        print(f"{folder} holds no nearmiss_gold.json: not a question set folder", file=sys.stderr)
        return 2
    return mp.fresh_script(folder, __doc__, argv=argv[1:])


if __name__ == "__main__":
    sys.exit(main())
