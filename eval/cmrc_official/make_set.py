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


def main() -> int:
    rows = read_jsonl(QUESTIONS)
    pool = {d["doc_id"]: compact(d.get("title", "") + d["text"]) for d in read_jsonl(POOL)}
    rows = [r for r in rows if r["answerable"] and r["answers"] and min(len(a) for a in r["answers"]) <= SHORT]
    rows.sort(key=lambda r: r["id"])
    rng = random.Random(SEED)
    rng.shuffle(rows)
    answerable = rows[:ANSWERABLE]
    near, removed, gold = [], set(), {}
    for r in rows[ANSWERABLE:]:
        if len(near) == NEAR:
            break
        forms = sorted({compact(a) for a in r["answers"] if compact(a)})
        holders = {did for did, t in pool.items() if any(f in t for f in forms)}
        if len(holders) > RARE or r["sources"][0] not in holders:
            continue
        near.append(r)
        removed |= holders
        gold[f"cmrcoff-near-{len(near):03d}"] = {"cmrc_id": r["id"], "doc": r["sources"][0], "answers": r["answers"], "removed": sorted(holders)}
    tags, cmrc_ids = {}, {}
    with (HERE / "answerable.jsonl").open("w", encoding="utf-8") as f:
        for i, r in enumerate(answerable, 1):
            rid = f"cmrcoff-a-{i:03d}"
            tags[rid] = ["cmrc", "cmrc_official"]
            f.write(json.dumps({"id": rid, "question": r["question"], "answers": r["answers"], "sources": r["sources"],
                                "answerable": True}, ensure_ascii=False) + "\n")
            cmrc_ids[rid] = r["id"]
    with (HERE / "nearmiss.jsonl").open("w", encoding="utf-8") as f:
        for rid, r in zip(gold, near):
            tags[rid] = ["cmrc", "cmrc_official", "nearmiss"]
            f.write(json.dumps({"id": rid, "question": r["question"], "answers": [], "sources": [], "answerable": False},
                               ensure_ascii=False) + "\n")
    (HERE / "nearmiss_gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (HERE / "tags.json").write_text(json.dumps(tags, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    (HERE / "cmrc_ids.json").write_text(json.dumps(cmrc_ids, indent=0) + "\n", encoding="utf-8")
    (HERE / "removed.txt").write_text("\n".join(sorted(removed)) + "\n", encoding="utf-8")
    out = ROOT / "data" / "gen" / "cmrc_official_nearmiss_removed.txt"
    out.write_text(" ".join(sorted(removed)) + "\n", encoding="utf-8")
    print(f"answerable {len(answerable)}, near misses {len(near)}, documents removed for them {len(removed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
