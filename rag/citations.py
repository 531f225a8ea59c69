"""Citation parsing and verification, without a second LLM call.

An answer is split into sentences; each sentence's markers (``[1]``, ``[1,3]``, ``[1][2]``,
``【1】``, ``[资料1]``...) are read, numbers that point at no chunk are dropped, and every remaining
citation is checked against its chunk: character-bigram recall of the sentence in the chunk,
figures that the chunk must state as values (``langrules``: 三次 is 3次, not 两次), no guess or
conclusion the chunk does not make, and the best-matching stretch of the chunk recorded as the
supporting span (character offsets into ``chunk.text``). A sentence with no valid citation gets
the chunk that supports it best, flagged ``inferred``. The result is one ``types.Sentence`` per
sentence: the structure every later check and every renderer reads.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Sequence

from .chunking import split_sentences
from .langrules import (BOOK_TITLE, SOURCE_WORD_NUMBER, canonical_numbers, fold_cannot, in_source_classifiers,
                        is_bare_reply, names, quantities, question_words_share, restates_question, reversed_words,
                        same_quantity, speculation, unmatched_quantities, unsupported_names, without_alternatives)
from .textnorm import CJK, QUOTE_MARKS, bigrams, compact, normalize
from .types import Chunk, Citation, Sentence

_NUM = r"[0-9０-９]+"
_SRC = SOURCE_WORD_NUMBER
_LIST = rf"{_NUM}(?:\s*(?:[,，、;；]|-|–|~|和|与)\s*(?:资料)?\s*{_NUM})*"
MARKER = re.compile(
    rf"\[\s*(?:资料|来源|编号|source|ref)?\s*({_LIST})\s*\]"
    rf"|【\s*(?:资料|来源|编号)?\s*({_LIST})\s*】"
    rf"|［\s*(?:资料|来源|编号)?\s*({_LIST})\s*］"
    rf"|\^\s*\[?({_LIST})\]?"
    rf"|（\s*(?:资料|来源)\s*({_LIST})\s*）|\(\s*(?:资料|来源|source)\s*({_LIST})\s*\)"
    # Small models also write the number out in words: "资料编号为1的资料", "根据资料1和资料2",
    # or copy the source tag's attribute: 资料编号="1".
        # "资料" + a number is a source only in the shape langrules.SOURCE_WORD_NUMBER allows: in
    # "宣传资料3000余份" the number counts leaflets.
    rf"|资料编号\s*(?:为|是|=)?\s*[\"“”]?\s*({_LIST})\s*[\"“”]?"
    rf"|资料\s*({_SRC}(?:\s*(?:和|与|、|,|，)\s*(?:资料)?\s*{_SRC})*)",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)[^\s，。；、）)\]】]+")
_QUOTED = re.compile(r"《([^》]{1,30})》|“([^”]{1,20})”")
# What is left of "资料编号为1的资料中提到，" or "根据资料[1]，" once the marker is gone: a pointer
# to the source, not a claim, so it is neither verified nor counted against the sentence's support.
_SOURCE = r"(?:根据|据|参见)?\s*的?\s*(?:资料|报告|文章|材料|来源|编号)\s*(?:编号)?\s*(?:为|是)?\s*(?:的\s*(?:资料|报告|文章|材料))?\s*(?:中|里)?"
_SAYS = r"(?:提到|显示|指出|写道|记载|表明|所示|可知|称|说)"
_LEADIN = re.compile(rf"^{_SOURCE}\s*{_SAYS}\s*[:：，,]?\s*|^{_SOURCE}\s*[:：，,]\s*|^{_SOURCE}\s*[:：，,。]?\s*$"
                     rf"|^(?:中|里)?\s*{_SAYS}\s*[:：，,]\s*|^(?:根据|据)\s*[:：，,]\s*")


def _numbers(group: str) -> list[int]:
    group = normalize(group).replace("资料", "")
    out: list[int] = []
    for part in re.split(r"\s*(?:[,，、;；]|和|与)\s*", group):
        m = re.fullmatch(r"(\d+)\s*(?:-|–|~)\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if 0 < b - a < 10:
                out.extend(range(a, b + 1))
                continue
        if part.strip().isdigit():
            out.append(int(part))
    return out


def parse_markers(text: str) -> list[int]:
    """All citation numbers in a piece of text, in order, duplicates removed."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        group = next(g for g in m.groups() if g)
        for n in _numbers(group):
            if n not in seen:
                seen.append(n)
    return seen


def strip_markers(text: str) -> str:
    """The text without citation markers (for display checks and matching)."""
    return MARKER.sub("", text)


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer: its text without markers and the numbers it cites."""

    text: str
    cited: tuple[int, ...]


# A sentence that opens by naming its source ("资料编号为1的资料中提到，…", "根据资料[2]，…").
_LEADIN_HEAD = (r"(?:根据|据)?\s*"
                r"(?:资料编号\s*(?:为|是|=)?\s*[\"“\[]?\s*(?P<a>\d+)\s*[\"”\]]?|资料\s*\[?\s*(?P<b>\d{1,2})\s*\]?"
                r"|\[\s*(?P<c>\d+)\s*\])"
                rf"\s*(?:的\s*(?:资料|报告|文章|材料))?\s*(?:中|里)?\s*{_SAYS}?\s*[:：，,]\s*")
_CITED_LEADIN = re.compile(r"(?:(?<=^)|(?<=[。！？!?\n]))(?P<space>\s*)" + _LEADIN_HEAD
                           + r"(?P<body>[^。！？!?\n]+)(?P<end>[。！？!?]?)")
# The model sometimes names each source in turn before the claim ("资料编号为1的资料中提到，资料编号为2的
# 资料中提到，资料编号为3的资料中提到，香港新巴84M线是从2010年8月23日起改称82M的。", the thirty-third set):
# every lead-in of the chain is a citation, and none is part of the claim.
_NEXT_LEADIN = re.compile(_LEADIN_HEAD)


# Rule 143: a lead-in after a comma starts the next claim, from the source it names ("…森林覆盖率提高4个
# 百分点，资料编号为2的资料中提到，十年来…"): the model walks through its sources in one run-on sentence,
# and each part is a claim of its own source, checked against that source.
_INNER_LEADIN = re.compile(r"[，,；;]\s*(?=" + _LEADIN_HEAD + ")")
_SENTENCE_END = re.compile(r"[。！？!?\n]")


def _split_at_inner_leadins(text: str) -> str:
    """``text`` with a full stop for each comma before a lead-in that follows a claim; a chain of
    lead-ins before one claim ("资料编号为1的资料中提到，根据资料2，…") stays one sentence."""
    def cut(m: re.Match) -> str:
        start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        return "。" if re.search(r"\w", claim_text(strip_markers(text[start:m.end()]).strip())) else m.group(0)

    return _INNER_LEADIN.sub(cut, text)


# A lead-in with nothing after it is where the model ran out of tokens: it cites nothing.
_DANGLING_LEADIN = re.compile(r"(?<=[。！？!?\n])\s*" + _LEADIN_HEAD + r"$")


def tidy_answer(text: str) -> str:
    """The answer as shown: "资料编号为1的资料中提到，X。" becomes "X[1]。".

    Small models open most answers by naming the source in words; the claim reads better with
    the citation where every other answer has it, after the sentence.
    """
    def move(m: re.Match) -> str:
        numbers = [m.group("a") or m.group("b") or m.group("c")]
        body = m.group("body").rstrip()
        while (more := _NEXT_LEADIN.match(body)) and more.end() < len(body):
            numbers.append(more.group("a") or more.group("b") or more.group("c"))
            body = body[more.end():]
        marker = "" if MARKER.search(body) else "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        return f"{m.group('space')}{body}{marker}{m.group('end')}"

    text = _DANGLING_LEADIN.sub("", _split_at_inner_leadins(text))
    return _without_repeats(_CITED_LEADIN.sub(move, text))


# A small model at temperature 0 can fall into a loop and write one clause until its token limit
# ("…称“既无昭穆，无昭穆，无昭穆，无昭穆，…" for 40 tokens). A clause said three or more times back to
# back is said once, and a cut-off start of it left at the end is dropped.
_REPEATED = re.compile(r"([^，,。；;、\n]{1,40}[，,。；;、])\1{2,}")


def _without_repeats(text: str) -> str:
    out, end = [], 0
    for m in _REPEATED.finditer(text):
        clause, rest = m.group(1), text[m.end():]
        out.append(text[end:m.start()])
        if rest and len(rest) < len(clause) and clause.startswith(rest):  # the loop met the token limit
            return "".join(out) + clause.rstrip("，,；;、") + "…"
        out.append(clause)
        end = m.end()
    return "".join(out) + text[end:]


def claim_text(body: str) -> str:
    """A sentence (markers removed) without its source lead-ins ("的资料中提到，", "根据资料，"), however
    many are chained."""
    while (m := _LEADIN.match(body)) and m.end() > 0:
        body = body[m.end():]
    return body


def split_answer(answer: str) -> list[AnswerSentence]:
    """Sentences with their citation numbers; markers right after a sentence end belong to it.

    Sentences are cut by the package's one splitter (``chunking.split_sentences``), so an answer
    and its chunks are cut the same way (a full stop inside 《》 or a short quotation holds).
    """
    # Move markers that follow the full stop ("…增长5%。[1]") in front of it, then split.
    moved = re.sub(rf"([。！？!?；;])\s*((?:{MARKER.pattern}\s*)+)", r"\2\1", answer, flags=re.IGNORECASE)
    moved = _split_at_inner_leadins(moved)  # each source walked through is a claim of its own (rule 143)
    out = []
    for s, e in split_sentences(moved):
        part = moved[s:e]
        if not part.strip():
            continue
        cited = tuple(parse_markers(part))
        body = claim_text(strip_markers(part).strip()).strip()
        if not re.search(r"\w", body):
            if cited and out:  # a lone marker line: attach to the previous sentence
                prev = out[-1]
                out[-1] = AnswerSentence(prev.text, tuple(dict.fromkeys(prev.cited + cited)))
            continue
        out.append(AnswerSentence(body, cited))
    return out


def key_terms(sentence: str) -> list[str]:
    """Quoted names and links that must appear verbatim in a supporting chunk.

    Figures are compared as values instead (``langrules.unmatched_quantities``).
    """
    s = normalize(strip_markers(sentence))
    terms = [a or b for a, b in _QUOTED.findall(s)]
    # Links must be copied exactly: a made-up URL that merely resembles one in a chunk is not support.
    terms += _URL.findall(s)
    return terms


def problems(sentence: str, chunk_text: str, given: str = "") -> list[str]:
    """Why ``chunk_text`` cannot support ``sentence`` whatever their word overlap (empty if none).

    A figure of the sentence that the chunk does not state as a value (三次 against 两次, 3000余份
    against 2000余份); a quoted name or link not in it; a guess or conclusion (可能, 这表明) the
    chunk does not make; a person named by neither the chunk nor the question; a word the sentence
    affirms that the chunk writes only negated (``langrules.reversed_words``).
    """
    norm_chunk = compact(chunk_text)
    norm_given = compact(given)
    # What the question names is its context, not the answer's claim: its years, its counted
    # things ("十五届十二次全会", "哪两所学校") and quoted titles. A percentage or bare figure in the
    # question still needs a chunk: a question can assert "99%".
    given_qs = [q for q in quantities(given) if (q.unit and not q.percent) or (not q.unit and 1000 <= q.value <= 2999)]
    bare_chunk = QUOTE_MARKS.sub("", norm_chunk)
    out = [t for t in key_terms(sentence)
           if QUOTE_MARKS.sub("", re.sub(r"\s+", "", t)) not in bare_chunk and compact(t) not in norm_given]
    # Rule 80: a bare figure of the question is part of a name there (九巴86线, ISO 5725, Enviro 500),
    # and the answer repeating it bare names the same thing; the chunk may write the name only in its
    # title or glued to letters ("ISO5725", which no figure is read from). It excuses only a bare
    # figure: "86辆" in the answer is a claim, whatever the question's 86 was.
    given_bare = [q for q in quantities(given) if not q.unit and not q.percent]
    out += [q.text for q in unmatched_quantities(strip_markers(sentence), chunk_text, given_qs)
            if q.unit or q.percent or not any(same_quantity(q, g) for g in given_bare)]
    out += [f"speculation: {w}" for w in speculation(sentence, chunk_text)]
    out += [f"name: {n}" for n in unsupported_names(sentence, chunk_text, given)]
    out += [f"reversed: {w}" for w in reversed_words(strip_markers(sentence), chunk_text)]
    return out


_JOINER = re.compile(f"(?<=[{CJK}])(?:以及|和|及|与|、)(?=[{CJK}])")


@functools.lru_cache(maxsize=4096)  # each chunk (and its sentences) is read once per answer sentence
def _values(text: str, keep_below: float = 10) -> str:
    """``text`` for support: figures of 10 and more (and percentages) in one script, and the words
    that join list items (和, 及, 与, 、) left out, since an answer lists "沙棘和树莓" where its
    chunk writes "沙棘、树莓"."""
    return _JOINER.sub("", fold_cannot(canonical_numbers(text, keep_below=keep_below)))


def _small_counts_as_values(sentence: str) -> float:
    """``keep_below`` for one sentence's support: 10 as a rule (a one-digit numeral in words is
    usually part of a phrase the chunk may word otherwise, see ``langrules.canonical_numbers``), 0
    when the sentence itself writes a one-digit count in Arabic digits ("成立8周年"): it has read a
    count, and the chunk's numerals in words ("八周年") are then read as values too."""
    small = any(x.value < 10 and not x.percent and any(ch.isdigit() for ch in x.text) for x in quantities(sentence))
    return 0 if small else 10


def verify(sentence: str, chunk_text: str, given: str = "") -> tuple[float, tuple[int, int], list[str]]:
    """(support in [0, 1], supporting span in the chunk, problems that void the support).

    Support is the share of the sentence's character bigrams found in the chunk (those it adds to
    the question ``given``, when it adds two or more), and zero when ``problems`` finds any. The span is the run of chunk sentences that together hold the most of
    the sentence's bigrams.
    """
    # Figures are compared as values: bigrams are taken over the text with every number written
    # one way (langrules.canonical_numbers), so "2035年" is found in "二〇三五年" and "5%" in "百分之五".
    kb = _small_counts_as_values(sentence)
    missing = problems(sentence, chunk_text, given)
    sentence = in_source_classifiers(sentence, chunk_text)  # rule 114: 4条蛇 is the chunk's 4尾蛇
    grams = bigrams(_values(sentence, kb))
    if not grams:
        return 0.0, (0, 0), missing
    chunk_grams = set(bigrams(_values(chunk_text, kb)))
    recall = sum(1 for g in grams if g in chunk_grams) / len(grams)
    # Words the answer repeats from the question are its context, not its claim: "2024年西宁市政府
    # 工作报告提出城镇新增就业的目标是3.3万人以上" claims "3.3万人以上", and the question's wording,
    # absent from the chunk, should not drag its support down (nor lift a wrong answer's: on the
    # labelled pairs an answer swapped in from another question kept 0.3+ support 23% of the time
    # by the question's words alone, and none does when they are left out).
    asked = set(bigrams(_values(without_alternatives(given), kb))) if given else set()
    claim = [g for g in grams if g not in asked]
    if len(claim) >= 2:
        recall = sum(1 for g in claim if g in chunk_grams) / len(claim)
    support = 0.0 if missing else recall
    spans = [(s, e) for s, e in split_sentences(chunk_text) if chunk_text[s:e].strip()] or [(0, len(chunk_text))]
    gset = set(grams)
    scores = [len(gset & set(bigrams(_values(chunk_text[s:e], kb)))) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    start, end = spans[best]
    # Extend to a neighbour when it adds bigrams the best sentence lacks (answers spanning two).
    have = set(bigrams(_values(chunk_text[start:end], kb)))
    for j in (best + 1, best - 1):
        if 0 <= j < len(spans) and (gset & set(bigrams(_values(chunk_text[spans[j][0]:spans[j][1]], kb)))) - have:
            start, end = min(start, spans[j][0]), max(end, spans[j][1])
            break
    return round(support, 4), (start, end), missing


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer's sentences as verified, with the counts the pipeline decides on."""

    verified: tuple[Sentence, ...]
    invalid_numbers: tuple[int, ...]

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every citation checked, in sentence order (``holds`` says which support their sentence)."""
        return tuple(c for s in self.verified for c in s.citations)

    @property
    def unsupported(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.verified if s.verdict == "unsupported")

    @property
    def sentences(self) -> int:
        """Sentences that are claims (the refusal and one-character fragments are not)."""
        return sum(1 for s in self.verified if s.verdict != "none")

    @property
    def supported_sentences(self) -> int:
        return sum(1 for s in self.verified if s.verdict in ("supported", "inferred"))


# How much better (in support, 0-1) an uncited chunk must hold a sentence than its held citations
# for it to be attached too. Measured by re-judging every saved run (generalisation set, fresh sets
# 3-8, both seed sets): margins 0, 0.1 and 0.2 change the same one answer (a right answer whose
# cited chunk only named the law, now read with the chunk that states it) and no near miss or
# off-topic answer; 0.1 keeps a tie from adding a citation nobody needs.
BETTER_SOURCE_MARGIN = 0.1


def check_sentence(sent: AnswerSentence, chunks: Sequence[Chunk], threshold: float, question: str = "") -> Sentence:
    """Verify one sentence against the chunk(s) it cites, else find the chunk that supports it."""
    valid = [n for n in sent.cited if 1 <= n <= len(chunks)]
    cites: list[Citation] = []
    found: list[str] = []
    for n in valid:
        support, span, missing = verify(sent.text, chunks[n - 1].text, question)
        cites.append(Citation(n=n, chunk=chunks[n - 1], span=span, support=support, sentence=sent.text,
                              holds=support >= threshold))
        found += missing
    if question and not any(c.holds for c in cites):
        cites = [_anchored(c, question) for c in cites]
    held = [c for c in cites if c.holds]
    verdict = "supported" if held else "unsupported"
    better = _better_uncited(sent.text, chunks, cites, threshold, question) if held else None
    if better is not None:
        cites.append(better)
        held.append(better)
    if not held and chunks:
        # No citation, or none that holds: attach the chunk that supports the sentence best, as
        # inferred (a small model often cites the neighbour of the right chunk).
        scored = [(verify(sent.text, c.text, question), i) for i, c in enumerate(chunks)]
        (support, span, missing), i = max(scored, key=lambda x: (x[0][0], -x[1]))
        found_best = Citation(n=i + 1, chunk=chunks[i], span=span, support=support, inferred=True, sentence=sent.text,
                              holds=support >= threshold)
        # Rule 138: the chunk found so holds by its figures too, as a cited one does (rule 106): "来了25个外国
        # 学生" cited the wrong chunk, and the one writing "国际学校的25位外籍学生" shares 0.43 of its bigrams.
        if not found_best.holds and question:
            found_best = _anchored(found_best, question)
        if found_best.holds:
            held = [found_best]
            cites += held
            verdict = "inferred"
        elif not valid:
            found += missing
    if held:
        cites = _list_item_sources(sent.text, chunks, cites)
        held = [c for c in cites if c.holds]
        if any(not c.inferred for c in held):
            verdict = "supported"
    best = max((c.support for c in held), default=0.0)
    return Sentence(text=sent.text, cited=sent.cited, citations=tuple(cites), support=best, verdict=verdict,
                    problems=tuple(dict.fromkeys(found)) if verdict == "unsupported" else ())


# A claim in the answer's own words can share too few bigrams with its passage ("胜利纪念柱的重为35吨"
# against "…增加了胜利女神维多利亚青铜雕塑，高8.3米，重35吨。", 0.33) although its figure is the passage's,
# in a sentence about what the question asks. Such a claim holds by its figures: its support reaches
# ANCHORED_MIN_SUPPORT, and every figure it adds to the question is written in the cited chunk in a
# sentence holding at least ANCHORED_MIN_SHARE of the question's words (``langrules.question_words_share``).
# The sentence, not a window of characters: a neighbouring figure of another sentence ("另据统计，全市书店
# 去年销售图书120万册" after the library's 5万册) sits a few characters from the question's words.
# Measured in r21 (docs/QUALITY_LOG.md "This round (r21)") on every claim with a new figure whose support
# lies between 0.3 and the support threshold: the archived runs' sentences, the 248 labelled pairs, and
# each right answer's sentence set against its retrieved chunks that lack the answer. Right claims: shares
# 0.71, 0.70, 0.64, 0.56 and 0.20; wrong ones: figure not written, 0.33, and 0.58 (another station's
# "1号与2号线" against 雫石's 1号月台, in a sentence naming 秋田新干线). 0.45 sits mid-gap between 0.33 and
# 0.56 (margins 0.12 and 0.11); precision 4 of 5, recall 4 of 5 on these few cases. Below 0.3 nothing is
# anchored: the old 0.3 threshold let off-topic quotes through (r18).
ANCHORED_MIN_SUPPORT = 0.3
ANCHORED_MIN_SHARE = 0.45


def figure_sentence_share(question: str, figure: str, chunk_text: str, *, read=canonical_numbers) -> float | None:
    """The best ``question_words_share`` over the sentences of ``chunk_text`` that write ``figure``
    (both read with ``read``: ``canonical_numbers`` finds 35吨 in 三十五吨; a name is read ``compact``);
    None when none writes it or the question has no words to look for."""
    text, key = read(chunk_text), read(figure)
    shares = [question_words_share(question, text[s:e]) for s, e in split_sentences(text) if key and key in text[s:e]]
    shares = [x for x in shares if x is not None]
    return max(shares) if shares else None


def _anchored(c: Citation, question: str) -> Citation:
    """``c`` held when its sentence holds by its figures and names (see ANCHORED_MIN_SHARE), else ``c``."""
    if c.support < ANCHORED_MIN_SUPPORT:
        return c
    asked = {q.value for q in quantities(question)}
    claimed = quantities(c.sentence)
    # Each figure as the chunk words it (rule 114, as in ``verify``): 4条 is looked for as its 4尾.
    written = quantities(in_source_classifiers(c.sentence, c.chunk.text))
    if len(written) != len(claimed):
        written = claimed
    anchors = [(w.text, canonical_numbers) for x, w in zip(claimed, written) if x.value not in asked]
    # Rule 158: a name the claim adds to the question anchors it as a figure does. "林越峰的本名是林海成" shares
    # 0.43 of its bigrams with "林越峰（1909年－？），本名林海成，林越峰是其笔名", which writes the name in a
    # sentence about what was asked. The name must be the chunk's, in such a sentence, like a figure.
    # A name jieba reads inside a book title (喻世明 of 《喻世明言》) is part of a title, not a person.
    given, claim = compact(question), BOOK_TITLE.sub("", strip_markers(c.sentence))
    anchors += [(n, compact) for n in names(claim) if compact(n) not in given]
    for key, read in anchors:
        share = figure_sentence_share(question, key, c.chunk.text, read=read)
        if share is None or share < ANCHORED_MIN_SHARE:
            return c
    return replace(c, holds=True) if anchors else c


def _better_uncited(text: str, chunks: Sequence[Chunk], cites: Sequence[Citation], threshold: float,
                    question: str) -> Citation | None:
    """An uncited chunk that holds ``text`` at least BETTER_SOURCE_MARGIN better than its held
    citations, as an inferred citation; None when there is none.

    A held citation to a chunk that merely shares the claim's name, when another chunk writes the
    claim out (cited [3] for "散发脱刀令颁布", a sentence of [1]): the better chunk is attached too, so
    the checks read the passage the claim comes from.
    """
    cited = {c.n for c in cites}
    scored = [(verify(text, c.text, question), i) for i, c in enumerate(chunks) if i + 1 not in cited]
    if not scored:
        return None
    (support, span, _), i = max(scored, key=lambda x: (x[0][0], -x[1]))
    best_held = max(c.support for c in cites if c.holds)
    if support >= threshold and support >= best_held + BETTER_SOURCE_MARGIN:
        return Citation(n=i + 1, chunk=chunks[i], span=span, support=support, inferred=True, sentence=text)
    return None


def _list_item_sources(text: str, chunks: Sequence[Chunk], cites: list[Citation]) -> list[Citation]:
    """``cites`` with a citation for each item of a list sentence that no held citation's chunk writes.

    A list answer gathers its items from several chunks ("东莞证券股份有限公司和德邦证券股份有限公司"
    from two notices), and its character bigrams can hold against one of them alone (0.84: the shared
    证券股份有限公司), so the citation shown would lack half of what the sentence names. Each item
    (the parts joined by 和, 及, 与, 以及, 、) that the held chunks do not contain verbatim is looked
    up in the other chunks; the first that writes it holds for it: the model's own citation of that
    chunk, when it made one, else a new inferred one. An item written in other words is left alone:
    this only ever adds support, it refuses nothing.
    """
    out = list(cites)
    have = {c.n for c in out if c.holds}
    held_text = "".join(compact(chunks[n - 1].text) for n in have)
    for item in _JOINER.split(compact(strip_markers(text))):
        item = item.strip("。．.，,；;！!？?")
        if len(item) < 2 or item in held_text:
            continue
        for i, chunk in enumerate(chunks):
            if i + 1 in have or item not in compact(chunk.text):
                continue
            span = next(((a, b) for a, b in split_sentences(chunk.text) if item in compact(chunk.text[a:b])),
                        (0, len(chunk.text)))
            own = next((k for k, c in enumerate(out) if c.n == i + 1), None)
            found = Citation(n=i + 1, chunk=chunk, span=span, support=1.0, inferred=own is None, sentence=text)
            if own is None:
                out.append(found)
            else:
                out[own] = found
            have.add(i + 1)
            held_text += compact(chunk.text)
            break
    return out


def check_answer(answer: str, chunks: Sequence[Chunk], threshold: float = 0.3,
                 ignore: Sequence[str] = (), question: str = "") -> CheckedAnswer:
    """Parse, validate and verify the citations of ``answer`` against the numbered ``chunks``.

    ``chunks[0]`` is source [1]. Sentences in ``ignore`` (the refusal sentence) are no claims.
    """
    ignore_norm = {normalize(x).strip("。. ") for x in ignore}
    out: list[Sentence] = []
    invalid: list[int] = []
    for sent in split_answer(answer):
        # Two characters are already a claim ("三次", "袁文"); one is not ("是"), nor is a bare yes or no
        # ("不能", "是的": rule 62), nor a yes/no question copied back as a statement (rule 65).
        claim = claim_text(sent.text)
        if (normalize(sent.text).strip("。. ") in ignore_norm or len(re.sub(r"\W", "", sent.text)) < 2
                or is_bare_reply(claim) or restates_question(question, claim)):
            out.append(Sentence(text=sent.text, cited=sent.cited, citations=(), support=0.0, verdict="none"))
            continue
        invalid.extend(n for n in sent.cited if not 1 <= n <= len(chunks))
        out.append(check_sentence(sent, chunks, threshold, question))
    return CheckedAnswer(tuple(out), tuple(dict.fromkeys(invalid)))
