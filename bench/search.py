"""Search latency, recall and footprint at 10k, 100k and 1M chunks.

Large corpora are generated from real indexed chunks (``--base-index``, default the settings'
index; the figures in results/ use the seeds and CMRC 2018 dev indexed with the default
runtime), deterministically (``random.Random(0)`` / ``numpy default_rng(0)``):

* a synthetic chunk takes a random real *source* chunk and a random *partner* chunk, replaces a
  share r ~ U(0, 0.4) of the source's sentences by partner sentences, and shuffles the sentences;
  its title is the source's;
* its BM25 tokens are the jieba tokens of those sentences (each real sentence is tokenised once);
  the BM25 matrix is assembled directly from sentence-term counts with the same formula as
  ``Bm25Index.build`` (checked against it in ``--quick``), because building 1M chunks through
  Python token lists would need tens of GB;
* its vector is ``normalize((1-r) v_source + r v_partner + 0.5 * e / sqrt(d))`` with e standard
  normal: mean cosine to its source ~0.88, about the spread of real chunks on one topic.

No chunk is embedded by the model: the generation is written with the store's own functions
(SQLite chunk store with text and tokens, vectors.npy, FAISS, BM25, manifest) and opened with
``open_index``. Queries are real questions (seeds and CMRC, alternating), embedded by the real
model at query time, so ``embed_ms`` is real. In a fresh subprocess per size, each FAISS kind
(flat = exact; ivf, and hnsw up to ``--hnsw-max`` chunks = approximate) is searched through
``Index.retrieve``; p50/p95 of each stage (query embedding, FAISS, BM25, fusion + chunk fetch)
and of the whole search are reported, with recall@10 of each approximate kind against flat,
memory (RSS growth on opening the index) and the generation's size on disk per chunk.

    python bench/search.py --base-index /tmp/bench/idx-seeds --base-index /tmp/bench/idx-cmrc
    python bench/search.py --sizes 10000,100000 --queries 100
    python bench/search.py --quick          # fake embedder, tiny sizes: checks the script
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import log, percentile, rss_mib, write_result  # noqa: E402

QUESTION_FILES = [ROOT / "eval" / "seeds_questions.jsonl", Path("/work/shared/eval/cmrc2018_dev/questions.jsonl")]
NOISE = 0.5
MAX_REPLACED = 0.4
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")


# ----------------------------------------------------------------------------------- corpus


def load_base(index_dirs: list[Path]):
    """(chunks, vectors, embedder model_id) of the real indexes the corpus is made from."""
    import numpy as np

    from rag import store

    chunks, vectors, model_ids = [], [], set()
    for d in index_dirs:
        gen = store.current_generation(d)
        manifest = store.read_manifest(gen)
        model_ids.add(manifest["embedder"])
        db = store.ChunkStore(gen / "chunks.sqlite")
        rows = db.get(list(range(manifest["chunks"])))
        db.close()
        chunks.extend(rows[i] for i in range(manifest["chunks"]))
        vectors.append(np.load(gen / "vectors.npy"))
    if len(model_ids) != 1:
        raise SystemExit(f"base indexes were built with different embedders: {sorted(model_ids)}")
    return chunks, np.concatenate(vectors).astype(np.float32), model_ids.pop()


class Material:
    """Real chunks cut into sentences, each sentence tokenised once, as a sentence-term matrix."""

    def __init__(self, chunks, vectors) -> None:
        import numpy as np
        import scipy.sparse as sp

        from rag.sparse import tokenize

        self.chunks, self.vectors = chunks, vectors
        self.sentences: list[str] = []          # sentence texts (titles included, as their own rows)
        self.token_text: list[str] = []         # tab-joined tokens of each sentence
        self.of_chunk: list[list[int]] = []     # sentence ids of each real chunk
        self.title_of: list[int] = []           # the title's sentence id of each real chunk
        vocab: dict[str, int] = {}
        rows, cols = [], []

        def add(text: str) -> int:
            sid = len(self.sentences)
            toks = tokenize(text)
            self.sentences.append(text)
            self.token_text.append("\t".join(toks))
            for t in toks:
                rows.append(sid)
                cols.append(vocab.setdefault(t, len(vocab)))
            return sid

        for c in chunks:
            self.title_of.append(add(c.title) if c.title and c.title not in c.text else -1)
            self.of_chunk.append([add(s) for s in _SENTENCE.findall(c.text)] or [add(c.text)])
        self.vocab = vocab
        ones = np.ones(len(rows), dtype=np.float32)
        # Duplicates are summed: entry (s, t) is the count of term t in sentence s.
        self.counts = sp.csr_matrix((ones, (rows, cols)), shape=(len(self.sentences), len(vocab)))


def synthesize(mat: Material, n: int, seed: int = 0):
    """Yield (row, source, partner, share replaced, sentence ids) for ``n`` synthetic chunks."""
    rnd = random.Random(seed)
    base = len(mat.chunks)
    for row in range(n):
        src, oth = rnd.randrange(base), rnd.randrange(base)
        sents = list(mat.of_chunk[src])
        share = rnd.uniform(0.0, MAX_REPLACED)
        m = round(share * len(sents))
        donor = mat.of_chunk[oth]
        for pos in rnd.sample(range(len(sents)), m):
            sents[pos] = donor[rnd.randrange(len(donor))]
        rnd.shuffle(sents)
        yield row, src, oth, (m / len(sents)), sents


def bm25_from_counts(counts, k1: float = 1.2, b: float = 0.75):
    """BM25 weights (CSC, chunks x terms) from a CSR term-count matrix, as ``Bm25Index.build`` computes them."""
    import numpy as np
    import scipy.sparse as sp

    counts = counts.tocsr()
    counts.sum_duplicates()
    n = counts.shape[0]
    length = np.asarray(counts.sum(axis=1)).ravel().astype(np.float32)
    avg = float(length.mean()) or 1.0
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    row_of = np.repeat(np.arange(n, dtype=np.int32), np.diff(counts.indptr))
    tf = counts.data.astype(np.float32)
    norm = (k1 * (1.0 - b + b * length / avg)).astype(np.float32)
    data = idf[counts.indices] * tf * (k1 + 1.0) / (tf + norm[row_of])
    del row_of, tf
    w = sp.csr_matrix((data.astype(np.float32), counts.indices, counts.indptr), shape=counts.shape)
    return w.tocsc()


def build_corpus(mat: Material, n: int, folder: Path, kinds: list[str], threshold: int) -> dict:
    """Write a complete index generation of ``n`` synthetic chunks into ``folder``; returns build facts."""
    import numpy as np
    import scipy.sparse as sp

    from rag import store
    from rag.dense import FaissIndex, choose_kind
    from rag.sparse import Bm25Index
    from rag.types import Chunk

    t_all = time.perf_counter()
    gen = store.new_generation_dir(folder)
    db = store.ChunkStore(gen / "chunks.sqlite", create=True)
    dim = mat.vectors.shape[1]
    vectors = np.empty((n, dim), dtype=np.float32)
    rng = np.random.default_rng(0)
    a_rows, a_cols = [], []
    batch, meta = [], []
    block = 50_000

    def flush() -> None:
        if not batch:
            return
        db.add(batch)
        r0 = meta[0][0]
        src = np.array([m[1] for m in meta])
        oth = np.array([m[2] for m in meta])
        share = np.array([m[3] for m in meta], dtype=np.float32)[:, None]
        v = (1 - share) * mat.vectors[src] + share * mat.vectors[oth]
        v += NOISE * rng.standard_normal(v.shape, dtype=np.float32) / np.sqrt(dim)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        vectors[r0 : r0 + len(meta)] = v
        batch.clear()
        meta.clear()

    documents: dict[str, dict] = {}
    for row, src, oth, share, sents in synthesize(mat, n):
        c = mat.chunks[src]
        ids = ([mat.title_of[src]] if mat.title_of[src] >= 0 else []) + sents
        a_rows.extend([row] * len(ids))
        a_cols.extend(ids)
        text = "".join(mat.sentences[s] for s in sents)
        doc_id = f"syn{row // 10:07d}"
        chunk = Chunk(chunk_id=f"syn{row:08d}", doc_id=doc_id, text=text, start=0, end=len(text), title=c.title,
                      date=c.date)
        # ChunkStore joins a token list with tabs: hand it the already joined string.
        batch.append((row, chunk, ["\t".join(mat.token_text[s] for s in ids if mat.token_text[s])]))
        meta.append((row, src, oth, share))
        if doc_id not in documents:
            documents[doc_id] = {"title": c.title, "source": "synthetic", "kind": "jsonl", "date": c.date,
                                 "url": None, "hash": "", "added": "", "chunks": min(10, n - row)}
        if len(batch) >= block:
            flush()
    flush()
    db.commit()
    db.close()
    t_store = time.perf_counter() - t_all

    t0 = time.perf_counter()
    assign = sp.csr_matrix((np.ones(len(a_rows), dtype=np.float32), (np.asarray(a_rows, dtype=np.int64),
                                                                      np.asarray(a_cols, dtype=np.int64))),
                           shape=(n, len(mat.sentences)))
    del a_rows, a_cols
    bm25 = Bm25Index()
    bm25.vocab, bm25.n = mat.vocab, n
    bm25._weights = bm25_from_counts(assign @ mat.counts, bm25.k1, bm25.b)
    del assign
    bm25.save(gen)
    t_bm25 = time.perf_counter() - t0
    del bm25

    np.save(gen / "vectors.npy", vectors)
    primary = choose_kind("auto", n, threshold)
    builds = {}
    for kind in [primary] + [k for k in kinds if k != primary]:
        t0 = time.perf_counter()
        index = FaissIndex.build(vectors, kind)
        builds[kind] = round(time.perf_counter() - t0, 2)
        index.save(gen / "dense.faiss" if kind == primary else folder / f"alt-{kind}.faiss")
        del index
    del vectors
    manifest = {"schema_version": store.SCHEMA_VERSION, "embedder": mat.model_id, "dim": dim,
                "chunking": {"size": 300, "overlap": 1}, "faiss": primary, "chunks": n,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "documents": documents,
                "files": store.describe_files(gen), "synthetic": True}
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    live = store.publish_generation(folder, gen)
    files = {p.name: p.stat().st_size for p in live.iterdir() if p.is_file()}
    return {"build_s": {"store_and_vectors": round(t_store, 2), "bm25": round(t_bm25, 2),
                        **{f"faiss_{k}": v for k, v in builds.items()}, "total": round(time.perf_counter() - t_all, 2)},
            "primary_kind": primary,
            "disk_bytes_per_chunk": {**{k: round(v / n, 1) for k, v in sorted(files.items())},
                                     "total": round(sum(files.values()) / n, 1)},
            "alt_faiss_bytes_per_chunk": {p.stem[4:]: round(p.stat().st_size / n, 1) for p in folder.glob("alt-*.faiss")}}


# ---------------------------------------------------------------------------------- measure


def questions(count: int) -> list[str]:
    """``count`` real questions, alternating between the question files (file order)."""
    lists = []
    for f in QUESTION_FILES:
        if f.is_file():
            lists.append([json.loads(line)["question"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()])
    out: list[str] = []
    i = 0
    while len(out) < count and any(i < len(lst) for lst in lists):
        out.extend(lst[i] for lst in lists if i < len(lst))
        i += 1
    return out[:count]


def measure(folder: Path, runtime: str, n_queries: int, k: int) -> dict:
    """Open the index in this (fresh) process and time searches with each FAISS kind built."""
    import numpy as np

    from rag.config import load_settings
    from rag.dense import FaissIndex
    from rag.embedders import FakeEmbedder, make_embedder
    from rag.indexing import open_index
    from rag.sparse import tokenize

    settings = load_settings(env={}, overrides={"paths": {"index_dir": str(folder)},
                                                "embedder": {"backend": "fake"} if runtime == "fake" else {"runtime": runtime}})
    embedder = FakeEmbedder() if runtime == "fake" else make_embedder(settings)
    embedder.embed_queries(["预热"])
    tokenize("预热")
    import faiss  # noqa: F401 - loaded before the baseline so its code does not count as index memory
    import scipy.sparse  # noqa: F401

    rss0 = rss_mib()
    t0 = time.perf_counter()
    index = open_index(folder, settings, embedder)
    open_s = time.perf_counter() - t0
    rss1 = rss_mib()
    qs = questions(n_queries)
    qvecs = embedder.embed_queries(qs)
    kinds = {index.dense.kind: index.dense}
    for alt in sorted(folder.glob("alt-*.faiss")):
        kinds[alt.stem[4:]] = FaissIndex.load(alt)
    rss2 = rss_mib()
    result: dict = {"chunks": len(index), "queries": len(qs), "k": k,
                    "candidates": settings.retrieval.candidates, "open_s": round(open_s, 2),
                    "rss_mib": {"before_open": round(rss0, 1), "index_open": round(rss1 - rss0, 1),
                                "per_chunk_bytes": round((rss1 - rss0) * 2**20 / len(index), 1),
                                "alt_faiss_loaded": round(rss2 - rss1, 1)},
                    "kinds": {}}
    exact = None
    if "flat" in kinds:
        exact = [set(r for r, _ in kinds["flat"].search(v, 10)) for v in qvecs]
    for name, dense in kinds.items():
        index.dense = dense
        for q in qs[:5]:  # warm-up: caches, lazy allocations
            index.retrieve(q, k)
        stages: dict[str, list[float]] = {}
        for q in qs:
            for key, ms in index.retrieve(q, k).timings.items():
                stages.setdefault(key, []).append(ms)
        entry = {key.replace("_ms", ""): {"p50_ms": round(percentile(v, 50), 2), "p95_ms": round(percentile(v, 95), 2)}
                 for key, v in stages.items()}
        entry["search"] = entry.pop("retrieve")
        if exact is not None and name != "flat":
            got = [set(r for r, _ in dense.search(v, 10)) for v in qvecs]
            entry["recall_at_10"] = round(float(np.mean([len(a & b) / max(1, len(a)) for a, b in zip(exact, got)])), 4)
        result["kinds"][name] = entry
    return result


# ------------------------------------------------------------------------------------- main


def _base_from_seeds(scratch: Path) -> list[Path]:
    """For --quick: the seeds indexed with the fake embedder."""
    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.indexing import update_index

    d = scratch / "base"
    settings = load_settings(env={}, overrides={"paths": {"index_dir": str(d)}, "embedder": {"backend": "fake"}})
    update_index([ROOT / "seeds"], settings, FakeEmbedder(), index_dir=d)
    return [d]


def bm25_check(mat: Material, n: int = 300) -> float:
    """Largest |score difference| between the direct BM25 matrix and ``Bm25Index.build`` on ``n`` chunks."""
    import numpy as np
    import scipy.sparse as sp

    from rag.sparse import Bm25Index

    rows, cols, toks = [], [], []
    for row, src, _, _, sents in synthesize(mat, n, seed=1):
        ids = ([mat.title_of[src]] if mat.title_of[src] >= 0 else []) + sents
        rows.extend([row] * len(ids))
        cols.extend(ids)
        toks.append([t for s in ids for t in mat.token_text[s].split("\t") if t])
    assign = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(mat.sentences)))
    direct = Bm25Index()
    direct.vocab, direct.n = mat.vocab, n
    direct._weights = bm25_from_counts(assign @ mat.counts)
    ref = Bm25Index().build(toks)
    worst = 0.0
    for q in toks[:50]:
        worst = max(worst, float(np.abs(direct.scores(q[:8]) - ref.scores(q[:8])).max()))
    return worst


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fake embedder, sizes 500 and 2000 (checks the script)")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated corpus sizes (chunks)")
    ap.add_argument("--base-index", action="append", default=None, help="real index(es) to draw chunks from")
    ap.add_argument("--queries", type=int, default=200, help="questions timed per size and kind")
    ap.add_argument("--hnsw-max", type=int, default=100_000, help="also build HNSW up to this size (0: never)")
    ap.add_argument("--approx-threshold", type=int, default=200_000, help="size above which the index built is IVF")
    ap.add_argument("--scratch", default=None, help="where the generated indexes go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated indexes")
    ap.add_argument("--out", default=None, help="result file (default bench/results/search[_quick].json)")
    ap.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--runtime", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.measure:  # the child process: open, time, print one JSON line
        print(json.dumps(measure(Path(args.measure), args.runtime, args.queries, 5)))
        return

    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="bench-search-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        if args.quick:
            sizes, n_queries, runtime = [500, 2000], min(args.queries, 10), "fake"
            bases = _base_from_seeds(scratch)
        else:
            sizes = [int(s) for s in args.sizes.split(",") if s]
            n_queries = args.queries
            from rag.config import load_settings

            settings = load_settings(env={})
            runtime = settings.embedder.runtime
            bases = [Path(p) for p in (args.base_index or [settings.paths.resolved_index_dir()])]
        chunks, vectors, model_id = load_base(bases)
        if not args.quick:
            from rag.embedders import make_embedder

            expected = make_embedder(load_settings(env={})).model_id
            if model_id != expected:
                raise SystemExit(f"base indexes hold {model_id!r} vectors but queries would be embedded with "
                                 f"{expected!r}: build them with the default runtime (rag index --rebuild)")
        log(f"{len(chunks)} real chunks from {', '.join(map(str, bases))}; tokenising sentences ...")
        mat = Material(chunks, vectors)
        mat.model_id = model_id
        out = {"benchmark": "search", "quick": args.quick, "runtime": runtime, "embedder": model_id,
               "base": {"indexes": [str(b) for b in bases], "chunks": len(chunks), "sentences": len(mat.sentences),
                        "vocabulary": len(mat.vocab)},
               "generator": {"noise": NOISE, "max_replaced_share": MAX_REPLACED, "seed": 0},
               "bm25_check_max_abs_diff": bm25_check(mat),
               "targets": {"p95_search_ms_100k_exact": 80, "p95_search_ms_1m_approx": 120, "recall_at_10_approx": 0.95},
               "sizes": {}}
        for n in sizes:
            folder = scratch / f"n{n}"
            shutil.rmtree(folder, ignore_errors=True)
            kinds = ["flat", "ivf"] + (["hnsw"] if n <= args.hnsw_max else [])
            log(f"building {n} chunks ({', '.join(kinds)}) ...")
            built = build_corpus(mat, n, folder, kinds, args.approx_threshold)
            log(f"measuring {n} chunks ...")
            child = subprocess.run([sys.executable, __file__, "--measure", str(folder), "--runtime", runtime,
                                    "--queries", str(n_queries)], capture_output=True, text=True)
            if child.returncode != 0:
                raise SystemExit(f"measuring {n} chunks failed:\n{child.stderr[-3000:]}")
            out["sizes"][str(n)] = {**built, **json.loads(child.stdout.strip().splitlines()[-1])}
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        write_result("search" + ("_quick" if args.quick else ""), out, args.out)
    finally:
        if not args.keep and not args.scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
