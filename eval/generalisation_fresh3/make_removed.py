"""Near-miss removal list for the third fresh set, over the generalisation pool.

    python eval/generalisation/make_pool.py                    # the pool first
    python eval/generalisation_fresh3/make_removed.py --check  # writes data/gen/fresh3_nearmiss_removed.txt

Same rule as the main set (see ../generalisation/make_pool.py): a pool document holding an accepted
answer is removed when it is the near miss's passage, a near duplicate of it, or holds a key term
of the question within WINDOW characters of the answer. Answerable questions are checked against
their passages in the pool; the check also proves that no question of this set is written from a
document (or a near duplicate of one) that the main set, the first or the second fresh set uses as
a source, a near-miss passage, or removes for a near miss.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "generalisation"))
import make_pool as mp  # noqa: E402

EARLIER = (HERE.parent / "generalisation", HERE.parent / "generalisation_fresh", HERE.parent / "generalisation_fresh2")


def earlier_docs(text_c: dict[str, str], dups: dict[str, set[str]]) -> set[str]:
    """Documents the earlier sets were written from or remove for their near misses."""
    used: set[str] = set()
    for d in EARLIER:
        for f in sorted(d.glob("*.jsonl")):
            for q in mp.read_jsonl(f):
                used.update(q.get("sources", []))
        gold_path = d / "nearmiss_gold.json"
        if gold_path.exists():
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            used.update(g["doc"] for g in gold.values())
            used |= mp.removed_for(gold, text_c, dups)
    return used


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gen", type=Path, default=mp.ROOT / "data" / "gen")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    text_c, dups = mp.pool_texts(a.gen)
    gold = json.loads((HERE / "nearmiss_gold.json").read_text(encoding="utf-8"))
    removed = mp.removed_for(gold, text_c, dups)
    (a.gen / "fresh3_nearmiss_removed.txt").write_text("".join(r + "\n" for r in sorted(removed)), encoding="utf-8")
    print(f"fresh3 near-miss index removes {len(removed)}", file=sys.stderr)
    if not a.check:
        return 0
    problems = []
    answerable = mp.read_jsonl(HERE / "answerable.jsonl")
    for q in answerable:
        if not q.get("answerable") or not q["sources"]:
            problems.append(f"{q['id']}: answerable questions need answerable true and sources")
        for s in q["sources"]:
            if s not in text_c or not mp.holds(text_c[s], q["answers"]):
                problems.append(f"{q['id']}: source {s} missing from the pool or lacks the answer")
    for qid, g in gold.items():
        if g["doc"] not in text_c or not mp.holds(text_c[g["doc"]], g["answers"]):
            problems.append(f"{qid}: its passage is missing or lacks the answer")
        for did, t in text_c.items():
            if did not in removed and mp.answer_near_key(t, mp.flat_forms(g["answers"]), g["keys"]):
                problems.append(f"{qid}: {did} still holds an answer next to a key term")
    for name in ("nearmiss", "offtopic"):
        for q in mp.read_jsonl(HERE / f"{name}.jsonl"):
            if q.get("answerable", True) or q.get("answers") or q.get("sources"):
                problems.append(f"{q['id']}: {name} questions are unanswerable with no answers or sources")
    near_ids = {q["id"] for q in mp.read_jsonl(HERE / "nearmiss.jsonl")}
    if near_ids != set(gold):
        problems.append(f"nearmiss.jsonl and nearmiss_gold.json differ: {sorted(near_ids ^ set(gold))}")
    used = earlier_docs(text_c, dups)
    used_family = set(used)
    for u in used:
        used_family |= dups.get(u, set())
    mine = {s for q in answerable for s in q["sources"]} | {g["doc"] for g in gold.values()}
    for d in sorted(mine & used_family):
        problems.append(f"{d}: used by an earlier set (source, near-miss passage or removed document, or a near duplicate)")
    tags = json.loads((HERE / "tags.json").read_text(encoding="utf-8"))
    all_ids = [q["id"] for n in ("answerable", "nearmiss", "offtopic") for q in mp.read_jsonl(HERE / f"{n}.jsonl")]
    if sorted(all_ids) != sorted(tags) or len(set(all_ids)) != len(all_ids):
        problems.append("tags.json does not list every question exactly once")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
