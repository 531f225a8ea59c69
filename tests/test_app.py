"""The chat page without a browser: login, uploads, feedback, rendering, first run, errors."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.types import Citation
from test_render import answer, chunk  # the same tiny Chunk/Answer builders the renderer tests use

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- the page module


def test_history_is_plain_text():
    from rag.webapp import history_of

    c1 = Citation(n=1, chunk=chunk("x"), span=(0, 1), support=1.0, sentence="答。")
    turns = [{"question": "问？", "answer": answer("答。[1]", [c1]), "html": "<div>…</div>"},
             {"question": "坏问题", "answer": None, "error": "x", "html": "<div>err</div>"}]
    assert history_of(turns) == [{"role": "user", "content": "问题？"}, {"role": "assistant", "content": "答。[1]"}]


def test_import_webapp_is_light():
    code = "import sys, rag.webapp, rag.service, rag.feedback; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------- the knowledge base tab


@pytest.fixture
def service(make_pipeline, settings):
    from rag.service import RagService

    return RagService(settings, make_pipeline())


def test_upload_messages_on_the_page(tmp_path, service, settings):
    from rag.render import render_removal, render_upload
    from rag.service import uploads_dir

    settings.app.max_upload_mb = 1
    big = tmp_path / "big.txt"
    big.write_bytes("很".encode() * 400_000)
    exe = tmp_path / "x.exe"
    exe.write_bytes(b"MZ")
    msg = render_upload(service.add_documents([str(big), str(exe)]))
    assert "rag-kb-error" in msg and "超过上限 1 MB" in msg and "不支持的文件类型 .exe" in msg
    assert not uploads_dir(settings).exists() or not any(uploads_dir(settings).iterdir())
    src = tmp_path / "湟源陈醋.txt"
    src.write_text("湟源陈醋节开幕\n\n第十届湟源陈醋文化节在湟源县开幕，吸引游客八万人次。", encoding="utf-8")
    msg = render_upload(service.add_documents([str(src)]))
    assert "已添加 1 篇：湟源陈醋" in msg and "rag-kb-error" not in msg
    msg = render_removal(service.remove_document("湟源陈醋"))
    assert "已从知识库删除《湟源陈醋节开幕》（湟源陈醋）" in msg and "删除了上传的文件" in msg


# ---------------------------------------------------------------------------------- chat turns


def drain(gen):
    return list(gen)


def test_library_errors_show_in_the_chat(service):
    from rag.webapp import answer_turn

    turns = [{"question": "", "html": "", "answer": None}]
    shown = drain(answer_turn(service, turns))
    assert "rag-error" in shown[-1] and "问题不能为空" in shown[-1]
    assert "Traceback" not in shown[-1] and turns[0]["answer"] is None and turns[0]["done"]
    turns = [{"question": "长" * 600, "html": "", "answer": None}]
    assert "500" in drain(answer_turn(service, turns))[-1]


def test_the_chat_scope_reaches_the_search(service):
    """The page's collection selector narrows the search: a collection no document is in finds nothing."""
    from rag.webapp import answer_turn, collection_choices

    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    drain(answer_turn(service, turns, collections=["没有这个知识库"]))
    a = turns[0]["answer"]
    assert a is not None and a.abstained and a.hits == () and "没有这个知识库" in a.text
    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    drain(answer_turn(service, turns))
    assert turns[0]["answer"].hits
    assert collection_choices([{"doc_id": "a", "collection": "乙"}, {"doc_id": "b"}, {"doc_id": "c", "collection": "甲"},
                               {"doc_id": "d", "collection": "乙"}]) == ["乙", "甲"]


def test_a_crashed_model_shows_its_message_and_the_next_turn_is_answered(make_pipeline, settings):
    """The model worker's ModelCrashedError (any RagError) is a chat message; the page keeps answering."""
    from rag.errors import ModelCrashedError
    from rag.service import RagService
    from rag.webapp import answer_turn

    crash = "模型进程意外退出，已自动重启，请重试"
    replies = iter([ModelCrashedError(crash), "2024年西宁地区生产总值增长5.5%左右。[1]"])

    def script(messages):
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    svc = RagService(settings, make_pipeline(script))
    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    shown = drain(answer_turn(svc, turns))
    assert "rag-error" in shown[-1] and crash in shown[-1] and turns[0]["error"] == crash and turns[0]["done"]
    turns.append({"question": "西宁地区生产总值增长多少？", "html": "", "answer": None})
    shown = drain(answer_turn(svc, turns))
    assert turns[1]["answer"] is not None and 'class="rag-cite"' in shown[-1] and "5.5%" in shown[-1]


def test_unexpected_errors_show_a_message_not_a_traceback(service):
    from rag.webapp import answer_turn

    def boom(*a, **k):
        raise ValueError("secret internals")

    service.pipeline.stream = boom
    shown = drain(answer_turn(service, [{"question": "西宁？", "html": "", "answer": None}]))
    assert "内部错误" in shown[-1] and "secret" not in shown[-1]


def test_turn_streams_then_renders_the_final_answer(service):
    from rag.webapp import answer_turn

    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    shown = drain(answer_turn(service, turns))
    assert "正在检索资料" in shown[0]
    assert any("rag-streaming" in s for s in shown)
    assert turns[0]["answer"] is not None and 'class="rag-cite"' in shown[-1]


def test_a_turn_closed_early_is_marked_interrupted(service):
    from rag.webapp import answer_turn

    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    stream = answer_turn(service, turns)
    next(stream)
    stream.close()  # the person pressed 新对话 or left
    assert turns[0]["done"] and turns[0]["error"] == "interrupted" and "重新生成" in turns[0]["html"]


def test_follow_up_gets_the_earlier_turns(service):
    from rag.webapp import answer_turn

    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    drain(answer_turn(service, turns))
    turns.append({"question": "那游客呢？", "html": "", "answer": None})
    drain(answer_turn(service, turns))
    sent = service.pipeline.generator.calls[-1]
    assert any(m["role"] == "assistant" and "<" not in m["content"] for m in sent[:-1])


def test_chat_waits_for_preparation_with_a_status(settings, make_pipeline, monkeypatch):
    import threading

    from rag.service import RagService
    from rag.webapp import answer_turn

    svc = RagService(settings)
    pipeline = make_pipeline()
    gate = threading.Event()

    def build():
        svc._progress("正在建立索引（首次运行）")(2, 5)  # shown as a percentage
        gate.wait(10)
        return pipeline

    monkeypatch.setattr(svc, "_build_pipeline", build)
    monkeypatch.setattr(svc, "warm_up", False)
    svc.start()
    threading.Timer(0.3, gate.set).start()
    turns = [{"question": "西宁地区生产总值增长多少？", "html": "", "answer": None}]
    shown = drain(answer_turn(svc, turns, poll_s=0.05))
    assert "正在准备模型/索引" in shown[0] and "40%" in shown[0]
    assert turns[0]["answer"] is not None


def test_preparation_failure_is_shown_not_raised(tmp_path, settings):
    from rag.service import RagService
    from rag.webapp import answer_turn

    settings.paths.sources = [str(tmp_path / "corpus")]
    (tmp_path / "corpus").mkdir(exist_ok=True)
    (tmp_path / "corpus" / "a.txt").write_text("内容。", encoding="utf-8")
    settings.embedder.backend = "sentence-transformers"
    settings.embedder.model = str(tmp_path / "no-such-model")
    svc = RagService(settings)
    svc.start()
    assert svc.wait(30)
    assert svc.error and "not found" in svc.error
    shown = drain(answer_turn(svc, [{"question": "问？", "html": "", "answer": None}]))
    assert "rag-error" in shown[-1] and "准备失败" in shown[-1]


# ---------------------------------------------------------------------------------- feedback


def test_feedback_is_appended_and_readable_as_a_question_file(tmp_path):
    from rag.feedback import append_feedback, feedback_record, read_feedback

    c1 = Citation(n=1, chunk=chunk("增长5.5%。", "经济", "econ"), span=(0, 7), support=1.0, sentence="增长5.5%。")
    path = tmp_path / "sub" / "feedback.jsonl"
    append_feedback(path, feedback_record(answer("增长5.5%。[1]", [c1]), "up", " 很好 ",
                                          history=[{"role": "user", "content": "前一个问题"},
                                                   {"role": "assistant", "content": "前一个回答"}], user="alice"))
    append_feedback(path, feedback_record(answer("不对。"), "down"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "经济" in lines[0]  # readable Chinese, one object per line
    recs = read_feedback(path)
    assert recs[0]["question"] == "问题？" and recs[0]["rating"] == "up" and recs[0]["comment"] == "很好"
    assert recs[0]["citations"][0]["doc_id"] == "econ" and recs[0]["citations"][0]["quote"] == "增长5.5%。"
    assert recs[0]["answer"] == "增长5.5%。[1]" and recs[0]["user"] == "alice" and recs[0]["time"]
    assert recs[1]["rating"] == "down" and recs[1]["comment"] == "" and "history" not in recs[1]
    assert recs[0]["id"] != recs[1]["id"]
    with pytest.raises(ValueError):
        feedback_record(answer("x"), "meh")
    json.loads(lines[1])


def test_feedback_file_loads_as_eval_questions(tmp_path):
    from rag.evaluation import load_questions
    from rag.feedback import append_feedback, feedback_record

    path = tmp_path / "feedback.jsonl"
    append_feedback(path, feedback_record(answer("答。"), "down", "错了"))
    qs = load_questions(path)
    assert qs[0]["question"] == "问题？"


# ---------------------------------------------------------------------------------- serving


def test_auth_parsing(tmp_path):
    from rag.webapp import parse_auth

    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("alice:pa:ss") == [("alice", "pa:ss")]
    f = tmp_path / "users.txt"
    f.write_text("# team\nalice:one\n\nbob:two\n", encoding="utf-8")
    assert parse_auth(str(f)) == [("alice", "one"), ("bob", "two")]
    for bad in ("alice", ":pw", "alice:"):
        with pytest.raises(ConfigError):
            parse_auth(bad)


def test_defaults_are_local_without_login_or_share(settings):
    from rag.webapp import launch_options

    opts = launch_options(settings)
    assert opts["server_name"] == "127.0.0.1" and opts["auth"] is None and opts["share"] is False
    assert opts["max_file_size"] == f"{settings.app.max_upload_mb}mb"
    assert "fonts.googleapis" not in str(opts["theme"]._stylesheets)


def test_page_assets_are_package_files():
    from rag.webapp import static_text

    assert ".rag-cite" in static_text("app.css")
    assert static_text("page.js").rstrip().endswith("}") and "rag-cite-open" in static_text("page.js")
    assert "clipboard" in static_text("copy.js")


def test_app_args_build_settings(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        import app
    finally:
        sys.path.remove(str(ROOT))
    monkeypatch.delenv("RAG_AUTH", raising=False)
    s = app.settings_from_args(app.build_parser().parse_args(["--backend", "fake", "--port", "9999", "--auth", "a:b"]))
    assert s.embedder.backend == "fake" and s.generator.backend == "fake" and s.app.port == 9999
    assert s.app.auth == "a:b" and s.app.host == "127.0.0.1"
    monkeypatch.setenv("RAG_AUTH", "env:pw")
    assert app.settings_from_args(app.build_parser().parse_args([])).app.auth == "env:pw"
    with pytest.raises(ConfigError):
        app.settings_from_args(app.build_parser().parse_args(["--auth-file", str(tmp_path / "missing")]))


@pytest.fixture
def served_with_auth(make_pipeline, settings):
    import httpx

    from rag.webapp import build_app, launch_options

    settings.app.auth = "alice:s3cret"
    settings.app.port = free_port()
    demo = build_app(settings, make_pipeline())
    demo.launch(prevent_thread_lock=True, **launch_options(settings, quiet=True))
    base = f"http://127.0.0.1:{settings.app.port}"
    try:
        yield base, httpx
    finally:
        demo.close()


def test_every_route_needs_login_when_auth_is_on(served_with_auth):
    base, httpx = served_with_auth
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as c:
        page = c.get("/")
        # The page itself is only the login form: no components, no API description, no titles.
        assert page.status_code in (200, 302, 303, 401)
        assert '"auth_required":true' in page.text and '"components":[]' in page.text
        # Only the HTTP API is described (its two parameters), never a page label or a document.
        assert '"named_endpoints":{"/ask":' in page.text and page.text.count('"parameter_name"') == 2
        assert "篮球" not in page.text and "rag-chat" not in page.text and "知识库</" not in page.text
        for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json", "/gradio_api/queue/status",
                     "/gradio_api/queue/data", "/gradio_api/file=/etc/passwd", "/gradio_api/upload_progress",
                     "/gradio_api/deep_link", "/monitoring"):
            r = c.get(path)
            assert r.status_code in (401, 403), (path, r.status_code)
        # Routes Gradio itself leaves open are refused by the login gate too.
        for path in ("/gradio_api/heartbeat/abc", "/gradio_api/user", "/gradio_api/token", "/gradio_api/app_id",
                     "/gradio_api/runs", "/gradio_api/stream/abc/0/1/playlist.m3u8", "/gradio_api/file/x",
                     "/gradio_api/call/ask/abc", "/gradio_api/queue/data?session_hash=abc", "/nonexistent"):
            r = c.get(path)
            assert r.status_code == 401, (path, r.status_code)
        # Only what the login form needs stays open: its shell, assets and theme.
        assert c.get("/gradio_api/startup-events").text in ("true", "false")
        assert c.get("/theme.css").status_code == 200 and c.get("/favicon.ico").status_code != 401
        for path in ("/gradio_api/upload", "/gradio_api/queue/join", "/gradio_api/run/predict",
                     "/gradio_api/call/ask", "/gradio_api/cancel", "/gradio_api/reset",
                     "/gradio_api/stream/abc", "/gradio_api/stream/abc/close", "/theme.css"):
            r = c.post(path, json={})
            assert r.status_code in (401, 403), (path, r.status_code)
        assert c.post("/login", data={"username": "alice", "password": "wrong"}).status_code in (400, 401)
    with httpx.Client(base_url=base, timeout=10) as c:
        assert c.post("/login", data={"username": "alice", "password": "s3cret"}).status_code == 200
        r = c.get("/config")
        assert r.status_code == 200 and "rag-chat" in r.text
        r = c.post("/gradio_api/call/ask", json={"data": ["篮球联赛有几支球队？", None]})
        assert r.status_code == 200 and r.json()["event_id"]  # the API works once logged in
        result = c.get(f"/gradio_api/call/ask/{r.json()['event_id']}")
        assert result.status_code == 200 and "event: complete" in result.text


@contextlib.contextmanager
def running_app(data_dir: Path, *args: str, timeout_s: float = 120, fake: bool = True):
    """``python app.py --backend fake`` on a free loopback port with its own data directory.

    ``fake=False`` leaves the backends to ``args`` (a ``--config`` file choosing, say, a faulty model).

    Yields (base URL, process) once the page answers; the output goes to a log file next to the
    data directory (a pipe nobody reads could fill up and stall a server under load).
    """
    import httpx

    port = free_port()
    env = dict(os.environ, RAG_DATA_DIR=str(data_dir), GRADIO_ANALYTICS_ENABLED="False")
    # GRADIO_TEMP_DIR too: an in-process page built by an earlier test set it in this process, and the
    # app under test must place Gradio's cache in its own data directory.
    for name in ("RAG_AUTH", "RAG_INDEX_DIR", "RAG_CONFIG", "RAG_GENERATOR_BACKEND", "GRADIO_TEMP_DIR"):
        env.pop(name, None)
    log = data_dir.parent / "app.log"
    with open(log, "w", encoding="utf-8") as out:
        backend = ["--backend", "fake"] if fake else []
        proc = subprocess.Popen([sys.executable, "app.py", *backend, "--port", str(port), *args],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited: {log.read_text(encoding='utf-8')}")
            assert time.time() < deadline, "app.py did not come up"
            try:
                if httpx.get(f"{base}/config", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_app_py_starts_on_a_fresh_data_dir(tmp_path):
    with running_app(tmp_path / "data", timeout_s=90):
        deadline = time.time() + 90
        current = tmp_path / "data" / "index" / "CURRENT"
        while time.time() < deadline and not current.exists():
            time.sleep(0.2)
        assert current.exists()  # the seeds were indexed on first run
