"""The login gate on its own: which paths are open, cookies, root paths, websockets."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from rag.login_gate import LoginGate, is_open


def test_only_the_login_forms_needs_are_open():
    for path in ("/", "/assets/index.js", "/static/img/x.svg", "/theme.css", "/gradio_api/startup-events"):
        assert is_open(path, "GET"), path
    assert is_open("/login", "POST")
    for path, method in (("/gradio_api/heartbeat/abc", "GET"), ("/gradio_api/cancel", "POST"),
                         ("/config", "GET"), ("/gradio_api/upload", "POST"), ("/", "POST"),
                         ("/assets/../gradio_api/info", "GET"), ("/gradio_api/file=/etc/passwd", "GET")):
        assert not is_open(path, method), (path, method)


def _call(scope: dict, server) -> tuple[list[dict], bool]:
    reached = []
    sent: list[dict] = []

    async def inner(scope, receive, send):
        reached.append(True)

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "headers": [], "app": server, **scope}
    asyncio.run(LoginGate(inner)(scope, receive, send))
    return sent, bool(reached)


@pytest.fixture
def server():
    return SimpleNamespace(auth={"alice": "pw"}, cookie_id="cid", tokens={"tok": "alice"})


def test_refused_without_a_cookie_and_let_through_with_one(server):
    sent, reached = _call({"path": "/gradio_api/heartbeat/x"}, server)
    assert not reached and sent[0]["status"] == 401 and b"Not authenticated" in sent[1]["body"]
    _, reached = _call({"path": "/gradio_api/heartbeat/x", "headers": [(b"cookie", b"access-token-cid=tok")]}, server)
    assert reached
    _, reached = _call({"path": "/gradio_api/heartbeat/x", "headers": [(b"cookie", b"access-token-cid=forged")]}, server)
    assert not reached  # a cookie Gradio did not issue is no login


def test_no_auth_means_no_gate_and_root_path_is_understood(server):
    _, reached = _call({"path": "/gradio_api/cancel", "method": "POST"}, SimpleNamespace(auth=None))
    assert reached
    _, reached = _call({"path": "/rag/assets/app.js", "root_path": "/rag"}, server)
    assert reached
    _, reached = _call({"path": "/rag/config", "root_path": "/rag"}, server)
    assert not reached


def test_websockets_without_login_are_closed(server):
    sent, reached = _call({"type": "websocket", "path": "/gradio_api/ws"}, server)
    assert not reached and sent == [{"type": "websocket.close", "code": 1008}]
