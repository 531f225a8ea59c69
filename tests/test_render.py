"""The page's HTML renderers as pure functions: escaping, citations, refusals, panels, messages."""

from __future__ import annotations

from dataclasses import replace

from rag.types import Answer, Chunk, Citation, Hit


def chunk(text: str, title: str = "标题", doc_id: str = "doc1", date: str | None = "2025-01-02") -> Chunk:
    return Chunk(chunk_id=f"{doc_id}-c", doc_id=doc_id, text=text, start=0, end=len(text), title=title, date=date)


def answer(text: str, citations=(), hits=(), abstained=False, unsupported=(), timings=None) -> Answer:
    return Answer(question="问题？", text=text, citations=tuple(citations), hits=tuple(hits), abstained=abstained,
                  timings=timings or {"retrieve_ms": 12.3, "ttft_ms": 45.6, "tokens_per_s": 7.89},
                  unsupported=tuple(unsupported))


XSS_TITLE = '<script>alert("t")</script>标题'
XSS_TEXT = '前文。<img src=x onerror="alert(1)">图片说明。<script>alert(2)</script>后文。'


def test_source_card_escapes_document_html_and_marks_the_span():
    from rag.render import render_citation

    text = XSS_TEXT
    start = text.index("<img")
    end = text.index("图片说明。") + len("图片说明。")
    c = Citation(n=1, chunk=chunk(text, XSS_TITLE, doc_id="<b>id</b>"), span=(start, end), support=0.9)
    html = render_citation(answer("回答。[1]", [c]), 0, 0)
    assert "<script" not in html and "<img" not in html and "<b>id" not in html
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;标题" in html
    assert "&lt;b&gt;id&lt;/b&gt;" in html
    assert '<mark>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;图片说明。</mark>' in html
    assert "2025-01-02" in html


def test_highlight_clamps_bad_spans():
    from rag.render import highlight

    assert highlight("abc", (1, 2)) == "a<mark>b</mark>c"
    assert highlight("abc", (2, 99)) == "ab<mark>c</mark>"
    assert highlight("a<b", (5, 9)) == "a&lt;b"
    assert highlight("a<b", None) == "a&lt;b"


def verified(text: str, chunks, **kw) -> Answer:
    """An answer as the pipeline returns it: sentences checked by ``check_answer`` against ``chunks``."""
    from rag.citations import check_answer

    checked = check_answer(text, chunks)
    return Answer(question="问题？", text=text, citations=checked.citations, hits=kw.pop("hits", ()), abstained=False,
                  timings={"retrieve_ms": 12.3, "ttft_ms": 45.6, "tokens_per_s": 7.89},
                  unsupported=checked.unsupported, sentences=checked.verified, **kw)


def test_answer_is_escaped_and_citations_become_links():
    from rag.render import render_answer

    text = "经济增长5.5%。[1] 其中 <img src=x onerror=alert(1)> 和 **粗体** 都是原文。[2]"
    html = render_answer(verified(text, [chunk("经济增长5.5%。")]), 3)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "**粗体**" in html  # no Markdown pass: the characters stay as they are
    assert '<a class="rag-cite" href="#cite-3-0"' in html
    assert '<span class="rag-cite-bad"' in html  # [2] points at no chunk
    assert "检索 12 毫秒" in html and "首字 46 毫秒" in html and "7.9 token/秒" in html


def test_unsupported_sentences_are_marked_with_the_reason():
    from rag.render import render_answer

    html = render_answer(verified("经济增长5.5%。[1]人口增长了30%。[1]", [chunk("经济增长5.5%。")]), 0)
    assert '<span class="rag-unsupported"' in html
    marked = html.split('<span class="rag-unsupported"', 1)[1]
    assert marked.split("</span>", 1)[0].count("人口增长了30%") == 1
    assert "经济增长" not in marked
    tip = marked.split('title="', 1)[1].split('"', 1)[0]
    assert tip.startswith("这句话在资料中找不到依据：") and "30%" in tip  # the figure the chunk lacks
    assert "找不到依据" in html


def test_inferred_citation_is_shown_after_its_sentence():
    from rag.render import render_answer

    html = render_answer(verified("接待游客3161.8万人次。", [chunk("今天天气晴。"), chunk("游客3161.8万人次。")]), 0)
    assert 'class="rag-cite rag-inferred" href="#cite-0-0"' in html and "[2]" in html


def test_a_marker_that_does_not_hold_is_never_a_plain_link():
    from rag.render import plain_answer_body, render_answer

    chunks = [chunk("今天天气晴。", doc_id="a"), chunk("预计全年接待游客将达到3161.8万人次。", doc_id="b")]
    a = verified("预计全年接待游客将达到3161.8万人次[1]。", chunks)
    html = render_answer(a, 0)
    assert 'class="rag-cite" href' not in html  # no plain link for [1]
    weak = html.split('class="rag-cite rag-weak-cite"', 1)[1]
    assert weak.split("</a>", 1)[0].endswith("[1]") and "未核实" in weak
    assert 'class="rag-cite rag-inferred"' in html and html.index("rag-weak-cite") < html.index("rag-inferred")
    assert plain_answer_body(a) == "预计全年接待游客将达到3161.8万人次。[1 未核实][2 自动匹配]"
    good = render_answer(verified("预计全年接待游客将达到3161.8万人次[2]。", chunks), 0)
    assert "rag-weak-cite" not in good and "rag-inferred" not in good and "未核实" not in good
    assert '<a class="rag-cite" href="#cite-0-0"' in good


def test_citations_find_their_sentence_behind_a_lead_in():
    from rag.render import render_answer

    # The model wrote "资料编号为1的资料中提到，" and cited the wrong chunk; the verified sentence
    # has no lead-in and its citation [1] does not hold.
    chunks = [chunk("今天天气晴。", doc_id="a"), chunk("预计全年接待游客将达到3161.8万人次。", doc_id="b")]
    html = render_answer(verified("资料编号为1的资料中提到，预计全年接待游客将达到3161.8万人次。人口翻了三倍。", chunks), 0)
    assert "资料编号" not in html
    assert 'class="rag-cite rag-inferred"' in html and "[2]" in html
    assert 'class="rag-cite rag-weak-cite"' in html  # "资料编号为1" cited chunk 1, which does not hold
    marked = html.split('<span class="rag-unsupported"', 1)[1]
    assert "人口翻了三倍" in marked and "3161.8" not in marked


def test_the_cli_text_reads_the_same_structure():
    from rag.render import plain_answer_report

    chunks = [chunk("今天天气晴。", doc_id="a"), chunk("经济增长5.5%。", doc_id="b", date="2024-03-05T08:00")]
    hit = Hit(chunk=chunks[1], score=1.0, rank=1, duplicates=("b2", "b3"))
    out = plain_answer_report(verified("经济增长5.5%。[1][2]人口增长了30%。", chunks, hits=(hit,)))
    body, sources = out.split("\n\n出处：\n")
    assert body == "经济增长5.5%。[1 未核实][2]人口增长了30%。（⚠ 这句话在资料中找不到依据：30%）"
    assert sources.splitlines() == ["[2] 标题（文档 b · 发布于 2024-03-05 · 另有2篇相同报道（b2、b3））：经济增长5.5%。"]


def test_time_range_line_says_what_the_search_kept():
    from rag.dates import TimeRange
    from rag.render import render_answer, render_time_range

    a = verified("经济增长5.5%。[1]", [chunk("经济增长5.5%。")])
    assert render_time_range(a) == ""
    kept = replace(a, time_range=TimeRange("2023-08-17", "2023-08-18", "<昨天>"))
    assert render_time_range(kept) == '<div class="rag-meta">时间范围：2023-08-17 至 2023-08-18（&lt;昨天&gt;）</div>'
    assert render_time_range(kept) in render_answer(kept, 0)
    dropped = replace(a, time_range=TimeRange("2030-01-01", "2030-12-31", "2030年", applied=False))
    assert render_time_range(dropped) == ('<div class="rag-meta">问题中的时间“2030年”在知识库中没有对应日期的资料，'
                                          '已在全部资料中检索</div>')


def test_source_cards_show_the_date_and_duplicates():
    from rag.render import render_citation, render_hit

    c = chunk("经济增长5.5%。", doc_id="b", date="2024-03-05T08:00")
    hit = Hit(chunk=c, score=1.0, rank=1, duplicates=("b2", "<b3>"))
    a = verified("经济增长5.5%。[1]", [c], hits=(hit,))
    panel = render_citation(a, 0, 0)
    assert "发布于 2024-03-05 ·" in panel and "另有2篇相同报道（b2、&lt;b3&gt;）" in panel
    assert "另有2篇相同报道" in render_hit(a, 0)
    undated = verified("经济增长5.5%。[1]", [chunk("经济增长5.5%。", date=None)])
    assert "日期未知" in render_citation(undated, 0, 0) and "相同报道" not in render_citation(undated, 0, 0)


def test_sources_panel_lists_only_citations_that_hold():
    from rag.render import first_held, render_citation

    chunks = [chunk("今天天气晴。", "天气", doc_id="a"), chunk("经济增长5.5%。", "经济", doc_id="b")]
    a = verified("经济增长5.5%。[1][2]", chunks)
    assert [c.holds for c in a.citations] == [False, True] and first_held(a) == 1
    assert "天气" not in render_citation(a, 1, 0)
    weak = render_citation(a, 0, 0)  # opened from the struck-through marker
    assert "未核实" in weak and "经济" in weak


def test_refusal_looks_different_and_lists_related_chunks():
    from rag.render import render_answer

    hit = Hit(chunk=chunk("<i>相关</i>的内容", "相关<文章>"), score=0.5, rank=1)
    html = render_answer(answer("资料中没有找到这个问题的答案。", hits=[hit], abstained=True,
                                timings={"retrieve_ms": 3.0, "ttft_ms": 0.0, "tokens_per_s": 0.0}), 2)
    assert 'class="rag-refusal"' in html and "无法根据知识库回答" in html
    assert "可能相关的资料" in html and 'href="#hit-2-0"' in html
    assert "相关&lt;文章&gt;" in html and "<i>" not in html
    assert "未调用模型" in html


def test_documents_table_escapes_titles_and_shows_the_origin():
    from rag.render import render_documents

    html = render_documents([{"doc_id": "a", "title": "<script>x</script>", "chunks": 3, "added": "2025-01-01T10:00:00",
                              "uploaded": True, "date": "2023-08-17", "collection": "新闻"},
                             {"doc_id": "b", "title": "种子", "chunks": 2, "added": "2025-01-01T10:00:00",
                              "uploaded": False}])
    row_a, row_b = html.split("<tbody>", 1)[1].split("</tr>")[:2]
    assert "<td>2023-08-17</td><td>新闻</td>" in row_a and "<td>—</td><td>—</td>" in row_b
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert html.index("上传") < html.index("内置")  # row a is the upload, row b built in
    assert "2025-01-01 10:00:00" in html and "共 2 篇文档，5 个分块" in html
    assert "<th>发布日期</th><th>知识库</th>" in html
    assert "还没有文档" in render_documents([])


def test_plain_answer_for_copy():
    from rag.render import plain_answer

    a = verified("经济增长5.5%。[1]又增长了。[1]天气晴。[2]", [chunk("经济增长5.5%。又增长了。", "文章一", "d1"),
                                                   chunk("下雨。", "文章二", "d2")])
    assert plain_answer(a) == "经济增长5.5%。[1]又增长了。[1]天气晴。[2 未核实]（⚠ 这句话在资料中找不到依据）\n\n出处：\n[1] 文章一（d1）"


def test_streamed_text_is_tidied_like_the_final_answer():
    from rag.render import render_streaming

    shown = render_streaming("资料编号为1的资料中提到，会议应到代表300人。资料[2]中提到，实到")
    assert "资料编号" not in shown and "中提到" not in shown
    assert "会议应到代表300人[1]。实到[2]" in shown and "rag-cursor" in shown


def test_upload_report_lines_and_error_colour():
    from rag.render import render_upload
    from rag.service import UploadReport

    ok = render_upload(UploadReport(added=("a", "b"), updated=("c",), problems=("坏.txt：无法读取（x）",), chunks=9,
                                    seconds=1.25, indexed=True))
    assert 'class="rag-kb-msg"' in ok  # something was added: not shown as an error
    assert "已添加 2 篇：a、b" in ok and "已更新 1 篇：c" in ok and "索引现有 9 个分块，用时 1.2 秒" in ok
    assert ok.index("索引现有") < ok.index("坏.txt")
    bad = render_upload(UploadReport(problems=("<b>x</b>.exe：不支持的文件类型 .exe",)))
    assert "rag-kb-error" in bad and "&lt;b&gt;x&lt;/b&gt;" in bad and "索引现有" not in bad
    same = render_upload(UploadReport(unchanged=("a",), chunks=3, indexed=True))
    assert "内容未变化：a" in same and "rag-kb-error" not in same


def test_removal_message():
    from rag.render import render_removal
    from rag.service import Removal

    assert render_removal(Removal("d<1>", "标题", True)) == (
        '<div class="rag-kb-msg">已从知识库删除《标题》（d&lt;1&gt;），并删除了上传的文件。</div>')
    assert "删除了上传的文件" not in render_removal(Removal("d", "标题", False))


def test_banner_follows_readiness():
    from rag.render import render_banner
    from rag.service import Readiness

    assert "正在建立索引 40%" in render_banner(Readiness(False, "正在建立索引", 0.4))
    assert "rag-spinner" in render_banner(Readiness(False, "正在预热生成模型"))
    failed = render_banner(Readiness(True, "启动中", error="<x> not found"))
    assert "rag-banner-error" in failed and "&lt;x&gt; not found" in failed
    assert "知识库还是空的" in render_banner(Readiness(True, "就绪", 1.0, note="知识库还是空的"))
    assert render_banner(Readiness(True, "就绪", 1.0)) == ""


def test_chat_messages_escape_questions_and_show_queued_turns():
    from rag.render import chat_messages

    msgs = chat_messages([{"question": "<b>问</b>", "html": "<div>答</div>"}, {"question": "  ", "html": ""}])
    assert msgs[0] == {"role": "user", "content": "&lt;b&gt;问&lt;/b&gt;"}
    assert msgs[1] == {"role": "assistant", "content": "<div>答</div>"}
    assert "（空问题）" in msgs[2]["content"] and "排队中" in msgs[3]["content"]


def test_error_and_status_are_escaped():
    from rag.render import render_error, render_status

    assert render_error("模型进程意外退出，已自动重启，请重试<x>") == (
        '<div class="rag-error"><b>⚠ 出错了：</b>模型进程意外退出，已自动重启，请重试&lt;x&gt;</div>')
    assert "&lt;x&gt;" in render_status("<x>") and "rag-spinner" in render_status("等")


def test_doc_choices_label_title_and_id():
    from rag.render import doc_choices

    assert doc_choices([{"doc_id": "a", "title": "甲"}, {"doc_id": "b"}]) == [("甲（a）", "a"), ("b（b）", "b")]


def test_import_render_is_light():
    import subprocess
    import sys

    code = "import sys, rag.render; print(any(m in sys.modules for m in ('gradio', 'numpy', 'rag.pipeline')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

