"""Time to first token with k and k+1 chunks in the prompt, in one run on one loaded model.

Each answerable seed question is answered twice through ``Pipeline.ask``, once with ``--k`` hits
and once with ``--k + 1`` (the order alternating from question to question, so a warm-up or a
neighbour's load falls on both sides alike). Before every call the KV cache is reset to the system
prompt alone, as a serving process holds it between questions. Reports prompt tokens and time to
first token (p50, p95) per side and their ratio; absolute times vary from machine to machine, the
ratio is the figure to compare.

    python bench/prompt_chunks.py [--n 20] [--k 3] [--quick]

Prints one JSON object and writes bench/results/prompt_chunks.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import (answerable_seed_questions, percentile, prime_system_prompt,  # noqa: E402
                            quick_seed_pipeline, write_result)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="answerable seed questions")
    ap.add_argument("--k", type=int, default=3, help="the smaller number of chunks (compared with k + 1)")
    ap.add_argument("--quick", action="store_true", help="fake backends, 3 questions (checks the script)")
    ap.add_argument("--out", type=Path, help="result file (default bench/results/prompt_chunks.json)")
    a = ap.parse_args(argv)

    from rag.config import load_settings
    from rag.pipeline import Pipeline

    questions = answerable_seed_questions(3 if a.quick else a.n)
    if a.quick:
        pipeline = quick_seed_pipeline()
    else:
        settings = load_settings()
        settings.answer.min_relevance = 0.0  # every question reaches the model
        settings.answer.max_refusal_prob = None  # time the answer only
        pipeline = Pipeline.from_settings(settings)
    gen = pipeline.generator

    sides = (a.k, a.k + 1)
    rows = []
    for i, q in enumerate(questions):
        row = {"id": q["id"]}
        for k in (sides if i % 2 == 0 else sides[::-1]):
            prime_system_prompt(pipeline)
            t = pipeline.ask(q["question"], k=k).timings
            row[f"ttft_ms_k{k}"] = t.get("ttft_ms")
            row[f"prompt_tokens_k{k}"] = t.get("prompt_tokens")
        rows.append(row)

    def stat(key: str) -> dict:
        vals = [r[key] for r in rows if r.get(key) is not None]
        return {"p50": percentile(vals, 50), "p95": percentile(vals, 95)}

    out: dict = {"benchmark": "prompt_chunks", "quick": a.quick, "questions": len(rows),
                 "model": getattr(gen, "model_id", type(gen).__name__)}
    for k in sides:
        out[f"k{k}"] = {"ttft_ms": stat(f"ttft_ms_k{k}"), "prompt_tokens": stat(f"prompt_tokens_k{k}")}
    small, large = out[f"k{sides[0]}"]["ttft_ms"]["p50"], out[f"k{sides[1]}"]["ttft_ms"]["p50"]
    out["ttft_ratio_p50"] = small / large if small and large else None
    out["rows"] = rows
    write_result("prompt_chunks" + ("_quick" if a.quick else ""), out, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
