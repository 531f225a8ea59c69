"""Running headers and footers of extracted PDF pages.

A book-like PDF prints the same line at the top or bottom of every page, with only the page number
changing ("Debian 参考手册 37/ 223", "第 12 页", "- 5 -"). Text extraction keeps it inside the page's
text, and layout repair (``cleaning``) then glues it to the first sentence of the page
("…参考手册37/ 2232.1.3持续升级的生活"): a false number enters the chunk, and every page carries the
same words into both retrievers. Such a line is page furniture, not content, and only the page
structure tells it apart, so it is dropped here, before the pages are joined.

A line is furniture when it reads as a label, not a sentence (at most ``MAX_CHARS`` characters
without spaces, no sentence punctuation: a body line that differs from page to page only in its
numbers, "第3步：打开设置。", must stay), and, with its digits and a trailing Roman page number masked
and its spaces removed, it is among the first or last ``EDGE_LINES`` lines of at least ``MIN_PAGES``
pages and of at least ``MIN_SHARE`` of the pages. A short document (fewer than ``MIN_PAGES`` pages) keeps
everything: three repeats are the least that tells a running line from a coincidence. Chapter
headers that change every few pages stay (they are a small share of a long document); they cost
little, since they are also the chapter's title.
"""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 2
MIN_PAGES = 3
MIN_SHARE = 0.3
MAX_CHARS = 40

_DIGITS = re.compile(r"\d+")
_ROMAN_PAGE = re.compile(r"(?<![A-Za-z])[ivxlcdm]+$")
_SPACES = re.compile(r"\s+")
_SENTENCE_PUNCT = frozenset("，。；！？,;!?")


def _shape(line: str) -> str:
    """The line with its spaces removed and its page numbers masked; "" for a line that reads as
    a sentence (never furniture)."""
    squeezed = _SPACES.sub("", line)
    if len(squeezed) > MAX_CHARS or any(c in _SENTENCE_PUNCT for c in squeezed):
        return ""
    return _ROMAN_PAGE.sub("#", _DIGITS.sub("#", squeezed))


def _edges(lines: list[str]) -> set[int]:
    """Positions of the first and last ``EDGE_LINES`` non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])


def drop_running_lines(pages: list[str]) -> list[str]:
    """The pages without their running headers and footers (see the module docstring)."""
    if len(pages) < MIN_PAGES:
        return pages
    split = [page.split("\n") for page in pages]
    edges = [{i: _shape(lines[i]) for i in _edges(lines)} for lines in split]  # position -> shape, per page
    seen = Counter(shape for page in edges for shape in set(page.values()))
    need = max(MIN_PAGES, MIN_SHARE * len(pages))
    # A bare page number ("#") is furniture like any other running line.
    running = {shape for shape, n in seen.items() if n >= need and shape}
    if not running:
        return pages
    out = []
    for lines, page in zip(split, edges):
        drop = {i for i, shape in page.items() if shape in running}
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return out
