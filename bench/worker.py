"""Worker benchmark: the model in a child process (``WorkerGenerator``) against the same model in-process.

Both sides load the same GGUF with the same settings and answer the same prompts (seed
questions, top-k chunks retrieved with the fake embedder and budgeted as the pipeline does: the
retrieval does not matter here, only realistic prompt lengths do). Before every measured call
each side gets the same warm start (its KV cache holds the system prompt only, what a serving
process has between questions), and the two sides alternate which goes first on each question so
that drift in the machine's load falls on both. Time to first token is measured from the call
to the first delta the caller receives, decode speed as deltas per second after the first.

    python bench/worker.py [--n 6] [--max-tokens 64] [--quick]

Also measures the boundary alone (``boundary``: a no-delay fake generator in-process and in a
worker: the cost per call and per delta), which a shared machine's load swings cannot hide, and
states it as a share of the real model's time to first token and time per token.

Prints one JSON object and writes bench/results/worker.json. ``--quick`` uses the fake generator
on both sides (checks the script).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import answerable_seed_questions, log, percentile, write_result  # noqa: E402


def measure(gen, messages, max_tokens: int) -> dict:
    """Time to first delta, deltas per second after it, and the text."""
    t0 = time.perf_counter()
    first = None
    parts = []
    for delta in gen.stream(messages, max_tokens=max_tokens):
        if first is None:
            first = time.perf_counter()
        parts.append(delta)
    end = time.perf_counter()
    first = first or end
    n = len(parts)
    return {"ttft_ms": (first - t0) * 1e3, "deltas": n,
            "decode_per_s": (n - 1) / (end - first) if n > 1 and end > first else None, "text": "".join(parts)}


def boundary_cost(calls: int = 20, deltas: int = 1000) -> dict:
    """What crossing the process boundary itself costs, free of the model's speed and of load swings.

    The fake generator (no delay) streams ``deltas`` deltas per call, in-process and through a
    worker; the differences of the medians are the cost per call (to the first delta) and per delta.
    """
    from rag.generators import FakeGenerator
    from rag.worker import WorkerGenerator

    factory = partial(FakeGenerator, script=["字" * 4 * deltas] * (calls + 1))
    messages = [{"role": "user", "content": "问"}]
    out = {}
    for name, gen in (("inline", factory()), ("worker", WorkerGenerator(factory))):
        list(gen.stream(messages))  # starts the worker; not measured
        firsts, totals = [], []
        for _ in range(calls):
            t0 = time.perf_counter()
            first = None
            for _delta in gen.stream(messages):
                first = first or time.perf_counter()
            firsts.append(first - t0)
            totals.append(time.perf_counter() - t0)
        out[name] = (statistics.median(firsts), statistics.median(totals))
        if isinstance(gen, WorkerGenerator):
            gen.close()
    return {"per_call_ms": (out["worker"][0] - out["inline"][0]) * 1e3,
            "per_delta_us": ((out["worker"][1] - out["worker"][0]) - (out["inline"][1] - out["inline"][0]))
            / (deltas - 1) * 1e6, "calls": calls, "deltas_per_call": deltas}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6, help="answerable seed questions to run")
    ap.add_argument("--max-tokens", type=int, default=64, help="answer tokens per call (bounds the run)")
    ap.add_argument("--quick", action="store_true", help="fake generator on both sides, 3 questions")
    ap.add_argument("--out", help="result file (default bench/results/worker.json)")
    ap.add_argument("--boundary-only", action="store_true",
                    help="measure the boundary alone and relate it to the model speed in bench/results/generate.json "
                         "(for a machine too busy for the A/B to resolve 3%%)")
    args = ap.parse_args()
    if args.boundary_only:
        ref_path = ROOT / "bench" / "results" / "generate.json"
        ref = json.loads(ref_path.read_text(encoding="utf-8"))
        ttft_ms, tokens_per_s = ref["bare_ttft_ms"]["p50"], ref["bare_tokens_per_s"]["mean"]
        boundary = boundary_cost()
        boundary["share_of_ttft"] = boundary["per_call_ms"] / ttft_ms
        boundary["share_of_token_time"] = boundary["per_delta_us"] * 1e-6 * tokens_per_s
        write_result("worker", {
            "benchmark": "worker", "quick": False, "boundary_only": True, "boundary": boundary,
            "reference": {"file": "bench/results/generate.json", "created": ref["created"],
                          "loadavg_at_start": ref["machine"].get("loadavg_at_start"),
                          "bare_ttft_ms_p50": ttft_ms, "bare_tokens_per_s_mean": tokens_per_s},
            "target": "boundary cost at most 3%: share_of_ttft <= 0.03 and share_of_token_time <= 0.03",
        }, args.out)
        return

    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.generators import FakeGenerator, LlamaCppGenerator
    from rag.indexing import open_index, update_index
    from rag.pipeline import retrieval_query, top_document_chars
    from rag.prompting import build_messages, load_prompts, trim_options
    from rag.worker import WorkerGenerator

    questions = answerable_seed_questions(3 if args.quick else args.n)
    tmp = Path(tempfile.mkdtemp())
    # Only the index goes to a temporary folder: the models stay where `rag models install` put them.
    settings = load_settings(overrides={"paths": {"index_dir": str(tmp / "index")}, "embedder": {"backend": "fake"}})
    cfg = settings.generator
    if args.quick:
        factory = partial(FakeGenerator, n_ctx=cfg.n_ctx, delay_s=0.01)
        model = "fake-generator"
    else:
        from rag.models import ensure_generator

        path = str(ensure_generator(settings, log=log))
        factory = partial(LlamaCppGenerator, path, n_ctx=cfg.n_ctx, threads=cfg.threads,
                          temperature=cfg.temperature, seed=cfg.seed)
        model = Path(path).name
    update_index([ROOT / "seeds"], settings, FakeEmbedder())
    index = open_index(settings=settings, embedder=FakeEmbedder())
    prompts = load_prompts()

    sides = {"inline": factory(), "worker": WorkerGenerator(factory, timeout_s=cfg.worker_timeout_s)}
    load_s = {}
    for name, gen in sides.items():
        t0 = time.perf_counter()
        if hasattr(gen, "load"):
            gen.load()
        load_s[name] = time.perf_counter() - t0
    prime = [{"role": "system", "content": prompts.system("zh")}, {"role": "user", "content": "你好"}]

    count = sides["inline"].count_tokens
    rows = []
    for i, q in enumerate(questions):
        hits = index.retrieve(retrieval_query(q["question"], None), settings.retrieval.k).hits
        built = build_messages(q["question"], hits, prompts=prompts, count=count, n_ctx=cfg.n_ctx,
                               max_tokens=args.max_tokens,
                               **trim_options(settings.answer, top_document_chars(index, hits)))
        order = ["inline", "worker"] if i % 2 == 0 else ["worker", "inline"]
        row = {"id": q["id"], "prompt_tokens": built.prompt_tokens, "first": order[0]}
        for name in order:
            gen = sides[name]
            list(gen.stream(prime, max_tokens=1))  # same warm start: the system prompt in the KV cache
            row[name] = measure(gen, built.messages, args.max_tokens)
        row["same_text"] = row["inline"].pop("text") == row["worker"].pop("text")
        log(f"{q['id']}: prompt {built.prompt_tokens} tokens, TTFT {row['inline']['ttft_ms']:.0f} / "
            f"{row['worker']['ttft_ms']:.0f} ms, decode {row['inline']['decode_per_s'] or 0:.2f} / "
            f"{row['worker']['decode_per_s'] or 0:.2f} per s (inline / worker)")
        rows.append(row)
    sides["worker"].close()

    def stat(side: str, key: str) -> dict:
        vals = [r[side][key] for r in rows if r[side][key] is not None]
        return {"p50": percentile(vals, 50), "mean": statistics.fmean(vals) if vals else None}

    def ratios(key: str) -> list[float]:
        return [r["worker"][key] / r["inline"][key] for r in rows if r["inline"][key] and r["worker"][key]]

    ttft_r, decode_r = ratios("ttft_ms"), ratios("decode_per_s")
    boundary = boundary_cost()
    ttft_in, decode_in = stat("inline", "ttft_ms")["p50"], stat("inline", "decode_per_s")["p50"]
    if ttft_in and decode_in:
        # The boundary's own cost as a share of this model's time to first token and time per token.
        boundary["share_of_ttft"] = boundary["per_call_ms"] / ttft_in
        boundary["share_of_token_time"] = boundary["per_delta_us"] * 1e-6 * decode_in
    out = {
        "benchmark": "worker", "quick": args.quick, "questions": len(rows),
        "settings": {"model": model, "n_ctx": cfg.n_ctx, "threads": cfg.threads, "k": settings.retrieval.k,
                     "max_tokens": args.max_tokens, "trim_chars": settings.answer.trim_chars},
        "load_s": load_s,
        "ttft_ms": {side: stat(side, "ttft_ms") for side in sides},
        "decode_per_s": {side: stat(side, "decode_per_s") for side in sides},
        # Worker over inline, per question then the median: >1 for TTFT and <1 for decode is a cost.
        "ttft_ratio_median": statistics.median(ttft_r) if ttft_r else None,
        "decode_ratio_median": statistics.median(decode_r) if decode_r else None,
        "same_text": sum(r["same_text"] for r in rows),
        "boundary": boundary,
        "target": "boundary cost at most 3%: ttft_ratio_median <= 1.03 and decode_ratio_median >= 0.97",
        "rows": rows,
    }
    write_result("worker" + ("_quick" if args.quick else ""), out, args.out)


if __name__ == "__main__":
    main()
