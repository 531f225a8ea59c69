"""The Milvus index backend (embedded edition) against the same contract as the FAISS one.

Skipped when the optional extra is not installed (`pip install -e ".[milvus]"`).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from rag import milvus_index  # noqa: E402
from rag.embedders import FakeEmbedder  # noqa: E402
from rag.errors import (IndexAuthError, IndexLockedError, IndexMismatchError, IndexMissingError,  # noqa: E402
                        IndexUnreachableError, InputError, MissingDependencyError, RagError)
from rag.indexing import open_index, remove_documents, update_index  # noqa: E402
from rag.types import SearchFilter  # noqa: E402

QUESTIONS = ["西宁地区生产总值增长多少？", "篮球联赛有多少支球队？", "空气质量优良天数比例", "国土绿化面积", "量子计算机"]


@pytest.fixture(autouse=True)
def _fresh_clients():
    yield
    milvus_index.close_clients()  # each test's embedded database is released with it


@pytest.fixture(params=["faiss", "milvus"])
def backend(request, settings):
    settings.index.backend = request.param
    return request.param


@pytest.fixture
def index(backend, corpus_dir, settings, fake_embedder):
    update_index([corpus_dir], settings, fake_embedder)
    return open_index(settings=settings, embedder=fake_embedder)


def _milvus(settings):
    settings.index.backend = "milvus"
    return settings


class _NoEmbedding(FakeEmbedder):
    """Answers questions; fails the test if asked to embed chunks."""

    def embed_chunks(self, texts, progress=None):
        if len(texts):
            raise AssertionError(f"embedded {len(texts)} chunks")
        return super().embed_chunks(texts, progress)


# -- the contract, on both backends


def test_build_and_search(index, backend):
    hits = index.search("西宁地区生产总值增长多少？", k=3)
    assert hits[0].chunk.doc_id == "econ" and [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].ranks == {"dense": 1, "bm25": 1} and hits[0].scores["bm25"] > 0
    docs = {d["doc_id"]: d for d in index.documents()}
    assert set(docs) == {"econ", "eco", "sport"} and docs["sport"]["title"] == "篮球联赛开幕"
    assert len(index) == sum(d["chunks"] for d in docs.values())
    assert index.manifest["embedder"] == "fake-bigram-256"


def test_chunk_offsets_point_into_cleaned_text(index):
    from rag.cleaning import clean_text
    from tests.conftest import CORPUS

    chunks = index.chunks_of("econ")
    assert chunks
    for c in chunks:
        assert clean_text(CORPUS["econ.txt"])[c.start:c.end] == c.text
    assert index.article_opening(chunks[0], 12) == chunks[0].text[:12]


def test_answer_with_citation_span(index, settings):
    from rag.generators import FakeGenerator
    from rag.pipeline import Pipeline

    a = Pipeline(index, FakeGenerator(["2024年西宁地区生产总值增长5.5%左右[1]。"]), settings).ask("西宁地区生产总值增长多少？")
    assert not a.abstained and a.citations[0].chunk.doc_id == "econ" and a.citations[0].support > 0.8
    s, e = a.citations[0].span
    assert "5.5%" in a.citations[0].chunk.text[s:e]


def test_reindex_unchanged_embeds_nothing(index, corpus_dir, settings):
    s = update_index([corpus_dir], settings, _NoEmbedding())
    assert s.embedded == 0 and sorted(s.unchanged) == ["eco", "econ", "sport"]
    assert not s.added and not s.updated and not s.removed


def test_incremental_update_and_disappearance(index, corpus_dir, settings):
    (corpus_dir / "eco.txt").write_text("生态保护\n\n新的内容：湿地面积达到5万亩。", encoding="utf-8")
    (corpus_dir / "sport.md").unlink()
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    s = update_index([corpus_dir], settings, FakeEmbedder())
    assert s.updated == ["eco"] and s.removed == ["sport"] and s.added == ["new"] and s.unchanged == ["econ"]
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert s.embedded == len(idx.chunks_of("eco")) + len(idx.chunks_of("new"))
    assert {d["doc_id"] for d in idx.documents()} == {"econ", "eco", "new"}
    assert idx.search("湿地面积", k=1)[0].chunk.doc_id == "eco"
    assert all(h.chunk.doc_id != "sport" for h in idx.search("篮球联赛", k=5))
    assert all("绿化" not in c.text for c in idx.chunks_of("eco"))  # the old version's chunks are gone
    assert len(idx) == s.chunks


def test_unreadable_file_keeps_its_indexed_version(index, corpus_dir, settings):
    (corpus_dir / "eco.txt").write_bytes(b"\x00\x01\x02" * 100)
    s = update_index([corpus_dir], settings, FakeEmbedder())
    assert s.kept == ["eco"] and not s.removed
    assert open_index(settings=settings, embedder=FakeEmbedder()).search("国土绿化面积", k=1)[0].chunk.doc_id == "eco"


def test_remove_document(index, settings):
    assert remove_documents(["sport"], settings) == ["sport"]
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert {d["doc_id"] for d in idx.documents()} == {"econ", "eco"} and idx.chunks_of("sport") == []
    with pytest.raises(InputError, match="not in the index"):
        remove_documents(["nope"], settings)


def test_model_mismatch_is_a_clear_error(index, settings):
    with pytest.raises(IndexMismatchError, match="rebuild"):
        open_index(settings=settings, embedder=FakeEmbedder(dim=64))


@pytest.mark.parametrize("fusion", ["lexical", "fixed"])
def test_both_backends_rank_alike(corpus_dir, settings, fake_embedder, fusion):
    """Same chunks, same ranks, same fused scores, dense scores equal: BM25 through Milvus keeps our
    tokens, and the term table gives the per-question weights (the default fusion) the same coverage."""
    settings.retrieval.fusion = fusion
    update_index([corpus_dir], settings, fake_embedder)
    faiss_idx = open_index(settings=settings, embedder=fake_embedder)
    update_index([corpus_dir], _milvus(settings), fake_embedder)
    milvus_idx = open_index(settings=settings, embedder=fake_embedder)
    for q in QUESTIONS:
        a, b = faiss_idx.retrieve(q, 3), milvus_idx.retrieve(q, 3)
        assert [h.chunk for h in a.hits] == [h.chunk for h in b.hits], q
        assert [h.ranks for h in a.hits] == [h.ranks for h in b.hits], q
        assert [h.score for h in b.hits] == pytest.approx([h.score for h in a.hits], abs=1e-9), q  # same weights
        assert b.dense_top == pytest.approx(a.dense_top, abs=1e-5)
        for x, y in zip(a.hits, b.hits):
            if "bm25" in x.scores:  # the embedded edition's BM25 statistics differ slightly from ours
                assert y.scores["bm25"] == pytest.approx(x.scores["bm25"], rel=0.1)


def _coverage_agrees(settings, fake_embedder):
    from rag.sparse import tokenize

    settings.index.backend = "faiss"
    faiss_idx = open_index(settings=settings, embedder=fake_embedder)
    milvus_idx = open_index(settings=_milvus(settings), embedder=fake_embedder)
    assert milvus_idx.terms_ok and len(milvus_idx) == len(faiss_idx)
    rows = list(range(len(faiss_idx)))
    chunks = faiss_idx.db.get(rows)
    keys = [milvus_index.row_key(chunks[r]) for r in rows]
    for q in QUESTIONS + ["西宁篮球", "湿地地铁线路", "没有这个词"]:
        tokens = tokenize(q)
        want = faiss_idx.sparse.coverage(tokens, rows)
        assert milvus_idx.coverage(tokens, keys) == pytest.approx(want, abs=1e-6), q
    return milvus_idx, keys


def _both(paths, settings, embedder):
    settings.index.backend = "faiss"
    update_index(paths, settings, embedder)
    update_index(paths, _milvus(settings), embedder)


def test_coverage_matches_bm25_files(corpus_dir, settings, fake_embedder):
    """The per-question fusion weights read the same idf-weighted coverage from both backends:
    after the first write, after a replaced, a removed and an added document, after `rag rm`."""
    from rag.sparse import tokenize

    _both([corpus_dir], settings, fake_embedder)
    milvus_idx, keys = _coverage_agrees(settings, fake_embedder)
    assert any(0 < x < 1 for x in milvus_idx.coverage(tokenize("西宁篮球"), keys))
    (corpus_dir / "eco.txt").write_text("生态保护\n\n新的内容：西宁湿地面积达到5万亩。", encoding="utf-8")
    (corpus_dir / "sport.md").unlink()
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    _both([corpus_dir], settings, FakeEmbedder())
    _coverage_agrees(settings, fake_embedder)
    for backend in ("faiss", "milvus"):
        settings.index.backend = backend
        remove_documents(["new"], settings)
    milvus_idx, _ = _coverage_agrees(settings, fake_embedder)
    # The table holds exactly the codes the chunks hold, with their counts.
    want: dict = {}
    for r in milvus_idx.engine._query_all(milvus_idx.engine.chunks, "", ["tokens"]):
        for code in set(r["tokens"].split()):
            want[code] = want.get(code, 0) + 1
    held = {}
    for r in milvus_idx.engine._query_all(milvus_idx.engine.terms, "", ["bucket", "df"]):
        assert all(milvus_index.term_bucket(c) == r["bucket"] for c in r["df"])
        held.update(r["df"])
    assert held == want


def test_writes_split_across_batches(corpus_dir, settings, fake_embedder, monkeypatch):
    """Inserts cut mid-document (rows and bytes) and term buckets read back across several calls
    give the same index: every entry written once all its chunks are in."""
    monkeypatch.setattr(milvus_index, "WRITE_BATCH", 2)
    monkeypatch.setattr(milvus_index, "INSERT_BYTES", 1)
    monkeypatch.setattr(milvus_index, "TERMS_BATCH", 3)
    _both([corpus_dir], settings, fake_embedder)
    milvus_idx, _ = _coverage_agrees(settings, fake_embedder)
    assert [d["chunks"] for d in milvus_idx.documents()] == [len(milvus_idx.chunks_of(d["doc_id"]))
                                                             for d in milvus_idx.documents()]
    summary = milvus_index.migrate_from_faiss(settings, settings.paths.resolved_index_dir())
    assert summary.chunks == len(milvus_idx)
    _coverage_agrees(settings, fake_embedder)


def test_index_without_term_table_falls_back_then_recounts(corpus_dir, settings, fake_embedder, caplog):
    """An index written before the term table opens with the fixed weights (said once); the next
    `rag index` counts the table, embedding nothing."""
    import logging

    update_index([corpus_dir], _milvus(settings), fake_embedder)
    coll = milvus_index.MilvusCollections(settings)
    coll.client.drop_collection(coll.terms)  # what an index of the previous version looks like
    coll.client.drop_collection_properties(coll.chunks, property_keys=[milvus_index.TERMS_KEY])
    milvus_index._warned.clear()
    with caplog.at_level(logging.WARNING, logger="rag.milvus_index"):
        idx = open_index(settings=settings, embedder=fake_embedder)
        open_index(settings=settings, embedder=fake_embedder)
    msgs = [r.message for r in caplog.records if r.name == "rag.milvus_index"]
    assert not idx.terms_ok and len(msgs) == 1 and "fixed fusion weights" in msgs[0]
    settings.retrieval.fusion = "fixed"
    fixed = [h.chunk.chunk_id for h in open_index(settings=settings, embedder=fake_embedder).search(QUESTIONS[0], 3)]
    settings.retrieval.fusion = "lexical"
    assert [h.chunk.chunk_id for h in idx.search(QUESTIONS[0], 3)] == fixed
    assert update_index([corpus_dir], settings, _NoEmbedding()).embedded == 0
    settings.index.backend = "faiss"
    update_index([corpus_dir], settings, fake_embedder)
    _coverage_agrees(settings, fake_embedder)


def test_write_stopped_midway_marks_terms_stale(corpus_dir, settings, fake_embedder, monkeypatch):
    """A write killed after some chunks went in leaves the table marked stale, never silently wrong."""
    update_index([corpus_dir], _milvus(settings), fake_embedder)
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")

    def killed(self, log=lambda m: None):
        raise KeyboardInterrupt

    monkeypatch.setattr(milvus_index.MilvusCollections, "commit_terms", killed)
    with pytest.raises(KeyboardInterrupt):
        update_index([corpus_dir], settings, FakeEmbedder())
    monkeypatch.undo()
    milvus_index.close_clients()
    assert not open_index(settings=_milvus(settings), embedder=fake_embedder).terms_ok
    update_index([corpus_dir], settings, FakeEmbedder())  # the next run finds nothing to embed and recounts
    settings.index.backend = "faiss"
    update_index([corpus_dir], settings, fake_embedder)
    _coverage_agrees(settings, fake_embedder)


# -- Milvus only


@pytest.fixture
def dated_dir(tmp_path):
    d = tmp_path / "dated"
    d.mkdir()
    records = [
        {"doc_id": "a", "title": "西宁春季植树", "text": "西宁春季植树活动启动，全市植树十万株。", "date": "2024-03-05", "collection": "news"},
        {"doc_id": "b", "title": "西宁秋季植树", "text": "西宁秋季植树活动结束，全市植树八万株。", "date": "2024-10-20", "collection": "news"},
        {"doc_id": "c", "title": "西宁植树规划", "text": "西宁植树规划提出每年植树二十万株。", "collection": "plans"},
    ]
    (d / "docs.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return d


def test_filters_are_pushed_down(dated_dir, settings, fake_embedder):
    update_index([dated_dir], _milvus(settings), fake_embedder)
    idx = open_index(settings=settings, embedder=fake_embedder)

    def ids(f):
        return sorted(h.chunk.doc_id for h in idx.retrieve("西宁植树", 10, filters=f).hits)

    assert ids(None) == ["a", "b", "c"]
    assert ids(SearchFilter(doc_ids=frozenset({"b", "zz"}))) == ["b"]
    assert ids(SearchFilter(since="2024-03-05", until="2024-03-05")) == ["a"]  # inclusive, undated left out
    assert ids(SearchFilter(since="2024-04-01")) == ["b"]
    assert ids(SearchFilter(doc_ids=frozenset())) == []
    from rag.types import Document

    if "collection" in Document.__dataclass_fields__:  # collections arrive with the dates work
        assert ids(SearchFilter(collections=frozenset({"plans"}))) == ["c"]
        assert ids(SearchFilter(collections=frozenset({"news"}), until="2024-06-30")) == ["a"]
    r = idx.retrieve("西宁植树", 10, filters=SearchFilter(doc_ids=frozenset({"c"})))
    assert r.dense_top == r.hits[0].scores["dense"]  # the gate sees the best allowed chunk


def test_document_metadata_matches_faiss(dated_dir, settings, fake_embedder):
    """Dates, collections and near-duplicate groups land in the manifest as the FAISS backend puts them."""
    (dated_dir / "dup.jsonl").write_text(json.dumps({"doc_id": "a2", "title": "西宁春季植树", "date": "2024-03-05",
                                                     "text": "西宁春季植树活动启动，全市植树十万株。"}, ensure_ascii=False),
                                         encoding="utf-8")
    update_index([dated_dir], settings, fake_embedder)
    faiss_idx = open_index(settings=settings, embedder=fake_embedder)
    update_index([dated_dir], _milvus(settings), fake_embedder)
    milvus_idx = open_index(settings=settings, embedder=fake_embedder)
    keys = ("date", "collection", "duplicate_group", "title", "chunks")
    assert ([{k: d.get(k) for k in keys} for d in milvus_idx.documents()]
            == [{k: d.get(k) for k in keys} for d in faiss_idx.documents()])
    assert milvus_idx.duplicate_groups() == faiss_idx.duplicate_groups() == {"a": "a", "a2": "a"}
    assert milvus_idx.newest_date() == faiss_idx.newest_date() == "2024-10-20"
    f = SearchFilter(since="2030-01-01")
    assert not milvus_idx.allowed_rows(f).any() and not faiss_idx.allowed_rows(f).any()
    assert update_index([dated_dir], settings, _NoEmbedding()).embedded == 0  # signatures kept: nothing redone


def test_filter_expression_literals():
    assert milvus_index.filter_expression(None) == ""
    assert milvus_index.filter_expression(SearchFilter()) == ""
    assert milvus_index.filter_expression(SearchFilter(doc_ids=frozenset())) is None
    expr = milvus_index.filter_expression(SearchFilter(doc_ids=frozenset({'a"b', "西宁"}), until="2024-01-31"))
    assert expr == 'doc_id in ["a\\"b", "西宁"] and doc_date != "" and doc_date <= "2024-01-31\uffff"'


def test_faiss_and_milvus_filters_agree(dated_dir, settings, fake_embedder):
    import inspect

    from rag.indexing import Index

    if "filters" not in inspect.signature(Index.retrieve).parameters:
        pytest.skip("the FAISS index takes filters once the dates work lands")
    update_index([dated_dir], settings, fake_embedder)
    faiss_idx = open_index(settings=settings, embedder=fake_embedder)
    update_index([dated_dir], _milvus(settings), fake_embedder)
    milvus_idx = open_index(settings=settings, embedder=fake_embedder)
    for f in (SearchFilter(doc_ids=frozenset({"a", "c"})), SearchFilter(since="2024-04-01"),
              SearchFilter(until="2024-12-31")):
        assert ([h.chunk.chunk_id for h in faiss_idx.retrieve("西宁植树", 5, filters=f).hits]
                == [h.chunk.chunk_id for h in milvus_idx.retrieve("西宁植树", 5, filters=f).hits]), f


def test_migrate_copies_without_embedding(corpus_dir, settings, fake_embedder):
    update_index([corpus_dir], settings, fake_embedder)  # FAISS
    faiss_idx = open_index(settings=settings, embedder=fake_embedder)
    summary = milvus_index.migrate_from_faiss(settings, settings.paths.resolved_index_dir())
    assert summary.documents == 3 and summary.chunks == len(faiss_idx)
    idx = open_index(settings=_milvus(settings), embedder=fake_embedder)
    assert idx.documents() == faiss_idx.documents() and idx.terms_ok
    for q in QUESTIONS:  # at the default (per-question) fusion: the term table came along
        assert [h.chunk for h in idx.search(q, 3)] == [h.chunk for h in faiss_idx.search(q, 3)]
    # The copy is a live index: re-indexing the same sources finds everything unchanged.
    s = update_index([corpus_dir], settings, _NoEmbedding())
    assert s.embedded == 0 and len(s.unchanged) == 3


def test_cli_migrate_then_search(corpus_dir, tmp_path, monkeypatch, capsys):
    from rag.cli import main

    index_dir = str(tmp_path / "cli-index")
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))
    assert main(["--backend", "fake", "index", str(corpus_dir), "--index", index_dir]) == 0
    assert main(["--backend", "fake", "migrate-milvus", "--index", index_dir]) == 0
    assert "copied 3 documents" in capsys.readouterr().out
    monkeypatch.setenv("RAG_INDEX_BACKEND", "milvus")
    assert main(["--backend", "fake", "search", "西宁地区生产总值增长多少？", "--json", "--index", index_dir]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits[0]["doc_id"] == "econ"


def test_hnsw_and_ivf_choices(corpus_dir, settings, fake_embedder):
    settings.retrieval.faiss = "hnsw"
    update_index([corpus_dir], _milvus(settings), fake_embedder)
    idx = open_index(settings=settings, embedder=fake_embedder)
    assert idx.manifest["faiss"] == "hnsw" and idx.search("国土绿化面积", 1)[0].chunk.doc_id == "eco"
    # IVF on three chunks would train a single list: kept exact, as FAISS does.
    assert milvus_index.MilvusCollections(settings).tune_dense_index(3) == "hnsw"
    settings.retrieval.faiss = "ivf"
    assert milvus_index.MilvusCollections(settings).tune_dense_index(3) == "flat"


def test_missing_index(settings):
    with pytest.raises(IndexMissingError, match="rag index"):
        open_index(settings=_milvus(settings))


# -- errors


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_server_is_a_clear_error(settings, corpus_dir, fake_embedder):
    settings.index.uri = f"http://127.0.0.1:{_closed_port()}"
    settings.index.timeout_s = 3
    with pytest.raises(IndexUnreachableError, match="cannot be reached.*index.uri"):
        open_index(settings=_milvus(settings), embedder=fake_embedder)
    with pytest.raises(IndexUnreachableError):
        update_index([corpus_dir], settings, fake_embedder)


def test_refused_token_maps_to_auth_error():
    from pymilvus.exceptions import MilvusException

    # What a server with authentication answers a wrong token: Milvus code 1800, or gRPC UNAUTHENTICATED.
    e = milvus_index.translate_error(MilvusException(code=1800, message="user hasn't authenticated"), "http://h:19530")
    assert isinstance(e, IndexAuthError) and "RAG_INDEX_TOKEN" in str(e)

    class RpcError(Exception):
        def code(self):
            import grpc

            return grpc.StatusCode.UNAUTHENTICATED

    try:
        try:
            raise RpcError("auth")
        except RpcError as inner:
            raise MilvusException(message="") from inner
    except MilvusException as outer:
        assert isinstance(milvus_index.translate_error(outer, "http://h:19530"), IndexAuthError)


def test_other_failures_map_to_one_line_errors():
    from pymilvus.exceptions import MilvusException

    class DataDirLockedError(Exception):
        pass

    try:
        try:
            raise DataDirLockedError("another process holds the lock on 'x.db'")
        except DataDirLockedError as inner:
            raise MilvusException(message="Open local milvus failed") from inner
    except MilvusException as outer:
        assert isinstance(milvus_index.translate_error(outer, "x.db"), IndexLockedError)
    e = milvus_index.translate_error(MilvusException(code=65535, message="field tokens overflow"), "x.db")
    assert type(e) is RagError and "field tokens overflow" in str(e)
    assert milvus_index.translate_error(ValueError("ours"), "x.db") is None


def test_missing_package_names_the_install_command(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus now raises ImportError
    with pytest.raises(MissingDependencyError, match=r'pip install -e "\.\[milvus\]"') as info:
        open_index(settings=_milvus(settings))
    assert isinstance(info.value, ImportError)


def test_import_rag_does_not_import_pymilvus():
    code = "import rag.indexing, rag.milvus_index, rag.cli, sys; print('pymilvus' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_token_codes_are_stable_and_whole_words():
    codes = milvus_index.encode_tokens(["西宁", "5.5%", "c++", "西宁"]).split(" ")
    assert len(codes) == 4 and codes[0] == codes[3] and len(set(codes)) == 3
    assert all(c.isascii() and c.isalnum() and c.islower() for c in codes)
    # A literal: a code that changed between versions would silently break every BM25 search.
    assert milvus_index.token_code("西宁") == "t1o8wuyanhq"
    assert len(milvus_index.encode_tokens(["词"] * 10_000)) <= milvus_index.MAX_TEXT_BYTES
