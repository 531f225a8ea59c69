"""Generation benchmark: ``Pipeline.ask`` against llama-cpp-python called directly on the same prompt.

For each seed question the pipeline answers once (its timings give time to first token and
decode speed); then the identical messages go to the same ``Llama`` instance through
``create_chat_completion`` with the same settings. Before every measured call, both sides get
the same warm start: the KV cache holds the system prompt only (a one-token call on
system + a dummy question), which is what a serving process has between questions. Also
reports prompt tokens before and after budgeting and trimming (k=5 whole chunks vs defaults).

    python bench/generate.py [--n 20] [--quick]

Prints one JSON object and writes bench/results/generate.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import (answerable_seed_questions, machine_info, percentile, prime_system_prompt,  # noqa: E402
                            quick_seed_pipeline, write_result)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20, help="answerable seed questions to run")
    ap.add_argument("--quick", action="store_true", help="fake backends, 3 questions (checks the script)")
    args = ap.parse_args()

    from rag.config import load_settings
    from rag.pipeline import Pipeline, retrieval_query, top_document_chars
    from rag.prompting import build_messages, trim_options

    questions = answerable_seed_questions(3 if args.quick else args.n)
    if args.quick:
        pipeline = quick_seed_pipeline()
        settings = pipeline.settings
    else:
        settings = load_settings()
        settings.answer.min_relevance = 0.0  # measure generation on every question
        settings.generator.isolation = "inline"  # the bare comparison calls Llama directly: the model must be here
        pipeline = Pipeline.from_settings(settings)
    gen = pipeline.generator
    cfg = settings.generator

    def bare(messages):
        """llama-cpp-python alone: (ttft_s, decode tokens/s)."""
        llm = gen.load()
        t0 = time.perf_counter()
        first = None
        n = 0
        for part in llm.create_chat_completion(messages=messages, max_tokens=cfg.max_tokens,
                                               temperature=cfg.temperature, seed=cfg.seed, stream=True):
            if part["choices"][0].get("delta", {}).get("content"):
                n += 1
                if first is None:
                    first = time.perf_counter()
        end = time.perf_counter()
        first = first or end
        return first - t0, (n - 1) / (end - first) if n > 1 and end > first else 0.0

    rows = []
    for q in questions:
        hits = pipeline.index.retrieve(retrieval_query(q["question"], None), 5).hits
        full = build_messages(q["question"], hits, prompts=pipeline.prompts, count=gen.count_tokens, n_ctx=cfg.n_ctx,
                              max_tokens=cfg.max_tokens, trim_chars=None)
        prime_system_prompt(pipeline)
        answer = pipeline.ask(q["question"])
        built = build_messages(q["question"], list(answer.hits), prompts=pipeline.prompts, count=gen.count_tokens,
                               n_ctx=cfg.n_ctx, max_tokens=cfg.max_tokens,
                               **trim_options(settings.answer, top_document_chars(pipeline.index, answer.hits)))
        row = {"id": q["id"], "ours_ttft_ms": answer.timings["ttft_ms"], "ours_tps": answer.timings["tokens_per_s"],
               "prompt_tokens": answer.timings["prompt_tokens"], "prompt_tokens_untrimmed_k5": full.prompt_tokens}
        if hasattr(gen, "load"):
            prime_system_prompt(pipeline)
            ttft, tps = bare(built.messages)
            row.update(bare_ttft_ms=ttft * 1e3, bare_tps=tps)
        rows.append(row)

    def stat(key):
        vals = [r[key] for r in rows if r.get(key) is not None]
        return {"p50": percentile(vals, 50), "p95": percentile(vals, 95), "mean": statistics.fmean(vals) if vals else None}

    out = {"benchmark": "generate", "machine": machine_info(), "questions": len(rows),
           "settings": {"k": settings.retrieval.k, "trim_chars": settings.answer.trim_chars, "n_ctx": cfg.n_ctx,
                        "threads": cfg.threads, "model": gen.model_id},
           "ours_ttft_ms": stat("ours_ttft_ms"), "ours_tokens_per_s": stat("ours_tps"),
           "prompt_tokens": stat("prompt_tokens"), "prompt_tokens_untrimmed_k5": stat("prompt_tokens_untrimmed_k5")}
    if rows and "bare_ttft_ms" in rows[0]:
        out["bare_ttft_ms"] = stat("bare_ttft_ms")
        out["bare_tokens_per_s"] = stat("bare_tps")
        out["ttft_ratio_p50"] = out["ours_ttft_ms"]["p50"] / out["bare_ttft_ms"]["p50"]
        out["decode_ratio_mean"] = out["ours_tokens_per_s"]["mean"] / out["bare_tokens_per_s"]["mean"]
    out["rows"] = rows
    write_result("generate" + ("_quick" if args.quick else ""), out)


if __name__ == "__main__":
    main()
