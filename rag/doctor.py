"""``rag doctor``: what this machine is, what got installed, and whether the model really runs here.

The checks that matter are the ones a test suite on another machine cannot see: which CPU
features exist here (AVX2, AVX-512, AMX) and which ones the installed llama.cpp build uses. A
native build made on one CPU can fault on another (AMX kernels on virtualised Xeons), so the
generation smoke test always runs in a child process: a crash there is reported with the exact
reinstall command instead of taking this process down.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings

# CPU flags (as /proc/cpuinfo spells them) that decide which llama.cpp kernels may run.
CPU_FEATURES = ("avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512_vnni", "avx_vnni",
                "amx_tile", "amx_int8", "amx_bf16")
REINSTALL = "rm -rf data/wheels && pip uninstall -y llama-cpp-python && bash install.sh"
SMOKE_TIMEOUT_S = 180.0

# Run in a child: load the model, answer one short prompt. Its exit status tells a crash
# (negative: killed by a signal) from a Python error (1) and success (0).
_SMOKE = r"""
import json, sys, time
from llama_cpp import Llama
t0 = time.perf_counter()
llm = Llama(model_path=sys.argv[1], n_ctx=512, n_threads=int(sys.argv[2]), verbose=False)
t1 = time.perf_counter()
out = llm.create_chat_completion(messages=[{"role": "user", "content": "用一个词回答：天空是什么颜色？"}],
                                 max_tokens=8, temperature=0.0)
t2 = time.perf_counter()
print(json.dumps({"reply": out["choices"][0]["message"]["content"], "load_s": round(t1 - t0, 2),
                  "answer_s": round(t2 - t1, 2)}, ensure_ascii=False))
"""
_SYSTEM_INFO = "import llama_cpp; print(llama_cpp.__version__); print(llama_cpp.llama_print_system_info().decode())"


@dataclass
class Check:
    """One line of the report: a name, what was found, and whether it is a problem."""

    name: str
    value: Any
    ok: bool = True
    fix: str = ""


@dataclass
class Report:
    """Everything ``rag doctor`` found; ``ok`` is false when any check failed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, value: Any, ok: bool = True, fix: str = "") -> None:
        self.checks.append(Check(name, value, ok, fix))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.__dict__ for c in self.checks]}

    def lines(self) -> list[str]:
        out = []
        for c in self.checks:
            value = c.value if isinstance(c.value, str) else json.dumps(c.value, ensure_ascii=False)
            out.append(f"{'ok ' if c.ok else 'BAD'} {c.name}: {value}")
            if c.fix:
                out.append(f"    fix: {c.fix}")
        return out


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU feature flags of this machine (Linux /proc/cpuinfo; empty elsewhere)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def build_features(system_info: str) -> set[str]:
    """The kernels a llama.cpp build was compiled with, from ``llama_print_system_info()``.

    The string looks like ``CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | ... | AMX_INT8 = 1 |``.
    """
    feats = set()
    for part in system_info.replace("\n", "|").split("|"):
        if "=" in part:
            name, _, value = part.rpartition("=")
            name = name.split(":")[-1].strip()
            if value.strip() == "1" and name:
                feats.add(name.upper())
    return feats


def build_problems(build: set[str], cpu: set[str]) -> list[str]:
    """Why this build may crash or fail on this CPU (empty when it fits).

    AMX kernels are refused even when the CPU lists AMX: on virtualised Sapphire/Granite Rapids
    they fault (ggml-org/llama.cpp #20824), and the portable build never needs them.
    """
    problems = []
    if any(f.startswith("AMX") for f in build):
        problems.append("the llama.cpp build uses AMX kernels, which crash on virtualised Xeons")
    needs = {"AVX512": "avx512f", "AVX2": "avx2", "FMA": "fma", "F16C": "f16c", "AVX": "avx"}
    for feat, flag in needs.items():
        if feat in build and cpu and flag not in cpu:
            problems.append(f"the llama.cpp build uses {feat}, which this CPU lacks")
    return problems


def _mem_available_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def smoke_generation(model: Path, threads: int, timeout_s: float = SMOKE_TIMEOUT_S) -> Check:
    """Load the GGUF and answer one short prompt in a child process; a crash there is a result."""
    try:
        proc = subprocess.run([sys.executable, "-c", _SMOKE, str(model), str(threads)], capture_output=True,
                              text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Check("generation smoke test", f"no answer within {timeout_s:.0f} s", False, REINSTALL)
    if proc.returncode < 0:
        return Check("generation smoke test", f"the model process crashed (signal {-proc.returncode}); the "
                     f"llama.cpp build does not run on this CPU", False, REINSTALL)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return Check("generation smoke test", f"failed: {tail}", False, REINSTALL)
    return Check("generation smoke test", json.loads(proc.stdout.strip().splitlines()[-1]))


def llama_system_info() -> tuple[str | None, str]:
    """(version, system info) of the installed llama-cpp-python, read in a child process."""
    proc = subprocess.run([sys.executable, "-c", _SYSTEM_INFO], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
    version, _, info = proc.stdout.partition("\n")
    return version.strip(), info.strip()


def run_doctor(settings: "Settings", *, generate: bool = True) -> Report:
    """Collect every check; ``generate=False`` skips the smoke test (which loads the model)."""
    from .models import GENERATOR_FILENAME, GENERATOR_SHA256, EMBEDDER_DIRNAME

    rep = Report()
    rep.add("python", f"{platform.python_version()} ({sys.executable})")
    rep.add("platform", f"{platform.platform()} {platform.machine()}")
    flags = cpu_flags()
    rep.add("cpu features", {f: f in flags for f in CPU_FEATURES})

    version, info = llama_system_info()
    if version is None:
        rep.add("llama-cpp-python", f"cannot be imported: {info}", False, "bash install.sh")
    else:
        build = build_features(info)
        problems = build_problems(build, flags)
        rep.add("llama-cpp-python", version)
        rep.add("llama.cpp build", info, not problems, REINSTALL if problems else "")
        for p in problems:
            rep.add("llama.cpp build problem", p, False, REINSTALL)

    models_dir = settings.paths.resolved_models_dir()
    gguf = Path(settings.generator.model)
    gguf = gguf if gguf.is_absolute() else models_dir / gguf
    if settings.generator.backend == "llama-cpp":
        if gguf.is_file():
            from .store import file_digest

            digest = file_digest(gguf)
            expected = GENERATOR_SHA256 if gguf.name == GENERATOR_FILENAME else None
            rep.add("generator model", f"{gguf} sha256 {digest}", expected in (None, digest),
                    "rag models install" if expected not in (None, digest) else "")
        else:
            rep.add("generator model", f"missing: {gguf}", False, "rag models install (see models/README.md)")
    emb = models_dir / EMBEDDER_DIRNAME if settings.embedder.model == EMBEDDER_DIRNAME else Path(settings.embedder.model)
    if settings.embedder.backend == "sentence-transformers":
        rep.add("embedder model", str(emb) if emb.is_dir() else f"missing: {emb}", emb.is_dir(),
                "" if emb.is_dir() else "rag models install (see models/README.md)")

    index_dir = settings.paths.resolved_index_dir()
    try:
        from . import store

        manifest = store.read_manifest(store.current_generation(index_dir))
        rep.add("index", {"dir": str(index_dir), "documents": len(manifest.get("documents", {})),
                          "chunks": manifest.get("chunks"), "embedder": manifest.get("embedder")})
    except Exception as e:  # noqa: BLE001 - a missing or damaged index is a finding, not a crash
        rep.add("index", f"{index_dir}: {e}", False, "rag index")

    data_dir = Path(settings.paths.data_dir)
    probe = data_dir if data_dir.exists() else Path.cwd()
    free_gb = round(shutil.disk_usage(probe).free / 1e9, 1)
    rep.add("free disk", f"{free_gb} GB at {probe}", free_gb >= 2.0, "" if free_gb >= 2.0 else "free some disk space")
    mem = _mem_available_gb()
    rep.add("available memory", f"{mem} GB" if mem is not None else "unknown", mem is None or mem >= 2.5,
            "" if mem is None or mem >= 2.5 else "the default model needs about 2 GB free")
    rep.add("cpu cores", os.cpu_count())

    if generate and settings.generator.backend == "llama-cpp" and version is not None and gguf.is_file():
        rep.checks.append(smoke_generation(gguf, settings.generator.threads))
    return rep
