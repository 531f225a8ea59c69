"""Limits where requests enter the page's server: body size, origin, upload quota, login attempts.

One pure ASGI middleware (:class:`RequestLimits`) sits in front of every route, with or without
login, because the routes that read a body are Gradio's and each reads it its own way (JSON
bodies whole into memory, uploads to its cache): a limit inside a route would come too late.

- **Body size.** A declared ``Content-Length`` over the limit is refused at once (413) without
  reading a byte; a body without one (chunked) is counted as it streams and refused when it
  passes the limit. Uploads (``/gradio_api/upload``) may be larger, up to what the sender's
  hourly upload quota still allows; every other route gets ``app.max_body_kb``.
- **Upload quota.** :class:`UploadQuota` counts bytes (here, as they arrive) and files (the
  service charges them when it saves) per user, or per address without login, over a sliding
  hour, so that nobody can fill the disk through the upload cache without ever indexing.
- **Origin.** A request whose ``Origin`` is neither the page's own nor in ``app.allowed_origins``
  is refused (403): Gradio's CORS layer lets any ``localhost`` origin call a local page with
  credentials, so another local web page could otherwise drive it.
- **Login attempts.** :class:`LoginThrottle` lets ``app.login_free_attempts`` wrong passwords
  through per user and per address, then makes each further attempt wait a delay that doubles
  with every failure (429 with ``Retry-After``); a success clears the count.

Every refusal is JSON ``{"detail": ...}`` in English with the Chinese the page shows.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import urlsplit

from .errors import InputError

if TYPE_CHECKING:
    from .config import Settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MB = 1024 * 1024
HOUR_S = 3600.0
UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload/")
LOGIN_PATHS = ("/login", "/login/")
V2_PREFIX = "/gradio_api/call/v2/"
# Multipart framing around the files (boundaries, part headers): small, but not nothing.
MULTIPART_SLACK = 64 * 1024
# The longest a login waits however many failures came before: long enough to make guessing
# useless (a few attempts an hour), short enough that a locked-out user can try again the same day.
LOGIN_DELAY_CAP_S = 900.0


def _mb(n: float) -> str:
    return f"{n / _MB:.1f}"


# --------------------------------------------------------------------------------------------
# Counters (thread-safe: the middleware runs on the event loop, the service in worker threads)


@dataclass
class UploadQuota:
    """Upload bytes and files per user (or address) over a sliding hour."""

    mb_per_hour: float
    files_per_hour: int
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "UploadQuota":
        return cls(settings.app.upload_mb_per_hour, settings.app.uploads_per_hour)

    def _recent(self, key: str) -> deque:
        q = self._events.setdefault(key, deque())
        cutoff = self.clock() - HOUR_S
        while q and q[0][0] <= cutoff:
            q.popleft()
        return q

    def used(self, key: str) -> tuple[int, int]:
        """(bytes, files) charged to ``key`` in the last hour."""
        with self._lock:
            q = self._recent(key)
            return sum(b for _, b, _ in q), sum(f for _, _, f in q)

    def remaining_bytes(self, key: str) -> int:
        return max(0, int(self.mb_per_hour * _MB) - self.used(key)[0])

    def charge_bytes(self, key: str, n: int) -> None:
        """Count ``n`` received upload bytes (the caller refuses once ``remaining_bytes`` is 0)."""
        if n > 0:
            with self._lock:
                self._recent(key).append((self.clock(), n, 0))

    def charge_files(self, key: str, n: int) -> None:
        """Count ``n`` files saved for ``key``, or raise InputError (in Chinese) past the hourly quota."""
        with self._lock:
            q = self._recent(key)
            files = sum(f for _, _, f in q)
            if files + n > self.files_per_hour:
                wait = int(q[0][0] + HOUR_S - self.clock()) + 1 if q else int(HOUR_S)
                raise InputError(
                    f"upload quota reached: {files} of {self.files_per_hour} files this hour (app.uploads_per_hour)"
                    f" (上传次数已达每小时上限 {self.files_per_hour} 个文件，请约 {max(1, wait // 60)} 分钟后再试)")
            q.append((self.clock(), 0, n))


@dataclass
class LoginThrottle:
    """Wrong passwords per key (``user:…``, ``addr:…``); past the free ones, a doubling wait."""

    free_attempts: int = 5
    delay_s: float = 1.0
    cap_s: float = LOGIN_DELAY_CAP_S
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _delay(self, count: int) -> float:
        if count < self.free_attempts:
            return 0.0
        return min(self.cap_s, self.delay_s * 2 ** (count - self.free_attempts))

    def wait_s(self, keys: list[str]) -> float:
        """Seconds until any of ``keys`` may try again (0 when it may now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                count, last = self._failures.get(key, (0, 0.0))
                if count and now - last > HOUR_S + self.cap_s:  # forgotten after a quiet hour
                    self._failures.pop(key, None)
                    continue
                wait = max(wait, last + self._delay(count) - now)
        return max(0.0, wait)

    def failed(self, keys: list[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                count, _ = self._failures.get(key, (0, 0.0))
                self._failures[key] = (count + 1, now)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


# --------------------------------------------------------------------------------------------
# The middleware


class _TooLarge(Exception):
    """Raised into the app's ``receive`` when a streamed body passes its limit."""


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return v.decode("latin-1")
    return None


async def _respond(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def client_key(scope: Scope) -> str:
    """Who a request counts against: the logged-in user, else the client address."""
    from .login_gate import current_user

    server = scope.get("app")
    user = current_user(scope, server) if server is not None and getattr(server, "auth", None) else None
    if user:
        return f"user:{user}"
    client = scope.get("client") or ("unknown", 0)
    return f"addr:{client[0]}"


def same_origin(origin: str, host: str | None, allowed: tuple[str, ...] = ()) -> bool:
    """Whether a browser ``Origin`` is the page itself (its ``Host``) or one configured as allowed."""
    origin = origin.strip().rstrip("/").lower()
    if origin in {a.strip().rstrip("/").lower() for a in allowed}:
        return True
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host.strip().lower()


class RequestLimits:
    """ASGI middleware applying :mod:`rag.limits` to every HTTP and websocket request."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_mb: float, quota: UploadQuota,
                 throttle: LoginThrottle, allowed_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_mb = max_upload_mb
        self.quota = quota
        self.throttle = throttle
        self.allowed_origins = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is not None and not same_origin(origin, _header(scope, b"host"), self.allowed_origins):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _respond(send, 403, f"origin {origin} may not call this server; add it to app.allowed_origins "
                                          "(不允许从其他网站调用本服务)")
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        path = self._path(scope)
        if path in LOGIN_PATHS and scope.get("method") == "POST":
            await self._login(scope, receive, send)
            return
        upload = path in UPLOAD_PATHS
        key = client_key(scope) if upload else ""
        if upload:
            left = self.quota.remaining_bytes(key)
            limit = left + MULTIPART_SLACK if left > 0 else 0  # used up: not even a small file
        else:
            limit = self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _respond(send, 413, self._too_large(upload, int(declared), limit))
            return
        await self._limited(scope, receive, send, limit, upload, key)

    @staticmethod
    def _path(scope: Scope) -> str:
        path, root = scope.get("path", "/"), scope.get("root_path", "")
        return (path[len(root):] or "/") if root and path.startswith(root) else path

    def _too_large(self, upload: bool, size: int | None, limit: int) -> str:
        shown = f"{_mb(size)} MB" if size is not None else "more than allowed"
        if upload:
            return (f"upload of {shown} exceeds what the hourly upload quota still allows ({_mb(max(0, limit - MULTIPART_SLACK))} MB;"
                    f" app.upload_mb_per_hour) (上传超出每小时配额：本小时还可上传 {_mb(max(0, limit - MULTIPART_SLACK))} MB)")
        return (f"request body of {shown} exceeds the limit of {limit // 1024} KB (app.max_body_kb)"
                f" (请求内容过大，上限 {limit // 1024} KB)")

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int, upload: bool, key: str) -> None:
        received = 0
        refused = False
        started = False
        replaced = False  # the app's own response is being dropped in favour of ours

        async def counted() -> dict[str, Any]:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                n = len(message.get("body", b""))
                received += n
                if upload:
                    self.quota.charge_bytes(key, n)
                if received > limit:
                    refused = True
                    raise _TooLarge()
            return message

        async def watched(message: dict[str, Any]) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                if refused and not started:  # the app caught our exception and answered itself
                    replaced = True
                    started = True
                    await _respond(send, 413, self._too_large(upload, None, limit))
                    return
                if upload and message.get("status") == 413 and not started:
                    # Gradio's own per-file limit (max_file_size) answers in English: say it in Chinese.
                    replaced = True
                    started = True
                    await _respond(send, 413, f"a file exceeds the upload limit of {self.max_upload_mb} MB (app.max_upload_mb)"
                                              f" (文件超过上传上限 {self.max_upload_mb} MB，请拆分或压缩后再上传)")
                    return
                started = True
            if replaced:
                return
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _respond(send, 413, self._too_large(upload, None, limit))
        except (TypeError, ValueError, KeyError) as e:
            # Gradio's /call/v2/<name> builds the call from the body's keys and raises on keys it
            # does not know (a v1 body {"data": [...]}) or a name it does not have: a client's
            # mistake, answered 500. Say what is wrong instead.
            if started or not self._path(scope).startswith(V2_PREFIX):
                raise
            await _respond(send, 422, f"this endpoint takes the named arguments listed by /gradio_api/info "
                                      f"(e.g. {{\"question\": \"...\"}}); {type(e).__name__}: {e}. For a body "
                                      f"{{\"data\": [...]}} use /gradio_api/call/<name> (请求参数格式不正确)")

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the (small) login form, refuse while throttled, else pass it on and count the outcome."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                await _respond(send, 413, self._too_large(False, size, self.max_body_bytes))
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        keys = [client_key({**scope, "app": None})]
        user = await _form_username(scope, body)
        if user:
            keys.append(f"user:{user}")
        wait = self.throttle.wait_s(keys)
        if wait > 0:
            secs = int(wait) + 1
            await _respond(send, 429, f"too many failed logins; try again in {secs} s"
                                      f" (登录失败次数过多，请 {secs} 秒后再试)", [(b"retry-after", str(secs).encode())])
            return
        sent_body = False

        async def replay() -> dict[str, Any]:
            nonlocal sent_body
            if sent_body:
                return await receive()  # the client's disconnect, if any
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def watched(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = message.get("status", 500)
                if 200 <= status < 300:
                    self.throttle.succeeded(keys)
                elif status in (400, 401, 403):
                    self.throttle.failed(keys)
            await send(message)

        await self.app(scope, replay, watched)


async def _form_username(scope: Scope, body: bytes) -> str:
    """The ``username`` field of a login form (URL-encoded or multipart), or ''."""
    from starlette.requests import Request

    done = False

    async def once() -> dict[str, Any]:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request({**scope, "type": "http"}, once).form()
        value = form.get("username")
        return value.strip() if isinstance(value, str) else ""
    except Exception:  # noqa: BLE001 - a malformed form is Gradio's to refuse; it just has no user key
        return ""


def middleware(settings: "Settings", quota: UploadQuota | None = None) -> list[Any]:
    """Starlette ``Middleware`` entries for the page's server: limits first, then the login gate."""
    from starlette.middleware import Middleware

    from .login_gate import LoginGate

    app = settings.app
    throttle = LoginThrottle(app.login_free_attempts, app.login_delay_s)
    return [
        Middleware(RequestLimits, max_body_bytes=app.max_body_kb * 1024, max_upload_mb=app.max_upload_mb,
                   quota=quota or UploadQuota.from_settings(settings), throttle=throttle,
                   allowed_origins=tuple(app.allowed_origins)),
        Middleware(LoginGate),
    ]
