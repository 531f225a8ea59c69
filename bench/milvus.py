"""FAISS vs Milvus (embedded edition): indexing throughput, search p50/p95 and memory at 10k, 100k, 1M chunks.

The corpus is made as ``bench/search.py`` makes it (its ``Material``/``build_corpus``), from the
crud_news articles (``/work/shared/eval/crud_news/corpus.jsonl``) chunked by the project: synthetic
chunks mix the sentences of two real chunks; vectors are synthetic too, drawn around the vectors
of the fake embedder at the real model's dimension (384), because no model embeds a million
chunks on this machine in a bench run. Embedding costs the same for both backends (it happens
before the index sees a chunk), so *indexing throughput* here is what the index engine adds:

* FAISS: writing a complete generation (SQLite chunk store, vectors.npy, BM25 matrix, FAISS index);
* Milvus: ``rag migrate-milvus`` from that generation (the same batched writer ``rag index`` uses:
  chunk rows with text, token codes and vectors, BM25 computed by Milvus, the vector index built).

Each write and each measurement runs in its own process (the embedded Milvus lives in the
process that opens it). Search is ``retrieve`` with the question's vector given (query embedding
excluded, the same for both), 200 real questions (seeds and CMRC). Memory per chunk is the RSS
growth of opening the index and answering the first question; disk is the index folder's size.
A Milvus write that runs past ``--budget-s`` is stopped and the chunks it wrote are measured.

    python bench/milvus.py                         # 10k, 100k, 1M (long: see --budget-s)
    python bench/milvus.py --sizes 10000 --queries 50
    python bench/milvus.py --quick                 # tiny sizes: checks the script
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import log, percentile, rss_mib, write_result  # noqa: E402

NEWS = Path("/work/shared/eval/crud_news/corpus.jsonl")
DIM = 384  # multilingual-e5-small


def _settings(folder: Path, backend: str, **index):
    from rag.config import load_settings

    return load_settings(env={}, overrides={
        "paths": {"data_dir": str(folder), "index_dir": str(folder / "faiss")},
        "embedder": {"backend": "fake"}, "index": {"backend": backend, "uri": str(folder / "milvus.db"), **index}})


def _embedder():
    from rag.embedders import FakeEmbedder

    return FakeEmbedder(dim=DIM)


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def base_index(scratch: Path, quick: bool) -> Path:
    """crud_news (or a slice of it for --quick) indexed with the fake embedder at 384 dimensions."""
    from rag.indexing import update_index

    folder = scratch / "base"
    src = scratch / "news"
    src.mkdir(parents=True, exist_ok=True)
    lines = NEWS.read_text(encoding="utf-8").splitlines()
    (src / "news.jsonl").write_text("\n".join(lines[:150] if quick else lines) + "\n", encoding="utf-8")
    settings = _settings(folder, "faiss")
    update_index([src], settings, _embedder(), index_dir=folder / "faiss")
    return folder / "faiss"


def write_milvus(folder: Path) -> dict:
    """Child: copy the FAISS generation into Milvus (the migrate path); print facts as JSON."""
    from rag.milvus_index import migrate_from_faiss

    settings = _settings(folder, "milvus")
    import pymilvus  # noqa: F401 - its import (~1.5 s) is not writing

    t0, c0 = time.perf_counter(), time.process_time()
    summary = migrate_from_faiss(settings, folder / "faiss", log=log)
    # CPU seconds count the embedded server too (it runs as threads of this process): on a shared
    # machine they say what the write costs where wall-clock time says how busy the machine was.
    return {"chunks": summary.chunks, "seconds": round(time.perf_counter() - t0, 2),
            "cpu_s": round(time.process_time() - c0, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def questions(count: int) -> list[str]:
    from bench.search import questions as real_questions

    return real_questions(count)


def measure(folder: Path, backend: str, n_queries: int, k: int, budget_s: float) -> dict:
    """Child: open the index, time ``retrieve`` per question; print stages, memory and the top ids."""
    from rag.indexing import open_index
    from rag.sparse import tokenize

    # A partly written large collection takes the embedded server a while to load: wait for it
    # rather than report "cannot be reached" (index.timeout_s is 10 s for an app).
    settings = _settings(folder, backend, **({"timeout_s": 600} if backend == "milvus" else {}))
    embedder = _embedder()
    tokenize("预热")
    if backend == "milvus":
        import pymilvus  # noqa: F401 - client code loaded before the baseline: it is not index memory
    else:
        import faiss  # noqa: F401
        import scipy.sparse  # noqa: F401
    qs = questions(n_queries)
    qvecs = embedder.embed_queries(qs)
    rss0 = rss_mib()
    t0 = time.perf_counter()
    index = open_index(folder / "faiss", settings, embedder)
    index.retrieve(qs[0], k, query_vector=qvecs[0])  # the first search loads what is loaded lazily
    open_s = time.perf_counter() - t0
    rss1 = rss_mib()
    for q, v in zip(qs[:5], qvecs[:5]):
        index.retrieve(q, k, query_vector=v)
    stages: dict[str, list[float]] = {}
    top: list[list[str]] = []
    deadline = time.perf_counter() + budget_s
    for q, v in zip(qs, qvecs):
        if time.perf_counter() > deadline:  # the slow engine gets fewer questions, and says so
            break
        r = index.retrieve(q, k, query_vector=v)
        top.append([h.chunk.chunk_id for h in r.hits])
        for key, ms in r.timings.items():
            if key != "embed_ms":
                stages.setdefault(key.replace("_ms", ""), []).append(ms)
    n = len(index)
    return {"chunks": n, "kind": index.manifest.get("faiss"), "queries_timed": len(top),
            "open_and_first_search_s": round(open_s, 2),
            "rss_mib_open": round(rss1 - rss0, 1), "rss_bytes_per_chunk": round((rss1 - rss0) * 2**20 / max(n, 1), 1),
            "search_ms": {key: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
                          for key, v in stages.items()},
            "top": top}


def analyzer_check(index_dir: Path, questions_file: Path, scratch: Path, limit: int) -> dict:
    """BM25 alone, three ways, on a real index and its questions: our BM25 files, Milvus over our
    token codes (what the backend does), and Milvus's own jieba analyzer over the raw text.

    Says whether pre-tokenising costs or gains anything against the engine's analyzer. The
    embedded edition's jieba analyzer is jieba's ``cut_for_search`` (the server's is jieba-rs, not
    measurable here), so this is the nearest available stand-in for the server-side analyzer.
    """
    from pymilvus import DataType, Function, FunctionType

    from rag import store
    from rag.indexing import indexed_text
    from rag.milvus_index import MilvusCollections, encode_tokens, migrate_from_faiss
    from rag.sparse import Bm25Index, tokenize
    from rag.textnorm import to_simplified

    qs = [json.loads(line) for line in questions_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    qs = [q for q in qs if q.get("sources")][:limit]
    settings = _settings(scratch, "milvus")
    settings.paths.index_dir = index_dir
    t0 = time.perf_counter()
    migrate_from_faiss(settings, index_dir, log=log)
    ours = MilvusCollections(settings, index_dir)
    ours.load()
    copy_s = time.perf_counter() - t0
    gen = store.current_generation(index_dir)
    db = store.ChunkStore(gen / "chunks.sqlite")
    manifest = store.read_manifest(gen)
    rows = [r for d in manifest["documents"] for r in db.rows_of(d)]
    bm25 = Bm25Index.load(gen)
    c = ours.client
    name = "analyzer_jieba"
    if c.has_collection(name):
        c.drop_collection(name)
    sch = c.create_schema(auto_id=False, enable_dynamic_field=False)
    sch.add_field("pk", DataType.INT64, is_primary=True)
    sch.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    sch.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params={"tokenizer": "jieba"})
    sch.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    sch.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    sch.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                              output_field_names=["sparse"]))
    ip = c.prepare_index_params()
    ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                 params={"bm25_k1": 1.2, "bm25_b": 0.75})
    ip.add_index("v", index_type="FLAT", metric_type="L2")
    c.create_collection(name, schema=sch, index_params=ip, consistency_level="Strong")
    for i in range(0, len(rows), 512):
        c.insert(name, [{"pk": r, "doc_id": ch.doc_id, "text": indexed_text(ch), "v": [0.0, 0.0]}
                        for r, ch, _ in rows[i:i + 512]])
    c.flush(name)
    doc_of_row = {r: ch.doc_id for r, ch, _ in rows}

    def hits_ours_files(q):
        return [doc_of_row[r] for r, _ in bm25.search(tokenize(q), 5)]

    def hits_milvus(collection, data, field="sparse", out="doc_id"):
        res = c.search(collection, data=[data], anns_field=field, limit=5, output_fields=[out],
                       search_params={"metric_type": "BM25"})
        return [h["entity"][out] for h in res[0]] if res else []

    ways = {
        "bm25_files_our_tokens": hits_ours_files,
        "milvus_our_token_codes": lambda q: hits_milvus(ours.chunks, encode_tokens(dict.fromkeys(tokenize(q)))),
        "milvus_jieba_analyzer": lambda q: hits_milvus(name, q),
    }
    out: dict = {"index": str(index_dir), "questions": str(questions_file), "n": len(qs), "chunks": len(rows),
                 "migrate_s": round(copy_s, 1), "ways": {}}
    for way, fn in ways.items():
        at1 = at5 = 0
        t1 = time.perf_counter()
        for q in qs:
            got = fn(to_simplified(q["question"]))
            want = set(q["sources"])
            at1 += bool(got[:1]) and got[0] in want
            at5 += any(d in want for d in got[:5])
        out["ways"][way] = {"source_at_1": round(100 * at1 / len(qs), 2), "source_at_5": round(100 * at5 / len(qs), 2),
                            "ms_per_question": round((time.perf_counter() - t1) * 1e3 / len(qs), 1)}
        log(f"{way}: {out['ways'][way]}")
    return out


def _child(args: list[str], timeout: float | None) -> tuple[dict | None, str]:
    try:
        proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"stopped after {timeout:.0f} s (budget)"
    if proc.returncode != 0:
        return None, "failed: " + proc.stderr[-2000:]
    sys.stderr.write(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def agreement(a: list[list[str]], b: list[list[str]]) -> dict:
    """How alike the two backends' top-k lists are: same first hit, and overlap of the sets."""
    same1 = sum(1 for x, y in zip(a, b) if x[:1] == y[:1]) / max(len(a), 1)
    overlap = sum(len(set(x) & set(y)) / max(len(x), 1) for x, y in zip(a, b)) / max(len(a), 1)
    return {"same_top1": round(same1, 4), "topk_overlap": round(overlap, 4)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="sizes 500 and 2000, 10 questions (checks the script)")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--budget-s", type=float, default=600, help="stop a Milvus write after this long")
    ap.add_argument("--measure-budget-s", type=float, default=300, help="time questions for at most this long")
    ap.add_argument("--scratch", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--analyzer-check", nargs=2, metavar=("INDEX_DIR", "QUESTIONS"), default=None,
                    help="BM25 alone: our tokens vs Milvus's jieba analyzer on a built FAISS index and its questions")
    ap.add_argument("--limit", type=int, default=1000, help="questions for --analyzer-check")
    args = ap.parse_args(argv)

    if args.analyzer_check:
        scratch = Path(args.scratch or tempfile.mkdtemp(prefix="bench-milvus-analyzer-"))
        res = analyzer_check(Path(args.analyzer_check[0]), Path(args.analyzer_check[1]), scratch, args.limit)
        write_result("milvus_analyzer", {"benchmark": "milvus_analyzer", **res}, args.out)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        return

    if args.child:
        what, folder = args.child
        if what == "write":
            print(json.dumps(write_milvus(Path(folder))))
        else:
            print(json.dumps(measure(Path(folder), what, args.queries, args.k, args.measure_budget_s)))
        return

    from bench.search import Material, build_corpus, load_base

    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="bench-milvus-"))
    scratch.mkdir(parents=True, exist_ok=True)
    sizes = [500, 2000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    n_queries = min(args.queries, 10) if args.quick else args.queries
    try:
        log("indexing crud_news as the base ...")
        base = base_index(scratch, args.quick)
        chunks, vectors, model_id = load_base([base])
        mat = Material(chunks, vectors)
        mat.model_id = model_id
        from rag.config import load_settings

        threshold = load_settings(env={}).retrieval.approx_threshold
        out = {"benchmark": "milvus", "command": "python bench/milvus.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               "quick": args.quick, "embedder": model_id, "dim": DIM,
               "base": {"source": str(NEWS), "chunks": len(chunks), "sentences": len(mat.sentences)},
               "queries": n_queries, "k": args.k, "budget_s": args.budget_s,
               "versions": {m: _version(m) for m in ("pymilvus", "milvus-lite", "faiss-cpu")}, "sizes": {}}
        skip_milvus = ""
        for n in sizes:
            folder = scratch / f"n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            log(f"{n} chunks: FAISS generation ...")
            c0 = time.process_time()
            built = build_corpus(mat, n, folder / "faiss", [], threshold)
            cpu = time.process_time() - c0
            entry: dict = {"faiss": {"index_s": built["build_s"]["total"],
                                     "index_chunks_per_s": round(n / built["build_s"]["total"], 1),
                                     "index_cpu_s": round(cpu, 2), "index_chunks_per_cpu_s": round(n / max(cpu, 1e-9), 1),
                                     "kind": built["primary_kind"],
                                     "disk_bytes_per_chunk": round(_du(folder / "faiss") / n, 1)}}
            m: dict = {"disk_bytes_per_chunk": None}
            wrote, err, took = None, "", 0.0
            if skip_milvus:
                m["skipped"] = skip_milvus
            else:
                log(f"{n} chunks: copying into Milvus (budget {args.budget_s:.0f} s) ...")
                t0 = time.perf_counter()
                wrote, err = _child(["--child", "write", str(folder)], args.budget_s)
                took = time.perf_counter() - t0
            if skip_milvus:
                pass
            elif wrote:
                m.update(index_s=wrote["seconds"], index_chunks_per_s=round(n / wrote["seconds"], 1),
                         index_cpu_s=wrote["cpu_s"], index_chunks_per_cpu_s=round(n / max(wrote["cpu_s"], 1e-9), 1),
                         writer_peak_rss_mib=wrote["peak_rss_mib"])
            elif err.startswith("stopped"):
                m.update(stopped=err, index_s=round(took, 1))
            else:
                raise SystemExit(f"Milvus write of {n} chunks {err}")
            log(f"{n} chunks: measuring ...")
            for backend, target in (("faiss", entry["faiss"]), ("milvus", m)):
                if backend == "milvus" and skip_milvus:
                    continue
                res, err = _child(["--child", backend, str(folder), "--queries", str(n_queries), "-k", str(args.k),
                                   "--measure-budget-s", str(args.measure_budget_s)], None)
                if res is None:
                    target["measure_error"] = err[-800:]
                    continue
                target["top"] = res.pop("top")
                target.update(res)
            if not skip_milvus:
                m["disk_bytes_per_chunk"] = round(_du(folder / "milvus.db") / max(m.get("chunks") or n, 1), 1)
            if not wrote and m.get("chunks") and took:
                m["index_chunks_per_s"] = round(m["chunks"] / took, 1)
            if m.get("stopped"):
                rate = m.get("index_chunks_per_s") or 0
                skip_milvus = (f"not run: the {n}-chunk write was stopped at the {args.budget_s:.0f} s budget "
                               f"({rate} chunks/s)")
            if "top" in entry["faiss"] and "top" in m:
                entry["agreement"] = agreement(entry["faiss"].pop("top"), m.pop("top"))
            entry["faiss"].pop("top", None)
            m.pop("top", None)
            entry["milvus"] = m
            out["sizes"][str(n)] = entry
            log(json.dumps(entry, ensure_ascii=False))
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        out["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        write_result("milvus_quick" if args.quick else "milvus", out, args.out)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
