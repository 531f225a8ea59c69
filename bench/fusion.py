"""Fusion configurations compared on one index and question set, from rankings computed once.

Each question is embedded and searched once by each retriever (``retrieval.candidates`` hits
each, as ``Index.retrieve`` does); every configuration then re-fuses those rankings with the
functions of ``rag/fusion.py``, so comparing ten configurations costs one retrieval pass. The
figures are the evaluation's own: gold source document at rank 1 and within 5 (``hit@n`` of
``rag eval``) and the answer string inside the top-5 chunks (``answer_rank``). The final figures
in the README come from ``rag eval --no-generate --config ...``; this script is for choosing.

    python bench/fusion.py --index data/retr/cmrc_index --questions ../shared/eval/cmrc2018_dev/questions.jsonl
    python bench/fusion.py --index I --questions Q --ids-from eval/generalisation/tags.json --tag query_style
    python bench/fusion.py --quick      # fake embedder, tiny corpus: checks the script

Writes ``bench/results/fusion_<name>.json`` (``--name``, default the question file's stem).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from benchlib import ROOT, write_result  # noqa: E402 - benchlib puts ROOT on sys.path

from rag.fusion import fuse_retrievers  # noqa: E402


def _select(questions: list[dict], ids_from: str | None, tag: str | None) -> list[dict]:
    if not ids_from:
        return questions
    tags = json.loads(Path(ids_from).read_text(encoding="utf-8"))
    # tags.json: {id: [tag, ...]} or {tag: [id, ...]}
    if tag in tags and isinstance(tags[tag], list) and all(isinstance(x, str) for x in tags[tag]):
        wanted = set(tags[tag])
    else:
        wanted = {i for i, t in tags.items() if isinstance(t, (list, tuple)) and tag in t}
    return [q for q in questions if q["id"] in wanted]


def collect(index, questions: list[dict]) -> list[dict]:
    """Per question: the dense and BM25 rankings (row, score) and the chunk of every row seen."""
    from rag.pipeline import retrieval_query
    from rag.sparse import tokenize
    from rag.textnorm import to_simplified

    cfg = index.settings.retrieval
    texts = [to_simplified(retrieval_query(q["question"], q.get("history"))) for q in questions]
    # One question at a time, as ``Index.retrieve`` embeds it: int8 ONNX vectors of a padded batch
    # differ slightly, enough to move a few rankings.
    vectors = [index.embedder.embed_queries([t])[0] for t in texts]
    out = []
    for q, text, qv in zip(questions, texts, vectors):
        dense = index.dense.search(qv, cfg.candidates)
        tokens = tokenize(text, cfg.user_dict)
        bm25 = index.sparse.search(tokens, cfg.candidates)
        rows = sorted({r for r, _ in dense} | {r for r, _ in bm25})
        cover = dict(zip(rows, index.sparse.coverage(tokens, rows)))
        chunks = index.db.get(rows)
        out.append({"id": q["id"], "question": text, "sources": q.get("sources") or [],
                    "answers": q.get("answers") or [], "dense": dense, "bm25": bm25,
                    "chunks": {r: {"doc_id": c.doc_id, "title": c.title, "text": c.text, "coverage": cover[r]}
                               for r, c in chunks.items()}})
    return out


# The configurations compared, as the ``[retrieval]`` section of a settings file would set them.
CONFIGURATIONS = {
    "dense only": {"fusion": "fixed", "dense_weight": 1.0, "sparse_weight": 0.0, "title_weight": 0.0},
    "BM25 only": {"fusion": "fixed", "dense_weight": 0.0, "sparse_weight": 1.0, "title_weight": 0.0},
    "equal RRF": {"fusion": "fixed", "dense_weight": 1.0, "sparse_weight": 1.0, "title_weight": 0.0},
    "old default (BM25 weight 2 + title 1)": {"fusion": "fixed", "dense_weight": 1.0, "sparse_weight": 2.0,
                                              "title_weight": 1.0},
    "lexical, no title": {"fusion": "lexical", "title_weight": 0.0},
    "lexical + title (default)": {"fusion": "lexical", "title_weight": 1.0},
}


def configurations(base) -> dict[str, Callable[[dict], list[int]]]:
    """name -> function(question record) -> fused rows, best first, through ``fuse_retrievers``."""

    def run_with(overrides: dict):
        cfg = dataclasses.replace(base, **overrides)

        def run(r: dict) -> list[int]:
            chunks = r["chunks"]
            fused = fuse_retrievers(r["question"], r["dense"], r["bm25"], cfg,
                                    coverage=lambda rows: [chunks[i]["coverage"] for i in rows],
                                    titles=lambda rows: {i: chunks[i]["title"] for i in rows})
            return [i for i, *_ in fused]
        return run

    return {name: run_with(o) for name, o in CONFIGURATIONS.items()}


def score(records: list[dict], order: Callable[[dict], list[int]]) -> dict:
    """hit@1, hit@5 (gold source document) and answer in the top-5 chunks, as ``rag eval`` counts them."""
    from rag.evaluation import answer_rank

    at1 = at5 = ans5 = n_src = n_ans = 0
    misses = []
    for r in records:
        rows = order(r)[:10]
        docs = [r["chunks"][i]["doc_id"] for i in rows]
        if r["sources"]:
            n_src += 1
            rank = next((k for k, d in enumerate(docs, start=1) if d in r["sources"]), None)
            at1 += rank == 1
            at5 += rank is not None and rank <= 5
            if rank != 1:
                misses.append(r["id"])
        if r["answers"]:
            n_ans += 1
            a = answer_rank([r["chunks"][i]["text"] for i in rows], r["answers"])
            ans5 += a is not None and a <= 5
    pct = lambda x, n: round(100 * x / n, 1) if n else None  # noqa: E731
    return {"hit@1": pct(at1, n_src), "hit@5": pct(at5, n_src), "answer_in_top5": pct(ans5, n_ans),
            "questions": n_src, "misses@1": misses}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index")
    ap.add_argument("--questions")
    ap.add_argument("--config")
    ap.add_argument("--ids-from", help="tags file selecting a subset (with --tag)")
    ap.add_argument("--tag")
    ap.add_argument("--name")
    ap.add_argument("--cache", help="rankings JSON: read if it exists, else written")
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)

    from rag.config import load_settings
    from rag.evaluation import load_questions
    from rag.indexing import open_index

    if a.quick:
        from rag.embedders import FakeEmbedder
        from rag.indexing import update_index

        tmp = Path(tempfile.mkdtemp())
        settings = load_settings(env={}, overrides={"paths": {"data_dir": str(tmp)}, "embedder": {"backend": "fake"}})
        update_index([ROOT / "seeds"], settings, FakeEmbedder())
        index = open_index(settings=settings, embedder=FakeEmbedder())
        questions = load_questions(ROOT / "eval" / "seeds_questions.jsonl")[:10]
        name = "quick"
    else:
        settings = load_settings(a.config)
        index = open_index(a.index, settings)
        questions = _select(load_questions(a.questions), a.ids_from, a.tag)
        name = a.name or Path(a.questions).stem
    t0 = time.perf_counter()
    cache = Path(a.cache) if a.cache else None
    if cache and cache.exists():
        records = json.loads(cache.read_text(encoding="utf-8"))
        for r in records:
            r["chunks"] = {int(k): v for k, v in r["chunks"].items()}
    else:
        records = collect(index, questions)
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = {"benchmark": "fusion", "quick": a.quick, "index": str(a.index), "questions": len(records),
              "retrieval": {"candidates": settings.retrieval.candidates, "rrf_k": settings.retrieval.rrf_k},
              "configurations": {n: score(records, f) for n, f in configurations(settings.retrieval).items()},
              "seconds": round(time.perf_counter() - t0, 1)}
    write_result(f"fusion_{name}", result, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
