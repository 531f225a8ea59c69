"""Check eval/dated_fresh/questions.jsonl against the corpus: python eval/dated_fresh/verify.py

For every question it checks that
- the schema matches eval/dated/questions.jsonl (id, question, answers, sources, answerable, reference_date;
  collection / doc_ids on the g-questions) and meta.json has the same ids;
- no source is a source in eval/dated/questions.jsonl (the tuned set);
- every answer string occurs verbatim (whitespace removed) in every listed source ("strict"), or at least
  one accepted form does ("any form");
- the day the question names (8月9日…, or 昨天/前天/三天前/上周五/上个月28日/今天 resolved against its
  reference_date) is the answering article's publication date, or else the date its lead states
  (dateline / "8月2日基金净值" opening / "截至7月31日20时"), and meta's expected_date is that publication date;
- no other corpus article holds the answer: every article containing an accepted answer form and the
  question's topic words is listed as a source (topic words below, chosen by hand);
- a g-question's collection is the one collection_of() in eval/dated/make_pool.py gives its source.

Publication dates come from the article's header (``2023-08-17 10:43，正文：``, ``8-12 08:52``,
``[ 07/19 ]``) or, without one, its dateline, as in rag/dates.py; when the project's rag.dates module
imports, its publication_date() is used as a cross-check.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = Path("/work/shared/eval/crud_news/corpus.jsonl")
YEAR = 2023

# Topic words per question: an article holding an accepted answer form and all of these is a source.
TOPIC = {
    "n001": ["上证指数"], "n002": ["地质灾害"], "n003": ["河北", "因灾死亡"], "n004": ["医院"],
    "n005": ["卡努", "冲绳"], "n006": ["杜苏芮", "泉州"], "n007": ["基金净值"], "n008": ["基金净值"],
    "n009": ["恒生指数"], "n010": ["转移"], "n011": ["长安三万里"], "n012": ["道指"], "n013": ["海地"],
    "n014": ["上证指数"], "n015": ["客栈"], "n016": ["长安区"], "n017": ["北京", "死亡"],
    "n018": ["医院"], "n019": ["杀人预告"], "n020": ["长安三万里"], "n021": ["MLF"], "n022": ["道指"],
    "n023": ["医院"], "n024": ["杀人预告"], "n025": ["长安区"], "n026": ["杜苏芮", "登陆"], "n027": ["平原"],
    "n028": ["中央气象台"], "n029": ["女足"], "n030": ["涨水"],
    "g001": ["主力资金净流出"], "g002": ["纳指"], "g003": ["河北", "转移"], "g004": ["北京", "受灾"],
    "g005": ["南方利达"], "g006": ["长安区"], "g007": ["长安区"], "g008": ["基金"], "g009": ["基金"],
    "g010": ["医院"],
}

_WS = re.compile(r"[\s\u3000\xa0]+")
_HEAD_ISO = re.compile(r"(20\d{2})\s*[-/年]\s*(\d{1,2})\s*[-/月]\s*(\d{1,2})")
_HEAD_MD = re.compile(r"(?<![\d.])(\d{1,2})\s*[-/]\s*(\d{1,2})(?:\s+\d{1,2}:\d{2}|\s*\])")
_LEAD = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_QDAY = re.compile(r"(\d{1,2})月(\d{1,2})日")
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 6, "天": 6}


def squash(s: str) -> str:
    return _WS.sub("", s)


def pub_date(text: str) -> str | None:
    """Header date, else the first M月D日 of the lead (dateline or dated opening)."""
    i = text.find("，正文：")
    head = text[:i] if 0 <= i <= 100 else text.lstrip().split("\n", 1)[0][:40]
    m = _HEAD_ISO.search(head)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    m = _HEAD_MD.search(head)
    if m:
        return date(YEAR, int(m.group(1)), int(m.group(2))).isoformat()
    return lead_date(text)


def lead_date(text: str) -> str | None:
    i = text.find("，正文：")
    body = squash(text[i + 4:] if 0 <= i <= 100 else text)[:120].replace("原标题：", "")
    m = _LEAD.search(body)
    return date(int(m.group(1) or YEAR), int(m.group(2)), int(m.group(3))).isoformat() if m else None


def question_day(q: str, ref: date) -> tuple[str | None, str]:
    """The day a question names and how: ('2023-08-09', 'named'), ('…', '昨天'), (None, 'none')."""
    m = re.search(r"上个月(\d{1,2})日", q)
    if m:
        y, mo = (ref.year, ref.month - 1) if ref.month > 1 else (ref.year - 1, 12)
        return date(y, mo, int(m.group(1))).isoformat(), "上个月"
    m = _QDAY.search(q)
    if m:
        return date(YEAR, int(m.group(1)), int(m.group(2))).isoformat(), "named"
    for word, back in (("前天", 2), ("昨天", 1), ("今天", 0)):
        if word in q:
            return (ref - timedelta(days=back)).isoformat(), word
    m = re.search(r"([一二两三四五六七八九\d])天前", q)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _CN[m.group(1)]
        return (ref - timedelta(days=n)).isoformat(), f"{n}天前"
    m = re.search(r"上(?:周|星期)([一二三四五六日天])", q)
    if m:
        monday = ref - timedelta(days=ref.weekday())
        return (monday - timedelta(days=7) + timedelta(days=_CN[m.group(1)] - 1 if m.group(1) not in "日天" else 6)).isoformat(), "上周" + m.group(1)
    return None, "none"


def main() -> int:
    sys.path.insert(0, str(ROOT / "eval" / "dated"))
    from make_pool import collection_of  # the rule the pool uses

    try:
        sys.path.insert(0, str(ROOT))
        from rag.dates import publication_date as rag_pub
    except Exception:  # noqa: BLE001 - cross-check only
        rag_pub = None
    corpus = {}
    for line in CORPUS.open(encoding="utf-8"):
        r = json.loads(line)
        corpus[r["doc_id"]] = r
    flat = {k: squash(r["text"]) for k, r in corpus.items()}
    old = set()
    for line in (ROOT / "eval" / "dated" / "questions.jsonl").open(encoding="utf-8"):
        old.update(json.loads(line)["sources"])
    qs = [json.loads(line) for line in (HERE / "questions.jsonl").open(encoding="utf-8")]
    meta = json.loads((HERE / "meta.json").read_text(encoding="utf-8"))
    problems, notes = [], []
    ids = [q["id"] for q in qs]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    if set(ids) != set(meta):
        problems.append(f"meta ids differ: {sorted(set(ids) ^ set(meta))}")
    kinds: dict[str, int] = {}
    for q in qs:
        i, m = q["id"], meta.get(q["id"], {})
        kinds[m.get("kind", "?")] = kinds.get(m.get("kind", "?"), 0) + 1
        need = {"id", "question", "answers", "sources", "answerable", "reference_date"}
        extra = set(q) - need - {"collection", "doc_ids"}
        if need - set(q) or extra or q["answerable"] is not True or not q["answers"] or not q["sources"]:
            problems.append(f"{i}: schema ({sorted(need - set(q))} missing, {sorted(extra)} extra)")
        for s in q["sources"]:
            if s not in corpus:
                problems.append(f"{i}: source {s} not in corpus")
            if s in old:
                problems.append(f"{i}: source {s} is a source in eval/dated")
        # answers in sources
        for s in q["sources"]:
            t = flat.get(s, "")
            present = [a for a in q["answers"] if squash(a) in t]
            if not present:
                problems.append(f"{i}: no answer form in {s}")
            elif len(present) < len(q["answers"]):
                notes.append(f"{i}: {s} holds {present} of {q['answers']} (any form: ok, strict: no)")
        # dates
        ref = date.fromisoformat(q["reference_date"])
        day, how = question_day(q["question"], ref)
        first = q["sources"][0]
        pd, ld = pub_date(corpus[first]["text"]), lead_date(corpus[first]["text"])
        if rag_pub is not None:
            rp = rag_pub(corpus[first]["text"], default_year=YEAR)
            if (rp.date if rp else None) != pd:
                notes.append(f"{i}: {first} publication date here {pd}, rag.dates {rp.date if rp else None}")
        if m.get("expected_date") != pd:
            problems.append(f"{i}: meta expected_date {m.get('expected_date')} != publication date {pd} of {first}")
        if m.get("reference_date") != q["reference_date"]:
            problems.append(f"{i}: meta reference_date differs")
        if day is not None:
            if day == pd:
                status = "publication date"
            elif day == ld:
                status = "lead date (publication %s)" % pd
            elif day and re.search(r"截至%d月%d日" % (int(day[5:7]), int(day[8:10])), flat[first]):
                status = "截至 date in text (publication %s)" % pd
            else:
                status = None
                problems.append(f"{i}: question day {day} ({how}) is neither publication {pd} nor lead {ld} of {first}")
            if status:
                notes.append(f"{i}: question day {day} ({how}) = {status}")
        elif m.get("kind") in ("day", "relative"):
            problems.append(f"{i}: a {m.get('kind')} question without a day")
        # other sources the corpus holds
        words = TOPIC.get(i, [])
        if not words:
            problems.append(f"{i}: no topic words")
        listed = set(q["sources"])
        for k, t in flat.items():
            if k in listed or not all(w in t for w in words):
                continue
            if any(squash(a) in t for a in q["answers"]):
                problems.append(f"{i}: unlisted article {k} ({pub_date(corpus[k]['text'])}) holds an answer form with {words}")
        # collection / doc scope
        if "collection" in q:
            got = {collection_of(corpus[s]["text"]) for s in q["sources"]}
            if got != {q["collection"]} or m.get("collection") != q["collection"]:
                problems.append(f"{i}: collection {q['collection']} but sources are {got}")
        if "doc_ids" in q and (not set(q["sources"]) <= set(q["doc_ids"]) or m.get("doc_ids") != q["doc_ids"]):
            problems.append(f"{i}: doc_ids do not cover the sources / differ from meta")
    for n in notes:
        print("note:", n)
    for p in problems:
        print("PROBLEM:", p)
    print(f"{len(qs)} questions, kinds {dict(sorted(kinds.items()))}, {len(problems)} problems, {len(notes)} notes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
