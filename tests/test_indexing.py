import json
import subprocess
import sys

import numpy as np
import pytest

from rag.embedders import FakeEmbedder
from rag.errors import IndexCorruptError, IndexMismatchError, IndexMissingError, InputError
from rag.indexing import open_index, remove_documents, update_index


def test_build_and_search(fake_index):
    hits = fake_index.search("西宁地区生产总值增长多少？", k=3)
    assert hits[0].chunk.doc_id == "econ"
    assert [h.rank for h in hits] == [1, 2, 3]
    assert set(hits[0].ranks) <= {"dense", "bm25"} and hits[0].ranks
    docs = {d["doc_id"]: d for d in fake_index.documents()}
    assert set(docs) == {"econ", "eco", "sport"}
    assert docs["sport"]["title"] == "篮球联赛开幕" and docs["econ"]["chunks"] >= 1 and docs["econ"]["added"]


def test_chunk_offsets_point_into_cleaned_text(fake_index):
    from rag.cleaning import clean_text
    from tests.conftest import CORPUS

    for c in fake_index.chunks_of("econ"):
        assert clean_text(CORPUS["econ.txt"])[c.start:c.end] == c.text


def test_reindex_unchanged_embeds_nothing(corpus_dir, settings, fake_index):
    s = update_index([corpus_dir], settings, FakeEmbedder())
    assert s.embedded == 0 and sorted(s.unchanged) == ["eco", "econ", "sport"]
    assert not s.added and not s.updated and not s.removed


def test_incremental_update_and_disappearance(corpus_dir, settings, fake_index):
    (corpus_dir / "eco.txt").write_text("生态保护\n\n新的内容：湿地面积达到5万亩。", encoding="utf-8")
    (corpus_dir / "sport.md").unlink()
    (corpus_dir / "new.txt").write_text("新文章\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    s = update_index([corpus_dir], settings, FakeEmbedder())
    assert s.updated == ["eco"] and s.removed == ["sport"] and s.added == ["new"] and s.unchanged == ["econ"]
    assert s.embedded == len(open_index(settings=settings, embedder=FakeEmbedder()).chunks_of("eco")) + \
        len(open_index(settings=settings, embedder=FakeEmbedder()).chunks_of("new"))
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert {d["doc_id"] for d in idx.documents()} == {"econ", "eco", "new"}
    assert idx.search("湿地面积", k=1)[0].chunk.doc_id == "eco"


def test_a_file_that_turns_unreadable_keeps_its_indexed_version(corpus_dir, settings, fake_index):
    before = len(open_index(settings=settings, embedder=FakeEmbedder()).chunks_of("eco"))
    (corpus_dir / "eco.txt").write_bytes(b"\x00\x01\x02" * 100)  # a bad save over a good file
    logs = []
    s = update_index([corpus_dir], settings, FakeEmbedder(), log=logs.append)
    assert s.kept == ["eco"] and not s.removed and "1 kept as indexed before" in s.line()
    assert any("kept the indexed version of eco" in m for m in logs)
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert len(idx.chunks_of("eco")) == before and idx.search("国土绿化面积", k=1)[0].chunk.doc_id == "eco"
    (corpus_dir / "eco.txt").unlink()  # gone for real: now it is removed
    assert update_index([corpus_dir], settings, FakeEmbedder()).removed == ["eco"]


def test_indexing_another_path_keeps_existing_documents(tmp_path, settings, fake_index):
    other = tmp_path / "other"
    other.mkdir()
    (other / "extra.txt").write_text("补充\n\n补充材料内容。", encoding="utf-8")
    s = update_index([other], settings, FakeEmbedder())
    assert s.added == ["extra"] and not s.removed
    assert len(open_index(settings=settings, embedder=FakeEmbedder()).documents()) == 4


def test_remove_document(settings, fake_index):
    assert remove_documents(["sport"], settings) == ["sport"]
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert "sport" not in {d["doc_id"] for d in idx.documents()}
    assert all(h.chunk.doc_id != "sport" for h in idx.search("篮球联赛", k=5))
    with pytest.raises(InputError, match="not in the index"):
        remove_documents(["sport"], settings)


def test_exception_mid_build_leaves_old_index(corpus_dir, settings, fake_index, monkeypatch):
    (corpus_dir / "new.txt").write_text("新文章\n\n内容。", encoding="utf-8")

    class Boom(FakeEmbedder):
        def embed_chunks(self, texts, progress=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        update_index([corpus_dir], settings, Boom())
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert {d["doc_id"] for d in idx.documents()} == {"econ", "eco", "sport"}
    assert not [p for p in idx.index_dir.iterdir() if p.name.startswith(".tmp-gen")]


def test_model_mismatch_is_a_clear_error(settings, fake_index, corpus_dir):
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        open_index(settings=settings, embedder=FakeEmbedder(dim=128))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        update_index([corpus_dir], settings, FakeEmbedder(dim=128))
    s = update_index([corpus_dir], settings, FakeEmbedder(dim=128), rebuild=True)
    assert s.embedded > 0
    assert open_index(settings=settings, embedder=FakeEmbedder(dim=128)).search("篮球", k=1)


def test_old_schema_is_a_clear_error(settings, fake_index):
    gen = fake_index.gen_dir
    m = json.loads((gen / "manifest.json").read_text())
    m["schema_version"] = 0
    (gen / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexMismatchError, match="schema"):
        open_index(settings=settings, embedder=FakeEmbedder())


@pytest.mark.parametrize("name", ["vectors.npy", "dense.faiss", "chunks.sqlite", "bm25_weights.npz"])
def test_truncated_file_is_detected_and_rebuild_recovers(settings, fake_index, corpus_dir, name):
    p = fake_index.gen_dir / name
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_index(settings=settings, embedder=FakeEmbedder())
    update_index([corpus_dir], settings, FakeEmbedder(), rebuild=True)
    assert open_index(settings=settings, embedder=FakeEmbedder()).search("篮球", k=1)[0].chunk.doc_id == "sport"


def test_flipped_byte_is_detected(settings, fake_index):
    p = fake_index.gen_dir / "vectors.npy"
    data = bytearray(p.read_bytes())
    data[-5] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="checksum"):
        open_index(settings=settings, embedder=FakeEmbedder())


def test_missing_index(settings):
    with pytest.raises(IndexMissingError, match="rag index"):
        open_index(settings=settings, embedder=FakeEmbedder())


def test_hnsw_option(corpus_dir, settings):
    settings.retrieval.faiss = "hnsw"
    update_index([corpus_dir], settings, FakeEmbedder())
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert idx.dense.kind == "hnsw"
    assert idx.search("篮球联赛", k=1)[0].chunk.doc_id == "sport"


def test_vectors_match_store_rows(fake_index):
    vecs = np.load(fake_index.gen_dir / "vectors.npy")
    assert vecs.shape[0] == len(fake_index)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)


def test_cli_index_search_docs_remove(corpus_dir, tmp_path):
    env_args = ["--backend", "fake", "--index", str(tmp_path / "cli_idx")]

    def run(*args):
        return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, timeout=120)

    r = run("index", str(corpus_dir), *env_args)
    assert r.returncode == 0, r.stderr
    assert "3 added" in r.stdout
    r = run("index", str(corpus_dir), *env_args)
    assert "3 unchanged" in r.stdout and "0 embedded" in r.stdout
    r = run("search", "篮球联赛有多少支球队", "-k", "2", "--json", *env_args)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["hits"][0]["doc_id"] == "sport"
    assert set(out["hits"][0]) >= {"doc_id", "chunk_id", "title", "text", "score", "ranks"}
    r = run("docs", *env_args)
    assert "sport" in r.stdout and "3 documents" in r.stdout
    r = run("remove", "sport", *env_args)
    assert r.returncode == 0
    r = run("search", "", *env_args)
    assert r.returncode == 2 and r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1
    r = run("search", "问题", "--index", str(tmp_path / "nowhere"), "--backend", "fake")
    assert r.returncode == 2 and "no index" in r.stderr


def test_skip_and_warn(tmp_path, settings):
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "good.txt").write_text("好文章\n\n正文内容。", encoding="utf-8")
    (d / "empty.txt").write_text("", encoding="utf-8")
    (d / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    logs = []
    s = update_index([d], settings, FakeEmbedder(), log=logs.append)
    assert s.added == ["good"] and len(s.skipped) == 2
    assert any("empty" in m for m in logs) and any("binary" in m for m in logs)


def test_cli_index_fails_when_no_file_could_be_read(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("", encoding="utf-8")
    (bad / "bin.txt").write_bytes(b"\x00\x01" * 50)
    r = subprocess.run([sys.executable, "-m", "rag", "index", str(bad), "--backend", "fake",
                        "--index", str(tmp_path / "idx")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "2 skipped" in r.stdout
    assert "none of the 2 files could be read" in r.stderr.strip().splitlines()[-1]


# Documents belong to the file they were indexed from (issue 14, row 1)

def _jsonl(path, *records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def test_a_file_reusing_another_sources_id_is_refused_whole(corpus_dir, settings, fake_index, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    f = _jsonl(uploads / "evil.jsonl", {"doc_id": "new1", "text": "无害的新文档。"},
               {"doc_id": "econ", "text": "篡改后的内容。"})
    s = update_index([f], settings, FakeEmbedder())
    assert not s.added and not s.updated and len(s.skipped) == 1
    where, reason = s.skipped[0]
    assert where == str(f) and "'econ'" in reason and "西宁经济稳步增长" in reason and "--replace" in reason
    assert s.refused == s.skipped
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    docs = {d["doc_id"]: d for d in idx.documents()}
    assert "new1" not in docs and docs["econ"]["source"] == str(corpus_dir / "econ.txt")
    assert idx.search("生产总值", k=1)[0].chunk.doc_id == "econ"
    # Explicit replacement takes it over and says from where.
    s = update_index([f], settings, FakeEmbedder(), replace={"econ"})
    assert s.replaced == [("econ", str(corpus_dir / "econ.txt"))] and "new1" in s.added
    assert "1 replaced from another source" in s.line()


def test_replace_names_only_the_ids_it_allows(corpus_dir, settings, fake_index, tmp_path):
    f = _jsonl(tmp_path / "two.jsonl", {"doc_id": "econ", "text": "甲。"}, {"doc_id": "eco", "text": "乙。"})
    s = update_index([f], settings, FakeEmbedder(), replace={"econ"})
    assert s.skipped and "'eco'" in s.skipped[0][1] and not s.replaced
    assert update_index([f], settings, FakeEmbedder(), replace=True).replaced  # --replace: all of them


def test_an_id_may_move_between_files_the_run_scans(corpus_dir, settings, fake_index):
    (corpus_dir / "econ.txt").rename(corpus_dir / "econ2.txt")
    _jsonl(corpus_dir / "moved.jsonl", {"doc_id": "econ", "text": "搬到了另一个文件。"})
    s = update_index([corpus_dir], settings, FakeEmbedder())
    assert "econ" in s.updated and not s.replaced and "econ2" in s.added
    assert not [r for _, r in s.skipped if "already in the index" in r]


def test_own_file_updates_itself_and_a_clashing_edit_keeps_the_old_version(corpus_dir, settings, fake_index, tmp_path):
    f = _jsonl(tmp_path / "mine.jsonl", {"doc_id": "mine", "text": "第一版。"})
    assert update_index([f], settings, FakeEmbedder()).added == ["mine"]
    _jsonl(f, {"doc_id": "mine", "text": "第二版。"})
    assert update_index([f], settings, FakeEmbedder()).updated == ["mine"]
    _jsonl(f, {"doc_id": "mine", "text": "第三版。"}, {"doc_id": "sport", "text": "抢来的编号。"})
    s = update_index([f], settings, FakeEmbedder())
    assert s.kept == ["mine"] and not s.updated
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert "第二版" in idx.chunks_of("mine")[0].text and idx.documents()[-1]["doc_id"] == "sport"


def test_rebuild_from_sources_restores_seeds_and_uploads(tmp_path, corpus_dir, settings):
    from rag.cli import main

    settings.paths.sources = [str(corpus_dir)]
    up = settings.paths.resolved_uploads_dir()
    up.mkdir(parents=True)
    _jsonl(up / "u.jsonl", {"doc_id": "u1", "text": "上传的文档。"})
    cfg = tmp_path / "rag.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{settings.paths.data_dir}"\nsources = ["{corpus_dir}"]\n'
                   '[embedder]\nbackend = "fake"\n', encoding="utf-8")
    assert main(["index", "--config", str(cfg), "--rebuild-from-sources"]) == 0
    idx = open_index(settings=settings, embedder=FakeEmbedder())
    assert {d["doc_id"] for d in idx.documents()} == {"econ", "eco", "sport", "u1"}
    assert main(["index", "--config", str(cfg), "--rebuild-from-sources", str(corpus_dir)]) == 2


def test_an_untitled_record_shows_no_id_to_the_retrievers(tmp_path, settings):
    # A JSONL record without a title used to get its id as title, prefixed to every chunk's
    # embedded text and BM25 tokens ("news-00000\t当时\t…").
    path = tmp_path / "news.jsonl"
    path.write_text(json.dumps({"doc_id": "news-00000", "text": "当时市民广场举行了篮球联赛开幕式。"},
                               ensure_ascii=False) + "\n", "utf-8")
    seen: list[str] = []

    class Recording(FakeEmbedder):
        def embed_chunks(self, texts, progress=None):
            seen.extend(texts)
            return super().embed_chunks(texts, progress=progress)

    update_index([path], settings, Recording(dim=128))
    index = open_index(settings=settings, embedder=FakeEmbedder(dim=128))
    [(_, chunk, tokens)] = index.db.rows_of("news-00000")
    assert chunk.title == "" and "news-00000" not in tokens and tokens[0] != "news"
    assert seen and not any("news" in t for t in seen)
    assert index.documents()[0]["doc_id"] == "news-00000"


def test_a_manual_is_cut_into_titled_sections():
    # Round r34: one PDF of a manual was one article, every chunk titled with the book's title.
    from rag.indexing import indexed_text, prepare_document
    from rag.types import Document

    text = "\n\n".join(f"{n} 第{n}节标题\n第{n}节的正文讲一件事，说明写得足够长。" for n in ("2.1", "2.1.1", "2.1.2", "2.2"))
    doc = Document(doc_id="manual", title="运维手册", text=text, kind="pdf", source="manual.pdf")
    chunks = prepare_document(doc, 300, 1)
    assert [c.title for c in chunks] == ["运维手册 2.1第2.1节标题", "运维手册 2.1.1第2.1.1节标题",
                                         "运维手册 2.1.2第2.1.2节标题", "运维手册 2.2第2.2节标题"]
    assert indexed_text(chunks[1]).startswith("运维手册 2.1.1第2.1.1节标题\n")
    # JSONL records keep their own title and text.
    record = Document(doc_id="r", title="记录", text=text, kind="jsonl", source="r.jsonl")
    assert {c.title for c in prepare_document(record, 300, 1)} == {"记录"}
