"""Warm-up benchmark: time to first token of the first and second question after the service is ready.

Each mode runs in a fresh Python process (a cold model, as after ``python app.py``) over the same
index of the seeds: ``cold`` is ``RagService(warm_up=False)``, the page before the warm-up existed;
``warm`` is the default service, which at start-up runs one short generation over the system
prompt. Both ask the same two seed questions once the service reports ready. The warm-up should
move model loading and the system prompt's prefill out of the first question.

    python bench/warm_up.py [--quick] [--data DIR --modes cold|warm|cold,warm]

``--quick``: fake backends (checks the script). On a busy machine run the modes one at a time
with the same ``--data``: the index is built once and each run's result is kept there.

Prints one JSON object and writes bench/results/warm_up.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import machine_info, write_result  # noqa: E402

QUESTIONS = ["市委十五届十二次全会审议通过了什么建议？", "在市委十五届十二次全会分组讨论中发言的城东区委书记叫什么名字？"]


def _settings(data: Path, quick: bool):
    from rag.config import load_settings

    overrides = {"paths": {"data_dir": str(data), "index_dir": str(data / "index"),
                           "models_dir": str(ROOT / "data" / "models"), "sources": [str(ROOT / "seeds")]},
                 "answer": {"min_relevance": 0.0},  # every question reaches the model
                 # On a machine shared with other jobs a cold prefill can pass the default hang limit.
                 "generator": {"worker_timeout_s": 900.0,
                               # Time to first token is what is measured: a short answer keeps each run
                               # short, and both modes build the same prompts.
                               "max_tokens": 16}}
    if quick:
        overrides.update(embedder={"backend": "fake"}, generator={"backend": "fake"})
    return load_settings(env={}, overrides=overrides)


def child(mode: str, data: Path, quick: bool) -> dict:
    """One fresh process: start the service, wait until ready, ask the questions."""
    from rag.service import RagService

    t0 = time.perf_counter()
    service = RagService(_settings(data, quick), warm_up=(mode == "warm"))
    service.start()
    service.wait()
    if service.error:
        raise SystemExit(f"preparing failed: {service.error}")
    ready_s = time.perf_counter() - t0
    out = {"mode": mode, "ready_s": round(ready_s, 2), "warm_ups": service.warm_ups, "questions": []}
    for q in QUESTIONS:
        t = time.perf_counter()
        a = service.ask(q)
        out["questions"].append({"question": q, "ttft_ms": round(a.timings.get("ttft_ms", 0.0)),
                                 "total_ms": round((time.perf_counter() - t) * 1e3),
                                 "prompt_tokens": a.timings.get("prompt_tokens", 0),
                                 "tokens_per_s": round(a.timings.get("tokens_per_s", 0.0), 2)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fake backends (checks the script)")
    ap.add_argument("--modes", default="cold,warm", help="which runs to do now (each in its own process)")
    ap.add_argument("--data", help="data folder to reuse between invocations (index built once, runs kept)")
    ap.add_argument("--child", choices=["cold", "warm"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="warm-up-"))
    if args.child:
        (data / f"run-{args.child}.json").write_text(json.dumps(child(args.child, data, args.quick), ensure_ascii=False))
        return
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "index" / "CURRENT").exists():
        from rag.service import RagService

        settings = _settings(data, args.quick)
        RagService(settings).index_files(settings.paths.sources)
    for mode in [m for m in args.modes.split(",") if m]:
        cmd = [sys.executable, __file__, "--child", mode, "--data", str(data)] + (["--quick"] if args.quick else [])
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
    runs = {m: json.loads((data / f"run-{m}.json").read_text()) for m in ("cold", "warm")
            if (data / f"run-{m}.json").exists()}
    write_result("warm_up" if not args.quick else "warm_up_quick", {
        "machine": machine_info(), "quick": args.quick, "max_tokens": _settings(data, args.quick).generator.max_tokens,
        "runs": runs,
        "first_question_ttft_ms": {m: r["questions"][0]["ttft_ms"] for m, r in runs.items()},
        "second_question_ttft_ms": {m: r["questions"][1]["ttft_ms"] for m, r in runs.items()},
        "command": "python bench/warm_up.py --data DIR --modes cold; python bench/warm_up.py --data DIR --modes warm"
                   + (" --quick" if args.quick else ""),
    }, out=(None if not args.quick else Path(tempfile.gettempdir()) / "warm_up_quick.json"))


if __name__ == "__main__":
    main()
