"""The real page in headless Chromium: streaming, citations, refusal, uploads, two users, XSS.

The page is served in this process on 127.0.0.1 (a free port) over an index of the seeds built
with the fake embedder, answered by a scripted fake generator. Screenshots of the chat and the
knowledge base go to a temporary folder, or to the folder ``RAG_SCREENSHOTS`` names
(``RAG_SCREENSHOTS=docs`` refreshes the README's pictures): a test run must not rewrite tracked files.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

SEED_QUESTION = "市委十五届十二次全会审议通过了什么建议？"
UNANSWERABLE = "火星上的第一座城市叫什么名字？"
XSS_TITLE = '<script>alert("title")</script>高原夏菜丰收'
XSS_BODY = '高原夏菜今年产量达到十二万吨<img src=x onerror="window.__xss=1;alert(1)">，菜农收入明显增加。'
XSS_QUESTION = "高原夏菜今年产量是多少？"
XSS_REPLY = '高原夏菜今年产量达到十二万吨<img src=x onerror="window.__xss=1;alert(3)">。[1]'
UPLOAD_TEXT = "湟源陈醋文化节开幕\n\n第十届湟源陈醋文化节在湟源县开幕，吸引游客八万人次。\n"
UPLOAD_QUESTION = "湟源陈醋文化节吸引了多少游客？"

OBSERVE_JS = """() => {
  window.__seen = {streaming: false, queued: false};
  const chat = document.querySelector('#rag-chat');
  const check = () => {
    if (chat.querySelector('.rag-streaming')) window.__seen.streaming = true;
    if (chat.innerText.includes('排队中')) window.__seen.queued = true;
  };
  new MutationObserver(check).observe(chat, {subtree: true, childList: true, characterData: true});
}"""

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _question(messages) -> str:
    return messages[-1]["content"].rsplit("问题：", 1)[-1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.generators import FakeGenerator
    from rag.indexing import open_index, update_index
    from rag.pipeline import Pipeline
    from rag.prompting import load_prompts
    from rag.webapp import build_app, launch_options

    data = tmp_path_factory.mktemp("page")
    settings = load_settings(env={}, overrides={
        "paths": {"data_dir": str(data), "index_dir": str(data / "index")},
        "embedder": {"backend": "fake"}, "generator": {"backend": "fake"}, "answer": {"min_relevance": 0.0},
        "app": {"port": _free_port()},
    })
    embedder = FakeEmbedder()
    update_index([SEEDS], settings, embedder)
    refusal = load_prompts().refusal("zh")
    default = FakeGenerator()

    def script(messages):
        q = _question(messages)
        if "火星" in q:
            return refusal
        if "高原夏菜" in q:
            return XSS_REPLY
        return default._reply(messages)  # the first sentence of source [1], cited

    pipeline = Pipeline(open_index(settings=settings, embedder=embedder), FakeGenerator(script, delay_s=0.03), settings)
    demo = build_app(settings, pipeline)
    demo.launch(prevent_thread_lock=True, **launch_options(settings, quiet=True))
    try:
        yield {"url": f"http://127.0.0.1:{settings.app.port}/", "settings": settings, "pipeline": pipeline,
               "service": demo.rag_service}
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None or not os.path.exists(CHROMIUM):
        pytest.skip("playwright or /usr/bin/chromium is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Page:
    """One user's tab, recording dialogs and requests that leave this machine."""

    def __init__(self, browser, url: str) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.dialogs: list[str] = []
        self.external: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)
        self.page.goto(url)
        self.page.wait_for_selector("#rag-chat")
        self.page.evaluate(OBSERVE_JS)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request) -> None:
        if not re.match(r"^(https?|wss?)://(127\.0\.0\.1|localhost)[:/]", request.url) and \
                not request.url.startswith(("data:", "blob:")):
            self.external.append(request.url)

    def ask(self, question: str) -> None:
        self.page.fill("#rag-question textarea", question)
        self.page.press("#rag-question textarea", "Enter")

    def last_answer(self):
        return self.page.locator("#rag-chat .message-row.bot-row, #rag-chat [data-testid=bot]").last

    def wait_answer(self, n: int = 1, selector: str = "a.rag-cite:not(.rag-hit)"):
        """Wait until the n-th assistant message is final and holds ``selector``."""
        self.page.wait_for_function(
            """([n, sel]) => {
                 const bots = document.querySelectorAll('#rag-chat [data-testid=bot]');
                 return bots.length >= n && bots[n - 1].querySelector(sel) !== null
                        && bots[n - 1].querySelector('.rag-streaming') === null;
               }""", arg=[n, selector])
        return self.page.locator("#rag-chat [data-testid=bot]").nth(n - 1)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(server, browser):
    p = Page(browser, server["url"])
    yield p
    assert p.dialogs == [], f"a dialog fired: {p.dialogs}"
    assert p.external == [], f"the page reached the network: {p.external}"
    p.close()


def _screenshot(page, name: str) -> None:
    folder = Path(os.environ.get("RAG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "rag-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
    assert (folder / name).stat().st_size > 0


def test_streamed_answer_with_citation_that_opens_its_chunk(page):
    pg = page.page
    assert pg.locator("#rag-chat").get_by_text("讲了什么").count() >= 1  # starter questions from the corpus
    page.ask(SEED_QUESTION)
    bot = page.wait_answer()
    assert pg.evaluate("window.__seen.streaming"), "the answer did not stream"
    assert "十一个五年规划的建议" in bot.inner_text()
    assert bot.locator(".rag-meta").inner_text().startswith("检索")
    bot.locator("a.rag-cite").first.click()
    source = pg.locator("#rag-sources .rag-source.rag-selected")
    source.wait_for()
    mark = source.locator("mark")
    assert "十一个五年规划的建议" in mark.inner_text()
    assert "000_1067da181bb5dafa" in source.inner_text() and "2025-12-11" in source.inner_text()
    assert "市委十五届十二次全会" in source.locator(".rag-source-title").inner_text()
    assert pg.url.endswith("/")  # the click did not navigate
    _screenshot(pg, "screenshot_chat.png")


def test_follow_up_new_conversation_and_regenerate(page, server):
    pg = page.page
    page.ask(SEED_QUESTION)
    pg.wait_for_timeout(200)
    page.ask("还没答完就再问")  # one answer at a time per conversation: the page says so
    pg.locator("#rag-notice").get_by_text("还在回答中").wait_for()
    page.wait_answer(1)
    assert pg.locator("#rag-chat [data-testid=user]").count() == 1
    page.ask("那它的主要内容是什么？")  # elliptical: retrieved with the first question, history sent
    page.wait_answer(2)
    sent = server["pipeline"].generator.calls[-1]
    assert any(m["role"] == "assistant" and "<" not in m["content"] for m in sent)
    calls = len(server["pipeline"].generator.calls)
    pg.click("#rag-regen")
    deadline = time.time() + 20
    while len(server["pipeline"].generator.calls) == calls and time.time() < deadline:
        time.sleep(0.05)
    assert len(server["pipeline"].generator.calls) == calls + 1
    page.wait_answer(2)
    assert pg.locator("#rag-chat [data-testid=bot]").count() == 2
    pg.click("#rag-new")
    pg.wait_for_function("document.querySelectorAll('#rag-chat [data-testid=bot]').length === 0")


def test_empty_question_shows_an_error_in_the_chat(page):
    page.ask("？？？")
    bot = page.wait_answer(1, ".rag-error")
    assert "问题中没有文字" in bot.inner_text() and "Traceback" not in bot.inner_text()


def test_unanswerable_question_is_refused_with_related_chunks(page):
    pg = page.page
    page.ask(UNANSWERABLE)
    bot = page.wait_answer(1, ".rag-refusal")
    text = bot.inner_text()
    assert "无法根据知识库回答" in text and "可能相关的资料" in text
    assert bot.locator("a.rag-cite:not(.rag-hit)").count() == 0
    bot.locator("a.rag-hit").first.click()
    pg.locator("#rag-sources .rag-source.rag-selected").wait_for()
    assert "可能相关的资料" in pg.locator("#rag-sources").inner_text()


@pytest.fixture
def xss_document(server, tmp_path):
    src = tmp_path / "xss.txt"
    src.write_text(f"{XSS_TITLE}\n\n{XSS_BODY}\n", encoding="utf-8")
    server["service"].add_documents([str(src)])
    yield "xss"
    server["service"].remove_document("xss")


def test_document_html_shows_as_text(xss_document, page):
    pg = page.page
    pg.get_by_role("tab", name="知识库").click()
    pg.click("#rag-refresh")
    pg.locator("#rag-docs").get_by_text("高原夏菜丰收").wait_for()
    assert '<script>alert("title")</script>高原夏菜丰收' in pg.locator("#rag-docs").inner_text()
    pg.get_by_role("tab", name="对话").click()
    page.ask(XSS_QUESTION)
    bot = page.wait_answer()
    shown = bot.inner_text()
    # The library reads ";" as a sentence end, so an inferred [1] may follow it; the rest is literal.
    assert '<img src=x onerror="window.__xss=1;' in shown and 'alert(3)">' in shown
    bot.locator("a.rag-cite").first.click()
    source = pg.locator("#rag-sources .rag-source.rag-selected")
    source.wait_for()
    assert '<script>alert("title")</script>高原夏菜丰收' in source.locator(".rag-source-title").inner_text()
    assert '<img src=x onerror="window.__xss=1;alert(1)">' in source.inner_text()
    time.sleep(0.3)
    assert pg.evaluate("window.__xss") is None
    assert pg.locator("#rag-chat img, #rag-sources img, #rag-docs img").count() == 0


def _choose_file(pg, path: Path, tries: int = 3) -> None:
    """Open the knowledge-base tab and put a file in the upload box (retried: the tab renders lazily)."""
    pg.get_by_role("tab", name="知识库").click()
    pg.locator("#rag-docs table").wait_for()
    for _ in range(tries):
        pg.set_input_files("#rag-upload input[type=file]", str(path))
        try:
            pg.locator("#rag-upload").get_by_text(path.name).first.wait_for(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; try again
            continue
    raise AssertionError(f"the upload box did not take {path.name}")


def test_upload_answer_then_remove(page, server, tmp_path):
    pg = page.page
    src = tmp_path / "湟源陈醋.txt"
    src.write_text(UPLOAD_TEXT, encoding="utf-8")
    _choose_file(pg, src)
    pg.click("#rag-add")
    pg.locator("#rag-kb-msg").get_by_text("已添加 1 篇").wait_for(timeout=30_000)
    assert "湟源陈醋文化节开幕" in pg.locator("#rag-docs").inner_text()
    stored = Path(server["settings"].paths.data_dir) / "uploads" / "湟源陈醋.txt"
    assert stored.exists()
    _screenshot(pg, "screenshot_kb.png")

    pg.get_by_role("tab", name="对话").click()
    page.ask(UPLOAD_QUESTION)
    bot = page.wait_answer()
    assert "湟源陈醋文化节" in bot.inner_text()
    bot.locator("a.rag-cite").first.click()
    source = pg.locator("#rag-sources .rag-source.rag-selected")
    source.get_by_text("八万人次").first.wait_for()
    assert "文档 湟源陈醋" in source.inner_text()

    pg.get_by_role("tab", name="知识库").click()
    pick = pg.locator("#rag-remove-pick input")
    pick.click()
    pick.fill("湟源陈醋")
    pg.get_by_role("option", name=re.compile("湟源陈醋")).first.click()
    pg.click("#rag-remove")
    pg.locator("#rag-kb-msg").get_by_text("已从知识库删除").wait_for(timeout=30_000)
    assert "湟源陈醋" not in pg.locator("#rag-docs").inner_text()
    assert not stored.exists()
    pg.get_by_role("tab", name="对话").click()
    page.ask(UPLOAD_QUESTION)
    bot = page.wait_answer(2, ".rag-meta")
    assert "湟源陈醋" not in bot.inner_text()


@pytest.fixture
def two_collections(server, tmp_path):
    import json

    src = tmp_path / "scoped.jsonl"
    records = [{"doc_id": "scope_a", "title": "青稞酒节在互助开幕", "collection": "甲库",
                "text": "青稞酒节在互助县开幕，吸引游客三万人次。"},
               {"doc_id": "scope_b", "title": "青稞酒节在湟中开幕", "collection": "乙库",
                "text": "青稞酒节在湟中区开幕，吸引游客五万人次。"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    server["service"].add_documents([str(src)])
    yield ("scope_a", "scope_b")
    for doc_id in ("scope_a", "scope_b"):
        server["service"].remove_document(doc_id)


def test_scope_selector_limits_the_answer_to_a_collection(two_collections, server, browser):
    p = Page(browser, server["url"])  # opened after the upload: the selector lists both collections
    try:
        pg = p.page
        scope = pg.locator("#rag-scope input")
        scope.wait_for()
        scope.click()
        pg.get_by_role("option", name="乙库").click()
        pg.keyboard.press("Escape")
        p.ask("青稞酒节吸引了多少游客？")
        bot = p.wait_answer(1, ".rag-meta")
        source = pg.locator("#rag-sources .rag-source.rag-selected")
        source.wait_for()
        assert "文档 scope_b" in source.inner_text()
        assert "scope_a" not in pg.locator("#rag-sources").inner_text()
        assert "湟中" in bot.inner_text() and "互助" not in bot.inner_text()
        assert p.dialogs == [] and p.external == []
    finally:
        p.close()


def test_upload_of_an_unsupported_file_says_why(page, tmp_path):
    pg = page.page
    bad = tmp_path / "表格.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    _choose_file(pg, bad)
    pg.click("#rag-add")
    msg = pg.locator("#rag-kb-msg .rag-kb-error")
    msg.wait_for()
    assert "表格.csv：不支持的文件类型 .csv" in msg.inner_text() and ".docx" in msg.inner_text()


def test_two_users_at_once_both_get_their_own_answers(server, browser):
    a, b = Page(browser, server["url"]), Page(browser, server["url"])
    try:
        a.page.fill("#rag-question textarea", SEED_QUESTION)
        b.page.fill("#rag-question textarea", UPLOAD_QUESTION.replace("湟源陈醋文化节", "西宁地区生产总值"))
        a.page.press("#rag-question textarea", "Enter")
        b.page.press("#rag-question textarea", "Enter")
        bot_a = a.wait_answer(1, ".rag-meta")
        bot_b = b.wait_answer(1, ".rag-meta")
        assert "十一个五年规划" in bot_a.inner_text()
        # Each tab holds only its own conversation.
        assert SEED_QUESTION not in b.page.locator("#rag-chat").inner_text()
        assert a.page.locator("#rag-chat [data-testid=user]").count() == 1
        assert b.page.locator("#rag-chat [data-testid=user]").count() == 1
        assert a.page.evaluate("window.__seen.queued") or b.page.evaluate("window.__seen.queued")
        assert bot_b.inner_text().strip()
        assert a.dialogs == b.dialogs == []
    finally:
        a.close()
        b.close()


@pytest.mark.model
def test_real_models_answer_in_the_page(browser, real_settings, real_pipeline):
    """The page on the real default models: a seed question gets a cited answer that opens its chunk."""
    from rag.webapp import build_app, launch_options

    real_settings.app.port = _free_port()
    demo = build_app(real_settings, real_pipeline)
    demo.launch(prevent_thread_lock=True, **launch_options(real_settings, quiet=True))
    try:
        p = Page(browser, f"http://127.0.0.1:{real_settings.app.port}/")
        p.page.set_default_timeout(180_000)
        p.ask("在市委十五届十二次全会分组讨论中发言的城东区委书记叫什么名字？")
        bot = p.wait_answer(selector="a.rag-cite")
        assert "王晓云" in bot.inner_text()
        bot.locator("a.rag-cite").first.click()
        source = p.page.locator("#rag-sources .rag-source.rag-selected")
        source.wait_for()
        assert "王晓云" in source.inner_text()
        _screenshot(p.page, "screenshot_chat_real.png")
        assert p.dialogs == [] and p.external == []
        p.close()
    finally:
        demo.close()


def test_login_form_then_chat_works_behind_the_login_gate(server, browser):
    """With --auth the login gate refuses every route but the form's; logging in still gives the whole page."""
    import copy

    from rag.webapp import build_app, launch_options

    settings = copy.deepcopy(server["settings"])
    settings.app.auth = "alice:s3cret"
    settings.app.port = _free_port()
    demo = build_app(settings, server["pipeline"])
    demo.launch(prevent_thread_lock=True, **launch_options(settings, quiet=True))
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    refused: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"http://127.0.0.1:{settings.app.port}/")
        page.wait_for_selector("input[type=password]")
        assert page.locator("#rag-chat").count() == 0  # nothing of the page before the login
        page.on("response", lambda r: refused.append(r.url) if r.status == 401 else None)
        page.locator("input[type=text]").first.fill("alice")
        page.fill("input[type=password]", "s3cret")
        page.keyboard.press("Enter")
        page.wait_for_selector("#rag-chat")
        page.fill("#rag-question textarea", SEED_QUESTION)
        page.press("#rag-question textarea", "Enter")
        page.wait_for_function(
            """() => { const b = document.querySelector('#rag-chat [data-testid=bot]');
                       return b && b.querySelector('a.rag-cite') && !b.querySelector('.rag-streaming'); }""")
        assert "建议" in page.locator("#rag-chat [data-testid=bot]").last.inner_text()
        assert refused == [], f"logged in, yet refused: {refused}"
    finally:
        context.close()
        demo.close()
