"""The OpenAI-compatible generator against a real server: llama-cpp-python's own, on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(real_settings):
    from rag.models import ensure_generator

    gguf = ensure_generator(real_settings)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "4096", "--n_threads", str(real_settings.generator.threads), "--seed", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("llama_cpp.server did not start")
        time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_seed_questions_through_openai_server(server, real_settings, real_index):
    from rag.generators import make_generator
    from rag.pipeline import Pipeline

    real_settings.generator.backend = "openai"
    real_settings.generator.base_url = server
    try:
        gen = make_generator(real_settings)
        pipeline = Pipeline(real_index, gen, real_settings)
        questions = {json.loads(line)["id"]: json.loads(line)
                     for line in open(ROOT / "eval" / "seeds_questions.jsonl", encoding="utf-8")}
        correct = 0
        for qid in ("s007", "s010", "s016"):
            q = questions[qid]
            deltas = []
            answer = None
            for event in pipeline.stream(q["question"]):
                if isinstance(event, str):
                    deltas.append(event)
                else:
                    answer = event
            assert len(deltas) > 1  # streamed, not one blob
            assert all(1 <= c.n <= len(answer.hits) for c in answer.citations)
            correct += not answer.abstained and any(a in answer.text for a in q["answers"])
        # The server samples with its own defaults (e.g. a repeat penalty), so a 1.5B model's
        # wording can differ from in-process runs; most answers must still be right.
        assert correct >= 2
    finally:
        real_settings.generator.backend = "llama-cpp"


def test_unreachable_server_is_a_clear_error(real_settings, real_index):
    from rag.errors import RagError
    from rag.generators import OpenAIGenerator
    from rag.pipeline import Pipeline

    gen = OpenAIGenerator(f"http://127.0.0.1:{_free_port()}/v1", "x", timeout_s=2)
    with pytest.raises(RagError, match="cannot reach the generator server"):
        Pipeline(real_index, gen, real_settings).ask("市委十五届十二次全会是在几月几日召开的？")
