"""Indexing throughput: chunks/s of `rag index` (the library's ``update_index``) per runtime.

For each data set and each embedder runtime, in one process:

* ``index``: a full ``update_index(..., rebuild=True)`` into a scratch folder (read, clean, chunk,
  tokenise, embed, write FAISS + BM25 + SQLite), timed end to end;
* ``bare``: ``SentenceTransformer.encode`` alone (torch fp32, the baseline) on the very chunk
  texts the index holds, with the same batch size and thread count, after a warm-up.

Reported: chunks/s of each, the share of indexing time spent outside the embedding model, the
ratio index/bare, and the speed-up of each runtime over torch fp32. Data sets: the seeds, and a
fixed sample of CMRC 2018 dev (``--cmrc-docs`` documents drawn with numpy seed 0; 160 documents
are about 300 chunks). Model loading (and the one-time ONNX export) happens before any timing.

    python bench/index.py                      # seeds + CMRC sample, torch and onnx-int8
    python bench/index.py --runtimes torch,onnx,onnx-int8 --cmrc-docs 0
    python bench/index.py --quick              # fake embedder on the seeds: checks the script
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import log, write_result  # noqa: E402

CMRC = Path("/work/shared/eval/cmrc2018_dev/corpus.jsonl")


def cmrc_sample(corpus: Path, docs: int, folder: Path) -> Path:
    """Write ``docs`` documents drawn with numpy seed 0 from the CMRC corpus (in file order)."""
    import numpy as np

    lines = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    pick = sorted(np.random.default_rng(0).choice(len(lines), min(docs, len(lines)), replace=False))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "cmrc_sample.jsonl"
    out.write_text("\n".join(lines[i] for i in pick) + "\n", encoding="utf-8")
    return out


def index_texts(index_dir: Path) -> list[str]:
    """The texts the embedder saw for each chunk of an index, in row order."""
    from rag.indexing import indexed_text, open_index

    idx = open_index(index_dir, _settings("fake", index_dir))
    rows = idx.db.get(list(range(len(idx))))
    texts = [indexed_text(rows[i]) for i in range(len(idx))]
    idx.db.close()
    return texts


def _settings(runtime: str, index_dir: Path, batch_size: int | None = None):
    from rag.config import load_settings

    over: dict = {"paths": {"index_dir": str(index_dir)}}
    if runtime == "fake":
        over["embedder"] = {"backend": "fake"}
    else:
        over["embedder"] = {"runtime": runtime}
    if batch_size:
        over["embedder"]["batch_size"] = batch_size
    return load_settings(env={}, overrides=over)


def run(args: argparse.Namespace) -> dict:
    from rag.embedders import FakeEmbedder, SentenceTransformerEmbedder, make_embedder
    from rag.indexing import update_index

    scratch = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        datasets: dict[str, dict] = {"seeds": {"paths": [ROOT / "seeds"], "source": "seeds/ (all files)"}}
        if args.cmrc_docs and not args.quick:
            sample = cmrc_sample(Path(args.cmrc_corpus), args.cmrc_docs, scratch / "cmrc")
            datasets["cmrc_sample"] = {"paths": [sample], "source": f"{args.cmrc_docs} documents of {args.cmrc_corpus} "
                                                                      f"drawn with numpy default_rng(0)"}
        runtimes = ["fake"] if args.quick else [r for r in args.runtimes.split(",") if r]
        settings0 = _settings(runtimes[0], scratch / "x", args.batch_size)
        batch_size = settings0.embedder.batch_size
        threads = settings0.embedder.threads

        # Load every model (exporting ONNX files if needed) and jieba first, so no run pays for it.
        from rag.sparse import tokenize

        tokenize("预热")
        embedders, load_s = {}, {}
        for rt in runtimes:
            t0 = time.perf_counter()
            emb = FakeEmbedder() if rt == "fake" else make_embedder(_settings(rt, scratch / "x", args.batch_size), log=log)
            emb.embed_chunks(["预热"])
            embedders[rt], load_s[rt] = emb, round(time.perf_counter() - t0, 2)
        bare = None
        if not args.quick:
            from rag.models import ensure_embedder

            bare = SentenceTransformerEmbedder(ensure_embedder(settings0), batch_size=batch_size, threads=threads)
            bare_model = bare.load()
            bare_model.encode(["预热"], prompt="passage: ")

        runs, speedup = [], {}
        for name, ds in datasets.items():
            texts = None
            by_rt: dict[str, dict] = {}
            for rt in runtimes:
                index_dir = scratch / f"idx-{name}-{rt}"
                log(f"indexing {name} with {rt} ...")
                load_before = round(os.getloadavg()[0], 2)
                s = update_index(ds["paths"], _settings(rt, index_dir, args.batch_size), embedders[rt],
                                 index_dir=index_dir, rebuild=True)
                if texts is None:
                    texts = index_texts(index_dir)
                    ds["documents"] = len(s.added)
                    ds["chunks"] = s.chunks
                by_rt[rt] = {"dataset": name, "runtime": rt, "model_id": embedders[rt].model_id, "chunks": s.chunks,
                             "index_s": round(s.seconds, 3), "embed_s": round(s.embed_seconds, 3),
                             "index_chunks_per_s": round(s.chunks / s.seconds, 2),
                             "embed_chunks_per_s": round(s.chunks / max(s.embed_seconds, 1e-9), 2),
                             "outside_embedding_share": round(1 - s.embed_seconds / s.seconds, 3),
                             "loadavg_1min": [load_before, round(os.getloadavg()[0], 2)]}
                shutil.rmtree(index_dir, ignore_errors=True)
            # The baseline: the model call alone, same texts, same batch size, same process.
            if bare is not None:
                log(f"bare SentenceTransformer.encode on {name} ...")
                load_before = round(os.getloadavg()[0], 2)
                t0 = time.perf_counter()
                bare_model.encode(texts, prompt="passage: ", batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)
                bare_s = time.perf_counter() - t0
            else:
                load_before = round(os.getloadavg()[0], 2)
                t0 = time.perf_counter()
                FakeEmbedder().embed_chunks(texts)
                bare_s = time.perf_counter() - t0
            bare_rate = len(texts) / max(bare_s, 1e-9)
            ds["bare"] = {"what": "fake embed_chunks" if bare is None else "SentenceTransformer.encode, torch fp32",
                          "seconds": round(bare_s, 3), "chunks_per_s": round(bare_rate, 2),
                          "loadavg_1min": [load_before, round(os.getloadavg()[0], 2)]}
            for r in by_rt.values():
                r["index_vs_bare_fp32"] = round(r["index_chunks_per_s"] / bare_rate, 3)
                runs.append(r)
            base = by_rt.get("torch")
            speedup[name] = {
                rt: {"index_vs_torch_index": round(r["index_chunks_per_s"] / base["index_chunks_per_s"], 2) if base else None,
                     "index_vs_bare_fp32": r["index_vs_bare_fp32"]}
                for rt, r in by_rt.items()
            }
        for ds in datasets.values():
            ds["paths"] = [str(p) for p in ds["paths"]]
        return {"benchmark": "index", "quick": args.quick, "batch_size": batch_size, "threads": threads,
                "chunking": {"size": settings0.chunking.size, "overlap": settings0.chunking.overlap},
                "load_s": load_s, "datasets": datasets, "runs": runs, "speedup": speedup,
                "target": "index chunks/s of the chosen runtime >= 2x bare torch fp32 (index_vs_bare_fp32 >= 2)"}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fake embedder, seeds only (checks the script)")
    ap.add_argument("--runtimes", default="torch,onnx-int8", help="comma-separated embedder runtimes")
    ap.add_argument("--cmrc-docs", type=int, default=160, help="CMRC documents in the sample (0: seeds only)")
    ap.add_argument("--cmrc-corpus", default=str(CMRC), help="CMRC corpus JSONL")
    ap.add_argument("--batch-size", type=int, default=None, help="embedding batch size (default: settings)")
    ap.add_argument("--out", default=None, help="result file (default bench/results/index[_quick].json)")
    args = ap.parse_args(argv)
    result = run(args)
    write_result("index" + ("_quick" if args.quick else ""), result, args.out)


if __name__ == "__main__":
    main()
