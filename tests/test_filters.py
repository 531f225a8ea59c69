"""Filters and collections (issue 15) through the index, the Python API, the CLI and the evaluation;
question dates as a filter or a recency prior; near-duplicates folded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.types import SearchFilter

# Four reports of the same kind on different days, a reprint of one of them, and a city page.
NEWS = [
    {"doc_id": "fx-0725", "text": "2023-07-25 09:20，正文：7月25日，人民币兑美元中间价报7.1406，上调45点。"},
    {"doc_id": "fx-0802", "text": "2023-08-02 09:20，正文：8月2日，人民币兑美元中间价报7.1368，下调85点。"},
    {"doc_id": "fx-0815", "text": "2023-08-15 09:20，正文：中新经纬8月15日电 人民币兑美元中间价报7.1768，调贬82个基点。"},
    {"doc_id": "fx-0815-copy", "text": "2023-08-16 08:00，正文：中新经纬8月15日电 人民币兑美元中间价报7.1768，调贬82个基点。"},
    {"doc_id": "nodate", "text": "人民币兑美元中间价的形成机制说明：中间价参考上日收盘汇率。"},
]
CITY = {"doc_id": "xining", "text": "本报讯（记者 施翔）2024年2月1日，西宁市人民代表大会开幕，人民币存款余额增长。",
        "collection": "西宁日报"}


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def news_settings(settings):
    settings.retrieval.duplicate_threshold = 0.6
    return settings


@pytest.fixture
def news_index(tmp_path, news_settings, fake_embedder):
    from rag.indexing import open_index, update_index

    update_index([_jsonl(tmp_path / "news.jsonl", NEWS)], news_settings, fake_embedder, collection="财经")
    update_index([_jsonl(tmp_path / "city.jsonl", [CITY])], news_settings, fake_embedder)
    return open_index(settings=news_settings, embedder=fake_embedder)


def _docs(hits) -> list[str]:
    return [h.chunk.doc_id for h in hits]


# --- the index --------------------------------------------------------------------------------


def test_documents_carry_date_source_collection_and_duplicate_group(news_index):
    docs = {d["doc_id"]: d for d in news_index.documents()}
    assert (docs["fx-0815"]["date"], docs["fx-0815"]["time"], docs["fx-0815"]["date_source"]) == \
        ("2023-08-15", "09:20", "header")
    assert docs["nodate"]["date"] is None and docs["nodate"]["date_source"] is None
    assert docs["xining"]["date_source"] == "lead" and docs["xining"]["date"] == "2024-02-01"
    assert docs["fx-0725"]["collection"] == "财经" and docs["xining"]["collection"] == "西宁日报"
    # the reprint and its original are one story; the other days' reports are not
    assert docs["fx-0815"]["duplicate_group"] == docs["fx-0815-copy"]["duplicate_group"] == "fx-0815"
    assert docs["fx-0802"]["duplicate_group"] is None
    assert news_index.newest_date() == "2024-02-01"
    # chunks carry the publication date found in the text
    assert news_index.chunks_of("fx-0802")[0].date == "2023-08-02"


def test_allowed_rows_and_masks_in_both_retrievers(news_index):
    mask = news_index.allowed_rows(SearchFilter(since="2023-08-01", until="2023-08-15"))
    allowed_docs = {d for d, ok in zip(news_index.db.doc_ids(), mask) if ok}
    assert allowed_docs == {"fx-0802", "fx-0815"}
    qv = news_index.embedder.embed_queries(["人民币兑美元中间价"])[0]
    assert {r for r, _ in news_index.dense.search(qv, 10, allowed=mask)} <= set(np.flatnonzero(mask))
    from rag.sparse import tokenize

    rows = news_index.sparse.search(tokenize("人民币兑美元中间价"), 10, allowed=mask)
    assert rows and {r for r, _ in rows} <= set(np.flatnonzero(mask))
    # undated documents pass a question's range, not a user's
    keep = news_index.allowed_rows(SearchFilter(since="2023-08-01", keep_undated=True))
    assert "nodate" in {d for d, ok in zip(news_index.db.doc_ids(), keep) if ok}
    assert news_index.allowed_rows(None) is None and news_index.allowed_rows(SearchFilter()) is None


def test_retrieve_with_filters_by_date_document_and_collection(news_index):
    q = "人民币兑美元中间价报多少？"
    assert set(_docs(news_index.search(q, 5, filters=SearchFilter(since="2023-08-02", until="2023-08-02")))) == {"fx-0802"}
    assert set(_docs(news_index.search(q, 5, filters=SearchFilter(doc_ids=frozenset({"fx-0725"}))))) == {"fx-0725"}
    assert set(_docs(news_index.search(q, 5, filters=SearchFilter(collections=frozenset({"西宁日报"}))))) == {"xining"}
    assert news_index.search(q, 5, filters=SearchFilter(since="2030-01-01")) == []


def test_user_date_override_survives_reindexing(tmp_path, news_index, news_settings, fake_embedder):
    from rag.indexing import open_index, set_document_fields, update_index

    set_document_fields({"nodate": {"date": "2023-08-01"}, "fx-0725": {"collection": "归档"}}, news_settings)
    update_index([tmp_path / "news.jsonl"], news_settings, fake_embedder)
    docs = {d["doc_id"]: d for d in open_index(settings=news_settings, embedder=fake_embedder).documents()}
    assert (docs["nodate"]["date"], docs["nodate"]["date_source"]) == ("2023-08-01", "user")
    assert docs["fx-0725"]["collection"] == "归档"  # no --collection this time: the document keeps its own
    from rag.errors import InputError

    with pytest.raises(InputError, match="YYYY-MM-DD"):
        set_document_fields({"nodate": {"date": "soon"}}, news_settings)
    with pytest.raises(InputError, match="not in the index"):
        set_document_fields({"missing": {"date": "2023-08-01"}}, news_settings)


# --- the Python API ---------------------------------------------------------------------------


@pytest.fixture
def news_pipeline(news_index, news_settings):
    from rag.generators import FakeGenerator
    from rag.pipeline import Pipeline

    return Pipeline(news_index, FakeGenerator(), news_settings)


def test_ask_with_filters_and_collections(news_pipeline):
    a = news_pipeline.ask("人民币兑美元中间价报多少？", filters=SearchFilter(doc_ids=frozenset({"fx-0802"})))
    assert set(_docs(a.hits)) == {"fx-0802"}
    a = news_pipeline.ask("人民币存款余额增长了吗？", collections=["西宁日报"])
    assert set(_docs(a.hits)) == {"xining"}


def test_question_date_becomes_a_filter_and_is_reported(news_pipeline):
    a = news_pipeline.ask("8月2日人民币兑美元中间价报多少？", reference_date="2023-08-19")
    assert _docs(a.hits)[0] == "fx-0802"
    assert {h.chunk.date for h in a.hits} <= {"2023-08-02", "2023-08-03", None}
    d = a.to_dict()["time_range"]
    assert (d["since"], d["until"], d["applied"]) == ("2023-08-02", "2023-08-03", True)
    # relative to the reference day
    a = news_pipeline.ask("前天人民币兑美元中间价报多少？", reference_date="2023-08-04")
    assert _docs(a.hits)[0] == "fx-0802"


def test_latest_prefers_the_newest_report(news_pipeline, news_settings):
    a = news_pipeline.ask("最新的人民币兑美元中间价报多少？")
    assert _docs(a.hits)[0] in ("fx-0815", "fx-0815-copy") and a.time_range.recency
    news_settings.retrieval.question_dates = False
    assert news_pipeline.ask("最新的人民币兑美元中间价报多少？").time_range is None


def test_a_range_that_holds_nothing_is_named_in_the_refusal(news_pipeline):
    a = news_pipeline.ask("人民币兑美元中间价报多少？", filters=SearchFilter(since="2030-01-01", until="2030-12-31"))
    assert a.abstained and "2030-01-01" in a.text and "2030-01-01" in a.reason and not a.hits


def test_a_question_range_with_no_document_is_dropped_not_a_refusal(news_pipeline, news_settings):
    news_settings.retrieval.fold_duplicates = False
    # No document is from 2021 (undated ones pass a question's range, so ask within two dated ones).
    a = news_pipeline.ask("2021年人民币兑美元中间价报多少？", filters=SearchFilter(doc_ids=frozenset({"fx-0725", "fx-0802"})),
                          reference_date="2023-08-19")
    assert a.hits and a.time_range is not None and not a.time_range.applied


def test_duplicates_are_folded_under_one_hit(news_pipeline):
    a = news_pipeline.ask("8月15日人民币兑美元中间价调贬多少个基点？", reference_date="2023-08-19")
    docs = _docs(a.hits)
    assert ("fx-0815" in docs) != ("fx-0815-copy" in docs)  # one of them, never both
    rep = next(h for h in a.hits if h.chunk.doc_id in ("fx-0815", "fx-0815-copy"))
    assert set(rep.duplicates) | {rep.chunk.doc_id} == {"fx-0815", "fx-0815-copy"}
    assert a.to_dict()["hits"][0]["duplicates"] == list(a.hits[0].duplicates)


def test_source_blocks_carry_the_date_when_the_question_is_about_time(news_pipeline):
    news_pipeline.ask("8月2日人民币兑美元中间价报多少？", reference_date="2023-08-19")
    prompt = news_pipeline.generator.calls[-1][-1]["content"]
    assert '日期="2023-08-02"' in prompt
    news_pipeline.ask("人民币兑美元中间价的形成机制是什么？")
    assert "日期=" not in news_pipeline.generator.calls[-1][-1]["content"]


# --- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_config(tmp_path, news_settings):
    cfg = tmp_path / "rag.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{news_settings.paths.data_dir}"\nindex_dir = "{news_settings.paths.index_dir}"\n'
                   '[embedder]\nbackend = "fake"\n[generator]\nbackend = "fake"\n[answer]\nmin_relevance = 0.0\n',
                   encoding="utf-8")
    return cfg


def _cli(capsys, *args) -> tuple[int, str]:
    from rag.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out + err


def test_cli_index_collection_search_filters_and_set_date(tmp_path, capsys, cli_config):
    news = _jsonl(tmp_path / "news.jsonl", NEWS)
    assert _cli(capsys, "index", str(news), "--collection", "财经", "--config", cli_config)[0] == 0
    code, out = _cli(capsys, "search", "人民币兑美元中间价报多少？", "--since", "2023-08-01", "--until", "2023-08-10",
                     "--json", "--config", cli_config)
    assert code == 0
    hits = json.loads(out)["hits"]
    assert hits and {h["doc_id"] for h in hits} == {"fx-0802"}
    code, out = _cli(capsys, "search", "人民币兑美元中间价报多少？", "--doc", "fx-0725", "--doc", "fx-0815", "--json",
                     "--config", cli_config)
    assert {h["doc_id"] for h in json.loads(out)["hits"]} <= {"fx-0725", "fx-0815"}
    code, out = _cli(capsys, "search", "人民币兑美元中间价报多少？", "--collection", "西宁日报", "--json", "--config", cli_config)
    assert json.loads(out)["hits"] == []
    assert _cli(capsys, "search", "x", "--since", "soon", "--config", cli_config)[0] == 2
    assert _cli(capsys, "docs", "--set-date", "nodate", "2023-07-01", "--config", cli_config)[0] == 0
    code, out = _cli(capsys, "docs", "--config", cli_config)
    assert "2023-07-01 (user)" in out and "[财经]" in out
    code, out = _cli(capsys, "ask", "人民币兑美元中间价报多少？", "--since", "2030-01-01", "--json", "--config", cli_config)
    assert code == 0 and json.loads(out)["abstained"] and "2030-01-01" in json.loads(out)["answer"]
    code, out = _cli(capsys, "ask", "昨天人民币兑美元中间价报多少？", "--reference-date", "2023-08-03", "--json",
                     "--config", cli_config)
    assert json.loads(out)["time_range"]["since"] == "2023-08-02"


# --- the evaluation ---------------------------------------------------------------------------


def test_question_files_take_scope_fields(tmp_path, news_index, news_settings):
    from rag.evaluation import evaluate, load_questions

    qs = [
        {"id": "c", "question": "人民币存款余额增长了吗？", "answers": ["增长"], "sources": ["xining"], "collection": "西宁日报"},
        {"id": "d", "question": "人民币兑美元中间价报多少？", "answers": ["7.1406"], "sources": ["fx-0725"],
         "doc_ids": ["fx-0725"]},
        {"id": "r", "question": "人民币兑美元中间价报多少？", "answers": ["7.1368"], "sources": ["fx-0802"],
         "since": "2023-08-02", "until": "2023-08-02"},
        {"id": "t", "question": "昨天人民币兑美元中间价报多少？", "answers": ["7.1368"], "sources": ["fx-0802"],
         "reference_date": "2023-08-03"},
    ]
    path = tmp_path / "q.jsonl"
    _jsonl(path, qs)
    assert load_questions(path)[0]["collection"] == ["西宁日报"]
    rep = evaluate(path, settings=news_settings, out_dir=tmp_path / "run", generate=False, k=3)
    rows = {r["id"]: r for r in (json.loads(x) for x in (tmp_path / "run" / "results.jsonl").open(encoding="utf-8"))}
    assert {h["doc_id"] for h in rows["c"]["hits"]} == {"xining"}
    assert {h["doc_id"] for h in rows["d"]["hits"]} == {"fx-0725"}
    assert {h["doc_id"] for h in rows["r"]["hits"]} == {"fx-0802"}
    assert rows["t"]["hits"][0]["doc_id"] == "fx-0802" and rows["t"]["time_range"]["since"] == "2023-08-02"
    assert rep.metrics["retrieval"]["hit@1"] == 1.0


@pytest.mark.parametrize("field,value,message", [
    ("collection", 3, "collection"),
    ("doc_ids", "fx-0725", "doc_ids"),
    ("since", "2023-13-01", "since"),
    ("reference_date", "yesterday", "reference_date"),
])
def test_bad_scope_fields_are_rejected(tmp_path, field, value, message):
    from rag.errors import InputError
    from rag.evaluation import load_questions

    path = _jsonl(tmp_path / "q.jsonl", [{"question": "问题？", "answers": ["x"], field: value}])
    with pytest.raises(InputError, match=message):
        load_questions(path)


def test_metadata_dates_from_html_and_docx(tmp_path, settings, fake_embedder):
    import docx
    from datetime import datetime

    from rag.indexing import open_index, update_index

    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "page.html").write_text(
        '<html><head><meta property="article:published_time" content="2023-08-17T10:43:00+08:00">'
        "<title>中间价</title></head><body><p>人民币兑美元中间价报7.1768。</p></body></html>", encoding="utf-8")
    (folder / "timed.html").write_text(
        '<html><body><time datetime="2023-08-02">8月2日</time><p>沪指开盘报3281.86点。</p></body></html>',
        encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("舒兰市本轮强降雨已造成6人遇难。")
    d.core_properties.created = datetime(2023, 8, 6, 6, 19)
    d.save(folder / "report.docx")
    # a header in the text wins over the file's metadata
    (folder / "dated.html").write_text(
        '<html><head><meta name="pubdate" content="2020-01-01"></head><body><p>2023年8月9日 星期三</p>'
        "<p>成品油价4连涨。</p></body></html>", encoding="utf-8")
    update_index([folder], settings, fake_embedder)
    docs = {x["doc_id"]: x for x in open_index(settings=settings, embedder=fake_embedder).documents()}
    assert (docs["page"]["date"], docs["page"]["time"], docs["page"]["date_source"]) == ("2023-08-17", "10:43", "metadata")
    assert (docs["timed"]["date"], docs["timed"]["date_source"]) == ("2023-08-02", "metadata")
    assert (docs["report"]["date"], docs["report"]["date_source"]) == ("2023-08-06", "metadata")
    assert (docs["dated"]["date"], docs["dated"]["date_source"]) == ("2023-08-09", "header")


def test_an_answer_about_time_says_which_days_report_it_comes_from(news_pipeline):
    from rag.render import plain_answer_report, render_answer

    a = news_pipeline.ask("8月2日人民币兑美元中间价报多少？", reference_date="2023-08-19")
    assert not a.abstained and a.reported_on == ("2023-08-02",)
    assert a.to_dict()["reported_on"] == ["2023-08-02"]
    assert plain_answer_report(a).startswith("据2023年8月2日报道：")
    assert '<div class="rag-reported">据2023年8月2日报道：</div>' in render_answer(a, 0)
    # a question that names no time gets no date line, nor does a refusal
    b = news_pipeline.ask("人民币兑美元中间价报多少？")
    assert b.reported_on == () and "报道：" not in plain_answer_report(b)


def test_reported_line_lists_several_days_and_drops_a_repeated_year():
    from rag.render import reported_line
    from rag.types import Answer

    a = Answer(question="q", text="t", citations=(), hits=(), abstained=False,
               reported_on=("2023-07-30", "2023-08-02", "2024-01-05", "2024-02-01"))
    assert reported_line(a) == "据2023年7月30日、8月2日、2024年1月5日等报道"
    assert reported_line(Answer(question="q", text="t", citations=(), hits=(), abstained=True,
                                reported_on=("2023-08-02",))) == ""
