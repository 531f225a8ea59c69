"""Property tests over hostile input for the pure stages, adding to those beside each module.

Already covered elsewhere (not repeated here): cleaning idempotence on page-like text
(test_cleaning), chunk slices for articles from ``find_articles`` (test_chunking), the citation
checker on a small marker alphabet (test_citations). Added here: the whole Unicode range including
lone surrogates, control and separator characters; chunking through ``prepare_document`` (the
path indexing takes) and with arbitrary article bounds; every marker shape the parser knows;
``check_question`` on anything at all; and ``to_simplified``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from rag.chunking import split_document
from rag.citations import check_answer, parse_markers, split_answer
from rag.cleaning import clean_text
from rag.textnorm import normalize
from rag.errors import InputError
from rag.indexing import LAYOUT_KINDS, prepare_document, valid_unicode
from rag.pipeline import check_question
from rag.textnorm import to_simplified
from rag.types import Article, Chunk, Document

# Everything, lone surrogates included (the default text strategy leaves those out).
ANY_CHAR = st.characters(codec=None, categories=None)
# Characters that break naive line handling: Unicode line/paragraph separators, NEL, form feed,
# vertical tab, file/group/record separators, zero-width and direction marks, BOM, NUL.
AWKWARD = st.sampled_from(list("\u2028\u2029\x85\x0c\x0b\x1c\x1d\x1e\x1f\u200b\u200e\u202e\ufeff\x00\r\n\t \u3000"))
CJK_PAGE = st.sampled_from(list("西宁会议经济增长。，、；！？“”《》（）0123456789.%abc"))
HOSTILE_TEXT = st.lists(st.one_of(ANY_CHAR, AWKWARD, CJK_PAGE), max_size=160).map("".join)


def _squeeze(s: str) -> str:
    return "".join(s.split())


@settings(max_examples=150, deadline=None)
@given(HOSTILE_TEXT)
def test_cleaner_survives_any_unicode(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert _squeeze(once) == _squeeze(text.replace("\ufeff", ""))
    normalize(text)  # the matching form never fails either


@settings(max_examples=150, deadline=None)
@given(HOSTILE_TEXT, st.sampled_from(sorted(LAYOUT_KINDS | {"jsonl", "html", "docx"})),
       st.integers(min_value=20, max_value=120), st.integers(min_value=0, max_value=3))
def test_chunks_through_prepare_document_are_exact_slices(text, kind, size, overlap):
    doc = valid_unicode(Document(doc_id="d", title="标题", text=text, kind=kind))  # as update_index does
    assert len(doc.text) == len(text)
    text = doc.text
    cleaned = clean_text(text) if kind in LAYOUT_KINDS else text.replace("\r\n", "\n").strip()
    chunks = prepare_document(doc, size, overlap)
    for c in chunks:
        assert 0 <= c.start < c.end <= len(cleaned)
        assert cleaned[c.start:c.end] == c.text
        assert any(ch.isalnum() for ch in c.text)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(CJK_PAGE, AWKWARD), max_size=200).map("".join),
       st.lists(st.tuples(st.integers(-20, 220), st.integers(-20, 220)), max_size=4),
       st.integers(min_value=2, max_value=80))
def test_chunks_stay_inside_arbitrary_articles(text, bounds, size):
    articles = [Article(f"t{i}", a, b) for i, (a, b) in enumerate(bounds)]
    for c in split_document("d", text, articles, size=size, overlap=1):
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start:c.end] == c.text
        if articles:
            art = next(a for a in articles if a.title == c.title)
            assert max(0, art.start) <= c.start and c.end <= min(len(text), art.end)


MARKERS = st.sampled_from(["[1]", "[2,3]", "[1-3]", "[资料2]", "【1】", "【1、2】", "［１］", "^[2]", "^3", "（资料1）",
                           "(source 2)", "[0]", "[99]", "[99999999999999999999999]", "[1-99999999]", "[3~1]", "[",
                           "]", "【", "】", "。", "！", "\n", "；"])
ANSWERS = st.lists(st.one_of(MARKERS, CJK_PAGE, ANY_CHAR), max_size=60).map("".join)
CHUNK_TEXTS = st.lists(st.lists(st.one_of(CJK_PAGE, AWKWARD), max_size=60).map("".join), min_size=0, max_size=4)


@settings(max_examples=150, deadline=None)
@given(ANSWERS)
def test_marker_parser_returns_plain_numbers(answer):
    numbers = parse_markers(answer)
    assert all(isinstance(n, int) and n >= 0 for n in numbers)
    assert len(numbers) == len(set(numbers))
    for sentence in split_answer(answer):
        assert sentence.text.strip() and all(n >= 0 for n in sentence.cited)


@settings(max_examples=150, deadline=None)
@given(ANSWERS, CHUNK_TEXTS)
def test_citation_checker_numbers_are_valid(answer, texts):
    chunks = [Chunk(chunk_id=f"c{i}", doc_id=f"d{i}", text=t, start=0, end=len(t), title="t")
              for i, t in enumerate(texts)]
    res = check_answer(answer, chunks)
    for c in res.citations:
        assert 1 <= c.n <= len(chunks) and c.chunk is chunks[c.n - 1]
        assert 0 <= c.span[0] <= c.span[1] <= len(c.chunk.text)
        assert 0.0 <= c.support <= 1.0
    assert all(not 1 <= n <= len(chunks) for n in res.invalid_numbers)
    assert 0 <= res.supported_sentences <= res.sentences


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


@settings(max_examples=250, deadline=None)
@given(st.lists(st.one_of(ANY_CHAR, AWKWARD, CJK_PAGE), max_size=80).map("".join), st.integers(10, 60))
def test_check_question_raises_only_input_error(question, limit):
    try:
        q = check_question(question, limit)
    except InputError as e:
        assert str(e)
        return
    assert q and q == q.strip() and len(q) <= limit
    assert not _CONTROL.search(q)
    q.encode("utf-8")  # no lone surrogate survives
    assert any(ch.isalnum() for ch in q)
    assert check_question(q, limit) == q  # cleaning is idempotent


@pytest.mark.parametrize("value", [None, 42, 3.5, b"bytes", ["list"], {"q": 1}, object()])
def test_check_question_refuses_non_text(value):
    with pytest.raises(InputError, match="must be text"):
        check_question(value)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(ANY_CHAR, CJK_PAGE, st.sampled_from(list("寧區產總值長麵後髮乾淨軟體資訊"))), max_size=60)
       .map("".join))
def test_to_simplified_never_fails(text):
    out = to_simplified(text)
    assert isinstance(out, str)
    if not re.search(r"[\u3400-\u9fff\uf900-\ufaff]", text):
        assert out == text  # no dictionary work, nothing changed
    assert to_simplified(out) == out
