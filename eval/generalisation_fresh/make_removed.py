"""Near-miss removal list for the fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                 # the pool first
    python eval/generalisation_fresh/make_removed.py --check  # writes data/gen/fresh_nearmiss_removed.txt

Same rule as the main set (see ../generalisation/make_pool.py): a pool document holding an accepted
answer is removed when it is the near miss's passage, a near duplicate of it, or holds a key term
of the question within WINDOW characters of the answer. Answerable fresh questions are checked
against their passages in the pool.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generalisation"))
import make_pool as mp  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gen", type=Path, default=mp.ROOT / "data" / "gen")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    text_c, dups = mp.pool_texts(a.gen)
    gold = json.loads((HERE / "nearmiss_gold.json").read_text(encoding="utf-8"))
    removed = mp.removed_for(gold, text_c, dups)
    (a.gen / "fresh_nearmiss_removed.txt").write_text("".join(r + "\n" for r in sorted(removed)), encoding="utf-8")
    print(f"fresh near-miss index removes {len(removed)}", file=sys.stderr)
    if not a.check:
        return 0
    return mp.report(mp.check_answers(HERE, gold, removed, text_c))


if __name__ == "__main__":
    sys.exit(main())
