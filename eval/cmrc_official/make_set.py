"""Draw the CMRC-official set: questions other people wrote, sampled before any run.

The 1,000 questions of ``../shared/eval/cmrc2018_dev/questions.jsonl`` were written by the CMRC 2018
annotators while reading one Wikipedia paragraph. Every paragraph is in the generalisation pool, so
this set measures questions nobody here wrote, in their own wording, over documents the rules were
read off (the paragraphs), not documents nothing saw. The draw is fixed by ``SEED`` and the filters
below, decided before the first run:

* answerable: a question whose shortest accepted span is at most ``SHORT`` characters (our scorer
  checks that the answer holds a gold form, so long spans the model paraphrases would score as
  misses for wording, not for facts); ``ANSWERABLE`` of them, run against the pool's index;
* near misses: other questions of the same kind whose every accepted span occurs in at most
  ``RARE`` pool documents; all of those documents are removed from a copy of the index, so the
  answer is gone and the question must be refused; ``NEAR`` of them.

Run from the repository root: ``python eval/cmrc_official/make_set.py`` (rewrites the files next
to it and ``data/gen/cmrc_official_nearmiss_removed.txt``; the draw is deterministic).

``--draw 2`` makes the round-r27 fresh set in ``eval/cmrc_official2/`` (ids ``cmrcoff2-…``,
``data/gen/cmrc_official2_nearmiss_removed.txt``): the same shuffled order, continued where the
first draw stopped looking, so no question of the first draw is in it; ``ANSWERABLE_2`` and
``NEAR_2`` questions, fewer than the first, so that one run fits a session beside other work.
``--draw 3`` continues where the second stopped (``eval/cmrc_official3/``, r27's confirmation set
for its final code). ``--draw 4`` continues where the third stopped (``eval/cmrc_official4/``, round
r28's fresh answerable and near-miss set); ``--draw 5`` continues where the fourth stopped
(``eval/cmrc_official5/``, r28's confirmation set for its final code); ``--draw 6`` continues where
the fifth stopped (``eval/cmrc_official6/``, round r29's fresh set, drawn before any r29 change);
``--draw 7`` continues where the sixth stopped (``eval/cmrc_official7/``, round r30's fresh set, drawn
before any r30 change to what is shown).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "eval" / "generalisation"))
from make_pool import compact, read_jsonl  # noqa: E402  (the evaluation's answer-matching form)

QUESTIONS = ROOT.parent / "shared" / "eval" / "cmrc2018_dev" / "questions.jsonl"
POOL = ROOT / "data" / "gen" / "pool.jsonl"
SEED = 20261206
SHORT = 12
RARE = 3
ANSWERABLE = 100
NEAR = 40
ANSWERABLE_2 = 60
NEAR_2 = 30


def draw(rows: list[dict], pool: dict[str, str], n_answerable: int, n_near: int) -> tuple[list[dict], list[dict], int]:
    """The first ``n_answerable`` rows, then the next rows that make near misses, and how many
    rows were looked at (the next draw starts there)."""
    answerable, near = rows[:n_answerable], []
    at = n_answerable
    for r in rows[n_answerable:]:
        if len(near) == n_near:
            break
        at += 1
        forms = sorted({compact(a) for a in r["answers"] if compact(a)})
        holders = {did for did, t in pool.items() if any(f in t for f in forms)}
        if len(holders) > RARE or r["sources"][0] not in holders:
            continue
        near.append((r, sorted(holders)))
    return answerable, near, at


def main(argv: list[str]) -> int:
    number = int(argv[2]) if len(argv) == 3 and argv[1] == "--draw" and argv[2] in ("2", "3", "4", "5", "6", "7") else 1
    if argv[1:] and number == 1:
        print("usage: make_set.py [--draw 2|3|4|5|6|7]", file=sys.stderr)
        return 2
    rows = read_jsonl(QUESTIONS)
    pool = {d["doc_id"]: compact(d.get("title", "") + d["text"]) for d in read_jsonl(POOL)}
    rows = [r for r in rows if r["answerable"] and r["answers"] and min(len(a) for a in r["answers"]) <= SHORT]
    rows.sort(key=lambda r: r["id"])
    rng = random.Random(SEED)
    rng.shuffle(rows)
    answerable, near, at = draw(rows, pool, ANSWERABLE, NEAR)
    out_dir, prefix, tag, removed_name = HERE, "cmrcoff", "cmrc_official", "cmrc_official_nearmiss_removed.txt"
    # Each later draw continues the order where the one before it stopped looking.
    for n in range(2, number + 1):
        answerable, near, used = draw(rows[at:], pool, ANSWERABLE_2, NEAR_2)
        at += used
        out_dir, prefix, tag = HERE.parent / f"cmrc_official{n}", f"cmrcoff{n}", f"cmrc_official{n}"
        removed_name = f"cmrc_official{n}_nearmiss_removed.txt"
    out_dir.mkdir(exist_ok=True)
    removed, gold = set(), {}
    for i, (r, holders) in enumerate(near, 1):
        removed |= set(holders)
        gold[f"{prefix}-near-{i:03d}"] = {"cmrc_id": r["id"], "doc": r["sources"][0], "answers": r["answers"], "removed": holders}
    near = [r for r, _ in near]
    tags, cmrc_ids = {}, {}
    with (out_dir / "answerable.jsonl").open("w", encoding="utf-8") as f:
        for i, r in enumerate(answerable, 1):
            rid = f"{prefix}-a-{i:03d}"
            tags[rid] = ["cmrc", tag]
            f.write(json.dumps({"id": rid, "question": r["question"], "answers": r["answers"], "sources": r["sources"],
                                "answerable": True}, ensure_ascii=False) + "\n")
            cmrc_ids[rid] = r["id"]
    with (out_dir / "nearmiss.jsonl").open("w", encoding="utf-8") as f:
        for rid, r in zip(gold, near):
            tags[rid] = ["cmrc", tag, "nearmiss"]
            f.write(json.dumps({"id": rid, "question": r["question"], "answers": [], "sources": [], "answerable": False},
                               ensure_ascii=False) + "\n")
    (out_dir / "nearmiss_gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / "tags.json").write_text(json.dumps(tags, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    (out_dir / "cmrc_ids.json").write_text(json.dumps(cmrc_ids, indent=0) + "\n", encoding="utf-8")
    (out_dir / "removed.txt").write_text("\n".join(sorted(removed)) + "\n", encoding="utf-8")
    out = ROOT / "data" / "gen" / removed_name
    out.write_text(" ".join(sorted(removed)) + "\n", encoding="utf-8")
    print(f"answerable {len(answerable)}, near misses {len(near)}, documents removed for them {len(removed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
