"""Sentence-aware chunks of a cleaned document, with exact character offsets.

Sentences end at 。！？；… and ! ? ; (closing quotes and brackets right after stay with the
sentence) and at every line end, so a headline line is a sentence of its own. A full stop inside
a 《title》 or inside a short quotation (at most 30 characters between the quotes, such as
``“主动仗。”``) does not end a sentence; numbers (``3.5``, ``5.5%``, ``1,000``) hold no sentence
end at all.

Chunks are packed from whole sentences inside one article, about ``size`` characters each, and
share ``overlap`` sentences with the previous chunk of the same article (fewer when the shared
part would exceed half a chunk). A sentence longer than 1.5 × ``size`` is cut after a comma,
enumeration comma, semicolon, colon or space, else at ``size``, never inside a number, a Latin
word or a 《》 title. A chunk's text is ``cleaned_text[start:end]`` exactly, so the page can
highlight it; the title is not prefixed (the indexer does that).

Chunk ids are content hashes, stable across rebuilds: ``sha256(doc_id + "\\x00" + text)`` cut to
16 hex digits; the second and later chunks of one document with the same text hash their
occurrence number too.
"""

from __future__ import annotations

import hashlib

from .errors import InputError
from .types import Article, Chunk

_END = frozenset("。！？；…!?;")
_CLOSE = frozenset("”’」』）)】〕》")
_SOFT = frozenset("，、,；;：: \u3000\t")
_SHORT_QUOTE = 30
_MAX_TITLE = 100


def chunk_id(doc_id: str, text: str, occurrence: int = 0) -> str:
    """The stable id of a chunk: 16 hex digits of sha256 over the document id and the text."""
    key = f"{doc_id}\x00{text}" if occurrence == 0 else f"{doc_id}\x00{text}\x00{occurrence}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _pairs(text: str, open_: str, close: str, max_inner: int) -> list[tuple[int, int]]:
    """(open index, close index) of bracket pairs on one line with at most max_inner between."""
    out = []
    i = text.find(open_)
    while i != -1:
        j = i + 1
        while j < len(text) and j - i - 1 <= max_inner and text[j] not in (close, "\n", open_):
            j += 1
        if j < len(text) and text[j] == close and j - i - 1 <= max_inner:
            out.append((i, j))
            i = text.find(open_, j + 1)
        else:
            i = text.find(open_, i + 1)
    return out


def _ascii_quote_pairs(text: str, max_inner: int) -> list[tuple[int, int]]:
    out = []
    for line_start, line in _lines(text):
        idx = [line_start + k for k, c in enumerate(line) if c == '"']
        for a, b in zip(idx[::2], idx[1::2]):
            if b - a - 1 <= max_inner:
                out.append((a, b))
    return out


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _protected(text: str) -> list[bool]:
    """Positions where a sentence may not end: inside 《》 and inside short quotations."""
    mask = [False] * len(text)
    spans = _pairs(text, "《", "》", _MAX_TITLE)
    for open_, close in (("“", "”"), ("「", "」"), ("‘", "’")):
        spans += _pairs(text, open_, close, _SHORT_QUOTE)
    spans += _ascii_quote_pairs(text, _SHORT_QUOTE)
    for a, b in spans:
        for k in range(a + 1, b):
            mask[k] = True
    return mask


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of a Chinese text; only whitespace lies between them."""
    mask = _protected(text)
    spans: list[tuple[int, int]] = []
    n = len(text)
    start: int | None = None
    quotes = 0  # ASCII double quotes seen on this line: an odd count means one is open

    def close(end: int) -> None:
        nonlocal start
        if start is not None:
            while end > start and text[end - 1].isspace():
                end -= 1
            spans.append((start, end))
            start = None

    i = 0
    while i < n:
        c = text[i]
        if c == "\n":
            close(i)
            quotes = 0
            i += 1
            continue
        if start is None:
            if c.isspace():
                i += 1
                continue
            start = i
        if c == '"':
            quotes += 1
        if c in _END and not mask[i]:
            j = i + 1
            while j < n and (
                text[j] in _END or text[j] in _CLOSE or (text[j] == '"' and quotes % 2)
            ):
                if text[j] == '"':
                    quotes += 1
                j += 1
            close(j)
            i = j
            continue
        i += 1
    close(n)
    return spans


def _is_digit(c: str) -> bool:
    return c.isdigit()


def _safe_cut(text: str, k: int, titles: list[tuple[int, int]]) -> bool:
    """Whether text may be cut between k-1 and k: not inside a number, a Latin word or a 《》."""
    if k <= 0 or k >= len(text):
        return True
    a, b = text[k - 1], text[k]
    if a.isascii() and a.isalnum() and b.isascii() and b.isalnum():
        return False
    if _is_digit(a) and (_is_digit(b) or b in "%％"):
        return False
    if a in ".,．" and k >= 2 and _is_digit(text[k - 2]) and _is_digit(b):
        return False
    if b in ".,．" and k + 1 < len(text) and _is_digit(a) and _is_digit(text[k + 1]):
        return False
    return not any(o < k <= c for o, c in titles)


def _cut_long(
    text: str, s: int, e: int, size: int, titles: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Cut one sentence longer than 1.5 × size into pieces of about size characters."""
    limit = int(1.5 * size)
    pieces = []
    while e - s > limit:
        lo, hi = s + max(1, size // 2), s + size
        soft = (k for k in range(hi, lo - 1, -1) if text[k - 1] in _SOFT)
        cut = next((k for k in soft if _safe_cut(text, k, titles)), None)
        if cut is None:
            cut = next((k for k in range(hi, s, -1) if _safe_cut(text, k, titles)), None)
        if cut is None:
            cut = next((k for k in range(hi, e) if _safe_cut(text, k, titles)), e)
        end = cut
        while end > s and text[end - 1].isspace():
            end -= 1
        if end > s:
            pieces.append((s, end))
        s = cut
        while s < e and text[s].isspace():
            s += 1
    if s < e:
        pieces.append((s, e))
    return pieces


def _pack(units: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of sentence spans into chunks, each with at least one new sentence."""
    out: list[tuple[int, int]] = []
    n = len(units)
    i = first_new = 0
    while first_new < n:
        j = first_new
        while j + 1 < n:
            cur = units[j][1] - units[i][0]
            cand = units[j + 1][1] - units[i][0]
            # A chunk still under half the size may grow up to 1.5 × size rather than stay tiny.
            if cand <= size or (cur < size / 2 and cand <= 1.5 * size):
                j += 1
            else:
                break
        if j + 1 < n:
            rest = units[-1][1] - units[j + 1][0]
            if rest < size / 2 and units[-1][1] - units[i][0] <= 1.5 * size:
                j = n - 1  # absorb a short remainder instead of leaving a tiny last chunk
        out.append((units[i][0], units[j][1]))
        first_new = j + 1
        i = max(first_new - overlap, 0)
        while i < first_new and units[j][1] - units[i][0] > size / 2:
            i += 1
    return out


def split_document(
    doc_id: str, text: str, articles: list[Article], size: int = 300, overlap: int = 1
) -> list[Chunk]:
    """Chunks of about ``size`` characters inside each article of a cleaned text."""
    if size < 2:
        raise InputError(f"chunk size must be at least 2 characters, got {size}")
    if overlap < 0:
        raise InputError(f"chunk overlap must be 0 or more sentences, got {overlap}")
    if not articles:
        articles = [Article("", 0, len(text))]
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for art in articles:
        start, end = max(0, art.start), min(len(text), art.end)
        if start >= end:
            continue
        part = text[start:end]
        titles = [(a + start, b + start) for a, b in _pairs(part, "《", "》", _MAX_TITLE)]
        units: list[tuple[int, int]] = []
        for s, e in split_sentences(part):
            s, e = s + start, e + start
            if e - s > 1.5 * size:
                units.extend(_cut_long(text, s, e, size, titles))
            else:
                units.append((s, e))
        for s, e in _pack(units, size, overlap):
            piece = text[s:e]
            if not any(c.isalnum() for c in piece):
                continue
            occurrence = seen.get(piece, 0)
            seen[piece] = occurrence + 1
            cid = chunk_id(doc_id, piece, occurrence)
            chunks.append(Chunk(cid, doc_id, piece, s, e, art.title, art.date))
    return chunks
