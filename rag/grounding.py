"""Is the answer about what was asked? A check made after generation, without a second LLM call.

Citation support (``rag.citations``) proves that an answer's words come from its chunk. It cannot
see a near miss: asked for 2022, handed the 2023 report, a small model copies the 2023 figure,
and every word of its answer is in the chunk. On the seed question set that was most of the
unanswerable questions the model answered. Two cheap checks catch them:

- **scope**: a year, a date or a place the question names must appear in a supporting chunk or
  in the opening of the article that chunk comes from (a news story says where and when at
  the top; later chunks say "今年", "全区"). The first 600 characters (``answer.opening_chars``)
  held every answerable seed question's year and place; 150 missed five of them;
- **kind**: a question that asks for a day ("哪一天", "几月几日") must be answered with a date,
  one asking "多少"/"几个" with a number, one asking an age with "岁", one counting "多少名选手"
  with a number of 名/位/人 (not "50余项活动"). Asked "控制在百分之几以内", a model that answers
  "控制在省定目标内" has not answered.

A failed check turns the answer into the refusal; ``Answer.reason`` says which term was missing.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from .citations import split_answer
from .textnorm import compact, normalize
from .textnorm import to_simplified
from .types import Chunk, Citation

_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d.%])")
_DATE = re.compile(r"\d{1,2}月\d{1,2}[日号]")
# Words that end like a place but name a kind of place, not one place ("城镇调查失业率").
_GENERIC_PLACES = {"城镇", "农村", "城市", "城乡", "全国", "全省", "全市", "全区", "全县", "本市", "我市", "我省", "我区",
                   "国内", "国外", "国际", "地方", "地区", "省市", "市县", "县区", "区县", "乡镇", "乡村", "社区", "中心城区",
                   "市区", "县城", "开发区", "园区", "新区", "城区", "景区", "街道", "各区", "各县"}
_PLACE_END = re.compile(r"^[\u4e00-\u9fff]{1,8}(?:省|市|区|县|州|乡|镇|村)$")
_ASKS_DAY = re.compile(r"哪一?天|几月几[日号]|几号|哪一?日")
_ASKS_YEAR = re.compile(r"哪一?年|几几年")
_ASKS_TIME = re.compile(r"什么时候|何时|什么时间")
# "多少", "几个/几次/几万…" ask for a quantity; "哪几个" asks for names, "几月几日" for a date.
_ASKS_NUMBER = re.compile(r"多少|百分之几|(?<!哪)几(?=[个次件项家所名位人年天倍种条批座万千百亿成十岁])")
_ASKS_AGE = re.compile(r"多大年纪|多大岁数|几岁|多少岁|年龄")
# A quantity: digits, or Chinese numerals with a unit after them ("十二万吨", "两所", "百分之三"). A
# bare numeral is not enough: "产业“四地”" and "五个之城" name things, they do not count them.
_NUMBER = re.compile(r"\d|[零〇一二两三四五六七八九十百千万亿半]+(?:[个次件项家所名位人年天倍种条批座万千百亿成岁届期"
                     r"元吨亩册本户台套辆栋场起宗]|分之|公里|平方)")
_NUMERAL = r"(?:\d|[零〇一二两三四五六七八九十百千万亿])[\d.,，零〇一二两三四五六七八九十百千万亿余多近约]*\s*"
# "多少名选手" wants people counted: "50余项活动" is a number but not an answer. Each classifier
# the question uses, with the ones an answer may use instead.
_COUNTS = {"名": "名位人", "位": "名位人", "人": "名位人", "家": "家户个所", "户": "户家", "件": "件个起宗",
           "所": "所个家", "座": "座个", "项": "项个", "场": "场次", "届": "届"}
_ASKS_COUNT = re.compile(r"(?:多少|(?<!哪)几)(?:万|千|百)?([名位人家户件所座项场届])(?!民)")
_DAY = re.compile(r"\d{1,2}\s*[日号]|[一二三四五六七八九十]{1,3}[日号]|今天|昨天|明天|当天|当日")
_YEAR_ANY = re.compile(r"(?:19|20)\d\d|[一二〇零九]{4}年|今年|去年|明年")
_TIME = re.compile(r"\d+\s*(?:年|月|日|号|时|点)|[一二三四五六七八九十]+月|今年|去年|明年|年[初底末中]|上午|下午|晚上|期间|以来")


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
    q = normalize(to_simplified(question))  # the articles are simplified; "西寧" must find "西宁"
    terms = _YEAR.findall(q) + _DATE.findall(q) + _places(q)
    return list(dict.fromkeys(compact(t) for t in terms))


def missing_scope(question: str, texts: Sequence[str]) -> list[str]:
    """The question's scope terms that none of ``texts`` mentions."""
    haystack = "\n".join(compact(t) for t in texts)
    return [t for t in scope_terms(question) if t not in haystack]


def missing_kind(question: str, answer: str) -> str | None:
    """What kind of answer the question wants and the answer lacks ("a date", "a number"...), or None.

    ``answer`` is the claims only (citation markers and "资料编号为1的资料中提到，" removed), so a
    marker's digit does not count as a number.
    """
    if _ASKS_AGE.search(question) and "岁" not in answer:
        return "an age"
    if _ASKS_DAY.search(question) and not _DAY.search(answer):
        return "a date"
    if _ASKS_YEAR.search(question) and not _YEAR_ANY.search(answer):
        return "a year"
    if _ASKS_TIME.search(question) and not _TIME.search(answer):
        return "a time"
    if not _ASKS_DAY.search(question) and _ASKS_NUMBER.search(question) and not _NUMBER.search(answer):
        return "a number"
    m = _ASKS_COUNT.search(question)
    if m and not _ASKS_AGE.search(question) and \
            not re.search(rf"{_NUMERAL}(?:万|千|百)?[{_COUNTS[m.group(1)]}]", answer):
        return f"a count of {m.group(1)}"
    return None


def check_grounding(question: str, answer: str, citations: Sequence[Citation], threshold: float,
                    opening: Callable[[Chunk], str] = lambda c: "") -> str | None:
    """Why the answer does not answer the question (one English sentence), or None when it does.

    ``citations`` are the verified ones; only those reaching ``threshold`` count as support.
    ``opening(chunk)`` gives the opening of the chunk's article (empty when there is no index).
    """
    claims = "".join(s.text for s in split_answer(answer))
    kind = missing_kind(to_simplified(question), claims)
    if kind:
        return f"the question asks for {kind} and the answer gives none"
    supporting = [c.chunk for c in citations if c.support >= threshold]
    if not supporting:
        return None  # nothing supported: the citation check has already abstained
    seen: dict[str, Chunk] = {c.chunk_id: c for c in supporting}
    texts = [f"{c.title}\n{c.text}\n{opening(c)}" for c in seen.values()]
    missing = missing_scope(question, texts)
    if missing:
        return f"the question names {', '.join(missing)}, which the supporting passages do not mention"
    return None
