"""HTML for the chat page: pure functions from library data (``Answer``, documents, readiness) to markup.

Everything taken from documents (chunk text, titles, ids) and from the model (answers) is escaped
with ``html.escape`` before any markup is added around it, and the chat renders HTML without a
Markdown pass, so a document holding ``<script>`` or ``**`` shows exactly those characters.

Citation markers become ``<a class="rag-cite" href="#cite-T-K">`` links (Gradio's sanitiser keeps
``class`` and ``href``, drops ``data-*``); ``static/page.js`` turns a click on one into a request
for that chunk. No Gradio here: these functions are tested on their own (tests/test_render.py).
User-facing text is Simplified Chinese.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .service import Readiness, Removal, UploadReport
    from .types import Answer, Chunk, Citation, Sentence


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


def _citation_keys(answer: Answer) -> dict[Citation, int]:
    """Each citation's position ``k`` in ``answer.citations`` (the ``#cite-T-K`` the page opens)."""
    keys: dict[Citation, int] = {}
    for k, c in enumerate(answer.citations):
        keys.setdefault(c, k)
    return keys


def _cite_link(turn: int, k: int, n: int, title: str, inferred: bool = False, weak: bool = False) -> str:
    cls = "rag-cite rag-inferred" if inferred else ("rag-cite rag-weak-cite" if weak else "rag-cite")
    tip = (f"自动匹配的出处：{title}" if inferred
           else f"未核实：这条资料不支持这句话（模型标注的出处）：{title}" if weak else f"查看出处：{title}")
    link = f'<a class="{cls}" href="#cite-{turn}-{k}" title="{esc(tip)}">[{n}]</a>'
    # A marker that does not hold is never a plain citation: struck through and said in words.
    return link + '<sup class="rag-unverified">未核实</sup>' if weak else link


def _sentence_marks(sentence: Sentence) -> list[tuple[str, Citation | int]]:
    """What follows a sentence, in order: ("held" | "weak", citation) for each marker the model
    wrote, ("bad", n) for a marker naming no chunk, then ("inferred", citation) for a chunk the
    checker attached. Shared by the page and ``rag ask`` so both show the same."""
    marks: list[tuple[str, Citation | int]] = []
    own = [c for c in sentence.citations if not c.inferred]
    for n in sentence.cited:
        c = next((c for c in own if c.n == n), None)
        marks.append(("bad", n) if c is None else ("held" if c.holds else "weak", c))
    marks += [("inferred", c) for c in sentence.citations if c.inferred]
    return marks


def _unsupported_reason(sentence: Sentence) -> str:
    return "这句话在资料中找不到依据" + (f"：{'；'.join(sentence.problems)}" if sentence.problems else "")


def render_answer_body(answer: Answer, turn: int) -> str:
    """The verified sentences (``Answer.sentences``), escaped, with clickable citations that hold,
    markers that do not hold struck through as 未核实, and unsupported sentences underlined."""
    if not answer.sentences:  # a refusal: its one fixed text
        return text_html(answer.text)
    keys = _citation_keys(answer)
    parts: list[str] = []
    for s in answer.sentences:
        inner = [esc(s.text)]
        for kind, x in _sentence_marks(s):
            if kind == "bad":
                inner.append(f'<span class="rag-cite-bad" title="无效引用：没有第 {x} 条资料">[{x}]</span>')
            else:
                inner.append(_cite_link(turn, keys.get(x, 0), x.n, x.chunk.title, inferred=kind == "inferred",
                                        weak=kind == "weak"))
        html_s = "".join(inner)
        if s.verdict == "unsupported":
            html_s = (f'<span class="rag-unsupported" title="{esc(_unsupported_reason(s))}">{html_s}'
                      f'<sup class="rag-warn">⚠ 无依据</sup></span>')
        # Sentences lose the spaces between them when split; Latin text needs one back.
        if parts and s.text[:1].isascii() and s.text[:1].isalnum():
            parts.append(" ")
        parts.append(html_s)
    return "".join(parts)


def plain_answer_body(answer: Answer) -> str:
    """The answer as ``render_answer_body`` shows it, in plain text: held citations as ``[n]``, a
    marker that does not hold as ``[n 未核实]``, an inferred one as ``[n 自动匹配]``, an unsupported
    sentence followed by ``（⚠ 无依据：reason）``."""
    if not answer.sentences:
        return answer.text.strip()
    parts: list[str] = []
    for s in answer.sentences:
        out = s.text
        for kind, x in _sentence_marks(s):
            out += {"bad": lambda: f"[{x} 无效]", "held": lambda: f"[{x.n}]", "weak": lambda: f"[{x.n} 未核实]",
                    "inferred": lambda: f"[{x.n} 自动匹配]"}[kind]()
        if s.verdict == "unsupported":
            out += f"（⚠ {_unsupported_reason(s)}）"
        if parts and s.text[:1].isascii() and s.text[:1].isalnum():
            parts.append(" ")
        parts.append(out)
    return "".join(parts)


def render_timings(timings: dict[str, float], generated: bool = True) -> str:
    """The discreet line under an answer: retrieval time, time to first token, speed."""
    items = [f"检索 {timings.get('retrieve_ms', 0.0):.0f} 毫秒"]
    if "translate_ms" in timings:
        items.insert(0, f"翻译 {timings['translate_ms']:.0f} 毫秒")
    if generated:
        items.append(f"首字 {timings.get('ttft_ms', 0.0):.0f} 毫秒")
        items.append(f"{timings.get('tokens_per_s', 0.0):.1f} token/秒")
    else:
        items.append("未调用模型")
    return f'<div class="rag-meta">{" · ".join(items)}</div>'


def _snippet(text: str, n: int = 60) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[:n] + "…"


def render_related(answer: Answer, turn: int, limit: int = 3) -> str:
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


def render_answer(answer: Answer, turn: int) -> str:
    """The final assistant message for one turn."""
    from .injection import check_answer_for_injection

    generated = answer.timings.get("ttft_ms", 0.0) > 0 or not answer.abstained
    # An answer (or the draft a check replaced) that carries out an instruction found in a source.
    flag = check_answer_for_injection(answer)
    meta = (f'<div class="rag-note rag-injection">⚠ {esc(flag.notice())}</div>' if flag else "") + \
        render_meta_line(translation_line(answer)) + render_time_range(answer) + render_timings(answer.timings, generated)
    if answer.abstained and not answer.unsupported:
        return ('<div class="rag-refusal"><div class="rag-refusal-head">⊘ 无法根据知识库回答</div>'
                f'<div class="rag-refusal-text">{text_html(answer.text)}</div>'
                f"{render_related(answer, turn)}</div>{meta}")
    reported = reported_line(answer)
    lead = f'<div class="rag-reported">{esc(reported)}：</div>' if reported else ""
    body = f'<div class="rag-answer">{lead}{render_answer_body(answer, turn)}</div>'
    if answer.abstained:
        return ('<div class="rag-refusal rag-weak"><div class="rag-refusal-head">⚠ 这个回答在资料中找不到依据，请勿采信</div>'
                f"{body}{render_related(answer, turn)}</div>{meta}")
    note = ""
    if answer.unsupported:
        note = '<div class="rag-note">⚠ 标有波浪线的句子在资料中找不到依据，请谨慎参考。</div>'
    return f"{body}{note}{meta}"


def reported_line(answer: Answer) -> str:
    """"据2023年8月17日报道" for an answer to a question about time whose citations hold in dated
    articles ('' otherwise): the reader sees which day's report the figure comes from."""
    if answer.abstained or not answer.reported_on:
        return ""
    parts, year = [], None
    for iso in answer.reported_on[:3]:
        y, m, d = iso[:4], int(iso[5:7]), int(iso[8:10])
        parts.append(f"{m}月{d}日" if y == year else f"{y}年{m}月{d}日")
        year = y
    more = "等" if len(answer.reported_on) > 3 else ""
    return f"据{'、'.join(parts)}{more}报道"


def _reported_body(answer: Answer) -> str:
    """The answer's plain text, led by ``reported_line`` when it has one."""
    reported = reported_line(answer)
    return f"{reported}：{plain_answer_body(answer)}" if reported else plain_answer_body(answer)


def time_range_line(answer: Answer) -> str:
    """The line that says which publication dates the search kept ('' when the question named no time)."""
    tr = answer.time_range
    if tr is None:
        return ""
    if not tr.applied:
        return f"问题中的时间“{tr.expression}”在知识库中没有对应日期的资料，已在全部资料中检索"
    return f"时间范围：{tr.describe()}"


def translation_line(answer: Answer) -> str:
    """The Chinese reading an English question was searched and answered with ('' when none)."""
    return f"问题已译为中文检索：{answer.translation}" if answer.translation else ""


def render_meta_line(line: str) -> str:
    """A discreet meta line under an answer ('' for no line)."""
    return f'<div class="rag-meta">{esc(line)}</div>' if line else ""


def render_time_range(answer: Answer) -> str:
    """``time_range_line`` as the page's discreet meta line."""
    return render_meta_line(time_range_line(answer))


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


def duplicates_line(duplicates: Sequence[str]) -> str:
    """The near-duplicate reports folded under a hit ('' when none)."""
    return f"另有{len(duplicates)}篇相同报道（{'、'.join(duplicates)}）" if duplicates else ""


def _source_card(chunk: Chunk, span: tuple[int, int] | None, *, label: str, extra: str = "",
                 selected: bool = False, duplicates: Sequence[str] = ()) -> str:
    cls = "rag-source rag-selected" if selected else "rag-source"
    meta = [f"文档 {esc(chunk.doc_id)}", f"发布于 {esc(chunk.date[:10])}" if chunk.date else "日期未知"]
    if duplicates:
        meta.append(esc(duplicates_line(duplicates)))
    if extra:
        meta.append(extra)
    return (f'<div class="{cls}"><div class="rag-source-head"><span class="rag-num">{esc(label)}</span> '
            f'<span class="rag-source-title">{esc(chunk.title or chunk.doc_id)}</span></div>'
            f'<div class="rag-source-meta">{" · ".join(meta)}</div>'
            f'<div class="rag-source-text">{highlight(chunk.text, span)}</div></div>')


def render_citation(answer: Answer, k: int, turn: int | None = None) -> str:
    """The sources panel for citation ``k`` of an answer: that chunk first, the others below."""
    cites = list(answer.citations)
    if not 0 <= k < len(cites):
        return render_panel_hint("找不到这条出处。")
    c = cites[k]
    dups = {h.chunk.chunk_id: h.duplicates for h in answer.hits}

    def extra(x) -> str:
        s = f"支持度 {x.support:.0%}"
        if not x.holds:
            return s + " · 未核实：不支持它所标注的句子"
        return s + " · 自动匹配" if x.inferred else s

    out = ['<div class="rag-panel">', '<div class="rag-panel-head">出处</div>',
           _source_card(c.chunk, c.span, label=f"[{c.n}]", extra=extra(c), selected=True,
                        duplicates=dups.get(c.chunk.chunk_id, ()))]
    seen = {(c.n, tuple(c.span))}
    others = []
    for j, o in enumerate(cites):
        # Other sources are the citations that hold; one that does not is opened only from its marker.
        if (o.n, tuple(o.span)) in seen or not o.holds:
            continue
        seen.add((o.n, tuple(o.span)))
        others.append(_source_card(o.chunk, o.span, label=f"[{o.n}]", extra=extra(o),
                                   duplicates=dups.get(o.chunk.chunk_id, ())))
    if others:
        out.append('<div class="rag-panel-sub">本回答的其他出处</div>')
        out.extend(others)
    out.append("</div>")
    return "".join(out)


def render_hit(answer: Answer, i: int) -> str:
    """The sources panel for the ``i``-th retrieved chunk (listed under a refusal)."""
    if not 0 <= i < len(answer.hits):
        return render_panel_hint("找不到这条资料。")
    h = answer.hits[i]
    card = _source_card(h.chunk, None, label=f"#{i + 1}", extra=f"检索排名 {h.rank or i + 1}", selected=True,
                        duplicates=h.duplicates)
    return f'<div class="rag-panel"><div class="rag-panel-head">可能相关的资料</div>{card}</div>'


def first_held(answer: Answer) -> int | None:
    """The position of the answer's first citation that holds (the panel opens on it), or None."""
    return next((k for k, c in enumerate(answer.citations) if c.holds), None)


def render_panel_hint(message: str = "") -> str:
    """The sources panel before anything is selected."""
    msg = message or "点击回答中的 [1]、[2] 等引用编号，在这里查看原文，依据的句子会高亮显示。"
    return f'<div class="rag-panel"><div class="rag-panel-head">出处</div><div class="rag-hint">{esc(msg)}</div></div>'


def render_documents(docs: Sequence[dict]) -> str:
    """The knowledge-base table: title, id, chunks, date added, origin (``uploaded`` set by the service)."""
    if not docs:
        return '<div class="rag-hint">知识库中还没有文档。请在下方上传文档。</div>'
    rows = []
    for d in docs:
        origin = "上传" if d.get("uploaded") else "内置"
        added = str(d.get("added") or "").replace("T", " ")
        rows.append(f"<tr><td>{esc(d.get('title') or d['doc_id'])}</td><td class='rag-docid'>{esc(d['doc_id'])}</td>"
                    f"<td>{esc(str(d.get('date') or '—')[:10])}</td><td>{esc(d.get('collection') or '—')}</td>"
                    f"<td class='rag-num-cell'>{esc(d.get('chunks', 0))}</td><td>{esc(added)}</td><td>{origin}</td></tr>")
    total = sum(int(d.get("chunks", 0) or 0) for d in docs)
    return ('<div class="rag-docs-card"><table class="rag-docs"><thead><tr><th>标题</th><th>文档编号</th><th>发布日期</th><th>知识库</th><th>分块数</th>'
            f'<th>添加时间</th><th>来源</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            f'<div class="rag-meta">共 {len(docs)} 篇文档，{total} 个分块</div>')


def plain_answer(answer: Answer) -> str:
    """What 复制 puts on the clipboard: the answer as the page shows it and the sources that hold."""
    lines = [_reported_body(answer)]
    seen: dict[int, Chunk] = {}
    for c in answer.citations:
        if c.holds:
            seen.setdefault(c.n, c.chunk)
    if seen:
        lines.append("")
        lines.append("出处：")
        lines.extend(f"[{n}] {ch.title}（{ch.doc_id}）" for n, ch in sorted(seen.items()))
    return "\n".join(lines)


def plain_answer_report(answer: Answer) -> str:
    """``rag ask``'s text output: what the page shows for an answer, in plain text (the refusal
    head, the verified sentences, the sources that hold with their supporting span, dates and
    duplicates, the related chunks under a refusal, the time range line)."""
    lines: list[str] = []
    if answer.abstained:
        lines.append("⊘ 无法根据知识库回答" if not answer.unsupported else "⚠ 这个回答在资料中找不到依据，请勿采信")
    lines.append(_reported_body(answer))
    dups = {h.chunk.chunk_id: h.duplicates for h in answer.hits}
    seen: set[int] = set()
    held = [c for c in answer.citations if c.holds and not (c.n in seen or seen.add(c.n))]
    if held:
        lines += ["", "出处："]
        for c in held:
            ch = c.chunk
            meta = [f"文档 {ch.doc_id}", f"发布于 {ch.date[:10]}" if ch.date else "日期未知",
                    duplicates_line(dups.get(ch.chunk_id, ())), "自动匹配" if c.inferred else ""]
            lines.append(f"[{c.n}] {ch.title}（{' · '.join(m for m in meta if m)}）：{ch.text[c.span[0]:c.span[1]][:120]}")
    if answer.abstained and answer.hits:
        lines += ["", "可能相关的资料："]
        for h in answer.hits[:3]:
            dup = duplicates_line(h.duplicates)
            lines.append(f"  {h.chunk.doc_id} · {h.chunk.title}{'（' + dup + '）' if dup else ''}：{_snippet(h.chunk.text)}")
    meta = [x for x in (translation_line(answer), time_range_line(answer)) if x]
    if meta:
        lines += [""] + meta
    return "\n".join(lines)


def render_kb_message(lines: Sequence[str], error: bool = False) -> str:
    """A message under the knowledge base: one escaped line per item, red when ``error``."""
    cls = "rag-kb-msg rag-kb-error" if error else "rag-kb-msg"
    return f'<div class="{cls}">{"<br>".join(esc(x) for x in lines)}</div>'


def doc_choices(docs: Sequence[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the removal dropdown."""
    return [(f"{d.get('title') or d['doc_id']}（{d['doc_id']}）", d["doc_id"]) for d in docs]



def chat_messages(turns: Sequence[dict]) -> list[dict]:
    """The Chatbot value for the session's turns."""
    msgs: list[dict] = []
    for t in turns:
        q = t["question"]
        msgs.append({"role": "user", "content": text_html(q) if q.strip() else '<span class="rag-hint">（空问题）</span>'})
        msgs.append({"role": "assistant", "content": t.get("html") or render_status("排队中，请稍候…")})
    return msgs


def upload_lines(report: UploadReport) -> list[str]:
    """What an upload did, one Chinese line per fact, problems last."""
    lines = []
    if report.added:
        lines.append(f"已添加 {len(report.added)} 篇：{'、'.join(report.added)}")
    if report.updated:
        lines.append(f"已更新 {len(report.updated)} 篇：{'、'.join(report.updated)}")
    if report.replaced:
        lines.append(f"已替换 {len(report.replaced)} 篇：{'、'.join(report.replaced)}")
    if report.unchanged and not report.added and not report.updated:
        lines.append(f"内容未变化：{'、'.join(report.unchanged)}")
    if report.indexed:
        lines.append(f"索引现有 {report.chunks} 个分块，用时 {report.seconds:.1f} 秒。")
    return lines + list(report.problems)


def render_upload(report: UploadReport) -> str:
    """The message after an upload: red when nothing was added or updated and something went wrong."""
    return render_kb_message(upload_lines(report), error=bool(report.problems) and not report.changed)


def render_removal(removal: Removal) -> str:
    """The message after removing a document."""
    deleted = "，并删除了上传的文件" if removal.deleted_file else ""
    return render_kb_message([f"已从知识库删除《{removal.title}》（{removal.doc_id}）{deleted}。"])


def render_banner(readiness: Readiness) -> str:
    """The line above the page while models and index are prepared (empty when there is nothing to say)."""
    if readiness.error:
        return f'<div class="rag-banner rag-banner-error">⚠ 模型/索引准备失败：{esc(readiness.error)}</div>'
    if not readiness.ready:
        return (f'<div class="rag-banner"><span class="rag-spinner"></span>正在准备模型/索引…'
                f'（{esc(readiness.describe())}）</div>')
    if readiness.note:
        return f'<div class="rag-banner">{esc(readiness.note)}</div>'
    return ""
