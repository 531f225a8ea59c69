"""Documents of the news-outside-the-pool set, and its near-miss removal list.

    python eval/news_outside_pool/make_docs.py            # writes data/gen/news_outside.jsonl, data/gen/news_outside_nearmiss_removed.txt
    python eval/news_outside_pool/make_docs.py --check    # also verifies the question files against pool + added documents
    python eval/news_outside_pool/make_docs.py --set eval/news_outside_pool2 --name news_outside2 --prefix newsout2- --check

``--set`` names another set of the same shape (a folder with ``docs.txt``, the three question files,
``nearmiss_gold.json`` and ``tags.json``): later held-out sets over news outside the pool are checked
and built by this one script, each writing ``data/gen/<name>.jsonl`` and
``data/gen/<name>_nearmiss_removed.txt``.

Every news article of the generalisation pool (``data/gen/pool.jsonl``) is used by an earlier set, so
this set is written over crud_news articles the pool never held. ``docs.txt`` lists them (every
article a question uses and every near duplicate of one that is not in the pool); this script writes
them, in ``docs.txt`` order, as ``{doc_id, title, text}`` records (the pool's shape) for ``rag index``
to add to a copy of the pool's index.

The near-miss removal list follows ``make_pool.removed_for`` over pool + added documents: for each
near miss, every document holding an accepted answer that is its passage, a near duplicate of it, or
holds a key term within ``make_pool.WINDOW`` characters of the answer.

Stdlib only (``make_pool`` is imported from ``eval/generalisation``; it is stdlib only too).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "eval" / "generalisation"))
import make_pool as mp  # noqa: E402

CORPUS = ROOT.parent / "shared" / "eval" / "crud_news" / "corpus.jsonl"
PARTS = ("answerable", "nearmiss", "offtopic")


def read_ids(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=HERE, help="the set's folder (default: this one)")
    ap.add_argument("--name", default="news_outside", help="stem of the files written under --gen")
    ap.add_argument("--prefix", default="newsout-", help="the prefix every question id carries")
    ap.add_argument("--gen", type=Path, default=ROOT / "data" / "gen")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--check", action="store_true", help="verify the question files against pool + added documents")
    a = ap.parse_args(argv)
    here = a.set.resolve()

    ids = read_ids(here / "docs.txt")
    news = mp.read_jsonl(a.corpus)
    by_id = {d["doc_id"]: d for d in news}
    problems: list[str] = []
    added = []
    for did in ids:
        if did not in by_id:
            problems.append(f"docs.txt: {did} is not in {a.corpus}")
            continue
        d = by_id[did]
        added.append({"doc_id": d["doc_id"], "title": d["title"], "text": d["text"]})
    a.gen.mkdir(parents=True, exist_ok=True)
    with (a.gen / f"{a.name}.jsonl").open("w", encoding="utf-8") as f:
        for d in added:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

    pool = mp.read_jsonl(a.gen / "pool.jsonl")
    pool_ids = {d["doc_id"] for d in pool}
    text_c = {d["doc_id"]: mp.compact(d["text"]) for d in pool}
    text_c.update({d["doc_id"]: mp.compact(d["text"]) for d in added if d["doc_id"] not in pool_ids})
    dups = mp.near_duplicates(news)
    gold = json.loads((here / "nearmiss_gold.json").read_text(encoding="utf-8"))
    removed = mp.removed_for(gold, text_c, dups)
    (a.gen / f"{a.name}_nearmiss_removed.txt").write_text("".join(r + "\n" for r in sorted(removed)), encoding="utf-8")
    print(f"{a.name}: {len(added)} documents added to the pool's {len(pool)}; "
          f"near-miss index removes {len(removed)}", file=sys.stderr)
    if not a.check:
        return mp.report(problems) if problems else 0

    # docs.txt: sorted, unique, outside the pool, closed under near duplicates outside the pool
    if ids != sorted(set(ids)):
        problems.append("docs.txt is not sorted and unique")
    for did in ids:
        if did in pool_ids:
            problems.append(f"docs.txt: {did} is already in the pool")
    rows = {n: mp.read_jsonl(here / f"{n}.jsonl") for n in PARTS}
    used = {s for q in rows["answerable"] for s in q["sources"]} | {g["doc"] for g in gold.values()}
    wanted = set(used)
    for u in used:
        wanted |= {d for d in dups.get(u, set()) if d not in pool_ids}
    for did in sorted(wanted - set(ids)):
        problems.append(f"docs.txt lacks {did} (a source, near-miss passage or a near duplicate of one)")
    for did in sorted(set(ids) - wanted):
        problems.append(f"docs.txt lists {did}, which no question uses and which duplicates none")
    for did in sorted(used):
        inpool = sorted(d for d in dups.get(did, set()) if d in pool_ids)
        if inpool:
            problems.append(f"{did}: the pool already holds its story ({', '.join(inpool)})")

    # answers
    for q in rows["answerable"]:
        if not q.get("answerable") or not q["sources"]:
            problems.append(f"{q['id']}: answerable questions need answerable true and sources")
        for s in q["sources"]:
            if s not in set(ids):
                problems.append(f"{q['id']}: source {s} is not an added document")
            elif not mp.holds(text_c[s], q["answers"]):
                problems.append(f"{q['id']}: source {s} lacks the answer")
            if s in removed:
                problems.append(f"{q['id']}: source {s} is removed for a near miss")
        qc = mp.compact(q["question"])
        for f in mp.flat_forms(q["answers"]):
            if mp.compact(f) in qc:
                problems.append(f"{q['id']}: accepted form {f!r} is inside the question")
    for name in ("nearmiss", "offtopic"):
        for q in rows[name]:
            if q.get("answerable", True) or q.get("answers") or q.get("sources"):
                problems.append(f"{q['id']}: {name} questions are unanswerable with no answers or sources")
    if {q["id"] for q in rows["nearmiss"]} != set(gold):
        problems.append("nearmiss.jsonl and nearmiss_gold.json differ")
    for qid, g in gold.items():
        if g["doc"] not in set(ids) or not mp.holds(text_c[g["doc"]], g["answers"]):
            problems.append(f"{qid}: its passage {g['doc']} is not added or lacks the answer")
        forms = mp.flat_forms(g["answers"])
        for did, t in text_c.items():
            if did not in removed and mp.answer_near_key(t, forms, g["keys"]):
                problems.append(f"{qid}: {did} still holds an answer next to a key term")

    # ids and tags
    all_ids = [q["id"] for n in PARTS for q in rows[n]]
    if len(all_ids) != len(set(all_ids)) or not all(i.startswith(a.prefix) for i in all_ids):
        problems.append(f"question ids repeat or lack the {a.prefix} prefix")
    tags = json.loads((here / "tags.json").read_text(encoding="utf-8"))
    if sorted(all_ids) != sorted(tags):
        problems.append("tags.json does not list every question exactly once")
    return mp.report(problems)


if __name__ == "__main__":
    sys.exit(main())
