"""Is the answer about what was asked? Checks made after generation, without a second LLM call.

Every check has one signature: it takes a ``Draft`` (the question, the answer's verified
``types.Sentence`` list, and a way to read a chunk's article opening) and returns why the answer
fails (one English sentence) or None. ``CHECKS`` lists them in the order the pipeline runs them;
the first failure turns the answer into the refusal and becomes ``Answer.reason``.

- **citations**: an answer none of whose claims holds is a made-up answer, not a doubtful one;
- **kind** (``langrules.missing_kind``): a question that asks for a day must be answered with a
  date, "多少支球队" with a count of teams (16支, 十六个队), an age with 岁;
- **scope**: citation support proves that an answer's words come from its chunk; it cannot see a
  near miss. Asked for 2022, handed the 2023 report, a small model copies the 2023 figure. So a
  year, date or place the question names must appear in a chunk that supports the answer, or in
  the opening of that chunk's article (a news story says where and when at the top; later chunks
  say "今年", "全区") -- but the opening counts only when it names no *other* year, date or place of
  the same kind: a report about all five districts does not make its 城东区 paragraph an answer
  about 城北区. The first 600 characters (``answer.opening_chars``) held every answerable seed
  question's year and place; 150 missed five of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .citations import split_answer
from .langrules import canonical_numbers
from .langrules import missing_kind as _missing_kind
from .textnorm import compact, normalize
from .textnorm import to_simplified
from .types import Chunk, Citation, Sentence

_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d.%])")
_DATE = re.compile(r"\d{1,2}月\d{1,2}[日号]")
# Words that end like a place but name a kind of place, not one place ("城镇调查失业率").
_GENERIC_PLACES = {"城镇", "农村", "城市", "城乡", "全国", "全省", "全市", "全区", "全县", "本市", "我市", "我省", "我区",
                   "国内", "国外", "国际", "地方", "地区", "省市", "市县", "县区", "区县", "乡镇", "乡村", "社区", "中心城区",
                   "市区", "县城", "开发区", "园区", "新区", "城区", "景区", "街道", "各区", "各县"}
_PLACE_END = re.compile(r"^[\u4e00-\u9fff]{1,8}(?:省|市|区|县|州|乡|镇|村)$")

def _places(question: str) -> list[str]:
    from .sparse import load_jieba

    load_jieba()  # initialises jieba once, quietly, under its lock
    import jieba.posseg as pseg

    out = []
    for word, flag in pseg.cut(question):
        word = word.strip()
        if len(word) < 2 or word in _GENERIC_PLACES:
            continue
        if flag == "ns" or (len(word) >= 3 and _PLACE_END.match(word)):
            out.append(word)
    return out


def scope_terms(question: str) -> list[str]:
    """Years, dates and place names the question is pinned to, in order, without repeats."""
    # The articles are simplified ("西寧" must find "西宁"); a year in words (二〇二三年) is 2023.
    q = canonical_numbers(to_simplified(question))
    terms = _YEAR.findall(q) + _DATE.findall(q) + _places(q)
    return list(dict.fromkeys(compact(t) for t in terms))


def missing_scope(question: str, texts: Sequence[str]) -> list[str]:
    """The question's scope terms that none of ``texts`` mentions."""
    haystack = "\n".join(compact(canonical_numbers(t)) for t in texts)
    return [t for t in scope_terms(question) if t not in haystack]


def missing_kind(question: str, answer: str) -> str | None:
    """What kind of answer the question wants and the answer lacks ("a date", "a number"...), or None.

    ``answer`` is the claims only (citation markers and "资料编号为1的资料中提到，" removed), so a
    marker's digit does not count as a number. The rules are ``langrules.missing_kind``.
    """
    return _missing_kind(to_simplified(question), answer)


def _rivals(term: str, text: str) -> bool:
    """Whether ``text`` names another year, date or place of the same kind as ``term``."""
    t = canonical_numbers(text)
    if _YEAR.fullmatch(term):
        return any(y != term for y in _YEAR.findall(t))
    if _DATE.fullmatch(term):
        return any(compact(d) != term for d in _DATE.findall(t))
    return any(p != term and p[-1] == term[-1] for p in map(compact, _places(t)))


def scope_problem(question: str, supporting: Sequence[Chunk], opening: Callable[[Chunk], str]) -> list[str]:
    """The question's scope terms that neither a supporting chunk nor a one-scope opening names."""
    texts = [compact(canonical_numbers(f"{c.title}\n{c.text}")) for c in supporting]
    openings = [canonical_numbers(o) for o in (opening(c) for c in supporting) if o]
    out = []
    for term in scope_terms(question):
        if any(term in t for t in texts):
            continue
        if any(term in compact(o) and not _rivals(term, o) for o in openings):
            continue
        out.append(term)
    return out


@dataclass(frozen=True)
class Draft:
    """What every post-generation check reads: the question and the answer's verified sentences."""

    question: str
    sentences: tuple[Sentence, ...]
    opening: Callable[[Chunk], str] = lambda chunk: ""

    @property
    def claims(self) -> str:
        return "".join(s.text for s in self.sentences if s.verdict != "none")

    def supporting(self) -> list[Chunk]:
        """The chunks of citations that hold, each once, in order."""
        seen: dict[str, Chunk] = {}
        for s in self.sentences:
            for c in s.citations:
                if c.holds:
                    seen.setdefault(c.chunk.chunk_id, c.chunk)
        return list(seen.values())


def check_citations(d: Draft) -> str | None:
    """An answer with claims of which none holds."""
    claims = [s for s in d.sentences if s.verdict != "none"]
    if claims and not any(s.verdict in ("supported", "inferred") for s in claims):
        return "no sentence of the answer is supported by its sources"
    return None


def check_kind(d: Draft) -> str | None:
    """An answer that is not the kind of thing asked for (a date, a count of 支, an age)."""
    kind = missing_kind(d.question, d.claims)
    return f"the question asks for {kind} and the answer gives none" if kind else None


def check_scope(d: Draft) -> str | None:
    """An answer whose supporting chunks miss the year, date or place the question names."""
    supporting = d.supporting()
    if not supporting:
        return None  # nothing supported: check_citations has already failed it
    missing = scope_problem(d.question, supporting, d.opening)
    if missing:
        return f"the question names {', '.join(missing)}, which the supporting passages do not mention"
    return None


CHECKS: tuple[Callable[[Draft], str | None], ...] = (check_citations, check_kind, check_scope)


def run_checks(draft: Draft, checks: Sequence[Callable[[Draft], str | None]] = CHECKS) -> str | None:
    """The first failing check's reason, or None when the answer passes them all."""
    for check in checks:
        reason = check(draft)
        if reason:
            return reason
    return None


def check_grounding(question: str, answer: str, citations: Sequence[Citation], threshold: float,
                    opening: Callable[[Chunk], str] = lambda c: "") -> str | None:
    """Kind and scope checks over a plain answer text and its citations (for callers without
    ``Sentence``s); only citations reaching ``threshold`` count as support."""
    claims = "".join(s.text for s in split_answer(answer))
    kind = missing_kind(question, claims)
    if kind:
        return f"the question asks for {kind} and the answer gives none"
    held = tuple(c for c in citations if c.support >= threshold)
    if not held:
        return None
    sentence = Sentence(text=claims, cited=(), citations=held, support=max(c.support for c in held), verdict="supported")
    return check_scope(Draft(question, (sentence,), opening))
