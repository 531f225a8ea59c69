"""Issue 14, the second round of hostile use: one test (or more) per row of its table.

| row | what was tried | what these tests hold |
|---|---|---|
| 1 | upload a JSONL reusing a seed's ``doc_id`` | the file is refused whole, the seed intact, rebuild works |
| 2 | upload a JSONL with one ``doc_id`` twice | nothing stays in ``data/uploads`` |
| 3 | 300 wrong passwords | 5 reach the password check, the rest wait a doubling delay (429) |
| 4 | 100 MB bodies without login | 413 before the body is read (declared or streamed) |
| 5 | upload quota | bytes per hour at the upload route, files per hour in the service |
| 6 | ``</资料>`` variants | see tests/test_prompting.py (generated variants) |
| 7 | two processes, one index | the second pipeline answers from the newer generation |
| 8 | small ones | 30 MB file -> Chinese 413; a file named .txt is a text file; a v1 body on /call/v2 -> 422; foreign origins refused |

The middleware is exercised in front of a small Starlette app that reads bodies the way Gradio's
routes do; the page-level checks run the real page (``app.py --backend fake``).
"""
from __future__ import annotations

import asyncio
import json
from unittest import mock

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rag.embedders import FakeEmbedder
from rag.errors import InputError
from rag.indexing import index_sources, open_index, update_index
from rag.limits import LoginThrottle, RequestLimits, UploadQuota, same_origin

MB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _inner_app(auth=None) -> Starlette:
    """Stand-ins for Gradio's routes: a JSON API call, the upload route, and /login."""
    reads = {"bytes": 0}

    async def call(request: Request):
        body = await request.body()  # Gradio reads a JSON body whole into memory
        reads["bytes"] += len(body)
        return JSONResponse({"event_id": "x", "n": len(body)})

    async def upload(request: Request):
        n = 0
        async for chunk in request.stream():
            n += len(chunk)
            if n > 20 * MB:  # Gradio's max_file_size answer, in English
                return JSONResponse({"detail": "File exceeds maximum allowed size"}, status_code=413)
        reads["bytes"] += n
        return JSONResponse(["/tmp/gradio/x.txt"])

    async def login(request: Request):
        form = await request.form()
        if form.get("username") == "alice" and form.get("password") == "right":
            return JSONResponse({"success": True})
        return JSONResponse({"detail": "Incorrect credentials."}, status_code=400)

    app = Starlette(routes=[Route("/gradio_api/call/ask", call, methods=["POST"]),
                            Route("/gradio_api/upload", upload, methods=["POST"]),
                            Route("/login", login, methods=["POST"])])
    app.state.reads = reads
    return app


def _limited(clock=None, **kw):
    clock = clock or Clock()
    inner = _inner_app()
    quota = kw.pop("quota", None) or UploadQuota(200, 60, clock=clock)
    throttle = kw.pop("throttle", None) or LoginThrottle(5, 1.0, clock=clock)
    app = RequestLimits(inner, max_body_bytes=kw.pop("max_body_bytes", 4096 * 1024), max_upload_mb=20,
                        quota=quota, throttle=throttle, **kw)
    return app, inner, clock


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 5555)),
                             base_url="http://127.0.0.1:7860")


# Row 4: request bodies ----------------------------------------------------------------------

def test_row4_large_declared_bodies_are_refused_before_reading():
    app, inner, _ = _limited()

    async def go():
        async with _client(app) as c:
            body = b"x" * (100 * MB)
            rs = [await c.post("/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
                  for _ in range(2)]
            ok = await c.post("/gradio_api/call/ask", json={"data": ["西宁的GDP是多少？"]})
            return rs, ok

    rs, ok = asyncio.run(go())
    assert [r.status_code for r in rs] == [413, 413]
    assert "app.max_body_kb" in rs[0].json()["detail"] and "请求内容过大" in rs[0].json()["detail"]
    assert ok.status_code == 200 and inner.state.reads["bytes"] == len(ok.request.content)


def test_row4_streamed_bodies_without_a_length_are_cut_off():
    app, inner, _ = _limited(max_body_bytes=256 * 1024)
    sent = {"n": 0}

    async def chunks():
        for _ in range(1000):  # 64 MB offered, 64 KB at a time
            sent["n"] += 64 * 1024
            yield b"y" * (64 * 1024)

    async def go():
        async with _client(app) as c:
            return await c.post("/gradio_api/call/ask", content=chunks())

    r = asyncio.run(go())
    assert r.status_code == 413 and inner.state.reads["bytes"] == 0
    assert sent["n"] <= 1 * MB  # the rest was never pulled from the client


# Row 5: upload quota --------------------------------------------------------------------------

def test_row5_upload_bytes_per_hour_are_limited_per_sender():
    clock = Clock()
    app, inner, _ = _limited(clock, quota=UploadQuota(50, 60, clock=clock))

    async def up(c, mb):
        return await c.post("/gradio_api/upload", files={"files": ("a.txt", b"z" * int(mb * MB))})

    async def go():
        async with _client(app) as c:
            first = [await up(c, 19) for _ in range(2)]  # 38 MB of 50
            third = await up(c, 19)
            small = await up(c, 12)  # what is left (12 MB) still goes, then nothing at all
            tiny = await up(c, 0.001)
            clock.t += 3601  # an hour later the quota is back
            later = await up(c, 19)
            return first, third, small, tiny, later

    first, third, small, tiny, later = asyncio.run(go())
    assert [r.status_code for r in first] == [200, 200]
    assert third.status_code == 413 and "每小时配额" in third.json()["detail"]
    assert small.status_code == 200 and tiny.status_code == 413
    assert later.status_code == 200


def test_row5_files_per_hour_are_counted_for_the_service():
    clock = Clock()
    q = UploadQuota(200, 3, clock=clock)
    q.charge_files("user:bob", 2)
    with pytest.raises(InputError, match="每小时上限 3 个文件"):
        q.charge_files("user:bob", 2)
    q.charge_files("user:eve", 3)  # per user
    clock.t += 3601
    q.charge_files("user:bob", 3)


# Row 8: the small ones ----------------------------------------------------------------------

def test_row8_a_30mb_file_is_refused_in_chinese():
    app, _, _ = _limited()

    async def go():
        async with _client(app) as c:
            return await c.post("/gradio_api/upload", files={"files": ("big.txt", b"z" * (30 * MB))})

    r = asyncio.run(go())
    assert r.status_code == 413 and "文件超过上传上限 20 MB" in r.json()["detail"]


def test_row8_only_the_pages_own_origin_may_call_it():
    app, inner, _ = _limited(allowed_origins=("https://rag.example.org",))

    async def go():
        async with _client(app) as c:
            out = {}
            for origin in ("http://localhost:9999", "http://127.0.0.1:8000", "null", "http://127.0.0.1:7860",
                           "https://rag.example.org"):
                r = await c.post("/gradio_api/call/ask", json={"data": ["问"]}, headers={"origin": origin})
                out[origin] = r.status_code
            out["none"] = (await c.post("/gradio_api/call/ask", json={"data": ["问"]})).status_code
            return out

    out = asyncio.run(go())
    assert out == {"http://localhost:9999": 403, "http://127.0.0.1:8000": 403, "null": 403,
                   "http://127.0.0.1:7860": 200, "https://rag.example.org": 200, "none": 200}
    assert same_origin("HTTP://127.0.0.1:7860/", "127.0.0.1:7860") and not same_origin("file://", "127.0.0.1:7860")


# Row 3: login attempts ----------------------------------------------------------------------

def test_row3_wrong_passwords_wait_a_doubling_delay():
    clock = Clock()
    app, _, _ = _limited(clock)

    async def go():
        async with _client(app) as c:
            codes = [(await c.post("/login", data={"username": "alice", "password": f"bad{i}"})).status_code
                     for i in range(300)]
            blocked = await c.post("/login", data={"username": "alice", "password": "right"})
            clock.t += 1.01  # the first wait is 1 s
            again = await c.post("/login", data={"username": "alice", "password": "bad"})
            too_soon = await c.post("/login", data={"username": "alice", "password": "right"})
            clock.t += 2.01  # then 2 s
            ok = await c.post("/login", data={"username": "alice", "password": "right"})
            after = await c.post("/login", data={"username": "alice", "password": "bad"})
            return codes, blocked, again, too_soon, ok, after

    codes, blocked, again, too_soon, ok, after = asyncio.run(go())
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.json()["detail"]
    assert int(blocked.headers["retry-after"]) >= 1
    assert again.status_code == 400 and too_soon.status_code == 429
    assert ok.status_code == 200 and after.status_code == 400  # a success clears the count


def test_row3_the_address_is_throttled_across_user_names_and_the_delay_is_capped():
    clock = Clock()
    t = LoginThrottle(3, 1.0, cap_s=60, clock=clock)
    for i in range(3):
        assert t.wait_s([f"user:u{i}", "addr:a"]) == 0
        t.failed([f"user:u{i}", "addr:a"])
    assert t.wait_s(["user:new", "addr:a"]) == pytest.approx(1.0)
    assert t.wait_s(["user:new", "addr:b"]) == 0
    for _ in range(30):
        t.failed(["addr:a"])
    assert t.wait_s(["addr:a"]) == pytest.approx(60)


# Row 1: ids are not a way in (through the index and the one rebuild command) ----------------

def test_row1_an_upload_cannot_replace_a_seed_and_the_rebuild_still_works(corpus_dir, settings, fake_index):
    settings.paths.sources = [str(corpus_dir)]
    up = settings.paths.resolved_uploads_dir()
    up.mkdir(parents=True)
    evil = up / "evil.jsonl"
    evil.write_text(json.dumps({"doc_id": "econ", "text": "上传者的文字。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    s = update_index([evil], settings, FakeEmbedder())
    assert not s.updated and "econ" in s.skipped[0][1]
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert idx.documents()[1]["source"] == str(corpus_dir / "econ.txt") and len(idx.chunks_of("econ")) >= 1
    evil.unlink()  # what the service does with a refused upload (see test_service)
    s = update_index(index_sources(settings), settings, FakeEmbedder(), rebuild=True)
    assert sorted(s.added) == ["eco", "econ", "sport"]


# Row 7: several processes, one index --------------------------------------------------------

def test_row7_a_pipeline_notices_a_newer_generation(corpus_dir, settings, fake_index, tmp_path):
    from rag.generators import FakeGenerator
    from rag.pipeline import Pipeline

    a = Pipeline(open_index(settings=settings, embedder=FakeEmbedder()), FakeGenerator(), settings)
    b = Pipeline(open_index(settings=settings, embedder=FakeEmbedder()), FakeGenerator(), settings)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "metro.txt").write_text("地铁开通\n\n西宁地铁一号线于今年十月正式开通运营，全长二十六公里。", encoding="utf-8")
    update_index([extra], settings, FakeEmbedder())  # "another process" writes a new generation
    a.ask("西宁地铁一号线什么时候开通？")
    assert {h.chunk.doc_id for h in a.index.search("西宁地铁一号线开通", k=3)} >= {"metro"}
    assert a.index.gen_dir != b.index.gen_dir  # b has not asked yet: it still holds the old one
    answer = b.ask("西宁地铁一号线什么时候开通？")
    assert answer.hits[0].chunk.doc_id == "metro" and b.index.gen_dir == a.index.gen_dir


# The service side of rows 1, 2, 5 and 8: what an upload leaves behind ------------------------

@pytest.fixture
def service(make_pipeline, settings, corpus_dir, monkeypatch, tmp_path):
    from rag.service import RagService

    settings.paths.sources = [str(corpus_dir)]
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-cache"))
    return RagService(settings, make_pipeline())


def _cached(tmp_path, name: str, text: str):
    """A file where Gradio's upload cache would have put it."""
    d = tmp_path / "gradio-cache" / "3f2a9c"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d / name


def _jsonl_text(*records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _uploads(settings):
    root = settings.paths.resolved_uploads_dir()
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_row1_an_upload_reusing_a_seed_id_is_refused_naming_it_and_leaves_nothing(service, settings, tmp_path):
    f = _cached(tmp_path, "evil.jsonl", _jsonl_text({"doc_id": "econ", "text": "上传者的文字。"},
                                                    {"doc_id": "ok1", "text": "无害的文字。"}))
    report = service.add_documents([str(f)])
    assert not report.changed and "已被《西宁经济稳步增长》使用" in report.problems[0] and "本文件未入库" in report.problems[0]
    assert _uploads(settings) == [] and not f.exists()
    docs = {d["doc_id"]: d for d in service.documents()}
    assert "ok1" not in docs and docs["econ"]["uploaded"] is False
    # The one rebuild command still works.
    s = update_index(index_sources(settings), settings, FakeEmbedder(), rebuild=True)
    assert sorted(s.added) == ["eco", "econ", "sport"] and not s.skipped


def test_row2_an_upload_with_a_repeated_id_leaves_nothing(service, settings, tmp_path):
    f = _cached(tmp_path, "twice.jsonl", _jsonl_text({"doc_id": "d1", "text": "第一条。"}, {"doc_id": "d1", "text": "第二条。"}))
    ok = tmp_path / "fine.txt"
    ok.write_text("正常文档\n\n内容。", encoding="utf-8")
    report = service.add_documents([str(f), str(ok)])
    assert not report.changed and report.problems[-1].startswith("上传失败，文件未保存") and "d1" in report.problems[-1]
    assert _uploads(settings) == [] and not f.exists()
    assert update_index(index_sources(settings), settings, FakeEmbedder(), rebuild=True).added


def test_row5_no_copy_of_an_upload_stays_in_gradios_cache(service, settings, tmp_path):
    good = _cached(tmp_path, "湟源.txt", "湟源陈醋节开幕\n\n第十届湟源陈醋文化节开幕。")
    bad = _cached(tmp_path, "tool.exe", "MZ")
    outside = tmp_path / "mine.txt"  # a path that is not Gradio's (the CLI, a test): never deleted
    outside.write_text("我的文件\n\n内容。", encoding="utf-8")
    report = service.add_documents([str(good), str(bad), str(outside)])
    assert set(report.added) == {"湟源", "mine"} and len(report.problems) == 1
    assert not good.exists() and not bad.exists() and not good.parent.exists() and outside.exists()
    removal = service.remove_document("湟源")
    assert removal.deleted_file and _uploads(settings) == ["mine.txt"]


def test_row5_files_per_hour_quota_in_the_service(service, settings, tmp_path):
    clock = Clock()
    quota = UploadQuota(200, 2, clock=clock)
    files = []
    for i in range(3):
        f = tmp_path / f"f{i}.txt"
        f.write_text(f"文档{i}\n\n内容{i}。", encoding="utf-8")
        files.append(str(f))
    assert service.add_documents(files[:2], user="bob", quota=quota).added
    with pytest.raises(InputError, match="每小时上限 2 个文件"):
        service.add_documents(files[2:], user="bob", quota=quota)
    assert service.add_documents(files[2:], user="eve", quota=quota).added


def test_row5_removing_one_record_of_an_uploaded_jsonl_removes_it_for_good(service, settings, tmp_path):
    f = tmp_path / "many.jsonl"
    f.write_text(_jsonl_text({"doc_id": "m1", "text": "甲文档。"}, {"doc_id": "m2", "text": "乙文档。"}), encoding="utf-8")
    assert set(service.add_documents([str(f)]).added) == {"m1", "m2"}
    service.remove_document("m1")
    s = update_index(index_sources(settings), settings, FakeEmbedder(), rebuild=True)
    assert "m2" in s.added and "m1" not in s.added


def test_row1_users_do_not_replace_each_others_uploads_and_replacing_is_explicit(service, settings, tmp_path):
    a = tmp_path / "a" / "报告.txt"
    b = tmp_path / "b" / "报告.txt"
    for p, text in ((a, "甲的报告\n\n甲写的内容。"), (b, "乙的报告\n\n乙写的内容。")):
        p.parent.mkdir()
        p.write_text(text, encoding="utf-8")
    assert service.add_documents([str(a)], user="alice").added == ("报告",)
    assert service.add_documents([str(b)], user="bob").added == ("报告-2",)
    docs = {d["doc_id"]: d for d in service.documents()}
    assert docs["报告"]["title"] == "甲的报告" and "user-alice" in docs["报告"]["source"]
    with pytest.raises(InputError, match="不是你上传的文档"):
        service.add_documents([str(b)], user="bob", replace=["报告"])
    with pytest.raises(InputError, match="不是你上传的文档"):
        service.add_documents([str(b)], user="bob", replace=["econ"])
    new = tmp_path / "新报告.txt"
    new.write_text("甲的新报告\n\n甲改写的内容。", encoding="utf-8")
    report = service.add_documents([str(new)], user="alice", replace=["报告"])
    assert report.replaced == ("报告",) and report.added == ("新报告",)
    docs = {d["doc_id"]: d for d in service.documents()}
    assert "报告" not in docs and "新报告" in docs and "报告-2" in docs
    assert _uploads(settings) == ["user-alice/新报告.txt", "user-bob/报告-2.txt"]


def test_row8_a_file_named_only_txt_is_a_text_file(service, settings, tmp_path):
    f = _cached(tmp_path, ".txt", "无名文档\n\n这是一个只有扩展名的文件。")
    report = service.add_documents([str(f)])
    assert report.added == ("upload",) and _uploads(settings) == ["upload.txt"]


# Real Gradio routes behind rag.limits.middleware (rows 3, 4, 8), in process ------------------

@pytest.fixture(scope="module")
def gradio_page(tmp_path_factory):
    """A small Blocks with an ``ask`` endpoint and a file upload, launched with the limits and
    the login gate the way ``webapp.launch_options`` passes them (``app_kwargs``)."""
    import os
    import socket

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from rag.config import load_settings
    from rag.limits import middleware

    data = tmp_path_factory.mktemp("page")
    env = mock.patch.dict(os.environ, {"GRADIO_TEMP_DIR": str(data / "gradio-cache")})
    env.start()
    # A long first wait: on a busy machine real seconds pass between tries, and the test must not
    # depend on how many.
    settings = load_settings(env={}, overrides={"paths": {"data_dir": str(data)},
                                                "app": {"max_body_kb": 512, "login_delay_s": 3600.0}})
    with gr.Blocks(analytics_enabled=False) as demo:
        q = gr.Textbox()
        out = gr.Textbox()
        gr.Button().click(lambda s: f"答：{s}", q, out, api_name="ask")
        f = gr.File()
        f.upload(lambda x: None, f, None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                auth=[("alice", "right")], max_file_size="20mb", ssr_mode=False,
                app_kwargs={"middleware": middleware(settings)})
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            assert c.post("/login", data={"username": "alice", "password": "right"}).status_code == 200
            yield c, base
    finally:
        demo.close()
        env.stop()


def test_real_routes_body_limit_before_and_after_login(gradio_page):
    c, base = gradio_page
    body = b'{"data": ["' + b"x" * (100 * MB) + b'"]}'
    anon = httpx.post(f"{base}/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    assert anon.status_code == 413
    r = c.post("/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "app.max_body_kb" in r.json()["detail"]
    ok = c.post("/gradio_api/call/ask", json={"data": ["西宁"]})
    assert ok.status_code == 200 and "event_id" in ok.json()


def test_real_routes_v1_body_on_v2_is_a_clean_4xx(gradio_page):
    c, _ = gradio_page
    r = c.post("/gradio_api/call/v2/ask", json={"data": ["西宁"]})
    assert r.status_code == 422 and "/gradio_api/call/<name>" in r.json()["detail"]
    assert c.post("/gradio_api/call/v2/nosuch", json={"s": "x"}).status_code == 422


def test_real_routes_30mb_upload_is_refused_in_chinese(gradio_page):
    c, _ = gradio_page
    r = c.post("/gradio_api/upload", files={"files": ("big.txt", b"z" * (30 * MB))})
    assert r.status_code == 413 and "文件超过上传上限" in r.json()["detail"]
    small = c.post("/gradio_api/upload", files={"files": ("ok.txt", "正文".encode())})
    assert small.status_code == 200


def test_real_routes_foreign_origins_and_the_login_throttle(gradio_page):
    c, base = gradio_page
    foreign = c.post("/gradio_api/call/ask", json={"data": ["问"]}, headers={"origin": "http://localhost:9999"})
    assert foreign.status_code == 403
    own = c.post("/gradio_api/call/ask", json={"data": ["问"]}, headers={"origin": base})
    assert own.status_code == 200
    codes = [httpx.post(f"{base}/login", data={"username": "mallory", "password": f"p{i}"}).status_code
             for i in range(30)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
    assert httpx.get(f"{base}/config").status_code == 401  # the login gate still stands behind the limits


# The real page (app.py --backend fake): the limits are installed where requests enter ---------

def test_page_refuses_oversized_bodies_foreign_origins_and_bad_v2_calls(tmp_path):
    """Rows 4 and 8 against ``app.py`` itself (needs ``webapp.launch_options`` to install
    ``rag.limits.middleware``, and ``build_app`` to put Gradio's cache under the data directory)."""
    from test_app import running_app

    data = tmp_path / "data"
    with running_app(data) as (base, _proc):
        big = httpx.post(f"{base}/gradio_api/call/ask", content=b"x" * (50 * MB),
                         headers={"content-type": "application/json"}, timeout=60)
        assert big.status_code == 413
        assert httpx.post(f"{base}/gradio_api/call/v2/ask", json={"data": ["西宁"]}, timeout=30).status_code == 422
        foreign = httpx.post(f"{base}/gradio_api/call/ask", json={"data": ["问", None]},
                             headers={"origin": "http://localhost:1"}, timeout=30)
        assert foreign.status_code == 403
        up = httpx.post(f"{base}/gradio_api/upload", files={"files": ("big.txt", b"z" * (30 * MB))}, timeout=60)
        assert up.status_code == 413 and "文件超过上传上限" in up.json()["detail"]
        assert (data / "gradio-cache").is_dir()
