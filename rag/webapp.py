"""The chat page (Gradio): layout and events only.

Each event parses what Gradio hands it, calls ``RagService`` (which prepares the pipeline,
answers, manages documents and records feedback) and renders the data with ``render.py``.
How uploads are indexed, how the model is warmed, how errors become messages: all in
``service.py``; the HTML: all in ``render.py``; the CSS and JS: ``static/``.

How a click on a citation reaches Python: ``static/page.js`` writes the link's fragment
(``cite-T-K``) into a hidden textbox and clicks a hidden button, whose event renders the chunk
into the sources panel from the session's own ``gr.State``. Conversations live in that state, so
each browser tab has its own.

One model answers one question at a time: the answering event has ``concurrency_limit=1``
(Gradio queues the others and shows their position, and the chat says 排队中), shared with the
HTTP API's ``ask``. Listing, opening a source and feedback stay concurrent. gradio is imported
inside ``build_app`` so that importing this module stays light.
"""

# No `from __future__ import annotations` here: Gradio reads the annotations of event handlers
# (gr.Request, gr.SelectData) at runtime, and the string form could not resolve the local `gr`.
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from .errors import ConfigError, RagError
from .render import (chat_messages, doc_choices, esc, first_held, plain_answer, render_answer, render_banner, render_citation,
                     render_documents, render_error, render_hit, render_kb_message, render_panel_hint,
                     render_removal, render_status, render_streaming, render_upload)
from .service import Failure, RagService, Status

if TYPE_CHECKING:
    from .config import Settings
    from .pipeline import Pipeline

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
QUEUED = "排队中，请稍候…"
BUSY = '<div class="rag-hint">上一个问题还在回答中，请稍候再提问（或点「新对话」）。</div>'


@lru_cache(maxsize=None)
def static_text(name: str) -> str:
    """A file of ``rag/static`` (the page's CSS and JS), read once."""
    return (STATIC / name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Conversation state: a list of turns {"question", "html", "answer", "started", "done", "error"}


def history_of(turns: Sequence[dict]) -> list[dict]:
    """Earlier turns as the pipeline expects them: plain text, no markup."""
    out: list[dict] = []
    for t in turns:
        a = t.get("answer")
        if a is not None:
            out.append({"role": "user", "content": a.question})
            out.append({"role": "assistant", "content": a.text})
    return out


def answer_turn(service: RagService, turns: list[dict], poll_s: float = 0.5, **scope: Any) -> Iterator[str]:
    """Fill in the last turn from the service's events: yields the assistant message HTML as it grows.

    ``scope`` goes to ``RagService.answer`` (``collections=[...]``). Sets ``turn["answer"]`` (an ``Answer``) on success and ``turn["error"]`` otherwise; marks the
    turn ``started`` at once and ``done`` at the end, even when the stream is closed early.
    """
    from .types import Answer

    turn = turns[-1]
    turn["started"] = True
    pieces: list[str] = []
    try:
        for event in service.answer(turn["question"], history_of(turns[:-1]), poll_s=poll_s, **scope):
            if isinstance(event, Status):
                turn["html"] = render_status(event.message)
            elif isinstance(event, Failure):
                turn["error"] = event.message
                turn["html"] = render_error(event.message)
            elif isinstance(event, Answer):
                turn["answer"] = event
                turn["html"] = render_answer(event, len(turns) - 1)
            else:
                pieces.append(event)
                turn["html"] = render_streaming("".join(pieces))
            yield turn["html"]
    finally:
        if turn.get("answer") is None and not turn.get("error"):
            turn["error"] = "interrupted"
            turn["html"] = render_error("回答被中断了，请点「重新生成」。")
        turn["done"] = True


def api_answer(service: RagService, question: Any, history: Any = None, wait_s: float = 600.0) -> dict:
    """The HTTP API's answer: ``Answer.to_dict()``, or a ``gr.Error`` with a one-line reason."""
    import gradio as gr

    if history is not None and not (isinstance(history, list) and all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history)):
        raise gr.Error('history must be a list of {"role": "user"|"assistant", "content": str}')
    service.wait(wait_s)
    try:
        return service.ask(question, history or None).to_dict()
    except RagError as e:
        raise gr.Error(str(e)) from None
    except Exception as e:  # noqa: BLE001 - a reason for the caller, the traceback for the log
        log.exception("answering failed")
        raise gr.Error(f"internal error: {type(e).__name__}") from None


# --------------------------------------------------------------------------------------------
# Serving


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """``user:password``, or a file of such lines (``#`` comments allowed), as Gradio's auth list."""
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise ConfigError(f"cannot read the auth file {path}: {e.strerror}") from None
        where = str(path)
    elif ":" in value:
        lines, where = [value], "app.auth"
    else:
        raise ConfigError(f"app.auth {value!r} is neither user:password nor an existing file of such lines")
    pairs = []
    for i, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(f"{where}:{i}: expected user:password")
        pairs.append((user.strip(), password))
    if not pairs:
        raise ConfigError(f"{where} holds no user:password line")
    return pairs


def make_theme():
    """Gradio's default look with local fonts only: no request to Google Fonts."""
    import gradio as gr

    return gr.themes.Soft(
        primary_hue="blue", neutral_hue="slate",
        font=["Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"],
        font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "monospace"],
    )


def launch_options(settings: "Settings", *, share: bool = False, quiet: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: bind address, login, upload limit, theme, CSS, JS."""
    from .limits import middleware

    return {
        "server_name": settings.app.host,
        "server_port": settings.app.port,
        "auth": parse_auth(settings.app.auth),
        "auth_message": "请登录后使用知识库问答。",
        "share": share,
        "max_file_size": f"{settings.app.max_upload_mb}mb",
        # Gradio keeps every session's copy of the page (~80 KB) up to this many; an HTTP client
        # that sends no session_hash opens a new session per call, so this is what bounds memory.
        "state_session_capacity": settings.app.max_sessions,
        "theme": make_theme(),
        "css": static_text("app.css"),
        "js": static_text("page.js"),
        "ssr_mode": False,
        "footer_links": ["settings"],
        "quiet": quiet,
        "show_error": False,
        # Limits on every route (body size, upload bytes per hour, foreign origins, login attempts),
        # then the login gate: Gradio guards only some routes, the gate refuses all but the login form's.
        "app_kwargs": {"middleware": middleware(settings)},
    }


# --------------------------------------------------------------------------------------------
# The page


def build_app(settings: "Settings", pipeline: "Pipeline | None" = None, *, service: RagService | None = None) -> Any:
    """The page as a ``gr.Blocks`` over a ``RagService`` (one is made and started when not given).

    With no ``pipeline`` the service prepares one in the background and warms the model up.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio's upload cache in the data directory (not /tmp/gradio), where the service deletes each
    # upload's copy once it is saved or refused; delete_cache below clears anything else hourly.
    cache = Path(os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(settings.paths.data_dir) / "gradio-cache")))
    cache.mkdir(parents=True, exist_ok=True)  # ours from the start, not created by whichever upload comes first
    import gradio as gr

    if service is None:
        service = RagService(settings, pipeline)
    service.start()
    with gr.Blocks(title="中文资料问答", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        ui = _layout(gr, service, settings)
        _chat_events(gr, service, ui)
        _knowledge_base_events(gr, demo, service, ui)

        def ask_api(question: str, history: list | None = None) -> dict:
            """Answer one question from the knowledge base; returns the same JSON as `rag ask --json`."""
            return api_answer(service, question, history)

        # Shares the page's one model slot ("generate"), so API callers queue with page users. It
        # names no label or title, so the login page may describe it before anyone has logged in.
        gr.api(ask_api, api_name="ask", concurrency_limit=1, concurrency_id="generate")

    demo.queue(default_concurrency_limit=8)
    demo.rag_service = service  # for tests and app.py
    return demo


def collection_choices(docs: Sequence[dict]) -> list[str]:
    """The collections named by the indexed documents, sorted (the chat's scope selector)."""
    return sorted({d["collection"] for d in docs if d.get("collection")})


def _examples(service: RagService) -> list[dict]:
    return [{"text": q, "display_text": q} for q in service.example_questions()]


def _layout(gr, service: RagService, settings: "Settings") -> SimpleNamespace:
    """The components, in page order; returned by name for the events."""
    from .sources import SUPPORTED

    ui = SimpleNamespace(turns=gr.State([]))
    gr.HTML('<div class="rag-header"><div class="rag-logo">问</div><div><div class="rag-title">中文资料问答</div>'
            '<div class="rag-subtitle">根据知识库中的文章回答问题，每句话都标注出处；资料里没有的，会直接说不知道。</div>'
            '</div></div>')
    ui.status = gr.HTML(render_banner(service.readiness()), elem_id="rag-banner")
    ui.timer = gr.Timer(1.0, active=not service.ready)
    docs = service.documents()
    with gr.Tabs():
        with gr.Tab("对话", id="chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    scopes = collection_choices(docs)
                    ui.scope = gr.Dropdown(choices=scopes, value=[], multiselect=True, label="知识库范围（不选则全部）",
                                           elem_id="rag-scope", visible=bool(scopes), interactive=True)
                    ui.chat = gr.Chatbot(
                        value=[], elem_id="rag-chat", label="对话", show_label=False, height=560,
                        render_markdown=False, sanitize_html=True, latex_delimiters=[], buttons=[],
                        feedback_options=None, layout="bubble", autoscroll=True,
                        placeholder="<div class='rag-placeholder'><b>你好！</b>请提问，我会根据知识库回答并标注出处。"
                                    "<br>可以试试下面的问题：</div>",
                        examples=_examples(service) or None,
                    )
                    with gr.Row(elem_id="rag-input-row"):
                        ui.question = gr.Textbox(placeholder="输入问题，按回车发送…", show_label=False, lines=1,
                                                 max_lines=4, scale=8, elem_id="rag-question", autofocus=True)
                        ui.send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="rag-send")
                    with gr.Row(elem_id="rag-actions"):
                        small = {"size": "sm", "scale": 0, "min_width": 92}
                        ui.new_btn = gr.Button("新对话", elem_id="rag-new", **small)
                        ui.regen_btn = gr.Button("重新生成", elem_id="rag-regen", **small)
                        ui.copy_btn = gr.Button("复制回答", elem_id="rag-copy", **small)
                        gr.HTML('<div class="rag-feedback-label">这个回答有帮助吗？</div>', scale=1, min_width=0)
                        ui.up_btn = gr.Button("✓ 有帮助", elem_id="rag-up", **small)
                        ui.down_btn = gr.Button("✗ 没帮助", elem_id="rag-down", **small)
                    ui.comment = gr.Textbox(placeholder="（可选）写下对最新回答的意见，再点「有帮助」或「没帮助」一并提交",
                                            show_label=False, lines=1, max_lines=3, elem_id="rag-comment")
                    ui.notice = gr.HTML("", elem_id="rag-notice")
                with gr.Column(scale=2, min_width=320, elem_id="rag-sources-col"):
                    ui.panel = gr.HTML(render_panel_hint(), elem_id="rag-sources")
            ui.copy_box = gr.Textbox(visible="hidden", elem_id="rag-copy-text")
            ui.cite_box = gr.Textbox(visible="hidden", elem_id="rag-cite-target")
            ui.cite_btn = gr.Button("open", visible="hidden", elem_id="rag-cite-open")
        with gr.Tab("知识库", id="kb"):
            ui.docs_html = gr.HTML(render_documents(docs), elem_id="rag-docs")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    # No file_types filter: Gradio would refuse other types with an English toast;
                    # the server checks them and says why in Chinese instead.
                    ui.files = gr.File(label="上传文档", file_count="multiple", elem_id="rag-upload")
                    gr.HTML(f'<div class="rag-hint">支持 {esc("、".join(SUPPORTED))}，单个文件不超过 '
                            f'{settings.app.max_upload_mb} MB。同名文件再次上传会更新原来的文档。</div>')
                    ui.add_btn = gr.Button("上传并加入知识库", variant="primary", elem_id="rag-add")
                with gr.Column(scale=2):
                    ui.remove_pick = gr.Dropdown(choices=doc_choices(docs), label="选择要删除的文档",
                                                 elem_id="rag-remove-pick", interactive=True)
                    ui.remove_btn = gr.Button("删除所选文档", variant="stop", elem_id="rag-remove")
                    ui.refresh_btn = gr.Button("刷新列表", size="sm", elem_id="rag-refresh")
            ui.kb_msg = gr.HTML("", elem_id="rag-kb-msg")
    return ui


def _chat_events(gr, service: RagService, ui: SimpleNamespace) -> None:
    """Asking, streaming, regenerating, opening sources, copying and rating."""

    def enqueue(q: str, state: list) -> tuple:
        if state and not state[-1].get("done"):
            return gr.skip(), gr.skip(), gr.skip(), BUSY
        state = list(state) + [{"question": q or "", "html": render_status(QUEUED), "answer": None}]
        return chat_messages(state), state, "", ""

    def respond(state: list, scope: list | None):
        if not state or state[-1].get("started"):  # answered, or being answered by an earlier event
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        for _ in answer_turn(service, state, collections=list(scope or []) or None):
            yield chat_messages(state), state, gr.skip(), gr.skip()
        a = state[-1].get("answer")
        if a is None:
            yield chat_messages(state), state, gr.skip(), ""
            return
        if first_held(a) is not None:
            side = render_citation(a, first_held(a), len(state) - 1)
        elif a.hits and a.abstained:
            side = render_hit(a, 0)
        else:
            side = render_panel_hint()
        yield chat_messages(state), state, side, plain_answer(a)

    def regenerate(state: list) -> tuple:
        if not state:
            return gr.skip(), gr.skip(), '<div class="rag-hint">还没有可以重新生成的回答。</div>'
        if not state[-1].get("done"):
            return gr.skip(), gr.skip(), BUSY
        state = list(state[:-1]) + [{"question": state[-1]["question"], "answer": None, "html": render_status(QUEUED)}]
        return chat_messages(state), state, ""

    def new_conversation() -> tuple:
        return [], [], render_panel_hint(), "", "", ""

    def open_source(target: str, state: list) -> str:
        m = re.fullmatch(r"(cite|hit)-(\d+)-(\d+)", (target or "").strip())
        if not m:
            return render_panel_hint()
        kind, t, k = m.group(1), int(m.group(2)), int(m.group(3))
        if t >= len(state) or state[t].get("answer") is None:
            return render_panel_hint("找不到这条出处（对话可能已经重新开始）。")
        a = state[t]["answer"]
        return render_citation(a, k, t) if kind == "cite" else render_hit(a, k)

    def pick_example(evt: gr.SelectData) -> str:
        v = evt.value
        return v.get("text", "") if isinstance(v, dict) else str(v or "")

    def rate(rating: str, text: str, state: list, request: gr.Request) -> tuple:
        last = next((t for t in reversed(state) if t.get("answer") is not None), None)
        if last is None:
            return '<div class="rag-hint">还没有可以评价的回答。</div>', text
        try:
            service.record_feedback(last["answer"], rating, text or "", history=history_of(state[:state.index(last)]),
                                    user=getattr(request, "username", None) if request else None)
        except OSError as e:
            return f'<div class="rag-error">⚠ 反馈保存失败：{esc(e.strerror or e)}</div>', text
        return '<div class="rag-ok">已记录你的反馈，谢谢！</div>', ""

    def rate_up(text: str, state: list, request: gr.Request) -> tuple:
        return rate("up", text, state, request)

    def rate_down(text: str, state: list, request: gr.Request) -> tuple:
        return rate("down", text, state, request)

    def copied(text: str) -> str:
        return '<div class="rag-ok">已复制最新的回答。</div>' if text else '<div class="rag-hint">还没有可以复制的回答。</div>'

    # Every event is private: the page calls them itself, and Gradio's login page embeds the
    # API description even before login, which must not list labels or document titles.
    kw = {"api_visibility": "private", "queue": False}
    answer_kw = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "generate",
                 "show_progress": "full", "show_progress_on": [ui.chat]}
    ask_in, ask_out = [ui.question, ui.turns], [ui.chat, ui.turns, ui.question, ui.notice]
    chat_out = [ui.chat, ui.turns, ui.panel, ui.copy_box]
    respond_in = [ui.turns, ui.scope]  # the scope selector's collections narrow the search
    answering = []  # the streaming events, cancelled by 新对话 so they cannot refill the chat
    for trigger in (ui.question.submit, ui.send.click):
        answering.append(trigger(enqueue, ask_in, ask_out, **kw).then(respond, respond_in, chat_out, **answer_kw))
    answering.append(ui.chat.example_select(pick_example, None, [ui.question], **kw)
                     .then(enqueue, ask_in, ask_out, **kw)
                     .then(respond, respond_in, chat_out, **answer_kw))
    answering.append(ui.regen_btn.click(regenerate, [ui.turns], [ui.chat, ui.turns, ui.notice], **kw)
                     .then(respond, respond_in, chat_out, **answer_kw))
    reset_out = [ui.chat, ui.turns, ui.panel, ui.copy_box, ui.notice, ui.comment]
    ui.new_btn.click(new_conversation, None, reset_out, cancels=answering, **kw)
    ui.chat.clear(new_conversation, None, reset_out, cancels=answering, **kw)
    ui.cite_btn.click(open_source, [ui.cite_box, ui.turns], [ui.panel], show_progress="hidden", **kw)
    ui.copy_btn.click(copied, [ui.copy_box], [ui.notice], js=static_text("copy.js"), **kw)
    ui.up_btn.click(rate_up, [ui.comment, ui.turns], [ui.notice, ui.comment], **kw)
    ui.down_btn.click(rate_down, [ui.comment, ui.turns], [ui.notice, ui.comment], **kw)


def _knowledge_base_events(gr, demo, service: RagService, ui: SimpleNamespace) -> None:
    """Uploading, removing and listing documents; the preparation banner."""

    def kb_view(scope: list | None = None) -> tuple:
        docs = service.documents()
        scopes = collection_choices(docs)
        # Keep what the user picked while it still exists (a removal may take a collection away).
        picked = [c for c in (scope or []) if c in scopes]
        return (render_documents(docs), gr.update(choices=doc_choices(docs), value=None),
                gr.update(examples=_examples(service) or None),
                gr.update(choices=scopes, value=picked, visible=bool(scopes)))

    from .limits import UploadQuota

    quota = UploadQuota.from_settings(service.settings)  # files per user per hour; bytes: rag.limits middleware

    def on_add(uploaded, scope, request: gr.Request, progress=gr.Progress()) -> tuple:
        try:
            user = getattr(request, "username", None) or ""
            client = request.client.host if request is not None and request.client else ""
            msg = render_upload(service.add_documents(uploaded or [], progress, user=user, client=client, quota=quota))
        except RagError as e:
            msg = render_kb_message([str(e)], error=True)
        except Exception as e:  # noqa: BLE001
            log.exception("upload failed")
            msg = render_kb_message([f"上传失败：{type(e).__name__}: {e}"], error=True)
        return (msg, None) + kb_view(scope)

    def on_remove(doc_id: str, scope: list | None) -> tuple:
        try:
            msg = render_removal(service.remove_document(doc_id))
        except RagError as e:
            msg = render_kb_message([str(e)], error=True)
        return (msg,) + kb_view(scope)

    def tick(scope: list | None) -> tuple:
        readiness = service.readiness()
        if readiness.ready:
            return (render_banner(readiness), gr.Timer(active=False)) + kb_view(scope)
        return render_banner(readiness), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

    def on_load() -> tuple:
        return (render_banner(service.readiness()),) + kb_view()

    kb_out = [ui.docs_html, ui.remove_pick, ui.chat, ui.scope]
    kb_kw = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "index",
             "show_progress_on": [ui.kb_msg]}
    ui.add_btn.click(on_add, [ui.files, ui.scope], [ui.kb_msg, ui.files] + kb_out, **kb_kw)
    ui.remove_btn.click(on_remove, [ui.remove_pick, ui.scope], [ui.kb_msg] + kb_out, **kb_kw)
    ui.refresh_btn.click(kb_view, [ui.scope], kb_out, show_progress_on=[ui.docs_html], api_visibility="private")
    hidden = {"show_progress": "hidden", "api_visibility": "private"}
    ui.timer.tick(tick, [ui.scope], [ui.status, ui.timer] + kb_out, **hidden)
    demo.load(on_load, None, [ui.status] + kb_out, **hidden)
