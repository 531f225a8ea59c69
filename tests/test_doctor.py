"""rag doctor: CPU and build parsing, the crash-safe smoke test, and the command itself."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag import doctor
from rag.config import load_settings

# Shapes llama_print_system_info() really prints (the portable build here; a native build on an
# AMX Xeon as reported in ggml-org/llama.cpp #20824).
PORTABLE = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
NATIVE_AMX = ("CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 1 | AVX512_VNNI = 1 | "
              "AMX_INT8 = 1 | LLAMAFILE = 1 |")


def test_build_features_reads_only_enabled_kernels():
    assert doctor.build_features(PORTABLE) >= {"AVX", "AVX2", "F16C", "FMA", "BMI2"}
    assert "AVX512" not in doctor.build_features(PORTABLE)
    assert {"AVX512", "AMX_INT8"} <= doctor.build_features(NATIVE_AMX)
    assert "AVX512" not in doctor.build_features("CPU : AVX512 = 0 | AVX2 = 1 |")


def test_cpu_flags_from_cpuinfo_text():
    text = "processor\t: 0\nflags\t\t: fpu sse avx avx2 fma f16c amx_tile amx_int8\n\n"
    assert {"avx2", "amx_int8"} <= doctor.cpu_flags(text)
    assert doctor.cpu_flags("processor : 0\n") == set()


@pytest.mark.parametrize("build, cpu, problem", [
    (PORTABLE, {"avx", "avx2", "fma", "f16c"}, None),
    (PORTABLE, {"avx", "avx2", "fma", "f16c", "avx512f", "amx_tile", "amx_int8"}, None),  # runs on AMX Xeons
    (NATIVE_AMX, {"avx", "avx2", "fma", "f16c", "avx512f", "amx_int8"}, "AMX"),          # the crash in issue 12
    (NATIVE_AMX, {"avx", "avx2", "fma", "f16c"}, "AVX512"),                               # built elsewhere
    (PORTABLE, {"sse", "sse2"}, "AVX2"),                                                  # a pre-2013 CPU
])
def test_build_problems(build, cpu, problem):
    found = doctor.build_problems(doctor.build_features(build), cpu)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found)


def test_smoke_test_reports_a_crash_with_the_reinstall_command(tmp_path, monkeypatch):
    monkeypatch.setattr(doctor, "_SMOKE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    check = doctor.smoke_generation(tmp_path / "m.gguf", 1, timeout_s=60)
    assert not check.ok
    assert "crashed (signal 11)" in check.value
    assert check.fix == doctor.REINSTALL and "install.sh" in check.fix


def test_smoke_test_reports_a_hang(tmp_path, monkeypatch):
    monkeypatch.setattr(doctor, "_SMOKE", "import time; time.sleep(30)")
    check = doctor.smoke_generation(tmp_path / "m.gguf", 1, timeout_s=1)
    assert not check.ok and "no answer within 1 s" in check.value


def test_smoke_test_reports_a_bad_model_file(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    check = doctor.smoke_generation(bad, 1, timeout_s=120)
    assert not check.ok and check.value.startswith("failed:")


def test_run_doctor_without_index_names_the_fix(tmp_path):
    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}, "embedder": {"backend": "fake"},
                                        "generator": {"backend": "fake"}})
    report = doctor.run_doctor(settings, generate=False)
    names = {c.name: c for c in report.checks}
    assert {"python", "cpu features", "llama-cpp-python", "index", "free disk", "available memory"} <= set(names)
    assert not names["index"].ok and names["index"].fix == "rag index"
    assert not report.ok
    assert all(line.startswith(("ok ", "BAD", "    fix:")) for line in report.lines())


def test_cli_doctor_json(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rag", "doctor", "--backend", "fake", "--no-generate", "--json",
                           "--index", str(tmp_path / "none")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr  # no index there
    out = json.loads(proc.stdout)
    assert out["ok"] is False
    assert any(c["name"] == "cpu features" for c in out["checks"])


@pytest.mark.model
def test_doctor_on_the_installed_build_answers():
    """The installed llama.cpp build is the portable one and really answers on this CPU."""
    settings = load_settings()
    report = doctor.run_doctor(settings, generate=True)
    names = {c.name: c for c in report.checks}
    assert names["llama.cpp build"].ok, names["llama.cpp build"].value
    assert "AMX" not in names["llama.cpp build"].value
    assert names["generation smoke test"].ok, names["generation smoke test"].value
    assert names["generator model"].ok
