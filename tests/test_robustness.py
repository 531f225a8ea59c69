"""Bad input at the CLI: questions, files and settings each give one clear line, never a traceback.

Most cases call ``rag.cli.main`` in-process: the same code ``python -m rag`` runs, without paying
for a new interpreter and jieba's dictionary on every case. A few go through a real subprocess to
prove the entry point behaves the same. Everything runs on the fake backends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No RAG_* variable of the machine leaks into the CLI's settings."""
    from rag.config import ENV_VARS

    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "data"))


def rag(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    from rag.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *needles: str) -> str:
    """Assert the CLI's error shape: exit 2 and exactly one `error: ...` line naming each needle."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def cli_index(tmp_path, capsys) -> Path:
    """An index of the tiny corpus built through `rag index --backend fake`."""
    index = tmp_path / "idx"
    code, out, err = rag(capsys, "index", write_corpus(tmp_path / "corpus"), "--backend", "fake", "--index", index)
    assert code == 0, err
    assert "3 added" in out
    return index


@pytest.fixture
def answering(tmp_path) -> Path:
    """Settings that let `rag ask --backend fake` answer: the fake embedder's cosines sit far
    below the real gate (answer.min_relevance), so the gate is opened for these tests."""
    f = tmp_path / "answering.toml"
    f.write_text("[answer]\nmin_relevance = 0.0\n", encoding="utf-8")
    return f


def search_json(capsys, index: Path, question: str, *extra) -> list[dict]:
    code, out, err = rag(capsys, "search", question, "--json", "--backend", "fake", "--index", index, *extra)
    assert code == 0, err
    return json.loads(out)["hits"]


def ask_json(capsys, index: Path, question: str, config: Path) -> dict:
    code, out, err = rag(capsys, "ask", question, "--json", "--backend", "fake", "--index", index, "--config", config)
    assert code == 0, err
    return json.loads(out)


# --- questions ---------------------------------------------------------------------------------

BAD_QUESTIONS = [
    pytest.param("", ("empty",), id="empty"),
    pytest.param(" \t\n\u3000 ", ("empty",), id="whitespace"),
    pytest.param("\x00\x07\u200b", ("empty",), id="only-control-characters"),
    pytest.param("？？！！……。", ("no words",), id="punctuation"),
    pytest.param("🙂🚀✨ 👍", ("no words",), id="emoji"),
    pytest.param("问" * 501, ("limit is 500", "answer.max_question_chars"), id="too-long"),
]


@pytest.mark.parametrize("command", ["search", "ask"])
@pytest.mark.parametrize("question, needles", BAD_QUESTIONS)
def test_bad_question_is_one_line_error(capsys, cli_index, answering, command, question, needles):
    code, out, err = rag(capsys, command, question, "--backend", "fake", "--index", cli_index, "--config", answering)
    one_line_error(code, err, *needles)
    assert out == ""


def test_question_limit_follows_the_setting(capsys, cli_index, tmp_path):
    cfg = tmp_path / "short.toml"
    cfg.write_text("[answer]\nmax_question_chars = 20\n", encoding="utf-8")
    code, _, err = rag(capsys, "search", "西" * 21, "--backend", "fake", "--index", cli_index, "--config", cfg)
    one_line_error(code, err, "limit is 20", "answer.max_question_chars")
    assert search_json(capsys, cli_index, "西" * 20, "--config", cfg) is not None


def test_control_characters_and_surrogates_are_cleaned(capsys, cli_index, answering):
    question = "篮球\x00联赛\u202e有多少\ud800支球队\x1b参赛？"
    hits = search_json(capsys, cli_index, question)
    assert hits[0]["doc_id"] == "sport"
    answer = ask_json(capsys, cli_index, question, answering)
    assert answer["question"] == "篮球 联赛 有多少?支球队 参赛？"
    assert answer["citations"][0]["doc_id"] == "sport"


def test_invalid_utf8_in_argv_through_the_real_entry_point(cli_index):
    # A terminal in another encoding hands bytes that are not UTF-8; Python turns them into lone
    # surrogates, which check_question must clean before anything encodes them.
    question = "篮球".encode() + b"\xff\xfe" + "联赛有多少支球队？".encode()
    r = subprocess.run([sys.executable, "-m", "rag", "search", question, "--json", "--backend", "fake",
                        "--index", str(cli_index)], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert json.loads(r.stdout)["hits"][0]["doc_id"] == "sport"


@pytest.mark.parametrize("question, doc_id", [
    ("What was 西宁's GDP growth in 2024?", "econ"),
    ("How many teams play in the 青海省篮球联赛?", "sport"),
    ("西宁 green coverage: 空气质量优良天数比例 (%)?", "eco"),
])
def test_mixed_chinese_and_english(capsys, cli_index, answering, question, doc_id):
    hits = search_json(capsys, cli_index, question)
    assert hits[0]["doc_id"] == doc_id and "bm25" in hits[0]["ranks"]
    answer = ask_json(capsys, cli_index, question, answering)
    assert not answer["abstained"] and answer["citations"][0]["doc_id"] == doc_id


@pytest.mark.parametrize("question, simplified, doc_id", [
    ("籃球聯賽有多少支球隊參賽？", "篮球联赛有多少支球队参赛？", "sport"),
    ("西寧地區生產總值增長多少？", "西宁地区生产总值增长多少？", "econ"),
    ("國土綠化面積達到多少畝？", "国土绿化面积达到多少亩？", "eco"),
])
def test_traditional_question_finds_simplified_text(capsys, cli_index, answering, question, simplified, doc_id):
    hits = search_json(capsys, cli_index, question)
    # Retrieval sees exactly what the simplified question gives: same chunks, ranks and scores.
    assert hits == search_json(capsys, cli_index, simplified)
    assert hits[0]["doc_id"] == doc_id and "bm25" in hits[0]["ranks"]
    answer = ask_json(capsys, cli_index, question, answering)
    assert answer["question"] == question  # shown to the model and the user as typed
    assert not answer["abstained"] and answer["citations"][0]["doc_id"] == doc_id


def test_to_simplified():
    from rag.textnorm import to_simplified

    assert to_simplified("西寧地區生產總值增長多少？") == "西宁地区生产总值增长多少？"
    assert to_simplified("軟體資訊") == "软件资讯"  # mainland vocabulary, not only characters
    for same in ("西宁地区生产总值增长5.5%左右", "GDP growth 2024?", "", "🙂"):
        assert to_simplified(same) == same


def test_to_simplified_without_zhconv_leaves_text_alone(monkeypatch):
    from rag import textnorm

    monkeypatch.setattr(textnorm, "_convert", None)
    monkeypatch.setitem(sys.modules, "zhconv", None)  # import zhconv -> ImportError
    assert textnorm.to_simplified("西寧") == "西寧"


# --- files -------------------------------------------------------------------------------------


def test_unreadable_files_are_skipped_with_reasons(capsys, tmp_path):
    from tests.test_sources import blank_pdf_bytes, encrypted_pdf_bytes, pdf_bytes

    d = tmp_path / "mixed"
    d.mkdir()
    (d / "empty.txt").write_bytes(b"")
    (d / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (d / "scan.pdf").write_bytes(blank_pdf_bytes())
    (d / "locked.pdf").write_bytes(encrypted_pdf_bytes(user_password="secret"))
    data = pdf_bytes(["Some text. " * 50] * 3)
    (d / "cut.pdf").write_bytes(data[: len(data) // 2])
    (d / "gbk.txt").write_bytes("冬奥会\n\n张家口赛区的雪上项目全部完成测试。".encode("gbk"))
    (d / "gb18030.txt").write_bytes("湿地公园\n\n湟水河湿地新增水鸟𠀋种。".encode("gb18030"))
    (d / "lines.jsonl").write_text(
        json.dumps({"doc_id": "j1", "title": "图书馆", "text": "市图书馆延长开放时间到晚上九点。"}, ensure_ascii=False)
        + '\n{"doc_id": "j2", "text": \n[1, 2]\n' + json.dumps({"doc_id": "j3"}) + "\n", encoding="utf-8")
    index = tmp_path / "idx"
    code, out, err = rag(capsys, "index", d, "--backend", "fake", "--index", index)
    assert code == 0, err
    assert "Traceback" not in err
    reasons = {line.split(": ", 1)[0].removeprefix("skipped "): line.split(": ", 1)[1]
               for line in err.splitlines() if line.startswith("skipped ")}
    assert reasons[str(d / "empty.txt")] == "empty"
    assert reasons[str(d / "photo.txt")] == "binary file"
    assert "OCR" in reasons[str(d / "scan.pdf")]
    assert "password" in reasons[str(d / "locked.pdf")]
    assert "truncated" in reasons[str(d / "cut.pdf")]
    assert reasons[f"{d / 'lines.jsonl'}:2"].startswith("not valid JSON")
    assert reasons[f"{d / 'lines.jsonl'}:3"] == "not a JSON object"
    assert reasons[f"{d / 'lines.jsonl'}:4"] == 'missing "text"'
    assert len(reasons) == 8
    assert "3 added" in out and "8 skipped" in out
    assert search_json(capsys, index, "张家口赛区的雪上项目")[0]["doc_id"] == "gbk"
    assert search_json(capsys, index, "湟水河湿地新增水鸟")[0]["doc_id"] == "gb18030"
    assert search_json(capsys, index, "图书馆开放时间")[0]["doc_id"] == "j1"


def test_jsonl_lone_surrogate_escapes_are_indexed(capsys, tmp_path):
    # json.loads turns "\ud800" into a lone surrogate, which SQLite and sha256 cannot encode.
    d = tmp_path / "j"
    d.mkdir()
    (d / "a.jsonl").write_text('{"doc_id": "s\\udc80", "title": "标题\\ud800", "text": "西宁经济\\ud800增长。"}\n',
                               encoding="utf-8")
    index = tmp_path / "idx"
    code, out, err = rag(capsys, "index", d, "--backend", "fake", "--index", index)
    assert code == 0, err
    hits = search_json(capsys, index, "西宁经济增长")
    assert hits[0]["doc_id"] == "s\ufffd" and hits[0]["text"] == "西宁经济\ufffd增长。"


def test_duplicate_document_ids_name_both_files(capsys, cli_index, tmp_path):
    d = tmp_path / "dups"
    (d / "one").mkdir(parents=True)
    (d / "two").mkdir()
    (d / "one" / "same.txt").write_text("甲\n\n甲的内容。", encoding="utf-8")
    (d / "two" / "same.md").write_text("乙\n\n乙的内容。", encoding="utf-8")
    code, out, err = rag(capsys, "index", d, "--backend", "fake", "--index", cli_index)
    one_line_error(code, err, str(d / "one" / "same.txt"), str(d / "two" / "same.md"), "rename")
    code, out, err = rag(capsys, "docs", "--backend", "fake", "--index", cli_index)
    assert code == 0 and "3 documents" in out  # the index from before is untouched


def test_file_over_the_size_limit_is_refused(capsys, tmp_path):
    d = tmp_path / "big"
    d.mkdir()
    (d / "small.txt").write_text("小文件\n\n正常大小的文章。", encoding="utf-8")
    (d / "huge.txt").write_text("很长的文章。" * 100_000, encoding="utf-8")  # 1.7 MB
    cfg = tmp_path / "limit.toml"
    cfg.write_text("[chunking]\nmax_file_mb = 1\n", encoding="utf-8")
    code, out, err = rag(capsys, "index", d, "--backend", "fake", "--index", tmp_path / "idx", "--config", cfg)
    assert code == 0, err
    line = next(x for x in err.splitlines() if "huge.txt" in x)
    assert "over the 1 MB limit" in line and "chunking.max_file_mb" in line
    assert "1 added" in out and "1 skipped" in out


def test_paths_with_dotdot_spaces_and_chinese(capsys, tmp_path, monkeypatch):
    folder = tmp_path / "我的 文档"
    folder.mkdir()
    (folder / "城市 新闻 2024.txt").write_text("城市新闻\n\n西宁新开通两条地铁线路。", encoding="utf-8")
    (folder / "旧 文章.txt").write_text("旧文章\n\n这篇文章稍后会被删除。", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    index = tmp_path / "idx"
    monkeypatch.chdir(tmp_path)
    code, out, err = rag(capsys, "index", Path("elsewhere") / ".." / "我的 文档", "--backend", "fake", "--index", index)
    assert code == 0, err
    assert "2 added" in out
    hits = search_json(capsys, index, "西宁地铁线路")
    assert hits[0]["doc_id"] == "城市 新闻 2024"
    # The same folder named another way, from another working directory, is the same documents;
    # a file deleted in between is noticed.
    (folder / "旧 文章.txt").unlink()
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, out, err = rag(capsys, "index", Path("..") / "我的 文档", "--backend", "fake", "--index", index)
    assert code == 0, err
    assert "1 unchanged" in out and "1 removed" in out and "0 added" in out
    code, out, err = rag(capsys, "remove", "城市 新闻 2024", "--backend", "fake", "--index", index)
    assert code == 0 and "城市 新闻 2024" in out
    code, out, err = rag(capsys, "docs", "--backend", "fake", "--index", index)
    assert "0 documents" in out


def test_missing_source_path_is_one_line_error(capsys, tmp_path):
    code, _, err = rag(capsys, "index", tmp_path / "nope", "--backend", "fake", "--index", tmp_path / "idx")
    one_line_error(code, err, "does not exist", str(tmp_path / "nope"))


# --- settings ----------------------------------------------------------------------------------

BAD_SETTINGS = [
    pytest.param("[retrieval]\nkk = 3\n", ("unknown setting retrieval.kk", "known:"), id="unknown-key"),
    pytest.param("[retreival]\nk = 3\n", ("unknown settings section [retreival]", "known:"), id="unknown-section"),
    pytest.param('[retrieval]\nk = "five"\n', ("retrieval.k must be int", "fix it"), id="wrong-type"),
    pytest.param("[answer]\ntrim_chunks = 3\n", ("answer.trim_chunks must be bool",), id="wrong-type-bool"),
    pytest.param("[generator]\nn_ctx = 100000000\n", ("generator.n_ctx", "use 512 to 131072 tokens"), id="n_ctx-huge"),
    pytest.param("[generator]\nn_ctx = 256\n", ("generator.n_ctx", "use 512 to 131072 tokens"), id="n_ctx-tiny"),
    pytest.param("[generator]\nn_ctx = 512\nmax_tokens = 400\n", ("generator.max_tokens", "half of n_ctx"),
                 id="max_tokens-over-half"),
    pytest.param("[retrieval\nk = 3\n", ("not valid TOML",), id="broken-toml"),
]


@pytest.mark.parametrize("command", ["index", "search", "ask"])
@pytest.mark.parametrize("toml, needles", BAD_SETTINGS)
def test_bad_setting_names_the_setting_and_the_fix(capsys, tmp_path, command, toml, needles):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, encoding="utf-8")
    args = [tmp_path] if command == "index" else ["问题"]
    code, _, err = rag(capsys, command, *args, "--backend", "fake", "--index", tmp_path / "idx", "--config", cfg)
    one_line_error(code, err, *needles)


def test_missing_config_file(capsys, tmp_path):
    code, _, err = rag(capsys, "docs", "--config", tmp_path / "none.toml", "--index", tmp_path / "idx")
    one_line_error(code, err, "config file", "does not exist")


def test_bad_environment_variable_names_the_setting(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_THREADS", "many")
    code, _, err = rag(capsys, "docs", "--backend", "fake", "--index", tmp_path / "idx")
    one_line_error(code, err, "generator.threads must be int", "environment")


def test_missing_generator_model_names_the_path_and_the_readme(capsys, cli_index, tmp_path):
    cfg = tmp_path / "model.toml"
    missing = tmp_path / "models" / "nope.gguf"
    cfg.write_text(f'[embedder]\nbackend = "fake"\n[generator]\nbackend = "llama-cpp"\nmodel = "{missing}"\n',
                   encoding="utf-8")
    code, _, err = rag(capsys, "ask", "西宁经济增长多少？", "--index", cli_index, "--config", cfg)
    one_line_error(code, err, str(missing), "models/README.md", "rag models install")


def test_missing_embedder_model_names_the_path_and_the_readme(capsys, tmp_path):
    cfg = tmp_path / "model.toml"
    missing = tmp_path / "models" / "no-such-e5"
    cfg.write_text(f'[embedder]\nbackend = "sentence-transformers"\nmodel = "{missing}"\n', encoding="utf-8")
    code, _, err = rag(capsys, "index", write_corpus(tmp_path / "c"), "--index", tmp_path / "idx", "--config", cfg)
    one_line_error(code, err, str(missing), "models/README.md")
