"""Reading source files (txt, md, pdf, docx, html, jsonl) into documents.

``read_sources`` never stops at one bad file: an unreadable file (binary, empty, undecodable,
scanned PDF, encrypted or truncated PDF, too large) becomes a ``(path, reason)`` skip with a
one-line reason, and a malformed JSONL line becomes a skip named ``file:line``. Two things do
stop it, because no amount of skipping fixes them: two sources giving the same document id
(``DuplicateDocumentError``), and a missing optional library (``SourceError`` with the
``pip install`` command).

pypdf, python-docx, BeautifulSoup and charset-normalizer are imported inside the readers that
need them, so ``import rag.sources`` stays cheap and a missing one only matters for its format.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import DuplicateDocumentError, InputError, SourceError
from .pages import drop_running_lines
from .types import Document

SUPPORTED = (".txt", ".md", ".pdf", ".docx", ".html", ".htm", ".jsonl")

_MB = 1024 * 1024
_TITLE_MAX = 60
_NAME_MAX = 100
# Share of control bytes above which a .txt is treated as binary: real text has almost none
# (tabs and newlines are not counted), while images and archives have plenty even without NULs.
_CONTROL_RATIO = 0.10
_SNIFF_BYTES = 64 * 1024
_MD_CLOSING = re.compile(r"(^|\s)#+$")
_CONTROL_BYTES = bytes(b for b in [*range(0x20), 0x7F] if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D))
_HTML_DROP = ("script", "style", "nav", "noscript", "template", "head")
_HTML_BLOCKS = (
    "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
)  # fmt: skip
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)]
)


class _Skip(Exception):
    """A file (or JSONL line) that cannot be read; the message is the skip reason."""


def iter_files(paths: Iterable[str | Path]) -> list[Path]:
    """List the files to read: named files as they are, folders searched recursively.

    Inside folders only files with a supported suffix are taken, in sorted order, and hidden
    files and folders (a leading ``.``, or ``~$`` for Office lock files) are left out. A file
    named directly is always listed, whatever its suffix or even if it does not exist, so that
    ``read_sources`` reports it as a skip instead of silently ignoring what the user asked for.
    The same file named twice is listed once.
    """
    files: list[Path] = []
    seen: set[str] = set()
    for given in paths:
        root = Path(given)
        found = _walk(root) if root.is_dir() else [root]
        for path in found:
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not _is_hidden(d)]
        for name in filenames:
            if not _is_hidden(name) and Path(name).suffix.lower() in SUPPORTED:
                found.append(Path(folder) / name)
    # Sort by path parts so "a/b.txt" < "a-b.txt" does not depend on the separator's code point.
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _is_hidden(name: str) -> bool:
    return name.startswith((".", "~$"))


def read_sources(
    paths: Iterable[str | Path], max_file_mb: int = 64
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Read files and folders into documents; return ``(documents, skips)``.

    ``skips`` holds ``(path, reason)`` for each file that could not be read, and
    ``("file.jsonl:7", reason)`` for each malformed JSONL line (the other lines are still read).
    Raises ``DuplicateDocumentError`` naming both sources when two give the same ``doc_id``, and
    ``SourceError`` when a library needed for a present format is not installed.
    """
    documents: list[Document] = []
    skips: list[tuple[str, str]] = []
    origin: dict[str, str] = {}
    for path in iter_files(paths):
        try:
            found = _read_file(path, max_file_mb, skips)
        except _Skip as skip:
            skips.append((str(path), str(skip)))
            continue
        for where, doc in found:
            if doc.doc_id in origin:
                raise DuplicateDocumentError(
                    f"document id {doc.doc_id!r} comes from both {origin[doc.doc_id]} and {where}; "
                    "rename one of the files (or change the JSONL doc_id) so that ids are unique."
                )
            origin[doc.doc_id] = where
            documents.append(doc)
    return documents, skips


def _read_file(
    path: Path, max_file_mb: int, skips: list[tuple[str, str]]
) -> list[tuple[str, Document]]:
    """The documents of one file, each with the place it came from (for duplicate errors)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        shown = suffix or "(no suffix)"
        raise _Skip(f"unsupported file type {shown}; supported: {', '.join(SUPPORTED)}")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _Skip("no such file or folder") from None
    except OSError as exc:
        raise _Skip(f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise _Skip("not a regular file")
    if size > max_file_mb * _MB:
        raise _Skip(
            f"file is {size / _MB:.1f} MB, over the {max_file_mb} MB limit; "
            "raise the setting chunking.max_file_mb to read it"
        )
    if size == 0:
        raise _Skip("empty")
    source = str(path)
    if suffix == ".jsonl":
        return _read_jsonl(path, skips)
    reader = _READERS[suffix]
    try:
        title, text = reader(path)
    except OSError as exc:
        raise _Skip(f"cannot read: {exc.strerror or exc}") from None
    if not text or text.isspace():
        raise _Skip("empty")
    kind = "html" if suffix == ".htm" else suffix[1:]
    published = _file_date(path, kind)
    doc = Document(doc_id=path.stem, title=title or path.stem, text=text, source=source, kind=kind,
                   date=published, date_source="metadata" if published else None)
    return [(source, doc)]


# --- plain text --------------------------------------------------------------------------------


def _read_txt(path: Path) -> tuple[str, str]:
    text = _decode(path.read_bytes())
    return _first_line(text), text


def _read_md(path: Path) -> tuple[str, str]:
    text = _decode(path.read_bytes())
    return _first_line(text, markdown=True), text


def _decode(data: bytes) -> str:
    """UTF-8 (BOM optional), UTF-16/32 with a BOM, else GB18030, else charset-normalizer's guess."""
    # UTF-32 before UTF-16: the UTF-32-LE BOM begins with the UTF-16-LE one.
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise _Skip(f"undecodable text: {codec} byte-order mark, bad bytes") from None
    if _looks_binary(data):
        raise _Skip("binary file")
    # GB18030 is a superset of GBK and GB2312, so one strict try covers the common Chinese
    # legacy encodings; UTF-8 first because valid UTF-8 is almost never valid GB18030 by chance.
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        raise SourceError(
            "decoding text that is neither UTF-8 nor GB18030 needs charset-normalizer: "
            "pip install charset-normalizer"
        ) from None
    best = from_bytes(data).best()
    if best is None:
        raise _Skip("undecodable text: not UTF-8, UTF-16 or GB18030; save it as UTF-8")
    return str(best)


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:_SNIFF_BYTES]
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return control > _CONTROL_RATIO * len(sample)


def _first_line(text: str, markdown: bool = False) -> str:
    """The first non-empty line, trimmed to the title length; looks only at the start of text."""
    for line in text[:4096].splitlines():
        line = line.strip()
        if markdown:  # an ATX heading: "## Title ##"
            line = _MD_CLOSING.sub("", line.lstrip("#")).strip()
        if line:
            return line[:_TITLE_MAX]
    return ""


# --- PDF ---------------------------------------------------------------------------------------


def _read_pdf(path: Path) -> tuple[str, str]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError:
        raise SourceError("reading PDF files needs pypdf: pip install pypdf") from None
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 1024))
        tail = fh.read()
    # The PDF format puts %%EOF within the last 1024 bytes; without it pypdf may rebuild a
    # partial file and we would index half a document without saying so.
    if b"%%EOF" not in tail:
        raise _Skip("truncated PDF (no %%EOF marker at the end): download or export it again")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" only with an empty user password and open anywhere.
            if not reader.decrypt(""):
                raise FileNotDecryptedError("password required")
        pages = [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
        meta = reader.metadata
        meta_title = meta.title if meta is not None else None
    except DependencyError:
        raise SourceError(
            f"reading the encrypted PDF {path} needs cryptography: pip install cryptography"
        ) from None
    except FileNotDecryptedError:
        raise _Skip(
            "encrypted (password-protected) PDF: remove the password and add it again"
        ) from None
    except _Skip:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise _Skip(f"damaged PDF ({type(exc).__name__}: {_one_line(exc)})") from None
    text = "\n\n".join(drop_running_lines(pages))
    if not text or text.isspace():
        raise _Skip("no text layer (scanned PDF?): OCR is needed")
    title = meta_title.strip() if isinstance(meta_title, str) else ""
    return (title[:_TITLE_MAX] or _first_line(text)), text


# --- DOCX --------------------------------------------------------------------------------------


def _read_docx(path: Path) -> tuple[str, str]:
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise SourceError(
            "reading .docx files needs python-docx: pip install python-docx"
        ) from None
    try:
        document = docx.Document(str(path))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block))
            else:
                lines.append(block.text)
        core_title = document.core_properties.title or ""
    except Exception as exc:  # noqa: BLE001 - zipfile, KeyError, lxml and docx errors alike
        raise _Skip(
            f"not a readable .docx file ({type(exc).__name__}); an old .doc renamed? "
            "Save it as .docx again"
        ) from None
    text = "\n".join(lines)
    return (core_title.strip()[:_TITLE_MAX] or _first_line(text)), text


def _table_lines(table: object) -> list[str]:
    """One line per table row, cells separated by a tab (merged cells listed once)."""
    lines = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        last = None
        for cell in row.cells:
            if cell._tc is last:  # a merged cell repeats in row.cells
                continue
            last = cell._tc
            cells.append(cell.text.replace("\n", " ").strip())
        if any(cells):
            lines.append("\t".join(cells))
    return lines


# --- HTML --------------------------------------------------------------------------------------


def _read_html(path: Path) -> tuple[str, str]:
    try:
        from bs4 import BeautifulSoup, NavigableString
    except ImportError:
        raise SourceError(
            "reading HTML files needs beautifulsoup4: pip install beautifulsoup4"
        ) from None
    data = path.read_bytes()
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise _Skip("binary file")
    # Given bytes, BeautifulSoup honours <meta charset> and otherwise guesses (GBK pages too).
    soup = BeautifulSoup(data, "html.parser")
    del data
    title = ""
    if soup.title is not None:
        title = " ".join(soup.title.get_text().split())
    if not title:
        h1 = soup.find("h1")
        if h1 is not None:
            title = " ".join(h1.get_text().split())
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    # Source line breaks inside a paragraph are just spaces to a browser; keep them in <pre>.
    for node in list(soup.find_all(string=True)):
        if type(node) is NavigableString and node.find_parent("pre") is None:
            node.replace_with(re.sub(r"\s+", " ", str(node)))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (line.strip() for line in soup.get_text().split("\n"))
    text = "\n".join(line for line in lines if line)
    return (title[:_TITLE_MAX] or _first_line(text)), text


# --- JSONL -------------------------------------------------------------------------------------


def _read_jsonl(path: Path, skips: list[tuple[str, str]]) -> list[tuple[str, Document]]:
    source = str(path)
    found: list[tuple[str, Document]] = []
    nonblank = 0
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            where = f"{source}:{lineno}"
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            nonblank += 1
            try:
                found.append((where, _jsonl_document(raw, source)))
            except _Skip as skip:
                skips.append((where, str(skip)))
    if nonblank == 0:
        raise _Skip("empty")
    return found


def _jsonl_document(raw: bytes, source: str) -> Document:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Skip("not valid UTF-8") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Skip(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise _Skip("not a JSON object")
    for key in ("doc_id", "text"):
        if record.get(key) is None:
            raise _Skip(f'missing "{key}"')
    doc_id, text = record["doc_id"], record["text"]
    if isinstance(doc_id, (dict, list)) or isinstance(doc_id, bool) or not str(doc_id).strip():
        raise _Skip('"doc_id" must be a non-empty string or number')
    if not isinstance(text, str):
        raise _Skip('"text" must be a string')
    if not text.strip():
        raise _Skip('empty "text"')
    doc_id = str(doc_id).strip()
    title = record.get("title")
    return Document(
        doc_id=doc_id,
        # No title stays empty: an id handed to the retrievers as a title matches nothing a person asks.
        title=str(title).strip() if title is not None else "",
        text=text,
        source=source,
        kind="jsonl",
        date=_optional_str(record.get("date")),
        url=_optional_str(record.get("url")),
        collection=_optional_str(record.get("collection")),
    )


# --- publication dates from file metadata (rag.dates decides between them and the text) ----------

_HTML_DATE_META = re.compile(
    rb"""<meta[^>]+(?:property|name|itemprop)\s*=\s*["'](?:article:published_time|og:published_time|pubdate|publishdate|"""
    rb"""datePublished|PubDate|dc\.date)["'][^>]*>""", re.I)
_HTML_CONTENT = re.compile(rb"""content\s*=\s*["']([^"']+)["']""", re.I)
_HTML_TIME = re.compile(rb"""<time[^>]+datetime\s*=\s*["']([^"']+)["']""", re.I)


def _file_date(path: Path, kind: str) -> str | None:
    """The publication date a file's metadata states (HTML meta/``<time>``, DOCX core properties,
    PDF ``CreationDate``), as the raw string; None when there is none or it cannot be read.

    Read separately from the text on purpose: a bad date must never make a readable file unreadable.
    """
    try:
        if kind == "html":
            head = path.read_bytes()[:_SNIFF_BYTES * 16]
            m = _HTML_DATE_META.search(head)
            c = _HTML_CONTENT.search(m.group(0)) if m else None
            found = c.group(1) if c else None
            if found is None:
                t = _HTML_TIME.search(head)
                found = t.group(1) if t else None
            return found.decode("utf-8", "replace").strip() if found else None
        if kind == "docx":
            import zipfile

            with zipfile.ZipFile(path) as z:
                core = z.read("docProps/core.xml").decode("utf-8", "replace")
            m = re.search(r"<dcterms:created[^>]*>([^<]+)<", core)
            return m.group(1).strip() if m else None
        if kind == "pdf":
            from pypdf import PdfReader

            meta = PdfReader(path).metadata
            raw = meta.get("/CreationDate") if meta is not None else None
            return str(raw).strip() if raw else None
    except Exception:  # noqa: BLE001 - metadata is optional; the text is what matters
        return None
    return None


def _optional_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


_READERS: dict[str, Callable[[Path], tuple[str, str]]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    ".html": _read_html,
    ".htm": _read_html,
}


# --- uploads -----------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """A storage-safe version of an uploaded file name.

    Drops any directory part (``../``, ``..\\``, absolute paths), keeps letters (Chinese
    included), digits and ``-_.`` in the stem and turns everything else into ``_``, removes
    leading dots, caps the name at 100 characters keeping the lower-cased suffix, and falls back
    to ``upload`` for an empty stem. Raises ``InputError`` if the suffix is not in ``SUPPORTED``.
    """
    # NFKC turns full-width letters and digits (common in Chinese file names) into ASCII ones.
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    suffix = "." + suffix.strip().lower() if dot else ""
    if suffix not in SUPPORTED:
        shown = suffix or "(none)"
        raise InputError(
            f"upload file name {name!r}: file type {shown} is not supported; "
            f"supported: {', '.join(SUPPORTED)}"
        )
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
    stem = re.sub(r"_{2,}", "_", stem).lstrip("._-").rstrip("._")
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = stem[: _NAME_MAX - len(suffix)].rstrip(".") or "upload"
    return stem + suffix
