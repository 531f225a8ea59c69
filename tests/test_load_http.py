"""The served page under load: concurrent HTTP clients on loopback, 200 questions, flat memory.

``app.py`` runs as its own process (fake models, the real seeds), as staff would run it; clients
call its HTTP API (``/gradio_api/call/ask``) from threads. Bounded: 8 clients, 200 questions,
a deadline on every request.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from test_app import ROOT, running_app

CLIENTS = 8
QUESTIONS_TOTAL = 200
TIMEOUT_S = 60
MAX_SESSIONS = 50  # app.max_sessions (default 1000), small so the bound is reached within the test
WARMUP_ROUNDS = 3
RSS_GROWTH_MB = 8  # measured: 1-3 MB of allocator noise per 200 questions; unbounded sessions add ~16 MB


def _questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "seeds_questions.jsonl").read_text("utf-8").splitlines()]
    return [r["question"] for r in rows if r["answerable"]][:n]


def ask(httpx, base: str, question: str, history=None, session: str | None = None) -> tuple[str, object]:
    """("complete", answer dict) or ("error", message), through Gradio's two-step call API.

    ``session`` is the client's session_hash (gradio_client sends one per client); without it
    every call opens a new server-side session.
    """
    body = {"data": [question, history]}
    if session:
        body["session_hash"] = session
    r = httpx.post(f"{base}/gradio_api/call/ask", json=body, timeout=TIMEOUT_S)
    r.raise_for_status()
    event_id = r.json()["event_id"]
    kind, data = None, None
    with httpx.stream("GET", f"{base}/gradio_api/call/ask/{event_id}", timeout=TIMEOUT_S) as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1].strip())
                break
    if kind == "complete":
        return kind, data[0]
    return kind, data


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import httpx

    data = tmp_path_factory.mktemp("served") / "data"
    config = data.parent / "app.toml"
    config.write_text(f"[app]\nmax_sessions = {MAX_SESSIONS}\n", encoding="utf-8")
    with running_app(data, "--config", str(config)) as (base, proc):
        yield base, httpx, proc


def test_api_answers_and_explains_bad_questions(served):
    base, httpx, _ = served
    kind, a = ask(httpx, base, "会议应到代表多少人，实到多少人？")
    assert kind == "complete" and a["hits"] and a["citations"]
    assert set(a) >= {"answer", "abstained", "citations", "hits", "timings"}
    kind, message = ask(httpx, base, "   ")
    assert kind == "error"  # Gradio shows a gr.Error's text only where the app allows it; never a traceback
    kind, message = ask(httpx, base, "好", [{"role": "robot"}])
    assert kind == "error"


def _run_clients(httpx, base: str, questions: list[str], expected: dict, sessions: bool) -> list[str]:
    """CLIENTS threads, one question each, QUESTIONS_TOTAL calls in all; the mismatches and failures."""
    errors: list[str] = []
    done = [0]
    lock = threading.Lock()

    def client(n: int, q: str) -> None:
        for _ in range(QUESTIONS_TOTAL // CLIENTS):
            try:
                kind, a = ask(httpx, base, q, session=f"client-{n}" if sessions else None)
            except Exception as e:  # noqa: BLE001 - collected and reported by the caller
                with lock:
                    errors.append(f"{q}: {type(e).__name__}: {e}")
                return
            got = (a["answer"], [h["chunk_id"] for h in a["hits"]]) if kind == "complete" else (kind, a)
            with lock:
                done[0] += 1
                if got != expected[q]:
                    errors.append(f"{q}: got {str(got)[:120]}")

    threads = [threading.Thread(target=client, args=(n, q)) for n, q in enumerate(questions)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, 300 - (time.time() - t0)))
    if any(t.is_alive() for t in threads):
        errors.append("clients still waiting after 300 s")
    if done[0] != QUESTIONS_TOTAL:
        errors.append(f"{done[0]} of {QUESTIONS_TOTAL} questions answered")
    return errors


@pytest.mark.parametrize("sessions", [True, False], ids=["client-sessions", "no-session"])
def test_concurrent_clients_get_their_own_answers_and_memory_stays_flat(served, sessions):
    """With a session per client (as gradio_client does) and without one (a new server session per
    call, bounded by app.max_sessions): every answer is the one asked for, the service stays up,
    and memory is flat across 200 questions."""
    base, httpx, proc = served
    questions = _questions(CLIENTS)
    # What each question gets when asked alone: the reference for the answers under load.
    solo = {}
    for q in questions:
        kind, a = ask(httpx, base, q)
        assert kind == "complete", a
        solo[q] = (a["answer"], [h["chunk_id"] for h in a["hits"]])
    # Warm-up: caches, the queue's worker threads, allocator pools, and (without sessions) enough
    # calls to fill app.max_sessions, after which each new session drops the oldest. One round was
    # not enough: without sessions, successive rounds after it grew 8.6, 6.0, 2.0 and 2.2 MB (the
    # allocator still settling, not a leak, which grows every round), and the first of them crossed
    # the bound in about one run in three.
    for _ in range(WARMUP_ROUNDS):
        assert _run_clients(httpx, base, questions, solo, sessions) == []
    # Two measured rounds: a leak grows in every round (unbounded sessions: ~16 MB each), allocator
    # noise does not. After three warm-up rounds one round still crossed the bound once (8.2 MB, CI at
    # 90c6237), so the smaller of two successive rounds' growth is held to it.
    grown_mb = []
    for _ in range(2):
        before = rss_kb(proc.pid)
        assert _run_clients(httpx, base, questions, solo, sessions) == []
        assert proc.poll() is None and httpx.get(f"{base}/config", timeout=5).status_code == 200  # still up
        grown_mb.append((rss_kb(proc.pid) - before) / 1024)
    assert min(grown_mb) < RSS_GROWTH_MB, (
        f"RSS grew {grown_mb[0]:.1f} and {grown_mb[1]:.1f} MB over two rounds of {QUESTIONS_TOTAL} questions")
