"""llama.cpp builds compared: the portable build install.sh makes vs a native (-march=native) one.

Each build runs in its own child process (its package folder first on PYTHONPATH), loads the
default GGUF and measures, on the same prompts, prefill (prompt tokens/s) and decode (generated
tokens/s over a fixed number of greedy tokens, so an early end-of-text cannot shorten the run).
The builds alternate per round, so a load change on a shared machine hits both alike.

    pip install --no-deps --target /tmp/llama-native data/wheels/<native wheel>   # a second build
    python bench/build.py --build portable= --build native=/tmp/llama-native [--rounds 3]

An empty path means the llama-cpp-python installed in this environment. Prints one JSON object
and writes bench/results/build.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import machine_info, write_result  # noqa: E402

_CHILD = r"""
import json, sys, time
import llama_cpp
from llama_cpp import Llama
model, threads, n_decode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prompts = json.loads(sys.stdin.read())
llm = Llama(model_path=model, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
out = {"system_info": llama_cpp.llama_print_system_info().decode(), "lib": llama_cpp.__file__, "runs": []}
for text in prompts:
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
    llm.reset()
    t0 = time.perf_counter()
    it = llm.generate(tokens, temp=0.0, reset=True)
    next(it)                      # prompt processed, first token sampled
    t1 = time.perf_counter()
    for _ in range(n_decode - 1):
        next(it)
    t2 = time.perf_counter()
    it.close()
    out["runs"].append({"prompt_tokens": len(tokens), "prefill_tps": len(tokens) / (t1 - t0),
                        "decode_tps": (n_decode - 1) / (t2 - t1)})
print(json.dumps(out))
"""


def _prompts(n: int) -> list[str]:
    """Realistic prompts: seed article text of about 600 tokens, the size of an answer prompt."""
    texts = sorted((ROOT / "seeds").glob("*.txt"))
    out = []
    for i in range(n):
        body = texts[i % len(texts)].read_text(encoding="utf-8")
        out.append("<|im_start|>user\n请根据下面的资料回答问题。\n" + body[200 * i: 200 * i + 700]
                   + "\n问题：这篇资料讲了什么？<|im_end|>\n<|im_start|>assistant\n")
    return out


def run_build(path: str, model: Path, threads: int, n_decode: int, prompts: list[str]) -> dict:
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(model), str(threads), str(n_decode)],
                          input=json.dumps(prompts), capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        return {"error": f"exit status {proc.returncode}: {proc.stderr.strip()[-400:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="append", required=True, help="NAME=PATH (empty PATH: the installed one)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prompts", type=int, default=3)
    ap.add_argument("--decode", type=int, default=48, help="greedy tokens generated per prompt")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from rag.config import load_settings
    from rag.models import ensure_generator

    settings = load_settings()
    model = ensure_generator(settings)
    prompts = _prompts(args.prompts)
    builds = dict(b.split("=", 1) for b in args.build)
    runs: dict[str, list[dict]] = {name: [] for name in builds}
    info: dict[str, dict] = {}
    for _ in range(args.rounds):
        for name, path in builds.items():
            res = run_build(path, model, settings.generator.threads, args.decode, prompts)
            if "error" in res:
                info[name] = {"error": res["error"]}
                continue
            info[name] = {"system_info": res["system_info"], "lib": res["lib"]}
            runs[name].extend(res["runs"])
    result: dict = {"model": model.name, "threads": settings.generator.threads, "decode_tokens": args.decode,
                    "prompt_tokens": [r["prompt_tokens"] for r in next(iter(runs.values()))][:args.prompts],
                    "builds": {}}
    for name, rs in runs.items():
        entry = dict(info.get(name, {}))
        if rs:
            entry.update(prefill_tps_median=round(statistics.median(r["prefill_tps"] for r in rs), 2),
                         decode_tps_median=round(statistics.median(r["decode_tps"] for r in rs), 2), samples=len(rs))
        result["builds"][name] = entry
    names = [n for n in builds if "prefill_tps_median" in result["builds"][n]]
    if len(names) >= 2:
        a, b = names[0], names[1]
        result[f"{a}_over_{b}"] = {
            "prefill": round(result["builds"][a]["prefill_tps_median"] / result["builds"][b]["prefill_tps_median"], 3),
            "decode": round(result["builds"][a]["decode_tps_median"] / result["builds"][b]["decode_tps_median"], 3)}
    result["machine"] = machine_info()
    write_result("build", result, args.out)


if __name__ == "__main__":
    main()
