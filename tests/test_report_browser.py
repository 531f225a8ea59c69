"""The evaluation report in headless Chromium: rows, SVG charts and the filter box work offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, list[dict]]:
    from rag.config import load_settings
    from rag.embedders import FakeEmbedder
    from rag.evaluation import evaluate
    from rag.generators import FakeGenerator
    from rag.indexing import open_index, update_index
    from rag.pipeline import Pipeline

    from test_evaluation import CORPUS, QUESTIONS, oracle

    settings = load_settings(env={}, overrides={
        "paths": {"data_dir": str(tmp_path), "index_dir": str(tmp_path / "idx")},
        "embedder": {"backend": "fake"}, "generator": {"backend": "fake"}, "answer": {"min_relevance": 0.0},
    })
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in CORPUS.items():
        (docs / name).write_text(text, encoding="utf-8")
    update_index([docs], settings, FakeEmbedder())
    index = open_index(settings=settings, embedder=FakeEmbedder())
    evaluate(QUESTIONS, Pipeline(index, FakeGenerator(oracle), settings), out_dir=tmp_path / "run")
    return tmp_path / "run" / "report.html", QUESTIONS


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing; install Chromium to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            requests: list[str] = []
            context.on("request", lambda r: requests.append(r.url))
            p = context.new_page()
            p.requests = requests  # type: ignore[attr-defined]
            yield p
        finally:
            browser.close()


def test_report_renders_rows_charts_and_filters(report, page):
    path, questions = report
    page.goto(path.as_uri())
    rows = page.locator("#results tbody tr")
    assert rows.count() == len(questions)
    assert page.locator("#results tbody tr.right").count() == len(questions)  # the oracle is always right
    assert page.locator("#results mark").count() >= len(questions) - 1  # cited spans highlighted

    charts = page.locator("svg")
    assert charts.count() >= 4  # accuracy, hit rate, latency, first relevant rank
    assert page.locator("svg rect").count() >= 4
    box = page.locator("svg.bar-chart rect").first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0

    page.fill("#filter", questions[2]["question"])
    visible = page.locator("#results tbody tr:visible")
    assert visible.count() == 1 and questions[2]["id"] in visible.first.inner_text()
    assert page.inner_text("#shown") == "1"
    page.fill("#filter", "Q6")  # ids too, case-insensitive
    assert page.locator("#results tbody tr:visible").count() == 1
    page.fill("#filter", "没有这段文字")
    assert page.locator("#results tbody tr:visible").count() == 0 and page.inner_text("#shown") == "0"
    page.fill("#filter", "")
    assert page.locator("#results tbody tr:visible").count() == len(questions)
    page.select_option("#verdict", "wrong")
    assert page.locator("#results tbody tr:visible").count() == 0

    assert all(u.startswith("file://") for u in page.requests)  # type: ignore[attr-defined]
