"""Helpers shared by the bench scripts: the machine description, percentiles, writing results.

Imported as ``from bench.benchlib import machine_info, percentile, write_result`` after putting
the project root on ``sys.path`` (the scripts run as ``python bench/<name>.py``).

Each bench script prints one JSON object and writes it to ``bench/results/<name>.json`` (or
``--out``); the ``machine`` field says where the figures come from, ``loadavg`` included, since
the CPUs may be shared with other work while a benchmark runs.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from a checkout without installing
    sys.path.insert(0, str(ROOT))


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict:
    """CPU, cores, RAM and library versions of this run."""
    from rag.config import _physical_cores

    flags = ""
    try:
        flags = next(line for line in open("/proc/cpuinfo", encoding="ascii", errors="ignore") if line.startswith("flags"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "physical_cores": _physical_cores(),
        "cpu_flags": [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8") if f" {f}" in flags],
        "ram_gib": _ram_gib(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "sentence_transformers": _version("sentence-transformers"),
        "onnxruntime": _version("onnxruntime"),
        "faiss": _version("faiss-cpu"),
    }


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation, as numpy does; None for no values."""
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def rss_mib() -> float:
    """Resident memory of this process now (MiB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_result(name: str, result: dict, out: str | Path | None = None) -> Path:
    """Write ``result`` to ``out`` (default ``bench/results/<name>.json``) and print it as one JSON object.

    ``name``, a timestamp and ``machine`` (unless ``result`` has its own) are added in front.
    """
    full = {"name": name, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(), **result}
    path = Path(out) if out else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(full, ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    print(json.dumps(full, ensure_ascii=False))
    return path


def answerable_seed_questions(n: int) -> list[dict]:
    """The first ``n`` answerable questions of eval/seeds_questions.jsonl."""
    with open(ROOT / "eval" / "seeds_questions.jsonl", encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    return [q for q in questions if q["answerable"]][:n]


def prime_system_prompt(pipeline) -> None:
    """Leave the generator's KV cache holding the system prompt only (a one-token call on system + a
    dummy question), as a serving process holds it between questions; nothing for a fake generator."""
    gen = pipeline.generator
    if hasattr(gen, "load"):
        system = pipeline.prompts.system("zh")
        list(gen.stream([{"role": "system", "content": system}, {"role": "user", "content": "你好"}], max_tokens=1))


def quick_seed_pipeline():
    """A ``Pipeline`` over the seed pages with the fake embedder and generator in a temporary folder:
    what ``--quick`` runs use to check a script without the models."""
    import tempfile

    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.generators import FakeGenerator
    from rag.indexing import open_index, update_index
    from rag.pipeline import Pipeline

    tmp = Path(tempfile.mkdtemp())
    settings = load_settings(env={}, overrides={"paths": {"data_dir": str(tmp), "index_dir": str(tmp / "i")},
                                                "embedder": {"backend": "fake"}, "generator": {"backend": "fake"},
                                                "answer": {"min_relevance": 0.0}})
    update_index([ROOT / "seeds"], settings, FakeEmbedder())
    return Pipeline(open_index(settings=settings, embedder=FakeEmbedder()), FakeGenerator(), settings)


def log(message: str) -> None:
    """Progress on stderr, so stdout stays one JSON object."""
    print(message, file=sys.stderr, flush=True)


def saved_runs(run_specs, index_specs, parts=("answerable", "nearmiss", "offtopic")):
    """Yield ``(name, part, rows, pipeline)`` for every part of every saved run (``rag eval … --out
    DIR``): ``run_specs`` are ``NAME=DIR``; ``index_specs`` are ``PART=INDEX`` or ``NAME:PART=INDEX``
    (the index the part was asked against). The pipeline has the fake generator: what these scripts
    read is retrieval and the checks, never a new answer. Parts without a file or an index are skipped."""
    import json

    from rag.config import load_settings
    from rag.generators import FakeGenerator
    from rag.indexing import open_index
    from rag.pipeline import Pipeline

    settings = load_settings(None)
    indexes = dict(x.split("=", 1) for x in index_specs)
    pipelines: dict = {}
    for spec in run_specs:
        name, run = spec.split("=", 1)
        for part in parts:
            path = Path(run) / part / "results.jsonl"
            where = indexes.get(f"{name}:{part}") or indexes.get(part)
            if not path.exists() or not where:
                continue
            if where not in pipelines:
                pipelines[where] = Pipeline(open_index(where, settings=settings), FakeGenerator(), settings)
            rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
            yield name, part, rows, pipelines[where]


def saved_runs_main(argv, description: str, default_name: str, measure, table, parts, extra=None) -> int:
    """The command line of a script that reads saved runs (``--run NAME=DIR``, ``--index PART=I``,
    ``--name``, ``--details``): ``measure(rows, pipeline, part)`` gives one record per question,
    ``table(records)`` the figures, pooled and per run; ``extra()`` adds keys to the result."""
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--run", action="append", default=[], help="NAME=RUN_DIR (parts as subfolders)")
    ap.add_argument("--index", action="append", default=[],
                    help="PART=INDEX_DIR, or NAME:PART=INDEX_DIR for one run only")
    ap.add_argument("--name", default=default_name)
    ap.add_argument("--details", type=Path, help="write every question's figures here (JSONL)")
    args = ap.parse_args(argv)
    every: list[dict] = []
    for name, part, rows, pipeline in saved_runs(args.run, args.index, parts):
        log(f"{name}/{part}: {len(rows)} questions")
        every += [{**x, "run": name} for x in measure(rows, pipeline, part)]
    result = {**(extra() if extra else {}), "thresholds": table(every),
              "runs": {name: table([r for r in every if r["run"] == name]) for name in dict.fromkeys(r["run"] for r in every)}}
    write_details(args.details, every)
    write_result(args.name, result)
    return 0


def run_rows(part_dir: str | Path) -> list[dict] | None:
    """The rows of one part of a run (``<part>/results.jsonl`` as ``rag eval`` wrote it, or the gzipped
    copy an archived run keeps in ``eval/runs/``); None when the part has neither."""
    import gzip

    path = Path(part_dir) / "results.jsonl"
    if not path.exists():
        path = path.with_suffix(".jsonl.gz")
    if not path.exists():
        return None
    with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_details(path, records) -> None:
    """One JSON line per record (a script's per-question figures, for reading them one by one)."""
    if path:
        with Path(path).open("w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")


@contextmanager
def switched_off(owner, name: str, value):
    """``owner.name`` replaced by ``value`` inside the block (a rule, a check or a method switched off
    for a measurement), restored after it."""
    old = getattr(owner, name)
    setattr(owner, name, value)
    _clear_rule_caches()  # a cached reading (``langrules._quantities``) must not outlive the switch
    try:
        yield
    finally:
        setattr(owner, name, old)
        _clear_rule_caches()


def _clear_rule_caches() -> None:
    """Empty every functools cache of the rule modules."""
    import rag.grounding
    import rag.langrules

    for module in (rag.langrules, rag.grounding):
        for obj in vars(module).values():
            if callable(getattr(obj, "cache_clear", None)):
                obj.cache_clear()


def given_chunks(row: dict) -> list:
    """The chunks a saved run's model was given for ``row``: its first ``prompt_hits`` hits (all when
    the row does not say), as ``Chunk`` objects, so a re-judge checks the answer against them."""
    from rag.types import chunk_from_dict

    return [chunk_from_dict(h) for h in row["hits"][: row.get("prompt_hits") or len(row["hits"])]]


def shown_answers(rows: list[dict], pipeline, part: str, all_answerable: bool = False):
    """Yield ``(row, question, checked, label)`` for each saved answer that today's checks still show
    (``Pipeline.judge`` on the chunks the model was given). ``label``: correct or wrong for an
    answerable question of an ``answerable`` part, else unanswerable; ``all_answerable`` labels every
    row of that part by the scorer, without reading its own ``answerable`` flag."""
    from rag.citations import tidy_answer
    from rag.scoring import score_result

    refusal = pipeline.prompts.refusal("zh")
    for r in rows:
        if r["abstained"] or not r["answer"]:
            continue
        question = r.get("translation") or r["question"]
        chunks = given_chunks(r)
        checked, reason = pipeline.judge(question, r["answer"], chunks, refusal,
                                         refusal_prob=r.get("refusal_prob"), translated=bool(r.get("translation")))
        if reason:
            continue  # the current checks refuse it already
        if part == "answerable" and (all_answerable or r.get("answerable", True)):
            ok = score_result({**r, "answer": tidy_answer(r["answer"]), "abstained": False}).get("correct")
            label = "correct" if ok else "wrong"
        else:
            label = "unanswerable"
        yield r, question, checked, label
