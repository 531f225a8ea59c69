"""Login for every route, not only the ones Gradio guards itself.

With ``auth`` on, Gradio checks the login on the page data, the API and file routes, but leaves a
number of others open (``/gradio_api/heartbeat/…``, ``/gradio_api/cancel``, ``/gradio_api/reset``,
the streaming and run-history routes, …). Those carry no documents today, but "every page and API
route requires login" should not depend on which routes a Gradio release happens to guard. This
ASGI middleware therefore turns the rule around: a request without a valid login cookie gets 401
unless its path is on a short allow-list of what the login form itself needs (the page shell, its
static assets, the theme and ``/login``).

It reads Gradio's own session store (``app.tokens``, keyed by the ``access-token-*`` cookie that
``/login`` sets), so logging in and out work exactly as before.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# What the login form needs before anyone has logged in. Everything else is refused.
OPEN_PATHS = frozenset({
    "/", "/logout", "/favicon.ico", "/robots.txt", "/manifest.json",
    "/theme.css", "/gradio_api/theme.css", "/gradio_api/startup-events", "/gradio_api/login_check",
    "/gradio_api/login_check/", "/pwa_icon",
})
OPEN_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon/")
_BODY = b'{"detail":"Not authenticated: log in first (\xe8\xaf\xb7\xe5\x85\x88\xe7\x99\xbb\xe5\xbd\x95)"}'


def is_open(path: str, method: str) -> bool:
    """Whether ``path`` may be requested without a login (reads only, and only the login form's needs)."""
    if ".." in path.split("/"):
        return False  # an asset path must not climb into a guarded route
    if path in ("/login", "/login/"):
        return True  # the login form posts here
    if method not in ("GET", "HEAD"):
        return False
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class LoginGate:
    """ASGI middleware: 401 for every request outside :data:`OPEN_PATHS` that carries no login."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(_BODY)).encode())]})
        await send({"type": "http.response.body", "body": _BODY})

    @staticmethod
    def _allowed(scope: Scope) -> bool:
        server = scope.get("app")
        if server is None or getattr(server, "auth", None) is None:
            return True  # no login configured: nothing to enforce
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        if is_open(path, scope.get("method", "GET")):
            return True
        return logged_in(scope, server)


def logged_in(scope: Scope, server: Any) -> bool:
    """Whether the request's ``access-token-*`` cookie names a session Gradio's ``/login`` opened."""
    return current_user(scope, server) is not None


def current_user(scope: Scope, server: Any) -> str | None:
    """The user name of the session the request's login cookie names, or None."""
    from starlette.requests import HTTPConnection

    cookies = HTTPConnection(scope).cookies
    cookie_id = getattr(server, "cookie_id", "")
    tokens = getattr(server, "tokens", {})
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        token = cookies.get(name)
        if token and tokens.get(token) is not None:
            return str(tokens[token])
    return None
