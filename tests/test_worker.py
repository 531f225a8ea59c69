"""The model in a supervised child process: crashes, hangs and cancellations cost one answer, not the program.

The fault-injecting fakes (``rag.generators.FaultyGenerator``) run in a real child process and
kill it (SIGSEGV, SIGABRT) or hang when a question contains ``FAULT``; a test kills the child
from outside (SIGKILL, as the OOM killer does). Each test then asks again and gets an answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

from rag.errors import ConfigError, ModelCrashedError, ModelNotFoundError
from rag.generators import FAULT_MARKER, FakeGenerator, FaultyGenerator, LlamaCppGenerator, make_generator
from rag.worker import WorkerGenerator

ROOT = Path(__file__).resolve().parent.parent
CHINESE = "模型进程意外退出，已自动重启，请重试"
SOURCE = "西宁经济稳步增长。全市接待游客3161.8万人次。篮球联赛在西宁开幕。"


def messages(question: str) -> list[dict]:
    """A prompt shaped like the pipeline's (the fake reader answers from source 1)."""
    return [{"role": "system", "content": "只根据资料回答。"},
            {"role": "user", "content": f'<资料 编号="1" 标题="西宁">\n{SOURCE}\n</资料>\n问题：{question}'}]


@pytest.fixture(autouse=True)
def _stop_workers():
    """Children started inside the library (a pipeline, an evaluation) stop with the test."""
    from rag import worker

    yield
    for w in list(worker._live):
        w.close()


@pytest.fixture
def workers():
    """Makes WorkerGenerators and stops their children after the test."""
    made: list[WorkerGenerator] = []

    def make(factory, **kw) -> WorkerGenerator:
        w = WorkerGenerator(factory, **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.mark.parametrize("fault,signame", [("crash", "SIGSEGV"), ("abort", "SIGABRT")])
def test_a_crash_mid_answer_is_an_error_and_the_next_question_is_answered(workers, fault, signame):
    w = workers(partial(FaultyGenerator, fault, after=2))
    assert "".join(w.stream(messages("接待游客多少？"))) == "全市接待游客3161.8万人次。[1]"
    first_pid = w.pid
    got: list[str] = []
    with pytest.raises(ModelCrashedError) as e:
        for delta in w.stream(messages(f"{FAULT_MARKER} 接待游客多少？")):
            got.append(delta)
    assert len(got) == 2  # the deltas before the crash reached the caller
    message = str(e.value)
    assert CHINESE in message and signame in message and "\n" not in message
    assert "".join(w.stream(messages("接待游客多少？"))) == "全市接待游客3161.8万人次。[1]"
    assert w.pid not in (None, first_pid) and w.restarts == 1


def test_a_killed_process_out_of_memory_is_an_error_and_the_next_question_is_answered(workers):
    w = workers(partial(FakeGenerator, delay_s=0.05, script=["一二三四" * 40, "好的。"]))
    parts = w.stream(messages("随便问"))
    assert next(parts) == "一二三四"
    os.kill(w.pid, signal.SIGKILL)  # what the kernel's OOM killer does
    with pytest.raises(ModelCrashedError, match="SIGKILL"):
        list(parts)
    # A new child replays the script from its start: the point is that it answers.
    assert "".join(w.stream(messages("随便问"))) == "一二三四" * 40


def test_a_hang_is_an_error_after_the_timeout_and_the_next_question_is_answered(workers):
    w = workers(partial(FaultyGenerator, "hang", after=1), timeout_s=2.0)
    got: list[str] = []
    with pytest.raises(ModelCrashedError, match="hung") as e:
        for delta in w.stream(messages(f"{FAULT_MARKER} 接待游客多少？")):
            got.append(delta)
    assert got == ["全市接待"] and CHINESE in str(e.value)
    assert "".join(w.stream(messages("接待游客多少？"))) == "全市接待游客3161.8万人次。[1]"


def test_closing_a_stream_half_way_frees_the_same_worker_for_the_next_caller(workers):
    long = "一二三四" * 100  # 100 deltas of 50 ms: 5 s if the child did not stop
    # A long grace: only a child that never reads the cancel is replaced (the next test), however busy the machine.
    w = workers(partial(FakeGenerator, delay_s=0.05, script=[long, long]), cancel_grace_s=60)
    parts = w.stream(messages("问"))
    assert next(parts) == "一二三四" and next(parts) == "一二三四"
    pid = w.pid
    parts.close()  # the person left
    assert "".join(w.stream(messages("问"))) == long  # a full answer from the same child
    assert w.pid == pid and w.restarts == 0


def test_a_worker_that_ignores_the_cancel_is_killed_and_restarted(workers):
    w = workers(partial(FaultyGenerator, "hang", after=1), cancel_grace_s=0.5)
    parts = w.stream(messages(f"{FAULT_MARKER} 接待游客多少？"))
    assert next(parts) == "全市接待"
    pid = w.pid
    parts.close()  # the child sleeps and never reads the cancel
    assert "".join(w.stream(messages("接待游客多少？"))) == "全市接待游客3161.8万人次。[1]"
    assert w.pid != pid


def test_one_answer_at_a_time_others_wait_their_turn(workers):
    w = workers(partial(FakeGenerator, delay_s=0.02))
    expected = {"接待游客多少？": "全市接待游客3161.8万人次。[1]", "篮球联赛在哪开幕？": "篮球联赛在西宁开幕。[1]",
                "经济怎么样？": "西宁经济稳步增长。[1]"}
    out: dict[str, str] = {}

    def ask(question: str) -> None:
        out[question] = "".join(w.stream(messages(question)))

    threads = [threading.Thread(target=ask, args=(q,)) for q in expected]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert out == expected  # each caller got its own answer whole, never interleaved


def test_a_factory_that_cannot_reach_the_child_is_a_clear_error(workers):
    from rag.errors import ModelError

    w = workers(partial(FakeGenerator, script=lambda m: "x"))
    with pytest.raises(ModelError, match="picklable"):
        w.load()


def test_counts_and_errors_come_from_the_child_unchanged(workers, tmp_path):
    w = workers(partial(FakeGenerator))
    text = "西宁 2024 年 GDP growth"
    assert w.count_tokens(text) == FakeGenerator().count_tokens(text)
    assert w.model_id == "fake-generator" and w.n_ctx == 4096
    missing = workers(partial(LlamaCppGenerator, str(tmp_path / "nope.gguf")))
    with pytest.raises(ModelNotFoundError, match="nope.gguf"):  # a missing file is not a crash
        missing.load()


def test_fault_fakes_refuse_to_fault_in_the_callers_process():
    with pytest.raises(ConfigError, match="worker"):
        list(FaultyGenerator("crash").stream(messages(f"{FAULT_MARKER} 问")))


def test_make_generator_isolates_llama_cpp_and_fault_fakes_only(settings):
    assert isinstance(make_generator(settings), FakeGenerator)  # fast tests stay in-process
    settings.generator.backend = "fake-crash"
    w = make_generator(settings)
    assert isinstance(w, WorkerGenerator) and w.timeout_s == settings.generator.worker_timeout_s
    settings.generator.backend, settings.generator.isolation = "fake", "process"
    assert isinstance(make_generator(settings), WorkerGenerator)


def test_isolation_setting_is_checked():
    from rag.config import load_settings

    with pytest.raises(ConfigError, match="generator.isolation"):
        load_settings(env={}, overrides={"generator": {"isolation": "thread"}})
    with pytest.raises(ConfigError, match="worker_timeout_s"):
        load_settings(env={}, overrides={"generator": {"worker_timeout_s": 0}})


def test_pipeline_turns_a_crash_into_an_error_and_answers_the_next(fake_index, settings):
    from rag.pipeline import Pipeline

    settings.generator.backend = "fake-crash"
    pipeline = Pipeline(fake_index, make_generator(settings), settings)
    try:
        with pytest.raises(ModelCrashedError, match=CHINESE):
            pipeline.ask(f"{FAULT_MARKER} 西宁接待游客多少人次？")
        answer = pipeline.ask("西宁接待游客多少人次？")
        assert "3161.8" in answer.text and answer.citations
    finally:
        pipeline.generator.close()


def test_eval_records_a_crashed_question_as_an_error_and_finishes(fake_index, settings, tmp_path):
    from rag.evaluation import evaluate

    settings.generator.backend = "fake-crash"
    questions = [
        {"id": "a", "question": "西宁接待游客多少人次？", "answers": ["3161.8万人次"], "sources": []},
        {"id": "b", "question": f"{FAULT_MARKER} 西宁接待游客多少人次？", "answers": ["3161.8万人次"], "sources": []},
        {"id": "c", "question": "篮球联赛共有多少支球队参赛？", "answers": ["16支"], "sources": []},
    ]
    report = evaluate(questions, settings=settings, out_dir=tmp_path / "run")
    rows = {r["id"]: r for r in (json.loads(x) for x in (tmp_path / "run" / "results.jsonl").read_text("utf-8").splitlines())}
    assert set(rows) == {"a", "b", "c"} and len(report.results) == 3
    assert CHINESE in rows["b"]["error"] and rows["b"]["answer"] is None
    assert "error" not in rows["a"] and "error" not in rows["c"]
    assert "3161.8" in rows["a"]["answer"] and "16" in rows["c"]["answer"]


def _rag(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in ("RAG_CONFIG", "RAG_GENERATOR_BACKEND", "RAG_INDEX_DIR"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_rag_ask_exits_with_a_one_line_error_when_the_model_crashes(corpus_dir, tmp_path):
    index = tmp_path / "idx"
    built = _rag("index", str(corpus_dir), "--backend", "fake", "--index", str(index), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    config = tmp_path / "crash.toml"
    config.write_text('[embedder]\nbackend = "fake"\n[generator]\nbackend = "fake-crash"\n'
                      '[answer]\nmin_relevance = 0.0\n', encoding="utf-8")
    r = _rag("ask", f"{FAULT_MARKER} 西宁接待游客多少人次？", "--index", str(index), "--config", str(config),
             cwd=tmp_path)
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the model process exited unexpectedly") and CHINESE in last
    assert "Traceback" not in r.stderr and "core dumped" not in r.stderr
    assert not list(tmp_path.glob("core*"))
    ok = _rag("ask", "西宁接待游客多少人次？", "--index", str(index), "--config", str(config), cwd=tmp_path)
    assert ok.returncode == 0 and "3161.8" in ok.stdout, ok.stderr


@pytest.mark.model
def test_real_model_keeps_one_process_across_questions_and_survives_a_kill(real_settings):
    """The KV-cache prefix reuse needs the same process for consecutive questions."""
    real_settings.generator.isolation = "process"
    w = make_generator(real_settings)
    try:
        assert isinstance(w, WorkerGenerator)
        first = "".join(w.stream(messages("接待游客多少？"), max_tokens=24))
        pid = w.pid
        second = "".join(w.stream(messages("篮球联赛在哪里开幕？"), max_tokens=24))
        assert first and second and w.pid == pid
        parts = w.stream(messages("西宁经济怎么样？"), max_tokens=64)
        next(parts)
        os.kill(w.pid, signal.SIGSEGV)
        with pytest.raises(ModelCrashedError, match="SIGSEGV"):
            list(parts)
        assert "".join(w.stream(messages("接待游客多少？"), max_tokens=24)) == first  # temperature 0
    finally:
        w.close()


@pytest.mark.slow
def test_worker_bench_runs_and_writes_its_json(tmp_path):
    out = tmp_path / "worker.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "worker.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = json.loads(proc.stdout.strip())
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert printed["benchmark"] == "worker" and printed["quick"] is True and printed["questions"] == 3
    assert printed["same_text"] == 3  # both sides answered the same prompts alike
    assert set(printed["ttft_ms"]) == {"inline", "worker"} and printed["ttft_ratio_median"] > 0
    assert printed["decode_ratio_median"] > 0
    assert {"per_call_ms", "per_delta_us", "share_of_ttft", "share_of_token_time"} <= set(printed["boundary"])


def test_refusal_prob_crosses_the_process_boundary(workers):
    import functools

    from rag.generators import FakeGenerator

    w = workers(functools.partial(FakeGenerator, doubt=0.25))
    assert w.refusal_prob(messages("西宁的人口是多少？"), "资料中没有找到这个问题的答案。") == 0.25
    plain = workers(FakeGenerator)  # a generator without the signal answers None, not an error
    assert plain.refusal_prob(messages("西宁的人口是多少？"), "资料中没有找到这个问题的答案。") is None


def test_text_scores_cross_the_process_boundary(workers):
    import functools

    from rag.generators import FakeGenerator

    w = workers(functools.partial(FakeGenerator, likelihood=(-0.5, -1.5)))
    assert w.continuation_logprobs(messages("西宁的人口是多少？"), "西宁？") == [-0.5, -1.5]
    plain = workers(FakeGenerator)  # no scores: None, not an error
    assert plain.continuation_logprobs(messages("西宁的人口是多少？"), "西宁？") is None
