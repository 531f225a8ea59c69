"""Hostile use of the served page, re-run: the fault and load figures of issue 14 in one script.

    python eval/hostile/run.py            # the full round (~15-30 min on 2 busy cores)
    python eval/hostile/run.py --quick    # few of each (tests/test_hostile_run.py runs this)

Starts the real page on loopback with the fake models, each in its own temporary data directory:
``app.py --backend fake`` without login (``tests/test_app.running_app``), and a page with login
built by ``rag.webapp`` in this process (as ``tests/test_app.served_with_auth`` does; app.py with
a login cannot be waited for by ``running_app``, whose readiness check is ``/config``). Then it
tries each probe of README.md and writes ``eval/results/hostile.json``: per probe what was tried,
how many were refused or held, how many failed, with up to five examples of each failure.

The helpers are the tests' own (the page launcher, the HTTP call API, the concurrent clients, the
kill loop's command and corpus, the Chromium page with its dialog recorder), imported from
``tests/`` so that a change there changes the probes too. The script exits 1 when any probe failed.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx  # noqa: E402

import test_load_http  # noqa: E402
from test_app import free_port, running_app  # noqa: E402
from test_faults import leftovers, rag_cmd, write_corpus  # noqa: E402
from test_load_http import ask, rss_kb  # noqa: E402

MB = 1024 * 1024
SEED = 20240614
RESULTS = ROOT / "eval" / "results" / "hostile.json"
USER, PASSWORD = "alice", "s3cret-pw"
EXAMPLES = 5  # failure examples kept per probe


class Probe:
    """One row of the results: what was tried, what held, what failed (with examples)."""

    def __init__(self, name: str, what: str) -> None:
        self.name, self.what = name, what
        self.tried = self.held = 0
        self.failures: list[str] = []
        self.details: dict = {}
        self.t0 = time.perf_counter()
        self.t1: float | None = None  # set when the probe is done (main)

    def check(self, ok: bool, example: str) -> bool:
        self.tried += 1
        if ok:
            self.held += 1
        else:
            self.failures.append(example[:300])
        return ok

    def result(self) -> dict:
        return {"what": self.what, "tried": self.tried, "held": self.held, "failed": len(self.failures),
                "failure_examples": self.failures[:EXAMPLES], **self.details,
                "seconds": round((self.t1 or time.perf_counter()) - self.t0, 1)}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment the page sent (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment or ""))


def raw_get(base: str, target: str, method: str = "GET", body: bytes | None = None) -> tuple[int, bytes]:
    """A request whose target is sent byte for byte (httpx would resolve ``..`` before sending)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        if body is not None:
            conn.putheader("content-type", "application/json")
            conn.putheader("content-length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, r.read(2 * MB)
    finally:
        conn.close()


def uploads_of(data: Path) -> dict[str, str]:
    """Files under DATA/uploads: relative name -> text (lossy)."""
    root = data / "uploads"
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes().decode("utf-8", "replace")
            for p in root.rglob("*") if p.is_file()}


STARTS: list[str] = []  # how each page start went (a busy machine can fail Gradio's own start-up check)
BUSY_START = "localhost is not accessible"


@contextlib.contextmanager
def open_page(data: Path, *args: str, tries: int = 3):
    """``tests/test_app.running_app``, tried again when app.py exits at start because Gradio's own
    check that it can reach itself (three seconds per try) timed out on a busy machine."""
    for attempt in range(1, tries + 1):
        stack = contextlib.ExitStack()
        try:
            base, proc = stack.enter_context(running_app(data, *args, timeout_s=900))
        except BaseException as e:  # pytest's Failed (a BaseException) when app.py exited
            if BUSY_START in str(e) and attempt < tries:
                STARTS.append(f"app.py try {attempt}: Gradio's start-up check timed out; started again")
                log(STARTS[-1])
                continue
            raise
        STARTS.append(f"app.py started (try {attempt})")
        with stack:
            yield base, proc
        return


# --------------------------------------------------------------------------------------------
# The page's own events over HTTP (what its browser code sends to /gradio_api/queue/join)


class PageEvents:
    """Upload files and press the page's buttons over HTTP, the way the browser page does."""

    def __init__(self, base: str, client: httpx.Client) -> None:
        self.base, self.client = base, client
        config = client.get(f"{base}/config").json()
        self.ids = {c["props"]["elem_id"]: c["id"] for c in config["components"] if c.get("props", {}).get("elem_id")}
        self.deps = config["dependencies"]

    def _fn(self, elem_id: str, event: str = "click") -> tuple[int, int]:
        cid = self.ids[elem_id]
        for i, d in enumerate(self.deps):
            if [cid, event] in [list(t) for t in d["targets"]]:
                return d.get("id", i), cid
        raise KeyError(f"no {event} event on #{elem_id}")

    def upload(self, files: list[tuple[str, bytes]]) -> list[str]:
        """POST /gradio_api/upload; Gradio's cache paths of the files."""
        r = self.client.post(f"{self.base}/gradio_api/upload", files=[("files", f) for f in files], timeout=300)
        r.raise_for_status()
        return r.json()

    def press(self, elem_id: str, data: list, timeout_s: float = 600) -> tuple[bool, object]:
        """Run the click event of ``#elem_id`` with ``data``: (succeeded, outputs or error)."""
        fn, trigger = self._fn(elem_id)
        session = uuid.uuid4().hex
        r = self.client.post(f"{self.base}/gradio_api/queue/join", json={
            "data": data, "fn_index": fn, "trigger_id": trigger, "session_hash": session, "event_data": None})
        if r.status_code != 200:
            return False, f"join {r.status_code}: {r.text[:200]}"
        with self.client.stream("GET", f"{self.base}/gradio_api/queue/data", params={"session_hash": session},
                                timeout=timeout_s) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    out = msg.get("output") or {}
                    return bool(msg.get("success")), out.get("data") if msg.get("success") else out
        return False, "stream ended"

    def add(self, paths: list[str], names: list[str | None]) -> tuple[bool, str]:
        """Press 上传并加入知识库 with these cached files (``orig_name`` as a browser would send it)."""
        files = [{"path": p, "meta": {"_type": "gradio.FileData"}, **({"orig_name": n} if n is not None else {})}
                 for p, n in zip(paths, names)]
        ok, out = self.press("rag-add", [files, []])
        return ok, text_of(out[0]) if ok else json.dumps(out, ensure_ascii=False)[:300]


# --------------------------------------------------------------------------------------------
# Probes on the page without login (app.py --backend fake)


def probe_traversal(base: str, events: PageEvents, data: Path, secret: Path, quick: bool) -> Probe:
    p = Probe("path_traversal", "files outside what Gradio serves, asked for by URL in every spelling, and "
                                "by a crafted upload event naming a server path")
    events.add(events.upload([("mine.txt", "我的文件\n\n上传的正文 UPLOADED-MARKER。".encode())]), [None])
    targets = {  # file -> a string only its content holds
        secret: secret.read_text(encoding="utf-8").strip(),
        Path("/etc/passwd"): "root:",
        ROOT / "app.py": "def build_parser",
        data / "index" / "CURRENT": "gen-",
        data / "uploads" / "mine.txt": "UPLOADED-MARKER",
    }
    cache = data / "gradio-cache"
    forms: list[tuple[str, str]] = []
    for target, marker in targets.items():
        a = str(target)
        up = "../" * 12 + a.lstrip("/")
        spellings = [
            f"/gradio_api/file={a}", f"/gradio_api/file={up}", f"/gradio_api/file={cache}/{up}",
            f"/gradio_api/file={quote(up, safe='')}", f"/gradio_api/file={quote(quote(up, safe=''), safe='')}",
            f"/gradio_api/file={up.replace('/', chr(92))}", f"/file={a}", f"/gradio_api/file=file://{a}",
            f"/gradio_api/file={a}%00.txt", f"/gradio_api/file=/{a}", f"/gradio_api/file={quote(a, safe='')}",
            f"/static/{up}", f"/assets/{quote(up, safe='')}", f"/assets/{'..%2f' * 12}{a.lstrip('/')}",
            f"/gradio_api/file/{up}", f"/{up}", f"/gradio_api/{up}", f"/theme.css/{up}",
        ]
        forms += [(f, marker) for f in (spellings[:6] if quick else spellings)]
        if quick:
            break
    for form, marker in forms:
        try:
            status, body = raw_get(base, form)
        except (OSError, http.client.HTTPException) as e:
            status, body = 0, str(e).encode()
        p.check(marker.encode() not in body, f"{form} -> {status}, content served")
        statuses = p.details.setdefault("statuses", {})
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    # A crafted upload event: a FileData path outside Gradio's cache (the browser only sends cache paths).
    before = uploads_of(data)
    for path in (str(secret), f"{cache}/{'../' * 6}{str(secret).lstrip('/')}", "/etc/passwd"):
        ok, msg = events.add([path], ["stolen.txt"])
        stored = {k: v for k, v in uploads_of(data).items() if k not in before}
        leaked = any(targets[secret] in v or "root:" in v for v in stored.values())
        p.check(not leaked, f"upload event with path {path} -> copied into uploads: {sorted(stored)}")
        p.details.setdefault("crafted_upload_answers", []).append((msg or "")[:120])
    return p


HOSTILE_NAMES = [
    "../../../pwned1.txt", "..\\..\\..\\pwned2.txt", "/tmp/pwned3.txt", "C:\\Windows\\pwned4.txt",
    "CON.txt", "aux.md", "nul.txt", ".bashrc.md", ".txt", "....txt", "x" * 300 + ".txt",
    "名字 with spaces;rm -rf ~;$(id)`id`.txt", "\u202egnp.txt", "<img src=x onerror=alert(1)>.txt",
    "报告\n换行\r.txt", "ｆｕｌｌ．ｔｘｔ", "UPPER.TXT", "evil.txt.", "x.txt/", "nul\x00byte.txt",
    "%2e%2e%2fpwned5.txt", "../uploads/../../pwned6.md", "user-bob/../user-bob/pwned7.txt",
]


def probe_hostile_names(events: PageEvents, data: Path, top: Path, quick: bool) -> Probe:
    p = Probe("hostile_file_names", "uploads named to climb out of data/uploads, hit reserved or hidden names, "
                                    "carry markup, control characters or 300 characters; sent both as the "
                                    "multipart file name and as the browser's orig_name")
    names = HOSTILE_NAMES[:6] if quick else HOSTILE_NAMES
    outside_before = {q for q in top.rglob("*") if q.is_file()}
    ways = {"orig_name": [], "multipart": []}
    for way in ways:
        files, orig = [], []
        for i, name in enumerate(names):
            body = f"标题{way}{i}\n\n正文 NAME-MARKER-{way}-{i} 。".encode()
            if way == "multipart":
                files.append((name.replace("\x00", ""), body))  # httpx refuses NUL in a header
                orig.append(None)
            else:
                files.append((f"benign{i}.txt", body))
                orig.append(name)
        try:
            paths = events.upload(files)
        except httpx.HTTPError as e:
            p.check(False, f"{way}: upload route failed: {e}")
            continue
        ok, msg = events.add(paths, orig)
        p.check(ok and "Traceback" not in msg and "internal" not in msg.lower(), f"{way}: add event -> {msg[:200]}")
        stored = uploads_of(data)
        for i, name in enumerate(names):
            marker = f"NAME-MARKER-{way}-{i} "
            where = [k for k, v in stored.items() if marker in v]
            safe = all(re.fullmatch(r"[\w.-]{1,100}", Path(k).name) and not Path(k).name.startswith(".")
                       and (data / "uploads" / k).resolve().is_relative_to((data / "uploads").resolve())
                       for k in where)
            # What the page calls the file: the name the browser gave, else Gradio's cached copy's.
            shown = Path((orig[i] if orig[i] is not None else paths[i]).replace("\\", "/")).name
            refused = not where and bool(shown) and shown[:12] in msg
            p.check(bool(where and safe) or refused,
                    f"{way} {name!r}: stored as {where}, neither kept nor named in the message {msg[:160]}")
            ways[way].append({"name": name[:60], "stored_as": where, "refused": refused})
    # Nothing anywhere else: the temporary root (which holds the data directory) and the absolute targets.
    new = {q for q in top.rglob("*") if q.is_file()} - outside_before
    escaped = [str(q) for q in new if "pwned" in q.name and not q.resolve().is_relative_to((data / "uploads").resolve())]
    escaped += [t for t in ("/tmp/pwned3.txt", "/pwned1.txt", "/pwned2.txt") if Path(t).exists()]
    p.check(not escaped, f"files outside data/uploads: {escaped}")
    p.details["outcomes"] = ways
    return p


def _docx(text: str) -> bytes:
    import io

    import docx

    d = docx.Document()
    for line in text.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def probe_bad_files(events: PageEvents, data: Path) -> Probe:
    p = Probe("bad_files", "binary, empty and truncated files refused with a reason naming the file; "
                           "GBK and GB18030 text decoded")
    rnd = random.Random(SEED)
    good_docx = _docx("完整的文档\n\n这是一段正文，用来生成截断的文件。" * 20)
    refused = {
        "binary.txt": bytes(rnd.randrange(256) for _ in range(4096)),
        "picture.txt": b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(2048)),
        "empty.txt": b"",
        "blank.md": b"   \n\n\t \n",
        "truncated.docx": good_docx[: len(good_docx) // 2],
        "fake.docx": b"this is not a zip file at all",
        "truncated.pdf": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R",
        "fake.pdf": "只是一段文字，不是PDF。".encode(),
        "program.exe": b"MZ\x90\x00" + bytes(64),
        "broken.jsonl": b'{"doc_id": "broken1", "text": "\xe6\x96\x87\xe5',
    }
    decoded = {
        "gbk.txt": ("西宁新闻（GBK编码）\n\n青海湖裸鲤数量恢复到十万吨以上。", "gbk"),
        "gb18030.md": ("# 湟水河治理（GB18030编码）\n\n湟水河出省断面水质保持二类。", "gb18030"),
        "utf8bom.txt": ("带签名的文本\n\n文件以字节顺序标记开头。", "utf-8-sig"),
    }
    files = list(refused.items()) + [(n, t.encode(c)) for n, (t, c) in decoded.items()]
    before = set(uploads_of(data))
    ok, msg = events.add(events.upload(files), [None] * len(files))
    p.details["message"] = msg[:1500]
    stored = set(uploads_of(data)) - before
    for name in refused:
        stem = Path(name).stem
        named = name in msg or stem in msg
        p.check(ok and named and not any(Path(k).stem.startswith(stem) for k in stored) and "Traceback" not in msg,
                f"{name}: not refused by name (stored {sorted(stored)}; message {msg[:200]})")
    docs = {d["title"]: d for d in _documents(data)}
    for name, (text, codec) in decoded.items():
        title = text.split("\n", 1)[0].lstrip("# ")
        p.check(title in docs, f"{name} ({codec}): no document titled {title!r}; message {msg[:200]}")
    return p


def _documents(data: Path) -> list[dict]:
    """The documents in the index of the page's data directory, as they are now."""
    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.indexing import open_index

    settings = load_settings(env={}, overrides={"paths": {"data_dir": str(data)}, "embedder": {"backend": "fake"}})
    return open_index(settings=settings, embedder=FakeEmbedder()).documents()


# XSS: where a payload can come from (a document's title, id and text, a question) and where it is shown.
XSS_DOCS = [
    {"doc_id": "xss_script", "title": "<script>window.__xss='t1';alert('t1')</script>高原夏菜",
     "text": "高原夏菜产量达到十二万吨<img src=x onerror=\"window.__xss='b1';alert('b1')\">，菜农收入增加。"},
    {"doc_id": "xss_svg", "title": "<svg/onload=\"window.__xss='t2';alert('t2')\">牦牛产业",
     "text": "牦牛肉产量增加三成<svg onload=\"window.__xss='b2';alert('b2')\"></svg>，价格稳定。"},
    {"doc_id": "xss_href", "title": "<a href=\"javascript:alert('t3')\">枸杞采摘</a>",
     "text": "枸杞采摘在七月开始<a href=\"javascript:window.__xss='b3';alert('b3')\">点击领取</a>，持续两个月。"},
    {"doc_id": "xss_body", "title": "<body onload=\"alert('t4')\">青稞收成",
     "text": "青稞收成良好<iframe src=\"javascript:alert('b4')\"></iframe><details open ontoggle=\"alert('b5')\">亩产四百斤</details>。"},
    {"doc_id": "xss_attr", "title": "\"><img src=x onerror=\"alert('t5')\">黄河鲤鱼",
     "text": "黄河鲤鱼放流十万尾\"><img src=x onerror=\"alert('b6')\">，效果明显。"},
    {"doc_id": "x\"><img src=x onerror=alert('id1')>", "title": "编号里的标签", "text": "编号里的标签测试正文一句。"},
    {"doc_id": "<script>alert('id2')</script>", "title": "编号里的脚本", "text": "编号里的脚本测试正文一句。"},
    {"doc_id": "javascript:alert('id3')", "title": "编号是链接", "text": "编号是链接测试正文一句。"},
]
XSS_QUESTIONS = [
    "<script>window.__xss='q1';alert('q1')</script>高原夏菜产量是多少？",
    "<img src=x onerror=\"window.__xss='q2';alert('q2')\">牦牛肉产量增加了多少？",
    "javascript:alert('q3') 枸杞什么时候开始采摘？",
    "<svg onload=\"alert('q4')\">青稞收成如何？",
    "\"><img src=x onerror=\"alert('q5')\">黄河鲤鱼放流多少尾？",
]
INJECTED_JS = """() => document.querySelectorAll(
  '[onerror],[onload],[ontoggle],[onclick],[onmouseover],a[href^="javascript:" i],iframe[src^="javascript:" i],'
  + '#rag-chat script,#rag-sources script,#rag-docs script,#rag-chat img[src="x"],#rag-sources img[src="x"],'
  + '#rag-docs img[src="x"],#rag-chat svg[onload],#rag-chat iframe,#rag-sources iframe').length"""


def probe_xss(base: str, events: PageEvents, data: Path, quick: bool) -> Probe:
    p = Probe("xss", "<script>, onerror, onload, ontoggle and javascript: payloads in documents' titles, ids and "
                     "text and in questions, shown in the chat, the sources panel and the knowledge-base table "
                     "of the real page in headless Chromium")
    from test_app_browser import CHROMIUM, CHROMIUM_ARGS, Page

    if not os.path.exists(CHROMIUM):
        p.details["skipped"] = f"{CHROMIUM} is not installed"
        return p
    from playwright.sync_api import sync_playwright

    docs = XSS_DOCS[:3] + XSS_DOCS[5:6] if quick else XSS_DOCS
    questions = XSS_QUESTIONS[:2] if quick else XSS_QUESTIONS
    jsonl = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode()
    ok, msg = events.add(events.upload([("xss.jsonl", jsonl)]), [None])
    p.details["upload_message"] = msg[:400]
    indexed = {d["doc_id"] for d in _documents(data)}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = Page(browser, base + "/")
            pg = page.page
            pg.set_default_timeout(120_000)
            pg.get_by_role("tab", name="知识库").click()
            pg.click("#rag-refresh")
            pg.locator("#rag-docs").get_by_text("高原夏菜").first.wait_for()
            table = pg.locator("#rag-docs").inner_text()
            for d in docs:
                if d["doc_id"] not in indexed:
                    p.details.setdefault("ids_refused_by_indexer", []).append(d["doc_id"])
                    continue
                p.check(d["title"] in table or "编号" in d["title"],
                        f"title not shown as text in the table: {d['title']}")
                p.check(d["doc_id"] in table, f"id not shown as text in the table: {d['doc_id']}")
            pick = pg.locator("#rag-remove-pick input")
            pick.click()
            pg.keyboard.press("Escape")
            pg.get_by_role("tab", name="对话").click()
            for n, q in enumerate(questions, start=1):
                page.ask(q)
                bot = page.wait_answer(n, ".rag-meta, .rag-refusal, .rag-error")
                shown = pg.locator("#rag-chat").inner_text()
                p.check(q[:20] in shown.replace("\n", ""), f"question not shown as text: {q}")
                cite = bot.locator("a.rag-cite")
                if cite.count():
                    cite.first.click()
                    pg.locator("#rag-sources .rag-source.rag-selected").wait_for()
                answer = bot.inner_text()
                p.details.setdefault("answers", []).append(answer[:160])
            panel = pg.locator("#rag-sources").inner_text()
            p.details["sources_panel_tail"] = panel[-300:]
            time.sleep(0.5)
            injected = pg.evaluate(INJECTED_JS)
            flag = pg.evaluate("window.__xss === undefined ? null : String(window.__xss)")
            p.check(page.dialogs == [], f"dialogs fired: {page.dialogs}")
            p.check(flag is None, f"a payload ran: window.__xss = {flag}")
            p.check(injected == 0, f"{injected} elements with handlers or javascript: links in the page")
            p.check(page.external == [], f"requests left the machine: {page.external[:3]}")
            p.details.update(dialogs=len(page.dialogs), injected_elements=injected, payload_documents=len(docs),
                             payload_questions=len(questions))
            page.close()
        finally:
            browser.close()
    return p


def probe_concurrency(base: str, proc, quick: bool) -> Probe:
    p = Probe("concurrent_questions", "8 clients (a session each) asking the HTTP API at once; every answer "
                                      "compared with the same question asked alone")
    total = 16 if quick else 320
    # tests/test_load_http sizes its clients by these two module constants; the probe asks more.
    test_load_http.CLIENTS, test_load_http.QUESTIONS_TOTAL = 8, total
    questions = test_load_http._questions(8)
    solo = {}
    for q in questions:
        kind, a = ask(httpx, base, q)
        solo[q] = (a["answer"], [h["chunk_id"] for h in a["hits"]]) if kind == "complete" else (kind, a)
    before = rss_kb(proc.pid)
    t0 = time.perf_counter()
    problems = test_load_http._run_clients(httpx, base, questions, solo, sessions=True)
    seconds = time.perf_counter() - t0
    mixed = [e for e in problems if ": got (" in e and "'error'" not in e]
    errors = [e for e in problems if e not in mixed]
    p.tried = total
    p.held = total - len(mixed) - len(errors)
    p.failures = problems
    p.details.update(clients=8, errors=len(errors), mixed_answers=len(mixed), seconds_for_all=round(seconds, 1),
                     rss_mb_before=round(before / 1024, 1), rss_mb_after=round(rss_kb(proc.pid) / 1024, 1))
    return p


def _body(n_mb: int):
    yield b'{"data": ["'
    for _ in range(n_mb):
        yield b"x" * MB
    yield b'", null]}'


def probe_bodies(base: str, rss, n: int, size_mb: int, label: str) -> Probe:
    p = Probe(f"large_bodies_{label}", f"{n} JSON bodies of {size_mb} MB to /gradio_api/call/ask without login, "
                                       "half declaring their length, half streamed (chunked)")
    before = rss()
    codes = []
    for i in range(n):
        headers = {"content-type": "application/json"}
        if i % 2 == 0:
            headers["content-length"] = str(size_mb * MB + len(b'{"data": ["", null]}'))
        t0 = time.perf_counter()
        try:
            r = httpx.post(f"{base}/gradio_api/call/ask", content=_body(size_mb), headers=headers, timeout=300)
            code, detail = r.status_code, r.text[:160]
        except httpx.HTTPError as e:  # the server answered and closed before the client finished sending
            code, detail = f"closed ({type(e).__name__})", str(e)[:160]
        codes.append(code)
        p.details.setdefault("seconds_each", []).append(round(time.perf_counter() - t0, 2))
        p.check(code in (413, 401) or str(code).startswith("closed"),
                f"{'declared' if i % 2 == 0 else 'chunked'} {size_mb} MB -> {code}: {detail}")
    after = rss()
    p.details.update(status_codes=codes, rss_mb_before=round(before / 1024, 1), rss_mb_after=round(after / 1024, 1))
    p.check(after - before < 64 * 1024, f"server RSS grew {(after - before) / 1024:.0f} MB")
    return p


FOREIGN = ["http://localhost:9999", "http://127.0.0.1:1", "null", "https://evil.example", "file://",
           "http://127.0.0.1.evil.example"]


def probe_origins(base: str, quick: bool) -> Probe:
    p = Probe("foreign_origins", "requests carrying another site's Origin (other localhost ports included) "
                                 "to the API, the queue, uploads, the page config and info; the page's own "
                                 "origin as control")
    routes = [("POST", "/gradio_api/call/ask", {"data": ["西宁？", None]}), ("GET", "/config", None),
              ("POST", "/gradio_api/queue/join", {"data": [], "fn_index": 0, "session_hash": "x"}),
              ("POST", "/gradio_api/upload", None), ("GET", "/gradio_api/info", None)]
    preflight = {}
    for origin in (FOREIGN[:3] if quick else FOREIGN):
        for method, path, body in routes:
            kw = {"json": body} if body is not None else ({"files": [("files", ("a.txt", b"x"))]} if "upload" in path else {})
            r = httpx.request(method, f"{base}{path}", headers={"origin": origin}, timeout=60, **kw)
            p.check(r.status_code == 403, f"{method} {path} from {origin} -> {r.status_code}")
        # Gradio's CORS layer sits outside the limits and answers a preflight itself; what matters
        # is that the request the browser sends next is refused (above). Recorded, not judged.
        r = httpx.options(f"{base}/gradio_api/call/ask", headers={"origin": origin,
                                                                  "access-control-request-method": "POST"})
        preflight[origin] = f"{r.status_code} allow-origin={r.headers.get('access-control-allow-origin')}"
    own = httpx.post(f"{base}/gradio_api/call/ask", json={"data": ["西宁？", None]}, headers={"origin": base}, timeout=60)
    p.details.update(own_origin_status=own.status_code, preflight_answered_by_gradio=preflight)
    p.check(own.status_code == 200, f"own origin refused: {own.status_code}")
    return p


def probe_file_quota(events: PageEvents, data: Path, files_per_hour: int) -> Probe:
    p = Probe("upload_quota_files", f"one press of 上传并加入知识库 with {files_per_hour + 1} files, over the "
                                    f"hourly file quota ({files_per_hour}, app.uploads_per_hour)")
    files = [(f"q{i}.txt", f"配额文件{i}\n\n正文{i}。".encode()) for i in range(files_per_hour + 1)]
    before = uploads_of(data)
    ok, msg = events.add(events.upload(files), [None] * len(files))
    p.check(ok and "每小时上限" in msg and uploads_of(data) == before, f"{len(files)} files: {msg[:200]}")
    p.details.update(quota_files_per_hour=files_per_hour, refusal=msg[:200])
    return p


def probe_byte_quota(events: PageEvents, mb_per_hour: int) -> Probe:
    p = Probe("upload_quota_bytes", f"19 MB uploads until the hourly byte quota ({mb_per_hour} MB, "
                                    "app.upload_mb_per_hour) refuses one")
    accepted, codes = 0, []
    for _ in range(mb_per_hour // 19 + 2):
        r = events.client.post(f"{events.base}/gradio_api/upload", files=[("files", ("big.txt", b"z" * (19 * MB)))],
                               timeout=300)
        codes.append(r.status_code)
        if r.status_code != 200:
            p.details["refusal"] = r.json().get("detail", "")[:200]
            break
        accepted += 1
    p.check(codes[-1] == 413 and "每小时配额" in p.details.get("refusal", ""), f"never refused: {codes}")
    p.check(accepted * 19 <= mb_per_hour, f"{accepted * 19} MB accepted over a {mb_per_hour} MB quota")
    p.details.update(quota_mb_per_hour=mb_per_hour, accepted_mb=accepted * 19, upload_codes=codes)
    return p


# --------------------------------------------------------------------------------------------
# Probes on the page with login (rag.webapp in this process)


def route_variants(app, quick: bool) -> list[tuple[str, str]]:
    """(method, path) for every route the page's server has, with its parameters filled in and
    spelled a few other ways (trailing slash, double slash, upper case, percent-encoded)."""
    seen: list[tuple[str, str]] = []
    for route in app.routes:
        path = getattr(route, "path", None)
        if not path:
            continue
        path = re.sub(r"\{[^}:]+:path\}", "x/y.txt", path)
        path = re.sub(r"\{[^}]+\}", "abc", path) or "/"
        methods = sorted((getattr(route, "methods", None) or {"GET"}) - {"HEAD"}) or ["GET"]
        for m in methods:
            for variant in (path, path.rstrip("/") + "/", "/" + path, path.upper(),
                            path[:1] + quote(path[1:2]) + path[2:] if len(path) > 1 else path):
                if (m, variant) not in seen:
                    seen.append((m, variant))
    rnd = random.Random(SEED)
    return rnd.sample(seen, 15) if quick else seen


LEAKS = ("rag-chat", "知识库</", '"components":[{', "上传并加入知识库")


def probe_routes(base: str, app, quick: bool, seed_titles: list[str]) -> Probe:
    from rag.login_gate import is_open

    p = Probe("routes_without_login", "every route of the page's server (and other spellings of it), each "
                                      "method, without a login cookie: refused unless it is the login form's "
                                      "shell or assets, which must carry nothing of the page or the documents")
    opened = []
    for method, path in route_variants(app, quick):
        try:
            status, body = raw_get(base, path, method, None if method == "GET" else b"{}")
        except (OSError, http.client.HTTPException) as e:
            status, body = 0, str(e).encode()
        text = body.decode("utf-8", "replace")
        leak = [s for s in LEAKS + tuple(seed_titles) if s in text]
        if status in (401, 403):
            p.check(True, "")
        elif is_open(unquote(path), method):  # the server sees the path decoded
            opened.append(f"{method} {path} {status}")
            p.check(not leak and status < 500, f"open {method} {path} -> {status} showing {leak}")
        else:
            p.check(False, f"{method} {path} -> {status} without login{f' showing {leak}' if leak else ''}")
    p.details["open_by_design"] = opened
    with httpx.Client(base_url=base, timeout=30) as c:
        ok = c.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        ok = ok and "rag-chat" in c.get("/config").text
    p.details["logged_in_control"] = ok
    p.check(ok, "logging in did not open the page (the probe would be meaningless)")
    return p


def probe_passwords(base: str, n: int) -> Probe:
    p = Probe("wrong_passwords", f"{n} wrong passwords for one user from one address as fast as they come; "
                                 "then the right one at once, and again after the Retry-After it was given")
    codes, retry = [], []
    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30) as c:
        for i in range(n):
            r = c.post("/login", data={"username": USER, "password": f"guess{i}"})
            codes.append(r.status_code)
            if r.status_code == 429:
                retry.append(int(r.headers.get("retry-after", "0")))
        elapsed = time.perf_counter() - t0
        reached = codes.count(400) + codes.count(401)
        # 5 free tries, then one more each time the doubling wait (1 s, 2 s, 4 s...) has passed.
        allowed = 5 + 1 + int(max(0.0, elapsed)).bit_length()
        p.tried, p.held = n, n - max(0, reached - allowed)
        if reached > allowed:
            p.failures.append(f"{reached} of {n} reached the password check in {elapsed:.1f} s (at most {allowed})")
        locked = c.post("/login", data={"username": USER, "password": PASSWORD})
        wait = int(locked.headers.get("retry-after", "0"))
        p.check(locked.status_code == 429, f"right password during the lockout -> {locked.status_code}")
        time.sleep(wait + 0.2)
        after = c.post("/login", data={"username": USER, "password": PASSWORD})
        p.check(after.status_code == 200, f"right password after waiting {wait} s -> {after.status_code}")
    p.details.update(reached_password_check=reached, throttled_429=codes.count(429), seconds_for_all=round(elapsed, 1),
                     max_retry_after_s=max(retry, default=0), lockout_wait_s=wait,
                     right_password_during_lockout=locked.status_code, right_password_after_wait=after.status_code,
                     other_codes=sorted({c for c in codes if c not in (400, 401, 429)}))
    return p


@contextlib.contextmanager
def login_page(data: Path):
    """The page with a login, built by rag.webapp in this process (fake models, its own data directory)."""
    from rag.config import load_settings
    from rag.webapp import build_app, launch_options

    # Gradio reads its cache folder from the environment; restored when the page closes.
    env = mock.patch.dict(os.environ, {"GRADIO_TEMP_DIR": str(data / "gradio-cache")})
    env.start()
    settings = load_settings(env={}, overrides={
        "paths": {"data_dir": str(data)}, "embedder": {"backend": "fake"}, "generator": {"backend": "fake"},
        "app": {"port": free_port(), "auth": f"{USER}:{PASSWORD}"}})
    demo = build_app(settings)
    for attempt in range(1, 4):
        try:
            demo.launch(prevent_thread_lock=True, **launch_options(settings, quiet=True))
            STARTS.append(f"login page started (try {attempt})")
            break
        except ValueError as e:  # as in open_page: Gradio's start-up check timed out on a busy machine
            if BUSY_START not in str(e) or attempt == 3:
                raise
            STARTS.append(f"login page try {attempt}: Gradio's start-up check timed out; started again")
            demo.close()
            settings.app.port = free_port()
    try:
        demo.rag_service.wait(900)
        yield f"http://127.0.0.1:{settings.app.port}", demo
    finally:
        demo.close()
        env.stop()


# --------------------------------------------------------------------------------------------
# kill -9 while indexing


def probe_kills(top: Path, kills: int, n_docs: int) -> Probe:
    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.indexing import open_index, update_index

    p = Probe("kill_9_indexing", f"`rag index` (fake embedder, {n_docs} documents, --rebuild) SIGKILLed at a "
                                 "random moment of its run; after each kill the current index must open "
                                 "(checksums verified) and answer a search")
    corpus = write_corpus(top / "kill-corpus", n_docs)
    index = top / "kill-index"
    settings = load_settings(env={}, overrides={"paths": {"data_dir": str(top / "kill-data")},
                                                "embedder": {"backend": "fake"}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["RAG_DATA_DIR"] = str(top / "kill-data")
    cmd = rag_cmd("index", corpus, "--backend", "fake", "--index", index, "--rebuild")
    t0 = time.monotonic()
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    full = time.monotonic() - t0
    if first.returncode != 0:
        p.check(False, f"the first run failed: {first.stderr[-300:]}")
        return p
    rnd = random.Random(SEED)
    finished_first = 0
    probe_id = 17 % n_docs
    for _ in range(kills):
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rnd.uniform(0.0, full))
        if child.poll() is not None:
            finished_first += 1
        child.kill()
        child.wait()
        log(f"  kill {_ + 1} of {kills}")
        try:
            idx = open_index(index, settings, FakeEmbedder())
            hit = idx.search(f"第{probe_id}号通报 编号{probe_id}的记录", k=1)[0].chunk.doc_id
            p.check(len(idx.documents()) == n_docs and hit == f"doc{probe_id:03d}",
                    f"after a kill: {len(idx.documents())} documents, first hit {hit}")
        except Exception as e:  # noqa: BLE001 - any error here is the finding
            p.check(False, f"after a kill the index does not open: {type(e).__name__}: {e}")
    last = update_index([corpus], settings, FakeEmbedder(), index_dir=index, rebuild=True)
    p.check(len(last.added) == n_docs and leftovers(index) == [],
            f"the run after the kills: {len(last.added)} added, leftovers {leftovers(index)}")
    p.details.update(kills=kills, documents=n_docs, one_run_seconds=round(full, 1),
                     finished_before_the_kill=finished_first)
    return p


# --------------------------------------------------------------------------------------------


def seed_titles(n: int = 5) -> list[str]:
    from rag.sources import read_sources

    docs, _ = read_sources([ROOT / "seeds"])
    return [d.title for d in docs[:n] if len(d.title) >= 6]



def _timed(name: str, run) -> "Probe":
    """Run one probe, stamp when it ended, and log what held."""
    log(f"probe: {name}")
    probe = run()
    probe.t1 = time.perf_counter()
    log(f"  {probe.held}/{probe.tried} held, {len(probe.failures)} failed")
    return probe


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="few of each probe (for the test suite)")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"where the JSON goes (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--only", nargs="*", help="run only these probe groups: open, login, kill")
    args = ap.parse_args(argv)
    quick = args.quick
    groups = set(args.only or ("open", "login", "kill"))
    started = time.perf_counter()
    probes: list[Probe] = []
    with tempfile.TemporaryDirectory(prefix="rag-hostile-") as tmp:
        top = Path(tmp)
        secret = top / "secret" / "secret.txt"
        secret.parent.mkdir()
        secret.write_text(f"HOSTILE-SECRET-{uuid.uuid4().hex}\n", encoding="utf-8")
        if "open" in groups:
            data = top / "open" / "data"
            # Bytes: the shipped default in the full round. Files: every probe's uploads come from one
            # address, more than the default 60 an hour, so the quota is raised for the page and the check
            # adds one file more than that.
            mb_per_hour, files_per_hour = (40 if quick else 200), 200
            config = top / "open" / "app.toml"
            config.parent.mkdir()
            config.write_text(f"[app]\nupload_mb_per_hour = {mb_per_hour}\nuploads_per_hour = {files_per_hour}\n",
                              encoding="utf-8")
            log("starting app.py --backend fake (no login)")
            with open_page(data, "--config", str(config)) as (base, proc):
                with httpx.Client(timeout=120) as client:
                    events = PageEvents(base, client)
                    ask(httpx, base, "西宁？")  # waits for the index (the service prepares it in the background)
                    for name, run in [
                        ("file quota", lambda: probe_file_quota(events, data, files_per_hour)),
                        ("traversal", lambda: probe_traversal(base, events, data, secret, quick)),
                        ("names", lambda: probe_hostile_names(events, data, top, quick)),
                        ("bad files", lambda: probe_bad_files(events, data)),
                        ("xss", lambda: probe_xss(base, events, data, quick)),
                        ("concurrency", lambda: probe_concurrency(base, proc, quick)),
                        ("bodies", lambda: probe_bodies(base, lambda: rss_kb(proc.pid), 2 if quick else 6,
                                                        100, "no_login_page")),
                        ("origins", lambda: probe_origins(base, quick)),
                        ("byte quota", lambda: probe_byte_quota(events, mb_per_hour)),
                    ]:
                        probes.append(_timed(name, run))
        if "login" in groups:
            log("starting the page with login (rag.webapp)")
            with login_page(top / "login" / "data") as (base, demo):
                titles = seed_titles()
                for name, run in [
                    ("routes", lambda: probe_routes(base, demo.app, quick, titles)),
                    ("bodies", lambda: probe_bodies(base, lambda: rss_kb(os.getpid()), 2 if quick else 6, 100,
                                                    "login_page")),
                    ("passwords", lambda: probe_passwords(base, 20 if quick else 300)),
                ]:
                    probes.append(_timed(name, run))
        if "kill" in groups:
            probes.append(_timed("kill -9", lambda: probe_kills(top, 3 if quick else 30, 60 if quick else 300)))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    command = "python eval/hostile/run.py" + (" --quick" if quick else "") + (f" --only {' '.join(args.only)}" if args.only else "")
    record = {"command": command, "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "commit": commit,
           "groups": sorted(groups), "seconds": round(time.perf_counter() - started, 1), "page_starts": STARTS}
    out = {"mode": "quick" if quick else "full", "runs": [],
           "backends": "fake embedder and generator (app.py --backend fake); loopback only", "probes": {}}
    if args.only and args.out.exists():  # some groups re-run: replace their rows, keep the others
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if previous.get("mode") == out["mode"]:
            out["runs"], out["probes"] = previous.get("runs", []), previous.get("probes", {})
    out["runs"].append(record)
    out["probes"].update({p.name: {**p.result(), "run": len(out["runs"])} for p in probes})
    out["failed"] = sum(p["failed"] for p in out["probes"].values())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out}: {out['failed']} failures in {record['seconds']} s")
    return 1 if any(p.failures for p in probes) else 0


if __name__ == "__main__":
    sys.exit(main())
