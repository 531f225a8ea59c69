"""Near-miss removal list for the fourth fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                    # the pool first
    python eval/generalisation_fresh4/make_removed.py --check  # writes data/gen/fresh4_nearmiss_removed.txt

Same rule as the main set (see ../generalisation/make_pool.py): a pool document holding an accepted
answer is removed when it is the near miss's passage, a near duplicate of it, or holds a key term
of the question within WINDOW characters of the answer. Answerable questions are checked against
their passages in the pool; the check also proves that no question of this set is written from a
document (or a near duplicate of one) that the main set or the first, second or third fresh set
uses as a source, a near-miss passage, or removes for a near miss.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generalisation"))
import make_pool as mp  # noqa: E402

EARLIER = (HERE.parent / "generalisation", HERE.parent / "generalisation_fresh", HERE.parent / "generalisation_fresh2",
           HERE.parent / "generalisation_fresh3")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gen", type=Path, default=mp.ROOT / "data" / "gen")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    text_c, dups = mp.pool_texts(a.gen)
    gold = json.loads((HERE / "nearmiss_gold.json").read_text(encoding="utf-8"))
    removed = mp.removed_for(gold, text_c, dups)
    (a.gen / "fresh4_nearmiss_removed.txt").write_text("".join(r + "\n" for r in sorted(removed)), encoding="utf-8")
    print(f"fresh4 near-miss index removes {len(removed)}", file=sys.stderr)
    if not a.check:
        return 0
    problems = mp.check_answers(HERE, gold, removed, text_c)
    problems += mp.check_files(HERE, gold, mp.earlier_docs(EARLIER, text_c, dups), dups,
                               "an earlier set (source, near-miss passage or removed document, or a near duplicate)")
    return mp.report(problems)


if __name__ == "__main__":
    sys.exit(main())
