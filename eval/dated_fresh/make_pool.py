"""Build the fresh dated question set's article pool: data/dated_fresh/pool.jsonl (deterministic).

eval/dated/make_pool.py run for eval/dated_fresh/ (same neighbour and background logic,
another random seed). The pool holds every crud_news article a question in
eval/dated_fresh/questions.jsonl names as a source, each source's closest neighbours (the same
story from other outlets, the same kind of
report on other days: what an undated system confuses), and a fixed random sample of the rest
as background. Each record keeps the corpus's doc_id, title and text and gets a ``collection``:
``财经`` for market and company reports (recognised by their outlet or template opening),
``新闻`` for everything else. The seeds are indexed beside it as the collection ``西宁日报``:

    python eval/dated_fresh/make_pool.py
    rag index data/dated_fresh/pool.jsonl --index data/dated_fresh/index
    rag index seeds --collection 西宁日报 --index data/dated_fresh/index

Neighbours are ranked by Jaccard similarity of character 4-gram sets over the article body;
nothing here depends on the project's code, so the pool does not move when the code does.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "dated"))
import make_pool  # noqa: E402  (eval/dated/make_pool.py)

SEED = 1204  # eval/dated uses 15

if __name__ == "__main__":
    sys.exit(make_pool.main(HERE / "questions.jsonl", make_pool.ROOT / "data" / "dated_fresh" / "pool.jsonl", SEED))
