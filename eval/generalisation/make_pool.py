"""Build the generalisation pool and the near-miss removal list from the shared corpora.

    python eval/generalisation/make_pool.py            # writes data/gen/pool.jsonl, data/gen/nearmiss_removed.txt
    python eval/generalisation/make_pool.py --check    # also verifies the question files against the pool

The pool is every CMRC 2018 dev paragraph, every crud_news article a question was written from
(answerable sources and near-miss passages), the near duplicates of those articles (the same story
from another outlet, found by shared 8-character shingles), and a fixed random sample of the other
news articles up to NEWS_TOTAL. The output depends only on the shared corpora and the committed
question files, so rebuilding gives the same bytes.

A near-miss question is answerable from one passage; for the near-miss index every pool document
that holds one of its accepted answers is removed when it is that passage, one of its near
duplicates, or holds a key term of the question within WINDOW characters of the answer. The
check then proves that no remaining document holds an accepted answer next to a key term.

Stdlib only on purpose: the set must not change when the package's text rules change.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = ROOT.parent / "shared" / "eval"
NEWS_TOTAL = 1150  # news articles in the pool: ~3 chunks each keeps the pool under ~6,000 chunks
SEED = 2026
SHINGLE = 8  # characters; long enough that boilerplate shared by unrelated stories is rare
COMMON = 50  # a shingle found in more documents than this is boilerplate, not a shared story
DUP_CONTAINMENT = 0.2  # share of the smaller document's shingles found in the other
WINDOW = 300  # characters around an answer occurrence searched for the question's key terms

_WS = re.compile(r"\s+")


def compact(text: str) -> str:
    """NFKC, lower case, no whitespace: the evaluation's answer-matching form."""
    return _WS.sub("", unicodedata.normalize("NFKC", text).lower())


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_corpora(shared: Path = SHARED) -> tuple[list[dict], list[dict]]:
    """(CMRC paragraphs, news articles) as {doc_id, title, text}, in file order."""
    cmrc = read_jsonl(shared / "cmrc2018_dev" / "corpus.jsonl")
    news = read_jsonl(shared / "crud_news" / "corpus.jsonl")
    return cmrc, news


def near_duplicates(docs: list[dict]) -> dict[str, set[str]]:
    """doc_id -> ids of documents sharing at least DUP_CONTAINMENT of the smaller one's shingles."""
    sh = []
    for d in docs:
        t = _WS.sub("", d["text"])
        sh.append({t[i:i + SHINGLE] for i in range(max(1, len(t) - SHINGLE + 1))})
    inv: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sh):
        for g in s:
            inv[g].append(i)
    out: dict[str, set[str]] = {d["doc_id"]: set() for d in docs}
    for i, s in enumerate(sh):
        c: Counter = Counter()
        for g in s:
            lst = inv[g]
            if len(lst) <= COMMON:
                c.update(j for j in lst if j != i)
        for j, n in c.items():
            if n / max(1, min(len(s), len(sh[j]))) >= DUP_CONTAINMENT:
                out[docs[i]["doc_id"]].add(docs[j]["doc_id"])
                out[docs[j]["doc_id"]].add(docs[i]["doc_id"])
    return out


def answer_parts(answers: list) -> list[list[str]]:
    """A list of strings is one required part; a list of lists is one part per inner list."""
    if not answers:
        return []
    if all(isinstance(a, list) for a in answers):
        return [list(a) for a in answers]
    return [list(answers)]


def holds(text_c: str, answers: list) -> bool:
    """Whether compacted text holds every part of the answer (any accepted form of each)."""
    parts = answer_parts(answers)
    return bool(parts) and all(any(compact(a) in text_c for a in part) for part in parts)


def answer_near_key(text_c: str, forms: list[str], keys: list[str], window: int = WINDOW) -> bool:
    """Whether an accepted form occurs with one of the key terms within ``window`` characters."""
    ks = [compact(k) for k in keys]
    for f in (compact(a) for a in forms):
        start = text_c.find(f)
        while start >= 0:
            around = text_c[max(0, start - window): start + len(f) + window]
            if any(k in around for k in ks):
                return True
            start = text_c.find(f, start + 1)
    return False


def flat_forms(answers: list) -> list[str]:
    return [a for part in answer_parts(answers) for a in part]


def pool_texts(gen: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """The pool's compacted texts by doc id, and the near-duplicate groups of the news corpus (what
    the fresh sets' removal scripts read)."""
    text_c = {d["doc_id"]: compact(d["text"]) for d in read_jsonl(gen / "pool.jsonl")}
    _, news = load_corpora()
    return text_c, near_duplicates(news)


def removed_for(gold: dict, text_c: dict[str, str], dups: dict[str, set[str]]) -> set[str]:
    """Pool documents a near-miss index drops for the near misses of ``gold`` (``nearmiss_gold.json``):
    those holding an accepted answer that are the passage, a near duplicate of it, or hold a key
    term within WINDOW characters of the answer (the rule of this set, reused by the fresh sets)."""
    removed = set()
    for g in gold.values():
        forms = flat_forms(g["answers"])
        near = {g["doc"]} | dups.get(g["doc"], set())
        for did, t in text_c.items():
            if any(compact(f) in t for f in forms) and (did in near or answer_near_key(t, forms, g["keys"])):
                removed.add(did)
    return removed


def earlier_docs(dirs, text_c: dict[str, str] | None = None, dups: dict[str, set[str]] | None = None) -> set[str]:
    """Documents the question sets in ``dirs`` were written from (sources of every ``*.jsonl``, the
    how-to questions of ``howto.jsonl`` included; near-miss passages) and, given the pool (``text_c``,
    ``dups``), the documents they remove for their near misses."""
    used: set[str] = set()
    for d in dirs:
        for f in sorted(d.glob("*.jsonl")):
            for q in read_jsonl(f):
                used.update(q.get("sources", []))
        gold_path = d / "nearmiss_gold.json"
        if gold_path.exists():
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            used.update(g["doc"] for g in gold.values())
            if text_c is not None and dups is not None:
                used |= removed_for(gold, text_c, dups)
    return used


def howto_questions(here: Path) -> list[dict]:
    """A fresh set's answerable how-to questions (``howto.jsonl``; none when the set has no such file)."""
    path = here / "howto.jsonl"
    return read_jsonl(path) if path.exists() else []


def check_answers(here: Path, gold: dict, removed: set[str], text_c: dict[str, str]) -> list[str]:
    """A fresh set's answers against the pool: every source holds its answer, every near miss's
    passage holds its removed answer, and no kept document holds it next to a key term. How-to
    answers are key phrases of the passage: every accepted form occurs in its first source."""
    problems = []
    howto = howto_questions(here)
    for q in read_jsonl(here / "answerable.jsonl") + howto:
        for s in q["sources"]:
            if s not in text_c or not holds(text_c[s], q["answers"]):
                problems.append(f"{q['id']}: source {s} missing from the pool or lacks the answer")
    for q in howto:
        passage = text_c.get(q["sources"][0], "") if q["sources"] else ""
        for f in flat_forms(q["answers"]):
            if compact(f) not in passage:
                problems.append(f"{q['id']}: accepted form {f!r} is not verbatim in its passage")
    for qid, g in gold.items():
        if g["doc"] not in text_c or not holds(text_c[g["doc"]], g["answers"]):
            problems.append(f"{qid}: its passage is missing or lacks the answer")
        for did, t in text_c.items():
            if did not in removed and answer_near_key(t, flat_forms(g["answers"]), g["keys"]):
                problems.append(f"{qid}: {did} still holds an answer next to a key term")
    return problems


def check_files(here: Path, gold: dict, used: set[str], dups: dict[str, set[str]], used_by: str) -> list[str]:
    """A fresh set's files: answerable questions (``howto.jsonl``'s included) have sources, the
    others none; near misses match their gold; tags list every question once; and no question is
    written from a document in ``used`` (an earlier set's, ``used_by`` says whose) or a near
    duplicate of one."""
    problems = []
    answerable = read_jsonl(here / "answerable.jsonl") + howto_questions(here)
    for q in answerable:
        if not q.get("answerable") or not q["sources"]:
            problems.append(f"{q['id']}: answerable questions need answerable true and sources")
    for name in ("nearmiss", "offtopic"):
        for q in read_jsonl(here / f"{name}.jsonl"):
            if q.get("answerable", True) or q.get("answers") or q.get("sources"):
                problems.append(f"{q['id']}: {name} questions are unanswerable with no answers or sources")
    near_ids = {q["id"] for q in read_jsonl(here / "nearmiss.jsonl")}
    if near_ids != set(gold):
        problems.append(f"nearmiss.jsonl and nearmiss_gold.json differ: {sorted(near_ids ^ set(gold))}")
    used_family = set(used)
    for u in used:
        used_family |= dups.get(u, set())
    mine = {s for q in answerable for s in q["sources"]} | {g["doc"] for g in gold.values()}
    for d in sorted(mine & used_family):
        problems.append(f"{d}: used by {used_by}")
    tags = json.loads((here / "tags.json").read_text(encoding="utf-8"))
    all_ids = [q["id"] for n in ("answerable", "nearmiss", "offtopic") for q in read_jsonl(here / f"{n}.jsonl")]
    all_ids += [q["id"] for q in howto_questions(here)]
    if sorted(all_ids) != sorted(tags) or len(set(all_ids)) != len(all_ids):
        problems.append("tags.json does not list every question exactly once")
    return problems


def report(problems: list[str]) -> int:
    """Print a check's problems to stderr; the exit status."""
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def fresh_main(here: Path, name: str, doc: str, earlier=(), used_by: str = "", earlier_removals: bool = True,
               argv: list[str] | None = None) -> int:
    """The command line of a fresh set's ``make_removed.py``: write ``data/gen/<name>_nearmiss_removed.txt``
    from the set's ``nearmiss_gold.json`` and, with ``--check``, check its answers against the pool
    and that it uses no document of the ``earlier`` sets (their sources and near-miss passages, and
    with ``earlier_removals`` the documents they remove). ``used_by`` names those sets in a problem."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--gen", type=Path, default=ROOT / "data" / "gen")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    text_c, dups = pool_texts(a.gen)
    gold = json.loads((here / "nearmiss_gold.json").read_text(encoding="utf-8"))
    removed = removed_for(gold, text_c, dups)
    (a.gen / f"{name}_nearmiss_removed.txt").write_text("".join(r + "\n" for r in sorted(removed)), encoding="utf-8")
    print(f"{name} near-miss index removes {len(removed)}", file=sys.stderr)
    if not a.check:
        return 0
    problems = check_answers(here, gold, removed, text_c)
    if earlier:
        used = earlier_docs(earlier, text_c, dups) if earlier_removals else earlier_docs(earlier)
        problems += check_files(here, gold, used, dups, used_by)
    return report(problems)


EARLIER_USED_BY = "an earlier set (source, near-miss passage or removed document, or a near duplicate)"
_FRESH_NAME = re.compile(r"^generalisation_fresh(\d*)$")


def earlier_sets(here: Path) -> tuple[Path, ...]:
    """The folders written before the fresh set in ``here`` (generalisation_freshN): the main set,
    then generalisation_fresh, _fresh2 … _fresh(N-1). A later set uses no document of any of them."""
    m = _FRESH_NAME.match(here.name)
    if not m:
        raise ValueError(f"{here.name} is not a fresh set folder (generalisation_freshN)")
    number = int(m.group(1) or 1)
    names = ["generalisation", "generalisation_fresh"] + [f"generalisation_fresh{k}" for k in range(2, number)]
    return tuple(here.parent / d for d in names[:number])


def fresh_script(here: Path, doc: str, argv: list[str] | None = None) -> int:
    """``make_removed.py`` of a fresh set from the third on: ``fresh_main`` with every earlier set."""
    name = here.name.removeprefix("generalisation_")
    return fresh_main(here, name, doc, earlier_sets(here), EARLIER_USED_BY, argv=argv)


def build(shared: Path = SHARED) -> tuple[list[dict], list[str], dict]:
    """(pool documents, removed ids for the near-miss index, facts for the check)."""
    cmrc, news = load_corpora(shared)
    answerable = read_jsonl(HERE / "answerable.jsonl")
    gold = json.loads((HERE / "nearmiss_gold.json").read_text(encoding="utf-8"))
    news_ids = {d["doc_id"] for d in news}
    dups = near_duplicates(news)
    wanted = set()
    for q in answerable:
        wanted.update(s for s in q["sources"] if s in news_ids)
    wanted.update(g["doc"] for g in gold.values() if g["doc"] in news_ids)
    for d in list(wanted):
        wanted |= dups[d]
    rest = sorted(news_ids - wanted)
    random.Random(SEED).shuffle(rest)
    chosen = wanted | set(rest[: max(0, NEWS_TOTAL - len(wanted))])
    pool = [{"doc_id": d["doc_id"], "title": d["title"], "text": d["text"]} for d in cmrc]
    pool += [{"doc_id": d["doc_id"], "title": d["title"], "text": d["text"]} for d in news if d["doc_id"] in chosen]
    text_c = {d["doc_id"]: compact(d["text"]) for d in pool}
    removed: set[str] = set()
    for qid, g in gold.items():
        forms = flat_forms(g["answers"])
        near = {g["doc"]} | dups.get(g["doc"], set())
        for did, t in text_c.items():
            if any(compact(f) in t for f in forms) and (did in near or answer_near_key(t, forms, g["keys"])):
                removed.add(did)
    return pool, sorted(removed), {"dups": dups, "text_c": text_c, "gold": gold, "answerable": answerable}


def check(pool: list[dict], removed: list[str], facts: dict) -> list[str]:
    """Problems with the question files against the pool (empty when all is well)."""
    problems = []
    text_c, gold = facts["text_c"], facts["gold"]
    gone = set(removed)
    for q in facts["answerable"]:
        for s in q["sources"]:
            if s not in text_c:
                problems.append(f"{q['id']}: source {s} not in the pool")
            elif not holds(text_c[s], q["answers"]):
                problems.append(f"{q['id']}: source {s} lacks the answer")
    for qid, g in gold.items():
        if g["doc"] not in text_c or not holds(text_c[g["doc"]], g["answers"]):
            problems.append(f"{qid}: its passage {g['doc']} is missing or lacks the answer")
        forms = flat_forms(g["answers"])
        for did, t in text_c.items():
            if did not in gone and answer_near_key(t, forms, g["keys"]):
                problems.append(f"{qid}: {did} still holds an answer next to a key term")
    for name in ("answerable", "nearmiss", "offtopic"):
        for q in read_jsonl(HERE / f"{name}.jsonl") if (HERE / f"{name}.jsonl").exists() else []:
            if name != "answerable" and (q.get("answerable", True) or q.get("answers")):
                problems.append(f"{q['id']}: {name} questions are unanswerable with no answers")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "gen")
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--check", action="store_true", help="verify the question files against the pool")
    a = ap.parse_args(argv)
    pool, removed, facts = build(a.shared)
    a.out.mkdir(parents=True, exist_ok=True)
    with (a.out / "pool.jsonl").open("w", encoding="utf-8") as f:
        for d in pool:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    (a.out / "nearmiss_removed.txt").write_text("".join(r + "\n" for r in removed), encoding="utf-8")
    n_news = sum(1 for d in pool if not d["doc_id"].startswith("DEV_"))
    print(f"pool: {len(pool)} documents ({len(pool) - n_news} CMRC, {n_news} news); "
          f"near-miss index removes {len(removed)}", file=sys.stderr)
    if a.check:
        problems = check(pool, removed, facts)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"check: {len(problems)} problem(s)", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
