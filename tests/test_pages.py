"""Tests for rag.pages: running headers and footers of extracted PDF pages."""

from __future__ import annotations

from rag.pages import drop_running_lines


def pages_with(header: str | None, footer: str | None, n: int, body: str = "正文第{k}页的内容。\n下一行。") -> list[str]:
    out = []
    for k in range(1, n + 1):
        lines = []
        if header is not None:
            lines.append(header.format(k=k, n=n))
        lines.append(body.format(k=k))
        if footer is not None:
            lines.append(footer.format(k=k, n=n))
        out.append("\n".join(lines))
    return out


def test_drops_a_running_header_whose_page_number_changes():
    pages = drop_running_lines(pages_with("Debian 参考手册 {k}/ {n}", None, 6))
    assert all("参考手册" not in p for p in pages)
    assert pages[2].startswith("正文第3页的内容。")


def test_drops_bare_page_numbers_and_dashed_footers():
    for footer in ("{k}", "- {k} -", "第 {k} 页 共 {n} 页", "Page {k} of {n}"):
        pages = drop_running_lines(pages_with(None, footer, 5))
        assert all(p.endswith("下一行。") for p in pages), footer


def test_drops_roman_page_numbers_of_front_matter():
    pages = drop_running_lines([f"年度报告 {r}\n前言第{k}段。" for k, r in enumerate(["i", "ii", "iii", "iv"], 1)])
    assert pages == [f"前言第{k}段。" for k in range(1, 5)]


def test_keeps_everything_in_a_short_document():
    pages = pages_with("内部通知 {k}", None, 2)
    assert drop_running_lines(pages) == pages


def test_keeps_a_line_repeated_inside_the_pages():
    body = "第一行{k}。\n本条款自发布之日起施行。\n第三行。\n最后一行{k}。"
    pages = pages_with(None, None, 6, body=body)
    assert drop_running_lines(pages) == pages


def test_keeps_a_header_of_few_pages_in_a_long_document():
    pages = pages_with(None, None, 20)
    pages[3] = "第二章 软件包管理\n" + pages[3]
    pages[4] = "第二章 软件包管理\n" + pages[4]
    pages[5] = "第二章 软件包管理\n" + pages[5]
    assert drop_running_lines(pages) == pages


def test_keeps_first_lines_that_differ_in_words():
    pages = [f"{title}\n正文。" for title in ("公园开放", "道路维修", "学校招生", "医院扩建")]
    assert drop_running_lines(pages) == pages
