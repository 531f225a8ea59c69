"""Build the dated question set's article pool: data/dated/pool.jsonl (deterministic).

The pool holds every crud_news article a question in eval/dated/questions.jsonl names as a
source, each source's closest neighbours (the same story from other outlets, the same kind of
report on other days: what an undated system confuses), and a fixed random sample of the rest
as background. Each record keeps the corpus's doc_id, title and text and gets a ``collection``:
``财经`` for market and company reports (recognised by their outlet or template opening),
``新闻`` for everything else. The seeds are indexed beside it as the collection ``西宁日报``:

    python eval/dated/make_pool.py
    rag index data/dated/pool.jsonl --index data/dated/index
    rag index seeds --collection 西宁日报 --index data/dated/index

Neighbours are ranked by Jaccard similarity of character 4-gram sets over the article body;
nothing here depends on the project's code, so the pool does not move when the code does.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path("/work/shared/eval/crud_news/corpus.jsonl")
QUESTIONS = ROOT / "eval" / "dated" / "questions.jsonl"
OUT = ROOT / "data" / "dated" / "pool.jsonl"
NEIGHBOURS = 6  # per source article
BACKGROUND = 250  # random other articles
SEED = 15

# Openings of market and company reports in crud_news: outlet names and report templates.
_FINANCE = re.compile(r"金融界|中国经济网|智通财经|财联社|中新经纬|每经|证券|基金净值|股票行情|主力资金|股东户数|收盘|A股|沪指|港股|美股|人民币.{0,12}中间价")


def body(text: str) -> str:
    i = text.find("，正文：")
    b = text[i + 4:] if 0 <= i <= 80 else text
    return re.sub(r"\s+", "", b)


def grams(text: str) -> set[str]:
    b = body(text)[:1200]
    return {b[i:i + 4] for i in range(len(b) - 3)}


def collection_of(text: str) -> str:
    return "财经" if _FINANCE.search(body(text)[:160]) else "新闻"


def main(questions: Path = QUESTIONS, out: Path = OUT, seed: int = SEED) -> int:
    """Write the pool for ``questions`` to ``out``; ``seed`` draws the background sample (the fresh
    dated set calls this with its own files and seed)."""
    records = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    by_id = {r["doc_id"]: r for r in records}
    wanted: list[str] = []
    for line in questions.open(encoding="utf-8"):
        q = json.loads(line)
        wanted.extend(s for s in q["sources"] if s in by_id)
    wanted = list(dict.fromkeys(wanted))
    shingles = {r["doc_id"]: grams(r["text"]) for r in records}
    chosen = dict.fromkeys(wanted)
    for doc_id in wanted:
        g = shingles[doc_id]
        scored = []
        for other, h in shingles.items():
            if other == doc_id or not g or not h:
                continue
            inter = len(g & h)
            if inter:
                scored.append((inter / len(g | h), other))
        scored.sort(key=lambda x: (-x[0], x[1]))
        for _, other in scored[:NEIGHBOURS]:
            chosen.setdefault(other)
    rest = sorted(set(by_id) - set(chosen))
    for doc_id in random.Random(seed).sample(rest, BACKGROUND):
        chosen.setdefault(doc_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for doc_id in sorted(chosen):
            r = by_id[doc_id]
            f.write(json.dumps({"doc_id": doc_id, "title": r.get("title", ""), "text": r["text"],
                                "collection": collection_of(r["text"])}, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} articles ({len(wanted)} sources) -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
