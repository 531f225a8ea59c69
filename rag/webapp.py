"""The chat page (Gradio): streamed, cited answers, a sources panel, and the knowledge base.

The page calls only ``Pipeline`` and the indexing functions. Everything taken from documents
(chunk text, titles, ids) and from the model (answers) is escaped with ``html.escape`` before
any markup is added around it, and the chat renders HTML without a Markdown pass, so a document
holding ``<script>`` or ``**`` shows exactly those characters.

How a click on a citation reaches Python: citation markers become ``<a class="rag-cite"
href="#cite-T-K">`` links (Gradio's sanitiser keeps ``class`` and ``href``, drops ``data-*``);
a document-level click listener (``_PAGE_JS``) writes the fragment into a hidden textbox and
clicks a hidden button, whose event renders the chunk into the sources panel from the session's
own ``gr.State``. Conversations live in that state, so each browser tab has its own.

One model answers one question at a time: the answering event has ``concurrency_limit=1``
(Gradio queues the others and shows their position, and the chat says 排队中). Listing,
opening a source and feedback stay concurrent.

On a fresh machine the models and the index may be missing: ``Runtime`` prepares them in a
background thread (installing the default models, indexing ``paths.sources``) while the page
already answers with what it is preparing. gradio is imported inside ``build_app`` so that
importing this module (for its renderers) stays light.
"""

# No `from __future__ import annotations` here: Gradio reads the annotations of event handlers
# (gr.Request, gr.SelectData) at runtime, and the string form could not resolve the local `gr`.
import html
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .errors import ConfigError, IndexMissingError, InputError, RagError

if TYPE_CHECKING:
    from .config import Settings
    from .pipeline import Pipeline
    from .types import Answer, Chunk

log = logging.getLogger(__name__)

_MB = 1024 * 1024
_ENDERS = "。！？!?；;"
_EXAMPLES = 4

# --------------------------------------------------------------------------------------------
# Rendering (pure functions of library objects; every document or model string is escaped)


def esc(text: Any) -> str:
    """HTML-escape any text (quotes included, so it is also safe inside attributes)."""
    return html.escape(str(text), quote=True)


def text_html(text: str) -> str:
    """Escaped text with line breaks kept."""
    return esc(text).replace("\n", "<br>")


def _compact_html(text: str) -> str:
    """Escaped text with runs of blank lines shown as one break (chunks keep paragraph gaps)."""
    return esc(re.sub(r"\n\s*\n+", "\n", text)).replace("\n", "<br>")


def highlight(text: str, span: tuple[int, int] | None) -> str:
    """The chunk text, escaped, with ``text[start:end]`` wrapped in ``<mark>``."""
    if not span:
        return _compact_html(text)
    start, end = max(0, min(int(span[0]), len(text))), max(0, min(int(span[1]), len(text)))
    if end <= start:
        return _compact_html(text)
    return f"{_compact_html(text[:start])}<mark>{_compact_html(text[start:end])}</mark>{_compact_html(text[end:])}"


def _key(sentence: str) -> str:
    """Comparison form of a sentence: NFKC, no whitespace, no trailing punctuation."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", sentence))
    return s.rstrip("。.!！?？;；,，、")


def _sentences(text: str) -> list[list[tuple[str, str]]]:
    """Cut an answer into sentences of ("text" | "marker" | "br", piece) tokens.

    A citation marker right after a sentence end ("…增长5%。[1]") belongs to that sentence, as in
    ``citations.split_answer``; a line break is its own token.
    """
    from .citations import MARKER

    tokens: list[tuple[str, str]] = []
    pos = 0
    for m in MARKER.finditer(text):
        tokens.append(("text", text[pos:m.start()]))
        tokens.append(("marker", m.group(0)))
        pos = m.end()
    tokens.append(("text", text[pos:]))
    out: list[list[tuple[str, str]]] = []
    cur: list[tuple[str, str]] = []
    closed = False

    def flush() -> None:
        nonlocal cur, closed
        if cur:
            out.append(cur)
        cur, closed = [], False

    for kind, piece in tokens:
        if kind == "marker":
            cur.append(("marker", piece))
            continue
        for ch in piece:
            if ch == "\n":
                flush()
                out.append([("br", "")])
            elif closed and ch not in _ENDERS and not ch.isspace():
                flush()
                cur.append(("text", ch))
            else:
                if ch in _ENDERS:
                    closed = True
                if cur and cur[-1][0] == "text":
                    cur[-1] = ("text", cur[-1][1] + ch)
                else:
                    cur.append(("text", ch))
    flush()
    return out


def _cite_link(turn: int, k: int, n: int, title: str, inferred: bool = False, weak: bool = False) -> str:
    cls = "rag-cite rag-inferred" if inferred else ("rag-cite rag-weak-cite" if weak else "rag-cite")
    tip = (f"自动匹配的出处：{title}" if inferred
           else f"这条资料不支持这句话（已自动匹配出处）：{title}" if weak else f"查看出处：{title}")
    return f'<a class="{cls}" href="#cite-{turn}-{k}" title="{esc(tip)}">[{n}]</a>'


def render_answer_body(answer: "Answer", turn: int) -> str:
    """The answer text, escaped, with clickable citations and unsupported sentences marked."""
    from .citations import claim_text, parse_markers

    unsupported = {_key(u) for u in answer.unsupported}
    cites = list(answer.citations)
    parts: list[str] = []
    for sentence in _sentences(answer.text):
        if sentence[0][0] == "br":
            parts.append("<br>")
            continue
        body = "".join(p for kind, p in sentence if kind == "text")
        key = _key(claim_text(body.strip()))  # as citations.split_answer keys it: without "资料中提到，"
        mine = [k for k, c in enumerate(cites) if _key(c.sentence) == key] if key else []
        # An inferred citation is only added when none of the model's own markers held.
        weak = any(cites[k].inferred for k in mine)
        html_parts: list[str] = []
        for kind, piece in sentence:
            if kind == "text":
                html_parts.append(esc(piece))
                continue
            for n in parse_markers(piece):
                k = next((k for k in mine if cites[k].n == n and not cites[k].inferred), None)
                if k is None:
                    k = next((k for k, c in enumerate(cites) if c.n == n), None)
                if k is None:
                    html_parts.append(f'<span class="rag-cite-bad" title="无效引用：没有第 {n} 条资料">[{n}]</span>')
                else:
                    html_parts.append(_cite_link(turn, k, n, cites[k].chunk.title, weak=weak and k in mine))
        for k in mine:
            if cites[k].inferred:
                html_parts.append(_cite_link(turn, k, cites[k].n, cites[k].chunk.title, inferred=True))
        inner = "".join(html_parts)
        if key and key in unsupported:
            inner = (f'<span class="rag-unsupported" title="这句话在资料中找不到依据">{inner}'
                     f'<sup class="rag-warn">⚠ 无依据</sup></span>')
        parts.append(inner)
    return "".join(parts)


def render_timings(timings: dict[str, float], generated: bool = True) -> str:
    """The discreet line under an answer: retrieval time, time to first token, speed."""
    items = [f"检索 {timings.get('retrieve_ms', 0.0):.0f} 毫秒"]
    if generated:
        items.append(f"首字 {timings.get('ttft_ms', 0.0):.0f} 毫秒")
        items.append(f"{timings.get('tokens_per_s', 0.0):.1f} token/秒")
    else:
        items.append("未调用模型")
    return f'<div class="rag-meta">{" · ".join(items)}</div>'


def _snippet(text: str, n: int = 60) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[:n] + "…"


def render_related(answer: "Answer", turn: int, limit: int = 3) -> str:
    """The closest chunks, listed under a refusal as 可能相关的资料."""
    if not answer.hits:
        return '<div class="rag-related"><div class="rag-related-head">知识库中没有找到相关的资料。</div></div>'
    items = []
    for i, h in enumerate(answer.hits[:limit]):
        c = h.chunk
        items.append(
            f'<li><a class="rag-cite rag-hit" href="#hit-{turn}-{i}" title="查看原文">{esc(c.title or c.doc_id)}</a>'
            f' <span class="rag-docid">{esc(c.doc_id)}</span><br><span class="rag-snippet">{esc(_snippet(c.text))}</span></li>'
        )
    return ('<div class="rag-related"><div class="rag-related-head">可能相关的资料：</div>'
            f'<ul>{"".join(items)}</ul></div>')


def render_answer(answer: "Answer", turn: int) -> str:
    """The final assistant message for one turn."""
    generated = answer.timings.get("ttft_ms", 0.0) > 0 or not answer.abstained
    meta = render_timings(answer.timings, generated)
    if answer.abstained and not answer.unsupported:
        return ('<div class="rag-refusal"><div class="rag-refusal-head">⊘ 无法根据知识库回答</div>'
                f'<div class="rag-refusal-text">{text_html(answer.text)}</div>'
                f"{render_related(answer, turn)}</div>{meta}")
    body = f'<div class="rag-answer">{render_answer_body(answer, turn)}</div>'
    if answer.abstained:
        return ('<div class="rag-refusal rag-weak"><div class="rag-refusal-head">⚠ 这个回答在资料中找不到依据，请勿采信</div>'
                f"{body}{render_related(answer, turn)}</div>{meta}")
    note = ""
    if answer.unsupported:
        note = '<div class="rag-note">⚠ 标有波浪线的句子在资料中找不到依据，请谨慎参考。</div>'
    return f"{body}{note}{meta}"


def render_streaming(text: str) -> str:
    """An answer still being written, tidied as the final answer will be (no "资料编号为1的资料中提到，")."""
    from .citations import tidy_answer

    return f'<div class="rag-answer rag-streaming">{text_html(tidy_answer(text))}<span class="rag-cursor">▍</span></div>'


def render_status(message: str) -> str:
    """A waiting message in the chat (queue, preparation)."""
    return f'<div class="rag-status"><span class="rag-spinner"></span>{esc(message)}</div>'


def render_error(message: str) -> str:
    """A library error shown in the chat instead of a traceback."""
    return f'<div class="rag-error"><b>⚠ 出错了：</b>{text_html(message)}</div>'


def _source_card(chunk: "Chunk", span: tuple[int, int] | None, *, label: str, extra: str = "",
                 selected: bool = False) -> str:
    cls = "rag-source rag-selected" if selected else "rag-source"
    meta = [f"文档 {esc(chunk.doc_id)}", esc(chunk.date) if chunk.date else "日期未知"]
    if extra:
        meta.append(extra)
    return (f'<div class="{cls}"><div class="rag-source-head"><span class="rag-num">{esc(label)}</span> '
            f'<span class="rag-source-title">{esc(chunk.title or chunk.doc_id)}</span></div>'
            f'<div class="rag-source-meta">{" · ".join(meta)}</div>'
            f'<div class="rag-source-text">{highlight(chunk.text, span)}</div></div>')


def render_citation(answer: "Answer", k: int, turn: int | None = None) -> str:
    """The sources panel for citation ``k`` of an answer: that chunk first, the others below."""
    cites = list(answer.citations)
    if not 0 <= k < len(cites):
        return render_panel_hint("找不到这条出处。")
    c = cites[k]

    def extra(x) -> str:
        s = f"支持度 {x.support:.0%}"
        return s + " · 自动匹配" if x.inferred else s

    out = ['<div class="rag-panel">', '<div class="rag-panel-head">出处</div>',
           _source_card(c.chunk, c.span, label=f"[{c.n}]", extra=extra(c), selected=True)]
    seen = {(c.n, tuple(c.span))}
    others = []
    for j, o in enumerate(cites):
        if (o.n, tuple(o.span)) in seen:
            continue
        seen.add((o.n, tuple(o.span)))
        others.append(_source_card(o.chunk, o.span, label=f"[{o.n}]", extra=extra(o)))
    if others:
        out.append('<div class="rag-panel-sub">本回答的其他出处</div>')
        out.extend(others)
    out.append("</div>")
    return "".join(out)


def render_hit(answer: "Answer", i: int) -> str:
    """The sources panel for the ``i``-th retrieved chunk (listed under a refusal)."""
    if not 0 <= i < len(answer.hits):
        return render_panel_hint("找不到这条资料。")
    h = answer.hits[i]
    return ('<div class="rag-panel"><div class="rag-panel-head">可能相关的资料</div>'
            f'{_source_card(h.chunk, None, label=f"#{i + 1}", extra=f"检索排名 {h.rank or i + 1}", selected=True)}'
            "</div>")


def render_panel_hint(message: str = "") -> str:
    """The sources panel before anything is selected."""
    msg = message or "点击回答中的 [1]、[2] 等引用编号，在这里查看原文，依据的句子会高亮显示。"
    return f'<div class="rag-panel"><div class="rag-panel-head">出处</div><div class="rag-hint">{esc(msg)}</div></div>'


def render_documents(docs: Sequence[dict], uploads_dir: Path | None = None) -> str:
    """The knowledge-base table: title, id, chunks, date added, origin."""
    if not docs:
        return '<div class="rag-hint">知识库中还没有文档。请在下方上传文档。</div>'
    up = uploads_dir.resolve() if uploads_dir else None
    rows = []
    for d in docs:
        origin = "内置"
        src = d.get("source") or ""
        if up is not None and src:
            try:
                if up in Path(src).resolve().parents:
                    origin = "上传"
            except (OSError, ValueError):
                pass
        added = str(d.get("added") or "").replace("T", " ")
        rows.append(f"<tr><td>{esc(d.get('title') or d['doc_id'])}</td><td class='rag-docid'>{esc(d['doc_id'])}</td>"
                    f"<td class='rag-num-cell'>{esc(d.get('chunks', 0))}</td><td>{esc(added)}</td><td>{origin}</td></tr>")
    total = sum(int(d.get("chunks", 0) or 0) for d in docs)
    return ('<div class="rag-docs-card"><table class="rag-docs"><thead><tr><th>标题</th><th>文档编号</th><th>分块数</th>'
            f'<th>添加时间</th><th>来源</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            f'<div class="rag-meta">共 {len(docs)} 篇文档，{total} 个分块</div>')


def plain_answer(answer: "Answer") -> str:
    """What 复制 puts on the clipboard: the answer with its [n] markers and a source list."""
    lines = [answer.text.strip()]
    seen: dict[int, "Chunk"] = {}
    for c in answer.citations:
        seen.setdefault(c.n, c.chunk)
    if seen:
        lines.append("")
        lines.append("出处：")
        lines.extend(f"[{n}] {ch.title}（{ch.doc_id}）" for n, ch in sorted(seen.items()))
    return "\n".join(lines)


def example_questions(index: Any, limit: int = _EXAMPLES) -> list[str]:
    """A few starter questions built from article titles in the index, one per document first."""
    if index is None:
        return []
    titles: list[str] = []
    per_doc: list[list[str]] = []
    try:
        for d in index.documents()[:20]:
            seen = []
            for c in index.chunks_of(d["doc_id"]):
                t = " ".join((c.title or "").split())
                if 4 <= len(t) <= 30 and not re.search(r"[<>&\"'`]", t) and t not in seen:
                    seen.append(t)
            per_doc.append(seen)
    except RagError:
        return []
    depth = 0
    while len(titles) < limit and any(len(p) > depth for p in per_doc):
        for p in per_doc:
            if len(p) > depth and p[depth] not in titles and len(titles) < limit:
                titles.append(p[depth])
        depth += 1
    return [f"「{t}」讲了什么？" for t in titles]


# --------------------------------------------------------------------------------------------
# Uploads and the knowledge base


def uploads_dir(settings: "Settings") -> Path:
    """Where uploaded files are kept (inside the data directory)."""
    return Path(settings.paths.data_dir) / "uploads"


def check_upload(path: str | Path, original_name: str, max_mb: int) -> str:
    """The storage name for an upload, or InputError in Chinese saying what is wrong with it."""
    from .sources import SUPPORTED, safe_filename

    shown = Path(str(original_name).replace("\\", "/")).name or str(original_name)
    suffix = Path(shown).suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"{shown}：不支持的文件类型 {suffix or '（无扩展名）'}；"
                         f"支持的格式：{'、'.join(SUPPORTED)}")
    try:
        size = os.path.getsize(path)
    except OSError:
        raise InputError(f"{shown}：上传的文件无法读取，请重新上传") from None
    if size > max_mb * _MB:
        raise InputError(f"{shown}：文件大小 {size / _MB:.1f} MB，超过上限 {max_mb} MB（设置项 app.max_upload_mb）")
    if size == 0:
        raise InputError(f"{shown}：文件是空的")
    return safe_filename(str(original_name))


def save_upload(path: str | Path, original_name: str, settings: "Settings",
                taken: dict[str, str] | None = None) -> Path:
    """Copy an uploaded file into ``DATA_DIR/uploads`` under a safe name; return where it is.

    ``taken`` maps document ids already in the index to their source: a name whose stem is the
    id of a document from elsewhere gets a ``-2``, ``-3``… suffix so that it cannot replace it.
    Re-uploading a file of the same name replaces the earlier upload (an update).
    """
    name = check_upload(path, original_name, settings.app.max_upload_mb)
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
    taken = taken or {}
    i = 1
    dest = root / name
    while True:
        owner = taken.get(dest.stem)
        if owner is None or _same_path(owner, dest):
            break
        i += 1
        dest = root / f"{stem}-{i}{suffix}"
    if dest.parent != root:  # safe_filename never yields separators; refuse anything else anyway
        raise InputError(f"{original_name}：文件名无效")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=suffix)
    os.close(fd)
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)  # replaces a link itself, never what it points at
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


def _is_upload(source: str, settings: "Settings") -> bool:
    if not source:
        return False
    try:
        return uploads_dir(settings).resolve() in Path(source).resolve().parents
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# The runtime: the pipeline, prepared in the background on a fresh machine


class Runtime:
    """Holds the pipeline; prepares models and index in a background thread when not given one."""

    def __init__(self, settings: "Settings", pipeline: "Pipeline | None" = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.ready = threading.Event()
        self.status = "启动中"
        self.fraction: float | None = None
        self.error: str | None = None
        self.note = ""
        self._embedder = None
        self._thread: threading.Thread | None = None
        if pipeline is not None:
            self.ready.set()

    def start(self) -> None:
        """Begin preparing in the background (no-op when already prepared or started)."""
        if self.ready.is_set() or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._prepare, name="rag-prepare", daemon=True)
        self._thread.start()

    def _set(self, status: str, fraction: float | None = None) -> None:
        self.status, self.fraction = status, fraction

    def _progress(self, label: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self._set(label, done / total if total else None)

        return report

    def _prepare(self) -> None:
        from .embedders import make_embedder
        from .generators import make_generator
        from .indexing import open_index, update_index
        from .pipeline import Pipeline

        s = self.settings
        try:
            if s.embedder.backend == "sentence-transformers":
                from .models import ensure_embedder

                self._set("正在准备嵌入模型（首次运行需要安装，约一分钟）")
                ensure_embedder(s, log=lambda m: log.info(m))
            if s.generator.backend == "llama-cpp":
                from .models import ensure_generator

                self._set("正在准备生成模型（首次运行需要组装模型文件，约一分钟）")
                ensure_generator(s, log=lambda m: log.info(m), progress=self._progress("正在组装生成模型文件"))
            self._set("正在准备向量模型（首次运行需要转换为 ONNX，约一分钟）")
            embedder = make_embedder(s, log=lambda m: log.info(m))
            self._embedder = embedder
            generator = make_generator(s)
            index = None
            try:
                index = open_index(settings=s, embedder=embedder)
            except IndexMissingError:
                sources = [p for p in s.paths.sources if Path(p).exists()]
                if sources:
                    self._set("正在建立索引（首次运行）", 0.0)
                    update_index(sources, s, embedder, progress=self._progress("正在建立索引（首次运行）"))
                    index = open_index(settings=s, embedder=embedder)
                else:
                    self.note = "知识库还是空的：请在「知识库」页上传文档。"
            self._set("正在加载模型")
            if index is not None:  # the first search loads the tokenizer's dictionary: do it now
                index.retrieve("预热", 1)
            else:
                embedder.embed_queries(["预热"])
            load = getattr(generator, "load", None)
            if callable(load):
                load()
            self.pipeline = Pipeline(index, generator, s)
            self._set("就绪", 1.0)
        except RagError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - shown on the page; the traceback goes to the log
            log.exception("preparing the pipeline failed")
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.ready.set()

    def describe(self) -> str:
        """What is being prepared, with the progress when known."""
        pct = f" {self.fraction:.0%}" if self.fraction and self.fraction < 1 else ""
        return f"{self.status}{pct}"

    def wait(self, timeout: float) -> bool:
        return self.ready.wait(timeout)

    @property
    def index(self):
        return self.pipeline.index if self.pipeline is not None else None

    def embedder(self):
        """The embedder of the live index (or a new one from the settings)."""
        index = self.index
        if index is not None:
            return index.embedder
        if self._embedder is None:
            from .embedders import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    def index_dir(self) -> Path:
        index = self.index
        return Path(index.index_dir) if index is not None else self.settings.paths.resolved_index_dir()

    def documents(self) -> list[dict]:
        index = self.index
        return index.documents() if index is not None else []

    def reload(self) -> None:
        """Make the chat use the newest index at once."""
        if self.pipeline is None:
            return
        self.pipeline.reload_index(self.index_dir())


def add_documents(runtime: Runtime, files: Sequence[Any], progress: Callable[..., Any] | None = None) -> str:
    """Save and index uploaded files; return a Chinese summary (HTML) of what happened."""
    from .indexing import update_index

    settings = runtime.settings
    if not runtime.ready.is_set():
        raise InputError("模型/索引仍在准备中，请稍后再上传")
    if runtime.error:
        raise InputError(f"模型/索引准备失败，无法上传：{runtime.error}")
    files = [f for f in (files or []) if f]
    if not files:
        raise InputError("请先选择要上传的文件")
    taken = {d["doc_id"]: d.get("source", "") for d in runtime.documents()}
    saved: list[Path] = []
    problems: list[str] = []
    for f in files:
        path = f if isinstance(f, (str, Path)) else getattr(f, "name", None) or getattr(f, "path", "")
        original = getattr(f, "orig_name", None) or Path(str(path)).name
        try:
            saved.append(save_upload(path, original, settings, taken))
        except InputError as e:
            problems.append(str(e))
    if not saved:
        return _kb_message(problems, error=True)
    if progress:
        progress(0.0, desc="正在读取和切分文档…")
    tick = None
    if progress:
        def tick(done: int, total: int) -> None:
            progress((done, total), desc="正在计算向量…", unit="块")
    summary = update_index(saved, settings, runtime.embedder(), index_dir=runtime.index_dir(), progress=tick)
    for where, reason in summary.skipped:
        line = re.fullmatch(r"(.*):(\d+)", where)  # "file.jsonl:7": one bad line, the file stays
        path = Path(line.group(1) if line else where)
        problems.append(f"{path.name}{f' 第 {line.group(2)} 行' if line else ''}：无法读取（{reason}）")
        if not line and path in saved:
            path.unlink(missing_ok=True)
    if progress:
        progress(1.0, desc="正在切换到新索引…")
    if runtime.pipeline is not None and runtime.pipeline.index is None:
        from .indexing import open_index

        runtime.pipeline.index = open_index(runtime.index_dir(), settings, runtime.embedder())
    else:
        runtime.reload()
    lines = []
    if summary.added:
        lines.append(f"已添加 {len(summary.added)} 篇：{'、'.join(summary.added)}")
    if summary.updated:
        lines.append(f"已更新 {len(summary.updated)} 篇：{'、'.join(summary.updated)}")
    if summary.unchanged and not summary.added and not summary.updated:
        lines.append(f"内容未变化：{'、'.join(summary.unchanged)}")
    lines.append(f"索引现有 {summary.chunks} 个分块，用时 {summary.seconds:.1f} 秒。")
    return _kb_message(lines + problems, error=bool(problems) and not (summary.added or summary.updated))


def remove_document(runtime: Runtime, doc_id: str) -> str:
    """Remove a document from the index (and its uploaded file); return a Chinese summary."""
    from .indexing import remove_documents

    if not doc_id:
        raise InputError("请先选择要删除的文档")
    docs = {d["doc_id"]: d for d in runtime.documents()}
    if doc_id not in docs:
        raise InputError(f"文档 {doc_id} 不在知识库中（可能已被删除）")
    source = docs[doc_id].get("source", "")
    remove_documents([doc_id], runtime.settings, index_dir=runtime.index_dir())
    runtime.reload()
    deleted = ""
    if _is_upload(source, runtime.settings):
        still_used = any(d.get("source") == source for d in runtime.documents())
        if not still_used:
            Path(source).unlink(missing_ok=True)
            deleted = "，并删除了上传的文件"
    title = docs[doc_id].get("title") or doc_id
    return _kb_message([f"已从知识库删除《{title}》（{doc_id}）{deleted}。"])


def _kb_message(lines: Sequence[str], error: bool = False) -> str:
    cls = "rag-kb-msg rag-kb-error" if error else "rag-kb-msg"
    return f'<div class="{cls}">{"<br>".join(esc(x) for x in lines)}</div>'


def doc_choices(docs: Sequence[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the removal dropdown."""
    return [(f"{d.get('title') or d['doc_id']}（{d['doc_id']}）", d["doc_id"]) for d in docs]


# --------------------------------------------------------------------------------------------
# Conversation


def history_of(turns: Sequence[dict]) -> list[dict]:
    """Earlier turns as the pipeline expects them: plain text, no markup."""
    out: list[dict] = []
    for t in turns:
        a = t.get("answer")
        if a is not None:
            out.append({"role": "user", "content": a.question})
            out.append({"role": "assistant", "content": a.text})
    return out


def chat_messages(turns: Sequence[dict]) -> list[dict]:
    """The Chatbot value for the session's turns."""
    msgs: list[dict] = []
    for t in turns:
        q = t["question"]
        msgs.append({"role": "user", "content": text_html(q) if q.strip() else '<span class="rag-hint">（空问题）</span>'})
        msgs.append({"role": "assistant", "content": t.get("html") or render_status("排队中，请稍候…")})
    return msgs


def answer_turn(runtime: Runtime, turns: list[dict], poll_s: float = 0.5) -> Iterator[str]:
    """Fill in the last turn: yields the assistant message HTML as it grows.

    Sets ``turn["answer"]`` (an ``Answer``) on success and ``turn["error"]`` otherwise; marks the
    turn ``started`` at once and ``done`` at the end, even when the stream is closed early.
    """
    turn = turns[-1]
    turn["started"] = True
    try:
        yield from _answer_turn(runtime, turns, poll_s)
    finally:
        if turn.get("answer") is None and not turn.get("error"):
            turn["error"] = "interrupted"
            turn["html"] = render_error("回答被中断了，请点「重新生成」。")
        turn["done"] = True


def _answer_turn(runtime: Runtime, turns: list[dict], poll_s: float) -> Iterator[str]:
    from .types import Answer

    turn = turns[-1]
    t_index = len(turns) - 1
    if not runtime.ready.is_set():
        while not runtime.wait(poll_s):
            turn["html"] = render_status(f"正在准备模型/索引…（{runtime.describe()}），准备好后会自动回答。")
            yield turn["html"]
    if runtime.error or runtime.pipeline is None:
        turn["error"] = runtime.error or "模型未能加载"
        turn["html"] = render_error(f"模型/索引准备失败：{turn['error']}")
        yield turn["html"]
        return
    turn["html"] = render_status("正在检索资料…")
    yield turn["html"]
    pieces: list[str] = []
    try:
        for event in runtime.pipeline.stream(turn["question"], history_of(turns[:-1])):
            if isinstance(event, Answer):
                turn["answer"] = event
                turn["html"] = render_answer(event, t_index)
            else:
                pieces.append(event)
                turn["html"] = render_streaming("".join(pieces))
            yield turn["html"]
    except RagError as e:
        turn["error"] = str(e)
        turn["html"] = render_error(str(e))
        yield turn["html"]
    except Exception as e:  # noqa: BLE001 - never a traceback in the chat; it goes to the log
        log.exception("answering failed")
        turn["error"] = f"{type(e).__name__}: {e}"
        turn["html"] = render_error("内部错误，回答失败。请重试；如果问题持续，请查看服务器日志。")
        yield turn["html"]


def api_answer(runtime: Runtime, question: Any, history: Any = None, wait_s: float = 600.0) -> dict:
    """The HTTP API's answer: ``Answer.to_dict()``, or a ``gr.Error`` with a one-line reason."""
    import gradio as gr

    if history is not None and not (isinstance(history, list) and all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history)):
        raise gr.Error('history must be a list of {"role": "user"|"assistant", "content": str}')
    if not runtime.wait(wait_s):
        raise gr.Error(f"the models and index are still being prepared ({runtime.describe()}); try again later")
    if runtime.error or runtime.pipeline is None:
        raise gr.Error(f"the models or index failed to load: {runtime.error or 'no pipeline'}")
    try:
        return runtime.pipeline.ask(question, history or None).to_dict()
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
    from starlette.middleware import Middleware

    from .login_gate import LoginGate

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
        "css": CSS,
        "js": _PAGE_JS,
        "ssr_mode": False,
        "footer_links": ["settings"],
        "quiet": quiet,
        "show_error": False,
        # Gradio guards only some routes with the login; the gate refuses all but the login form's.
        "app_kwargs": {"middleware": [Middleware(LoginGate)]},
    }


def build_app(settings: "Settings", pipeline: "Pipeline | None" = None) -> Any:
    """The page as a ``gr.Blocks``; with no ``pipeline`` one is prepared in the background."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from .feedback import append_feedback, feedback_record
    from .sources import SUPPORTED

    runtime = Runtime(settings, pipeline)
    runtime.start()
    feedback_path = Path(settings.app.feedback_file or Path(settings.paths.data_dir) / "feedback.jsonl")
    upload_root = uploads_dir(settings)

    def banner() -> str:
        if runtime.error:
            return f'<div class="rag-banner rag-banner-error">⚠ 模型/索引准备失败：{esc(runtime.error)}</div>'
        if not runtime.ready.is_set():
            return f'<div class="rag-banner"><span class="rag-spinner"></span>正在准备模型/索引…（{esc(runtime.describe())}）</div>'
        if runtime.note and runtime.index is None:
            return f'<div class="rag-banner">{esc(runtime.note)}</div>'
        return ""

    def examples() -> list[dict]:
        return [{"text": q, "display_text": q} for q in example_questions(runtime.index)]

    with gr.Blocks(title="中文资料问答", analytics_enabled=False, delete_cache=(86400, 86400)) as demo:
        turns = gr.State([])
        gr.HTML('<div class="rag-header"><div class="rag-logo">问</div><div><div class="rag-title">中文资料问答</div>'
                '<div class="rag-subtitle">根据知识库中的文章回答问题，每句话都标注出处；资料里没有的，会直接说不知道。</div>'
                '</div></div>')
        status = gr.HTML(banner(), elem_id="rag-banner")
        timer = gr.Timer(1.0, active=not runtime.ready.is_set())
        with gr.Tabs():
            with gr.Tab("对话", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chat = gr.Chatbot(
                            value=[], elem_id="rag-chat", label="对话", show_label=False, height=560,
                            render_markdown=False, sanitize_html=True, latex_delimiters=[], buttons=[],
                            feedback_options=None, layout="bubble", autoscroll=True,
                            placeholder="<div class='rag-placeholder'><b>你好！</b>请提问，我会根据知识库回答并标注出处。"
                                        "<br>可以试试下面的问题：</div>",
                            examples=examples() or None,
                        )
                        with gr.Row(elem_id="rag-input-row"):
                            question = gr.Textbox(placeholder="输入问题，按回车发送…", show_label=False, lines=1,
                                                  max_lines=4, scale=8, elem_id="rag-question", autofocus=True)
                            send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="rag-send")
                        with gr.Row(elem_id="rag-actions"):
                            small = {"size": "sm", "scale": 0, "min_width": 92}
                            new_btn = gr.Button("新对话", elem_id="rag-new", **small)
                            regen_btn = gr.Button("重新生成", elem_id="rag-regen", **small)
                            copy_btn = gr.Button("复制回答", elem_id="rag-copy", **small)
                            gr.HTML('<div class="rag-feedback-label">这个回答有帮助吗？</div>', scale=1, min_width=0)
                            up_btn = gr.Button("✓ 有帮助", elem_id="rag-up", **small)
                            down_btn = gr.Button("✗ 没帮助", elem_id="rag-down", **small)
                        comment = gr.Textbox(placeholder="（可选）写下对最新回答的意见，再点「有帮助」或「没帮助」一并提交",
                                             show_label=False, lines=1, max_lines=3, elem_id="rag-comment")
                        notice = gr.HTML("", elem_id="rag-notice")
                    with gr.Column(scale=2, min_width=320, elem_id="rag-sources-col"):
                        panel = gr.HTML(render_panel_hint(), elem_id="rag-sources")
                copy_box = gr.Textbox(visible="hidden", elem_id="rag-copy-text")
                cite_box = gr.Textbox(visible="hidden", elem_id="rag-cite-target")
                cite_btn = gr.Button("open", visible="hidden", elem_id="rag-cite-open")
            with gr.Tab("知识库", id="kb"):
                docs_html = gr.HTML(render_documents(runtime.documents(), upload_root), elem_id="rag-docs")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        # No file_types filter: Gradio would refuse other types with an English toast;
                        # the server checks them and says why in Chinese instead.
                        files = gr.File(label="上传文档", file_count="multiple", elem_id="rag-upload")
                        gr.HTML(f'<div class="rag-hint">支持 {esc("、".join(SUPPORTED))}，单个文件不超过 '
                                f'{settings.app.max_upload_mb} MB。同名文件再次上传会更新原来的文档。</div>')
                        add_btn = gr.Button("上传并加入知识库", variant="primary", elem_id="rag-add")
                    with gr.Column(scale=2):
                        remove_pick = gr.Dropdown(choices=doc_choices(runtime.documents()), label="选择要删除的文档",
                                                  elem_id="rag-remove-pick", interactive=True)
                        remove_btn = gr.Button("删除所选文档", variant="stop", elem_id="rag-remove")
                        refresh_btn = gr.Button("刷新列表", size="sm", elem_id="rag-refresh")
                kb_msg = gr.HTML("", elem_id="rag-kb-msg")

        # ---- chat -------------------------------------------------------------------------

        busy = '<div class="rag-hint">上一个问题还在回答中，请稍候再提问（或点「新对话」）。</div>'

        def enqueue(q: str, state: list) -> tuple:
            if state and not state[-1].get("done"):
                return gr.skip(), gr.skip(), gr.skip(), busy
            state = list(state) + [{"question": q or "", "html": render_status("排队中，请稍候…"), "answer": None}]
            return chat_messages(state), state, "", ""

        def respond(state: list):
            if not state or state[-1].get("started"):  # answered, or being answered by an earlier event
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            for _ in answer_turn(runtime, state):
                yield chat_messages(state), state, gr.skip(), gr.skip()
            last = state[-1]
            a = last.get("answer")
            if a is not None:
                if a.citations:
                    side = render_citation(a, 0, len(state) - 1)
                elif a.hits and a.abstained:
                    side = render_hit(a, 0)
                else:
                    side = render_panel_hint()
                yield chat_messages(state), state, side, plain_answer(a)
            else:
                yield chat_messages(state), state, gr.skip(), ""

        def regenerate(state: list) -> tuple:
            if not state:
                return gr.skip(), gr.skip(), '<div class="rag-hint">还没有可以重新生成的回答。</div>'
            if not state[-1].get("done"):
                return gr.skip(), gr.skip(), busy
            last = {"question": state[-1]["question"], "answer": None, "html": render_status("排队中，请稍候…")}
            state = list(state[:-1]) + [last]
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
            idx = state.index(last)
            record = feedback_record(last["answer"], rating, text or "", history=history_of(state[:idx]),
                                     user=getattr(request, "username", None) if request else None)
            try:
                append_feedback(feedback_path, record)
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
        ui = {"api_visibility": "private", "queue": False}
        answer_kw = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "generate",
                     "show_progress": "full", "show_progress_on": [chat]}
        chat_out = [chat, turns, panel, copy_box]
        answering = []  # the streaming events, cancelled by 新对话 so they cannot refill the chat
        for trigger in (question.submit, send.click):
            answering.append(trigger(enqueue, [question, turns], [chat, turns, question, notice], **ui)
                             .then(respond, [turns], chat_out, **answer_kw))
        answering.append(chat.example_select(pick_example, None, [question], **ui)
                         .then(enqueue, [question, turns], [chat, turns, question, notice], **ui)
                         .then(respond, [turns], chat_out, **answer_kw))
        answering.append(regen_btn.click(regenerate, [turns], [chat, turns, notice], **ui)
                         .then(respond, [turns], chat_out, **answer_kw))
        reset_out = [chat, turns, panel, copy_box, notice, comment]
        new_btn.click(new_conversation, None, reset_out, cancels=answering, **ui)
        chat.clear(new_conversation, None, reset_out, cancels=answering, **ui)
        cite_btn.click(open_source, [cite_box, turns], [panel], show_progress="hidden", **ui)
        copy_btn.click(copied, [copy_box], [notice], js=_COPY_JS, **ui)
        up_btn.click(rate_up, [comment, turns], [notice, comment], **ui)
        down_btn.click(rate_down, [comment, turns], [notice, comment], **ui)

        # ---- knowledge base ---------------------------------------------------------------

        def kb_view() -> tuple:
            docs = runtime.documents()
            return (render_documents(docs, upload_root), gr.update(choices=doc_choices(docs), value=None),
                    gr.update(examples=examples() or None))

        def on_add(uploaded, progress=gr.Progress()) -> tuple:
            try:
                msg = add_documents(runtime, uploaded or [], progress)
            except RagError as e:
                msg = _kb_message([str(e)], error=True)
            except Exception as e:  # noqa: BLE001
                log.exception("upload failed")
                msg = _kb_message([f"上传失败：{type(e).__name__}: {e}"], error=True)
            return (msg, None) + kb_view()

        def on_remove(doc_id: str) -> tuple:
            try:
                msg = remove_document(runtime, doc_id)
            except RagError as e:
                msg = _kb_message([str(e)], error=True)
            return (msg,) + kb_view()

        kb_out = [docs_html, remove_pick, chat]
        kb_kw = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "index",
                 "show_progress_on": [kb_msg]}
        add_btn.click(on_add, [files], [kb_msg, files] + kb_out, **kb_kw)
        remove_btn.click(on_remove, [remove_pick], [kb_msg] + kb_out, **kb_kw)
        refresh_btn.click(kb_view, None, kb_out, show_progress_on=[docs_html], api_visibility="private")

        def tick() -> tuple:
            done = runtime.ready.is_set()
            if done:
                return (banner(), gr.Timer(active=False)) + kb_view()
            return banner(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

        def on_load() -> tuple:
            return (banner(),) + kb_view()

        timer.tick(tick, None, [status, timer] + kb_out, show_progress="hidden", api_visibility="private")
        demo.load(on_load, None, [status] + kb_out, show_progress="hidden", api_visibility="private")

        # ---- HTTP API -----------------------------------------------------------------------

        def ask_api(question: str, history: list | None = None) -> dict:
            """Answer one question from the knowledge base; returns the same JSON as `rag ask --json`."""
            return api_answer(runtime, question, history)

        # Shares the page's one model slot ("generate"), so API callers queue with page users. It
        # names no label or title, so the login page may describe it before anyone has logged in.
        gr.api(ask_api, api_name="ask", concurrency_limit=1, concurrency_id="generate")

    demo.queue(default_concurrency_limit=8)
    demo.rag_runtime = runtime  # for tests and app.py
    return demo


# --------------------------------------------------------------------------------------------
# Page assets

# A capture-phase listener: the click on a citation never navigates, it asks Python for the chunk.
_PAGE_JS = """
() => {
  if (window.__ragCites) return;
  window.__ragCites = true;
  document.addEventListener('click', (e) => {
    const a = e.target && e.target.closest ? e.target.closest('a.rag-cite') : null;
    if (!a) return;
    const href = a.getAttribute('href') || '';
    if (!href.startsWith('#')) return;
    e.preventDefault();
    e.stopPropagation();
    const box = document.querySelector('#rag-cite-target textarea, #rag-cite-target input');
    const btn = document.querySelector('#rag-cite-open');
    if (!box || !btn) return;
    box.value = href.slice(1);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    document.querySelectorAll('a.rag-cite.rag-active').forEach((x) => x.classList.remove('rag-active'));
    a.classList.add('rag-active');
    setTimeout(() => btn.click(), 30);
  }, true);
}
"""

# The clipboard API needs a secure context; 127.0.0.1 is one, a LAN address is not: fall back.
_COPY_JS = """
(t) => {
  const text = t || '';
  if (!text) return t;
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).catch(() => {});
  } else {
    const ta = document.createElement('textarea');
    ta.value = text; ta.style.position = 'fixed'; ta.style.opacity = '0';
    document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } catch (e) {}
    ta.remove();
  }
  return t;
}
"""

CSS = """
.gradio-container { max-width: 1320px !important; width: 100% !important; margin: 0 auto !important; }
.rag-header { display: flex; align-items: center; gap: 12px; padding: 4px 2px 0; }
.rag-logo { width: 40px; height: 40px; border-radius: 10px; background: linear-gradient(135deg, #2563eb, #7c3aed);
  color: #fff; font-weight: 700; font-size: 1.3rem; display: flex; align-items: center; justify-content: center; }
.rag-title { font-size: 1.4rem; font-weight: 700; line-height: 1.3; }
#rag-banner:not(:has(.rag-banner)), #rag-notice:not(:has(div)), #rag-kb-msg:not(:has(div)) { display: none; }
#rag-actions button { white-space: nowrap; }
#rag-actions { align-items: center; }
.rag-feedback-label { text-align: right; color: var(--body-text-color-subdued); font-size: 0.88rem; padding-top: 6px; }
.rag-spinner { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 6px; vertical-align: -0.1em;
  border: 2px solid #cbd5e1; border-top-color: #2563eb; border-radius: 50%; animation: rag-spin 0.8s linear infinite; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
.rag-subtitle { color: var(--body-text-color-subdued); font-size: 0.92rem; margin-top: 2px; }
.rag-banner { background: #fff7e6; border: 1px solid #f5c26b; color: #7a4b00; border-radius: 8px;
  padding: 8px 12px; font-size: 0.95rem; }
.rag-banner-error { background: #fdecec; border-color: #f19999; color: #8a1f1f; }
#rag-chat .message-content { line-height: 1.75; }
.rag-placeholder { color: var(--body-text-color-subdued); text-align: center; line-height: 1.8; }
a.rag-cite { display: inline-block; font-size: 0.78em; line-height: 1.3; padding: 0 5px; margin: 0 1px;
  border-radius: 6px; background: #e0ecff; color: #1d4ed8 !important; text-decoration: none !important;
  vertical-align: 0.18em; cursor: pointer; font-weight: 600; }
a.rag-cite:hover, a.rag-cite.rag-active { background: #1d4ed8; color: #fff !important; }
a.rag-cite.rag-inferred { background: #eef2f7; color: #475569 !important; border: 1px dashed #94a3b8; }
a.rag-cite.rag-hit { font-size: 0.92em; vertical-align: 0; background: transparent; padding: 0;
  color: #1d4ed8 !important; text-decoration: underline !important; font-weight: 500; }
a.rag-cite.rag-hit:hover { background: transparent; color: #1e3a8a !important; }
a.rag-cite.rag-weak-cite { text-decoration: line-through; opacity: 0.6; }
.rag-cite-bad { font-size: 0.78em; color: #9ca3af; text-decoration: line-through; }
.rag-unsupported { text-decoration: underline wavy #f59e0b; text-underline-offset: 4px; background: #fffbeb; }
.rag-warn { color: #b45309; font-size: 0.72em; margin-left: 2px; white-space: nowrap; }
.rag-note { margin-top: 6px; font-size: 0.85em; color: #b45309; }
.rag-meta { margin-top: 6px; font-size: 0.75em; color: var(--body-text-color-subdued); opacity: 0.85; }
.rag-refusal { border-left: 4px solid #94a3b8; background: #f1f5f9; padding: 8px 12px; border-radius: 6px;
  color: #334155; }
.rag-refusal.rag-weak { border-left-color: #f59e0b; background: #fffbeb; }
.rag-refusal-head { font-weight: 700; margin-bottom: 4px; }
.rag-related { margin-top: 8px; font-size: 0.9em; }
.rag-related-head { font-weight: 600; color: #475569; }
.rag-related ul { margin: 4px 0 0 0; padding-left: 1.2em; }
.rag-related li { margin: 4px 0; }
.rag-snippet { color: #64748b; font-size: 0.92em; }
.rag-docid { font-family: var(--font-mono); font-size: 0.82em; color: #64748b; }
.rag-status { color: #64748b; font-style: italic; }
.rag-cursor { animation: rag-blink 1s steps(2, start) infinite; color: #64748b; }
@keyframes rag-blink { to { visibility: hidden; } }
.rag-error { border-left: 4px solid #dc2626; background: #fef2f2; color: #991b1b; padding: 8px 12px; border-radius: 6px; }
.rag-ok { color: #15803d; font-size: 0.9em; }
.rag-hint { color: var(--body-text-color-subdued); font-size: 0.92em; }
#rag-sources { max-height: 700px; overflow-y: auto; }
.rag-panel-head { font-weight: 700; font-size: 1.05rem; margin-bottom: 8px; }
.rag-panel-sub { font-weight: 600; color: #64748b; margin: 14px 0 6px; font-size: 0.9rem; }
.rag-source { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 12px;
  margin-bottom: 10px; background: var(--background-fill-primary); }
.rag-source.rag-selected { border-color: #3b82f6; box-shadow: 0 0 0 2px #dbeafe; }
.rag-source-head { font-weight: 600; }
.rag-num { color: #1d4ed8; margin-right: 4px; }
.rag-source-meta { font-size: 0.8em; color: #64748b; margin: 2px 0 6px; }
.rag-source-text { font-size: 0.92em; line-height: 1.75; white-space: normal; }
.rag-source-text mark, #rag-chat mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.rag-docs-card { border: 1px solid var(--border-color-primary); border-radius: 10px; overflow: hidden;
  background: var(--background-fill-primary); }
table.rag-docs { width: 100%; border-collapse: collapse; font-size: 0.92rem; border: none !important; margin: 0 !important; }
table.rag-docs tr, table.rag-docs thead, table.rag-docs tbody { border: none !important; }
table.rag-docs th, table.rag-docs td { border: none !important; border-bottom: 1px solid var(--border-color-primary) !important;
  padding: 7px 12px !important; text-align: left; }
table.rag-docs tbody tr:last-child td { border-bottom: none !important; }
.rag-docs-card + .rag-meta { margin: 6px 2px 0; }
table.rag-docs tbody tr:hover { background: var(--background-fill-secondary); }
table.rag-docs th { background: var(--background-fill-secondary); font-weight: 600; }
.rag-num-cell { text-align: right !important; }
.rag-kb-msg { padding: 8px 12px; border-radius: 6px; background: #f0fdf4; color: #166534; border: 1px solid #bbf7d0; }
.rag-kb-error { background: #fef2f2; color: #991b1b; border-color: #fecaca; }
"""
