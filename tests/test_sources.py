"""Tests for rag.sources: every format, every skip reason, duplicates, folders, upload names.

PDF and DOCX fixtures are built inside the tests (fpdf2 / pypdf / python-docx), never committed.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import DuplicateDocumentError, InputError, SourceError
from rag.sources import SUPPORTED, iter_files, read_sources, safe_filename
from rag.types import Document

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
ZH = "第一条新闻：今年春季，本市新建了三座公园。\n市民可以免费参观。\n"


# --- fixture builders ---------------------------------------------------------------------------


def pdf_bytes(pages: list[str], title: str | None = None, font: Path | None = None) -> bytes:
    """A PDF with a text layer, one string per page (Latin text unless a CJK font is given)."""
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 builds the test PDFs: pip install fpdf2")
    pdf = fpdf.FPDF()
    if title:
        pdf.set_title(title)
    if font is not None:
        pdf.add_font("cjk", fname=str(font))
    for text in pages:
        pdf.add_page()
        if font is not None:
            pdf.set_font("cjk", size=12)
        else:
            pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 10, text=text)
    return bytes(pdf.output())


def blank_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF whose pages have no text at all, like a scan without OCR."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf_bytes(user_password: str, owner_password: str = "owner") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["Secret quarterly numbers."]))))
    writer.encrypt(user_password=user_password, owner_password=owner_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None,
               title: str = "") -> Path:  # fmt: skip
    docx = pytest.importorskip("docx", reason="python-docx is needed: pip install python-docx")
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.core_properties.title = title
    document.save(str(path))
    return path


def read_one(path: Path, **kwargs) -> Document:
    docs, skips = read_sources([path], **kwargs)
    assert skips == []
    assert len(docs) == 1
    return docs[0]


def skip_reason(path: Path, **kwargs) -> str:
    docs, skips = read_sources([path], **kwargs)
    assert docs == []
    assert len(skips) == 1
    assert skips[0][0] == str(path)
    assert "\n" not in skips[0][1]
    return skips[0][1]


# --- plain text and markdown ----------------------------------------------------------------


def test_txt_utf8(tmp_path: Path) -> None:
    path = tmp_path / "news1.txt"
    path.write_text("\n  公园开放  \n" + ZH, encoding="utf-8")
    doc = read_one(path)
    assert doc == Document(
        doc_id="news1", title="公园开放", text="\n  公园开放  \n" + ZH, source=str(path), kind="txt"
    )


def test_txt_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + ZH.encode("utf-8"))
    doc = read_one(path)
    assert doc.text == ZH
    assert doc.title == ZH.splitlines()[0]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_txt_utf16_and_utf32_with_bom(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "wide.txt"
    data = ZH.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    assert read_one(path).text == ZH


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("gbk", ZH),
        ("gb2312", "北京市人民政府发布通知。\n"),
        # "€" and the rare ideograph exist only in GB18030's four-byte range, not in GBK.
        ("gb18030", "票价为 5€。罕见字：𠀀。\n" + ZH),
    ],
)
def test_txt_legacy_chinese_encodings(tmp_path: Path, codec: str, text: str) -> None:
    path = tmp_path / f"{codec}.txt"
    data = text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test is only meaningful if UTF-8 fails
    path.write_bytes(data)
    doc = read_one(path)
    assert doc.text == text


def test_txt_other_encoding_falls_back_to_charset_normalizer(tmp_path: Path) -> None:
    text = (
        "Le café est une boisson préparée à partir des grains torréfiés du caféier. "
        "Elle est consommée à toute heure, et sa préparation varie selon les régions."
    )
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    doc = read_one(path)
    # The guess of a single-byte code page is a heuristic; what matters is that it is read.
    assert doc.text.startswith("Le caf") and "est une boisson" in doc.text


def test_title_is_capped_at_60_characters(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("长" * 100 + "\n正文", encoding="utf-8")
    assert read_one(path).title == "长" * 60


def test_md_title_strips_hashes(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("\n\n## 城市 规划 ##\n\n正文内容。\n", encoding="utf-8")
    doc = read_one(path)
    assert (doc.doc_id, doc.title, doc.kind) == ("notes", "城市 规划", "md")
    assert "正文内容。" in doc.text


def test_whitespace_only_title_falls_back_to_stem(tmp_path: Path) -> None:
    path = tmp_path / "only-hashes.md"
    path.write_text("###\n", encoding="utf-8")
    doc = read_one(path)
    assert doc.title == "only-hashes"


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_pages_joined_and_metadata_title(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes(["First page about parks.", "Second page about roads."], "Annual"))
    doc = read_one(path)
    assert (doc.doc_id, doc.title, doc.kind, doc.source) == ("report", "Annual", "pdf", str(path))
    first, second = doc.text.split("\n\n")
    assert "First page about parks." in first
    assert "Second page about roads." in second


def test_pdf_without_metadata_title_uses_first_line(tmp_path: Path) -> None:
    path = tmp_path / "untitled.pdf"
    path.write_bytes(pdf_bytes(["Headline here\nBody text follows."]))
    assert read_one(path).title == "Headline here"


@pytest.mark.skipif(not CJK_FONT.exists(), reason=f"no CJK font at {CJK_FONT} (fonts-noto-cjk)")
def test_pdf_chinese_text(tmp_path: Path) -> None:
    path = tmp_path / "中文报告.pdf"
    path.write_bytes(pdf_bytes(["公园开放\n市民可以免费参观。"], font=CJK_FONT))
    doc = read_one(path)
    assert doc.doc_id == "中文报告"
    assert doc.title == "公园开放"
    assert "市民可以免费参观" in doc.text
    assert "\x00" not in doc.text


@pytest.mark.skipif(not CJK_FONT.exists(), reason=f"no CJK font at {CJK_FONT} (fonts-noto-cjk)")
def test_pdf_running_header_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    # Real manuals print "书名 37/ 223" on every page; layout repair glued it to the page's first
    # sentence ("…参考手册37/ 2232.1.3…") before rag.pages dropped it.
    path = tmp_path / "manual.pdf"
    pages = [f"运维手册 {k}/ 4\n第{k}节讲的是第{k}个步骤。\n- {k} -" for k in range(1, 5)]
    path.write_bytes(pdf_bytes(pages, font=CJK_FONT))
    doc = read_one(path)
    assert "运维手册" not in doc.text
    assert "- 3 -" not in doc.text
    assert all(f"第{k}节讲的是第{k}个步骤。" in doc.text for k in range(1, 5))


def test_pdf_without_text_layer_says_ocr_is_needed(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_pdf_bytes())
    reason = skip_reason(path)
    assert "no text layer" in reason and "OCR" in reason


def test_pdf_with_password_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted_pdf_bytes(user_password="secret"))
    assert "password" in skip_reason(path)


def test_pdf_with_owner_password_only_is_read(tmp_path: Path) -> None:
    path = tmp_path / "owner-only.pdf"
    path.write_bytes(encrypted_pdf_bytes(user_password=""))
    assert "Secret quarterly numbers." in read_one(path).text


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_pdf_is_skipped(tmp_path: Path, keep: float) -> None:
    data = pdf_bytes(["Some text. " * 50] * 3)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * keep)])
    assert "truncated" in skip_reason(path)


def test_damaged_pdf_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "damaged.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    assert skip_reason(path).startswith("damaged PDF")


# --- DOCX --------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_cells(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "memo.docx",
        ["会议纪要", "", "今天讨论了预算。"],
        table=[["项目", "金额"], ["公园", "300万"]],
    )
    doc = read_one(path)
    assert (doc.doc_id, doc.title, doc.kind) == ("memo", "会议纪要", "docx")
    assert doc.text == "会议纪要\n\n今天讨论了预算。\n项目\t金额\n公园\t300万"


def test_docx_core_title_wins(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "titled.docx", ["正文第一段"], title="正式标题")
    assert read_one(path).title == "正式标题"


def test_docx_that_is_not_a_zip_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 this is an old binary .doc file, renamed")
    assert ".docx" in skip_reason(path)


# --- HTML --------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title> 城市
新闻 </title><style>p { color: red }</style>
<script>var secret = "不应出现";</script></head>
<body><nav>首页 | 关于</nav>
<h1>公园开放</h1>
<p>今年春季，本市
新建了<b>三座</b>公园。</p><div>市民可以<br>免费参观。</div>
<!-- 注释不应出现 -->
<ul><li>第一项</li><li>第二项</li></ul>
</body></html>"""


def test_html_text_title_and_dropped_tags(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = read_one(path)
    assert (doc.doc_id, doc.title, doc.kind) == ("page", "城市 新闻", "html")
    assert doc.text == (
        "公园开放\n今年春季，本市 新建了三座公园。\n市民可以\n免费参观。\n第一项\n第二项"
    )


def test_htm_kind_is_html_and_h1_is_the_fallback_title(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    path.write_text("<html><body><h1>标题一</h1><p>正文。</p></body></html>", encoding="utf-8")
    doc = read_one(path)
    assert (doc.kind, doc.title, doc.text) == ("html", "标题一", "标题一\n正文。")


def test_html_declared_gbk_charset(tmp_path: Path) -> None:
    page = '<html><head><meta charset="gbk"><title>通知</title></head><body><p>正文内容。</p></body></html>'
    path = tmp_path / "gbk.html"
    path.write_bytes(page.encode("gbk"))
    doc = read_one(path)
    assert (doc.title, doc.text) == ("通知", "正文内容。")


# --- JSONL -------------------------------------------------------------------------------------


def test_jsonl_documents(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    lines = [
        {"doc_id": "a1", "title": "标题甲", "text": "正文甲", "date": "2024-03-01", "url": "http://x/a"},
        {"doc_id": 42, "text": "正文乙"},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", "utf-8")
    docs, skips = read_sources([path])
    assert skips == []
    assert docs == [
        Document("a1", "标题甲", "正文甲", str(path), "jsonl", "2024-03-01", "http://x/a"),
        Document("42", "", "正文乙", str(path), "jsonl"),
    ]


def test_jsonl_broken_lines_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                json.dumps({"doc_id": "ok1", "text": "good"}).encode(),  # 1
                b'{"doc_id": "x", "text": ',  # 2: cut off
                json.dumps({"doc_id": "x", "title": "no text"}).encode(),  # 3
                b"[1, 2, 3]",  # 4
                b"",  # 5: blank lines are ignored
                json.dumps({"text": "no id"}).encode(),  # 6
                '{"doc_id": "gbk", "text": "中文"}'.encode("gbk"),  # 7
                json.dumps({"doc_id": "e", "text": "   "}).encode(),  # 8
                json.dumps({"doc_id": "ok2", "text": "also good"}).encode(),  # 9
            ]
        )
    )
    docs, skips = read_sources([path])
    assert [d.doc_id for d in docs] == ["ok1", "ok2"]
    where = {w: reason for w, reason in skips}
    assert list(where) == [f"{path}:{n}" for n in (2, 3, 4, 6, 7, 8)]
    assert where[f"{path}:2"].startswith("not valid JSON")
    assert where[f"{path}:3"] == 'missing "text"'
    assert where[f"{path}:4"] == "not a JSON object"
    assert where[f"{path}:6"] == 'missing "doc_id"'
    assert where[f"{path}:7"] == "not valid UTF-8"
    assert where[f"{path}:8"] == 'empty "text"'


def test_jsonl_with_only_blank_lines_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    assert skip_reason(path) == "empty"


# --- skips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n", "\u3000\n".encode()])
def test_empty_files_are_skipped(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert skip_reason(path) == "empty"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",  # an image renamed .txt
        bytes(range(1, 32)) * 20 + b"some text",  # control bytes without any NUL
    ],
)
def test_binary_file_renamed_txt_is_skipped(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(content)
    assert skip_reason(path) == "binary file"


def test_too_large_file_names_limit_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (1024 * 1024 + 1))
    reason = skip_reason(path, max_file_mb=1)
    assert "1 MB" in reason and "chunking.max_file_mb" in reason
    assert read_one(path, max_file_mb=2).text.startswith("aaa")


def test_unsupported_suffix_named_directly_is_a_skip(tmp_path: Path) -> None:
    path = tmp_path / "program.exe"
    path.write_bytes(b"MZ")
    assert "unsupported file type .exe" in skip_reason(path)


def test_missing_file_is_a_skip(tmp_path: Path) -> None:
    assert "no such file" in skip_reason(tmp_path / "nope.txt")


def test_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.pdf").write_bytes(blank_pdf_bytes(1))
    (tmp_path / "d.md").write_text("# 丁", encoding="utf-8")
    docs, skips = read_sources([tmp_path])
    assert [d.doc_id for d in docs] == ["a", "d"]
    assert [Path(p).name for p, _ in skips] == ["b.txt", "c.pdf"]


# --- duplicates, folders, names ----------------------------------------------------------------


def test_duplicate_ids_name_both_sources(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = tmp_path / "one" / "same.txt"
    second = tmp_path / "two" / "same.md"
    first.write_text("甲", encoding="utf-8")
    second.write_text("乙", encoding="utf-8")
    with pytest.raises(DuplicateDocumentError) as err:
        read_sources([tmp_path])
    assert str(first) in str(err.value) and str(second) in str(err.value)


def test_duplicate_id_between_jsonl_lines_names_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"doc_id": "x", "text": "a"}\n{"doc_id": "x", "text": "b"}\n', "utf-8")
    with pytest.raises(DuplicateDocumentError, match=r"c\.jsonl:1 and .*c\.jsonl:2"):
        read_sources([path])


def test_same_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("甲", encoding="utf-8")
    docs, _ = read_sources([path, tmp_path, str(path)])
    assert len(docs) == 1


def test_folder_recursion_sorted_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    for rel in ["b.txt", "a/z.md", "a/b/c.html", ".hidden.txt", ".git/config.txt",
                "notes.log", "~$lock.docx", "a/UPPER.TXT"]:  # fmt: skip
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("内容", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert found == ["a/UPPER.TXT", "a/b/c.html", "a/z.md", "b.txt"]


def test_hidden_file_named_directly_is_read(tmp_path: Path) -> None:
    path = tmp_path / ".secret.txt"
    path.write_text("内容", encoding="utf-8")
    assert read_one(path).doc_id == ".secret"


def test_names_with_spaces_and_chinese(tmp_path: Path) -> None:
    folder = tmp_path / "我的 文档"
    folder.mkdir()
    path = folder / "城市 新闻 2024.txt"
    path.write_text(ZH, encoding="utf-8")
    doc = read_one(folder)
    assert (doc.doc_id, doc.source) == ("城市 新闻 2024", str(path))


# --- dependencies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "command"),
    [
        ("pypdf", "x.pdf", "pip install pypdf"),
        ("docx", "x.docx", "pip install python-docx"),
        ("bs4", "x.html", "pip install beautifulsoup4"),
    ],
)
def test_missing_dependency_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, name: str, command: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(SourceError, match=command):
        read_sources([path])


def test_import_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, rag.sources; "
        "print([m for m in ('pypdf', 'docx', 'bs4', 'charset_normalizer') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert out.stdout.strip() == "[]"


# --- safe_filename -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system.ini.md", "system.ini.md"),
        ("/abs/path/doc.pdf", "doc.pdf"),
        ("C:\\Users\\me\\Desktop\\a b.TXT", "a_b.txt"),
        ("报告 2024.pdf", "报告_2024.pdf"),
        ("（草稿）会议纪要.docx", "草稿_会议纪要.docx"),
        ("ＡＢＣ１２３.html", "ABC123.html"),
        (".hidden.txt", "hidden.txt"),
        ("...txt", "upload.txt"),
        ("???.jsonl", "upload.jsonl"),
        ("con.txt", "_con.txt"),
        ("v1.2 final.htm", "v1.2_final.htm"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_caps_length_keeping_suffix() -> None:
    name = safe_filename("长" * 300 + ".docx")
    assert len(name) == 100 and name.endswith(".docx")


@pytest.mark.parametrize("name", ["a.exe", "noext", "", "../", "archive.tar.gz", "a.txt.exe"])
def test_safe_filename_rejects_unsupported(name: str) -> None:
    with pytest.raises(InputError, match="not supported"):
        safe_filename(name)


def test_safe_filename_properties() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(stem=st.text(max_size=150), suffix=st.sampled_from(SUPPORTED))
    def check(stem: str, suffix: str) -> None:
        name = safe_filename(stem + suffix.upper())
        assert name.endswith(suffix)
        assert len(name) <= 100
        assert "/" not in name and "\\" not in name
        assert not name.startswith(".")
        assert len(name) > len(suffix)
        assert safe_filename(name) == name  # idempotent

    check()
