"""Faults: kills mid-run, damaged index files, a full or read-only disk, two writers at once.

The promise under test (see ``rag.store``): a writer builds a whole new generation beside the live
one and swaps ``CURRENT`` atomically, so whatever happens, the previous index still opens and
answers, and the next run completes. Kills are real SIGKILLs of real ``python -m rag`` processes
at seeded random moments; disk faults are injected with monkeypatch (tests run as root, for whom
chmod does not make a folder read-only). Everything runs on the fake backends.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag import store
from rag.embedders import FakeEmbedder
from rag.errors import IndexLockedError, RagError
from rag.indexing import open_index, update_index
from tests.conftest import CORPUS

SEED = 20240607
N_QUESTIONS = 160  # enough that a kill lands mid-run; the kill waits for results, not for a clock


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    from rag.config import ENV_VARS

    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))


def rag_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "rag", *map(str, args)]


def run_rag(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(rag_cmd(*args), capture_output=True, text=True, timeout=timeout)


def write_corpus(folder: Path, n: int | None = None) -> Path:
    """The tiny corpus, or ``n`` short numbered articles built from it."""
    folder.mkdir(parents=True, exist_ok=True)
    if n is None:
        for name, text in CORPUS.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder
    bodies = [t.split("\n\n", 1)[1] for t in CORPUS.values()]
    for i in range(n):
        (folder / f"doc{i:03d}.txt").write_text(
            f"第{i}号通报\n\n{bodies[i % 3]}编号{i}的记录共有{i * 7}条。", encoding="utf-8")
    return folder


def leftovers(index: Path) -> list[str]:
    """Anything in an index folder besides CURRENT, .lock and the live generation."""
    live = (index / "CURRENT").read_text(encoding="utf-8").strip()
    return sorted(p.name for p in index.iterdir() if p.name not in ("CURRENT", ".lock", live))


def doc_ids(settings, index: Path) -> set[str]:
    return {d["doc_id"] for d in open_index(index, settings, FakeEmbedder()).documents()}


def one_line_error(code: int, err: str, *needles: str) -> str:
    """Exit 2 and one `error: ...` line last (progress lines may come before it), no traceback."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and [x for x in lines if x.startswith("error")] == lines[-1:], err
    assert lines[-1].startswith("error: ")
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])
    return lines[-1]


def cli(capsys, *args) -> tuple[int, str, str]:
    from rag.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --- killed mid-run ----------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_during_index_keeps_the_previous_index(tmp_path, settings):
    corpus = write_corpus(tmp_path / "corpus", 300)
    index = tmp_path / "idx"
    cmd = rag_cmd("index", corpus, "--backend", "fake", "--index", index, "--rebuild")
    t0 = time.monotonic()
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    full = time.monotonic() - t0  # one whole run, start-up included: kills land anywhere in it
    assert first.returncode == 0, first.stderr
    rnd = random.Random(SEED)
    for _ in range(5):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0.0, full))
        p.kill()
        p.wait()
        idx = open_index(index, settings, FakeEmbedder())  # verifies every file's size and checksum
        assert len(idx.documents()) == 300 and len(idx) == 300
        assert idx.search("第17号通报 编号17的记录", k=1)[0].chunk.doc_id == "doc017"
    last = update_index([corpus], settings, FakeEmbedder(), index_dir=index, rebuild=True)
    assert len(last.added) == 300
    assert leftovers(index) == []  # the last writer removed whatever the killed ones left


_CRASH = r"""
import os, sys
from pathlib import Path
from rag import store

point, index, tmp = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
name, when = point.split("-")
real = getattr(os, name)

def crash(*args, **kwargs):
    if when == "after":
        real(*args, **kwargs)
    os._exit(9)  # like SIGKILL: no cleanup handler runs

setattr(store.os, name, crash)
store.publish_generation(index, tmp)
print("finished without crashing")
"""


def test_crash_at_each_step_of_publishing(tmp_path, settings, corpus_dir):
    # Random kills rarely land inside the few milliseconds of the swap; these land there exactly.
    # The child only publishes a complete generation built here, so it starts in a blink.
    base, newer = tmp_path / "base", tmp_path / "newer"
    update_index([corpus_dir], settings, FakeEmbedder(), index_dir=base)
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    update_index([corpus_dir], settings, FakeEmbedder(), index_dir=newer)
    newer_gen = newer / (newer / "CURRENT").read_text(encoding="utf-8").strip()
    old, new = {"eco", "econ", "sport"}, {"eco", "econ", "sport", "new"}
    points = {"fsync-before": old, "rename-before": old, "rename-after": old, "replace-before": old,
              "replace-after": new}
    procs = {}
    for point in points:
        index = tmp_path / point
        shutil.copytree(base, index)
        tmp = index / f".tmp-gen-{point}"
        shutil.copytree(newer_gen, tmp)
        procs[point] = subprocess.Popen([sys.executable, "-c", _CRASH, point, str(index), str(tmp)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for point, expected in points.items():
        out, err = procs[point].communicate(timeout=120)
        assert procs[point].returncode == 9, (point, out, err)
        index = tmp_path / point
        assert doc_ids(settings, index) == expected, point  # opens, checksums hold
        s = update_index([corpus_dir], settings, FakeEmbedder(), index_dir=index)
        assert s.added == ([] if expected == new else ["new"]), point
        assert doc_ids(settings, index) == new
        assert leftovers(index) == [], point


@pytest.mark.slow
def test_sigkill_during_eval_resumes_to_the_same_results(tmp_path, settings, corpus_dir):
    index = tmp_path / "idx"
    update_index([corpus_dir], settings, FakeEmbedder(), index_dir=index)
    cfg = tmp_path / "answer.toml"
    cfg.write_text("[answer]\nmin_relevance = 0.0\n", encoding="utf-8")
    templates = [("西宁地区生产总值增长多少？", ["5.5%"], ["econ"]), ("青海省篮球联赛有多少支球队参赛？", ["16支"], ["sport"]),
                 ("空气质量优良天数比例是多少？", ["92.3%"], ["eco"])]
    qfile = tmp_path / "questions.jsonl"
    with qfile.open("w", encoding="utf-8") as f:
        for i in range(N_QUESTIONS):
            q, answers, sources = templates[i % 3]
            f.write(json.dumps({"id": f"q{i:03d}", "question": f"第{i}问：{q}", "answers": answers,
                                "sources": sources}, ensure_ascii=False) + "\n")

    def cmd(out: Path) -> list[str]:
        return rag_cmd("eval", qfile, "--out", out, "--backend", "fake", "--index", index, "--config", cfg)

    # The uninterrupted run, in-process with the settings the CLI builds from the same arguments.
    from rag.config import load_settings
    from rag.evaluation import evaluate

    cli_settings = load_settings(cfg, {"paths": {"index_dir": str(index)}, "embedder": {"backend": "fake"},
                                       "generator": {"backend": "fake"}})
    evaluate(qfile, settings=cli_settings, out_dir=tmp_path / "whole")
    resumed = tmp_path / "resumed"
    results = resumed / "results.jsonl"
    target = random.Random(SEED).randint(5, N_QUESTIONS // 2)  # questions finished before the kill
    p = subprocess.Popen(cmd(resumed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        if results.exists() and results.read_bytes().count(b"\n") >= target:
            break
        time.sleep(0.005)
    p.kill()
    p.wait()
    assert p.returncode == -9, "the run finished before it could be killed"
    assert results.read_bytes().count(b"\n") < N_QUESTIONS
    written = results.read_bytes()
    finished = written[: written.rfind(b"\n") + 1]  # a half-written last line is dropped on resume
    assert finished.count(b"\n") >= 5
    final = subprocess.run(cmd(resumed), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert "resuming" in final.stderr
    # Resumed, not redone: the lines finished before the kill are kept byte for byte, timings too.
    assert results.read_bytes().startswith(finished)

    def lines(path: Path) -> list[dict]:
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            rec.pop("timings")
            out.append(rec)
        return out

    expected = lines(tmp_path / "whole" / "results.jsonl")
    assert len(expected) == N_QUESTIONS
    assert lines(results) == expected
    metrics = [json.loads((d / "metrics.json").read_text(encoding="utf-8")) for d in (tmp_path / "whole", resumed)]
    for m in metrics:
        m.pop("latency")
    assert metrics[0] == metrics[1]


# --- damaged index files -----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncate-vectors", "flip-sqlite", "manifest", "current", "missing-faiss"])
def test_damaged_index_is_one_line_error_and_rebuild_recovers(capsys, tmp_path, corpus_dir, damage):
    index = tmp_path / "idx"
    args = ("--backend", "fake", "--index", index)
    code, _, err = cli(capsys, "index", corpus_dir, *args)
    assert code == 0, err
    gen = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    if damage == "truncate-vectors":
        data = (gen / "vectors.npy").read_bytes()
        (gen / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "flip-sqlite":
        data = bytearray((gen / "chunks.sqlite").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (gen / "chunks.sqlite").write_bytes(bytes(data))
    elif damage == "manifest":
        (gen / "manifest.json").write_text('{"schema_version": 1, "chu', encoding="utf-8")
    elif damage == "current":
        (index / "CURRENT").write_text("gen-that-does-not-exist", encoding="utf-8")
    else:
        (gen / "dense.faiss").unlink()
    for command in (("search", "篮球联赛"), ("docs",), ("index", corpus_dir)):
        code, out, err = cli(capsys, *command, *args)
        one_line_error(code, err, "rag index --rebuild")
    code, out, err = cli(capsys, "index", corpus_dir, "--rebuild", *args)
    assert code == 0, err
    assert "3 added" in out
    code, out, err = cli(capsys, "search", "篮球联赛有多少支球队", "--json", *args)
    assert code == 0 and json.loads(out)["hits"][0]["doc_id"] == "sport"
    assert leftovers(index) == []


# --- full or read-only disk --------------------------------------------------------------------


class _FailingOs:
    """The os module with one function failing with the given errno (installed as rag.store.os)."""

    def __init__(self, name: str, code: int) -> None:
        def fail(*args, **kwargs):
            raise OSError(code, os.strerror(code))

        setattr(self, name, fail)

    def __getattr__(self, attr):
        return getattr(os, attr)


def _raise(exc: BaseException):
    def fail(*args, **kwargs):
        raise exc

    return fail


WRITE_FAULTS = {
    # where the write fails, and the words the message must use
    "fsync-enospc": ("disk full", lambda mp: mp.setattr(store, "os", _FailingOs("fsync", errno.ENOSPC))),
    "rename-erofs": ("read-only", lambda mp: mp.setattr(store, "os", _FailingOs("rename", errno.EROFS))),
    "replace-enospc": ("disk full", lambda mp: mp.setattr(store, "os", _FailingOs("replace", errno.ENOSPC))),
    "lock-erofs": ("read-only", lambda mp: mp.setattr(store, "open", _raise(OSError(errno.EROFS, "Read-only file system")),
                                                      raising=False)),
    "mkdir-eacces": ("permission denied", lambda mp: mp.setattr(store, "new_generation_dir",
                                                                _raise(PermissionError(errno.EACCES, "Permission denied")))),
    "numpy-enospc": ("disk full", lambda mp: mp.setattr("numpy.save", _raise(OSError(errno.ENOSPC, "No space left on device")))),
    "sqlite-full": ("disk full", lambda mp: mp.setattr(store.ChunkStore, "add",
                                                       _raise(sqlite3.OperationalError("database or disk is full")))),
    "faiss-enospc": ("disk full", lambda mp: mp.setattr(
        "rag.dense.FaissIndex.save",
        _raise(RuntimeError("Error in faiss::FileIOWriter: write error in dense.faiss: 0 != 1 (No space left on device)")))),
}


@pytest.mark.parametrize("fault", list(WRITE_FAULTS))
def test_write_failure_is_clear_and_keeps_the_old_index(monkeypatch, tmp_path, settings, corpus_dir, fault):
    index = tmp_path / "idx"
    update_index([corpus_dir], settings, FakeEmbedder(), index_dir=index)
    live = (index / "CURRENT").read_text(encoding="utf-8")
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    words, install = WRITE_FAULTS[fault]
    with monkeypatch.context() as mp:
        install(mp)
        with pytest.raises(RagError) as err:
            update_index([corpus_dir], settings, FakeEmbedder(), index_dir=index)
    msg = str(err.value)
    assert words in msg and str(index) in msg and "previous index is unchanged" in msg
    assert (index / "CURRENT").read_text(encoding="utf-8") == live
    assert doc_ids(settings, index) == {"eco", "econ", "sport"}
    assert leftovers(index) == []  # no half-written generation, no CURRENT.tmp
    update_index([corpus_dir], settings, FakeEmbedder(), index_dir=index)  # with space again, it completes
    assert doc_ids(settings, index) == {"eco", "econ", "sport", "new"}


def test_disk_full_through_the_cli(monkeypatch, capsys, tmp_path, corpus_dir):
    args = ("--backend", "fake", "--index", tmp_path / "idx")
    assert cli(capsys, "index", corpus_dir, *args)[0] == 0
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    monkeypatch.setattr(store, "os", _FailingOs("fsync", errno.ENOSPC))
    code, _, err = cli(capsys, "index", corpus_dir, *args)
    one_line_error(code, err, "disk full", "free some space")
    code, _, err = cli(capsys, "remove", "sport", *args)
    one_line_error(code, err, "disk full")
    monkeypatch.undo()
    code, out, _ = cli(capsys, "docs", *args)
    assert code == 0 and "3 documents" in out


# --- two writers -------------------------------------------------------------------------------


def test_a_second_writer_times_out_with_a_clear_error(tmp_path):
    index = tmp_path / "idx"
    waits = []
    with store.write_lock(index):
        with pytest.raises(IndexLockedError, match="locked by another indexing process"):
            with store.write_lock(index, timeout_s=0.3, on_wait=waits.append):
                pytest.fail("two writers held the lock at once")
    assert waits and "waiting" in waits[0]
    with store.write_lock(index, timeout_s=0.3):  # released: the next writer gets it at once
        pass


@pytest.mark.slow
def test_concurrent_index_runs_wait_and_lose_nothing(tmp_path, settings, corpus_dir):
    index = tmp_path / "idx"
    update_index([corpus_dir], settings, FakeEmbedder(), index_dir=index)
    live = (index / "CURRENT").read_text(encoding="utf-8")
    extra = {}
    for name in ("a", "b"):
        extra[name] = tmp_path / f"extra_{name}"
        extra[name].mkdir()
        (extra[name] / f"{name}1.txt").write_text(f"补充{name}\n\n补充材料{name}的内容。", encoding="utf-8")
    procs, lines = {}, queue.Queue()
    with store.write_lock(index):  # this test is the first writer: both runs must wait for it
        for name, folder in extra.items():
            procs[name] = subprocess.Popen(rag_cmd("index", folder, "--backend", "fake", "--index", index),
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            threading.Thread(target=lambda n=name: [lines.put((n, ln)) for ln in procs[n].stderr], daemon=True).start()
        waiting = set()
        deadline = time.monotonic() + 120
        while waiting != {"a", "b"} and time.monotonic() < deadline:
            try:
                name, line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if "waiting" in line:
                waiting.add(name)
        assert waiting == {"a", "b"}, "both runs should report that they wait"
        assert (index / "CURRENT").read_text(encoding="utf-8") == live
        assert leftovers(index) == []  # nothing written while the lock is held
    for name, p in procs.items():
        p.wait(timeout=300)
        out = p.stdout.read()
        assert p.returncode == 0 and "1 added" in out, name
    # One ran after the other, each on top of the other's result: no update was lost.
    assert doc_ids(settings, index) == {"eco", "econ", "sport", "a1", "b1"}
    assert leftovers(index) == []
