"""The served page outlives its model process: a crash mid-answer is an error for that question only.

``app.py`` runs as its own process, as staff would run it, with the fake embedder and the
``fake-crash`` generator: a model worker process that kills itself (SIGSEGV) mid-answer when a
question contains ``FAULT``. The HTTP API (``/gradio_api/call/ask``, the page's model slot)
gets an error for that question, the server stays up, and the next question is answered by the
restarted worker.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.generators import FAULT_MARKER
from test_app import running_app
from test_load_http import ask

QUESTION = "会议应到代表多少人，实到多少人？"  # answerable from the seeds by the fake reader


def _worker_pids(parent: int) -> set[int]:
    """The model worker processes started by ``parent`` (found through /proc)."""
    pids = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"rag.worker" in cmd:
            pids.add(int(d.name))
    return pids


@contextmanager
def crashing_app(tmp_path: Path, timeout_s: float = 120):
    """``python app.py`` on a free loopback port whose generator crashes on FAULT questions."""
    config = tmp_path / "app.toml"
    config.write_text('[embedder]\nbackend = "fake"\n[generator]\nbackend = "fake-crash"\n', encoding="utf-8")
    with running_app(tmp_path / "data", "--config", str(config), timeout_s=timeout_s, fake=False) as (base, proc):
        yield base, proc, tmp_path / "app.log"


@pytest.mark.slow
def test_the_page_server_survives_a_model_crash_and_answers_the_next_question(tmp_path):
    import httpx

    with crashing_app(tmp_path) as (base, proc, log):
        kind, answer = ask(httpx, base, QUESTION)  # waits for the first-run index and the worker
        assert kind == "complete" and answer["citations"], answer
        before = _worker_pids(proc.pid)
        assert len(before) == 1  # the model runs in its own process

        kind, message = ask(httpx, base, f"{FAULT_MARKER} {QUESTION}")
        assert kind == "error"
        if message:  # Gradio passes a gr.Error's text on where the app allows it
            assert "模型进程意外退出，已自动重启，请重试" in str(message)
        assert proc.poll() is None, log.read_text(encoding="utf-8")

        kind, answer = ask(httpx, base, QUESTION)
        assert kind == "complete" and answer["citations"], answer
        after = _worker_pids(proc.pid)
        assert len(after) == 1 and after != before  # a new worker answered
        assert proc.poll() is None
    text = log.read_text(encoding="utf-8")
    assert "core dumped" not in text and "Segmentation fault" not in text
