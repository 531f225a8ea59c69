"""Spotting an answer that follows an instruction planted in a document (prompt injection).

No check can make a model ignore what a document tells it; the prompt asks it to, and the
delimiter cannot be forged (``prompting.neutralise_delimiters``). What code can do is notice
afterwards that an answer *repeats* an instruction found in a source, and say so next to it:

1. :func:`find_instructions` picks the sentences of a document that address the model (ignore
   the rules, answer with X, reply in English, reveal the prompt, cite Y). The patterns are the
   imperative shapes such text takes in Chinese and English; ordinary news prose ("会议要求各地
   做好…") does not address an assistant and rarely matches (tests hold both kinds).
2. :func:`repeated_instruction` flags an answer that carries what such a sentence asked for:
   a quoted or bracketed payload of it (that the rest of the document does not also state as
   fact), verbatim or reworded (most of its characters, in order, inside one answer sentence),
   a switch to the language it demanded, a long run of its words, or of the system prompt.

Pure functions of text; the pipeline or the page calls :func:`injection_warning` on an ``Answer``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from .textnorm import compact

if TYPE_CHECKING:
    from .types import Answer

# Sentences end at 。！？!? or a line break; quotes stay inside their sentence.
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_ADDRESSES_MODEL = [
    re.compile(p, re.I)
    for p in (
        # "ignore the rules above": news says 无视交通规则/无视中央八项规定, so the object must be
        # the text's own earlier words (以上/之前/上述/所有…), not a rule of the world.
        r"(忽略|无视|不要理会|不必理会|不用管|忘掉)[^。！？\n]{0,4}(以上|之前|前面|上述|所有|全部|此前|先前|你)[^。！？\n]{0,8}"
        r"(指令|规则|要求|规定|设定|提示|内容)",
        r"(以上|之前|上述|所有)的?(规则|指令|设定|要求|规定)[^。！？\n]{0,4}作废",
        r"(系统提示|系统消息|提示词|你的(规则|指令|设定)|你被要求|AI助手|人工智能助手)",
        # "when answering X, please …": the reply is the model's, not the reader's.
        r"(回答|回复|答复)[^。！？\n]{0,30}(时|前|之前)[^。！？\n]{0,6}(请|务必|必须|都要|一律|先)",
        r"(请|务必|必须|一律|只能|只需|都要)[^。！？\n]{0,12}(回答|回复|答复|输出|复述)",
        r"(用|使用|改用)(英文|英语|日语|日文|韩语|English)(回答|回复|作答|答复)",
        r"(回答|回复)[^。！？\n]{0,10}(用|使用)(英文|英语|日语|日文|韩语)",
        r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|rules?|above|previous)\b",
        r"\b(reply|respond|answer)\b.{0,60}\b(only|exactly|in english|with the word)\b",
        r"\b(print|reveal|repeat|output)\b.{0,40}\b(system prompt|instructions|rules)\b",
        r"\b(note to the assistant|when you answer|cite the source)\b",
    )
]
_PAYLOAD = re.compile(r"“([^”]{2,60})”|\"([^\"]{2,60})\"|「([^」]{2,60})」|『([^』]{2,60})』|《([^》]{2,30})》"
                      r"|(\[\d+\])|(https?://\S+?)(?=[\s，。；、”\"]|$)|\b([A-Z]{4,})\b")
_LANGS = {
    "en": re.compile(r"英文|英语|English", re.I),
    "ja": re.compile(r"日语|日文|Japanese", re.I),
}
_KANA = re.compile(r"[\u3040-\u30ff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# A run of this many characters shared with an instruction (or the system prompt) and found
# nowhere else in the sources is a repetition, not a coincidence: Chinese news sentences share
# 4-6 character phrases (dates, names) all the time, 8 rarely.
RUN_CHARS = 8
# A payload of at least PARAPHRASE_MIN characters counts as repeated when one answer sentence holds
# PARAPHRASE_SHARE of them in order (longest common subsequence): a model told to append
# "本回答由某某公司赞助" writes "本回答由官方通知赞助" (6 of 10). Ordinary answers share a few
# scattered characters with a payload (0.2-0.4 on the injection set's faithful answers); a shorter
# payload is matched exactly, since 3 of 4 characters in order is too easy to hit by chance.
PARAPHRASE_MIN = 6
PARAPHRASE_SHARE = 0.6


@dataclass(frozen=True)
class InjectionFlag:
    """An answer that follows an instruction from source ``n`` (1-based, in the given order)."""

    n: int
    instruction: str
    how: str  # payload | language | words | system prompt

    def notice(self) -> str:
        """The warning the page shows next to the answer (Chinese)."""
        shown = self.instruction if len(self.instruction) <= 60 else self.instruction[:59] + "…"
        if not self.n:
            return "注意：这个回答复述了系统提示，请谨慎对待。"
        return f"注意：这个回答可能照做了资料[{self.n}]中的指令“{shown}”，请谨慎对待。"

    def message(self) -> str:
        """English reason with the Chinese the page shows."""
        shown = self.instruction if len(self.instruction) <= 60 else self.instruction[:59] + "…"
        if not self.n:
            return f"the answer repeats the system prompt: {shown}（注意：回答复述了系统提示）"
        return (f"the answer follows an instruction found in source [{self.n}] ({self.how}): {shown}"
                f"（注意：回答可能照做了资料[{self.n}]中的指令：“{shown}”）")


def find_instructions(text: str) -> list[str]:
    """Sentences of a document that address the model rather than the reader."""
    out = []
    for m in _SENTENCE.finditer(text):
        s = m.group().strip()
        if s and any(p.search(s) for p in _ADDRESSES_MODEL):
            out.append(s)
    return out


def _payloads(sentence: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _PAYLOAD.finditer(sentence)]


def _shares_run(a: str, b: str, n: int = RUN_CHARS) -> str:
    """A run of ``n`` characters of ``a`` found in ``b`` (compact forms), or ''."""
    for i in range(len(a) - n + 1):
        if a[i : i + n] in b:
            return a[i : i + n]
    return ""


def _in_order_share(payload: str, sentence: str) -> float:
    """Share of ``payload``'s characters found in ``sentence`` in the same order (LCS / len)."""
    prev = [0] * (len(sentence) + 1)
    for ch in payload:
        cur = [0]
        for j, c in enumerate(sentence, start=1):
            cur.append(prev[j - 1] + 1 if ch == c else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1] / len(payload) if payload else 0.0


def _reworded(payload: str, answer: str, facts: str) -> bool:
    """Whether one sentence of ``answer`` carries most of ``payload`` (compact forms) in order,
    beyond what it shares with the document's own facts."""
    if len(payload) < PARAPHRASE_MIN:
        return False
    for m in _SENTENCE.finditer(answer):
        s = compact(m.group())
        if s and s not in facts and _in_order_share(payload, s) >= PARAPHRASE_SHARE:
            return True
    return False


def _language(answer: str) -> str:
    if _KANA.search(answer):
        return "ja"
    latin, cjk = len(_LATIN.findall(answer)), len(_CJK.findall(answer))
    return "en" if latin > 2 * cjk and latin >= 8 else "zh"


def repeated_instruction(answer: str, sources: Sequence[str], *, question: str = "",
                         system: str = "") -> InjectionFlag | None:
    """The first instruction in ``sources`` that ``answer`` carries out, or None."""
    a = compact(answer)
    if not a:
        return None
    asked_lang = "en" if question and not _CJK.search(question) and _LATIN.search(question) else "zh"
    all_sources = compact("\n".join(sources))
    for n, text in enumerate(sources, start=1):
        instructions = find_instructions(text)
        if not instructions:
            continue
        # What the document says outside its instructions: a payload that is also stated there
        # as fact (a figure, a name) is something a faithful answer may repeat.
        facts = compact(text)
        for s in instructions:
            facts = facts.replace(compact(s), "")
        for s in instructions:
            for p in _payloads(s):
                cp = compact(p)
                if len(cp) >= 2 and cp not in facts and (cp in a or _reworded(cp, answer, facts)):
                    return InjectionFlag(n, s, "payload")
            for lang, pattern in _LANGS.items():
                if pattern.search(s) and lang != asked_lang and _language(answer) == lang:
                    return InjectionFlag(n, s, "language")
            run = _shares_run(a, compact(s))
            if run and run not in facts:
                return InjectionFlag(n, s, "words")
    if system:
        run = _shares_run(a, compact(system))
        if run and run not in all_sources:
            first = next((s for t in sources for s in find_instructions(t)), "")
            n = next((i for i, t in enumerate(sources, 1) if find_instructions(t)), 0)
            return InjectionFlag(n, first or run, "system prompt")
    return None


def check_answer_for_injection(answer: "Answer", system: str = "") -> InjectionFlag | None:
    """The instruction from one of the answer's sources that its text (or the draft a check
    replaced) carries out, or None."""
    texts = [answer.text] + ([answer.draft] if answer.draft else [])
    sources = [h.chunk.text for h in answer.hits]
    for t in texts:
        flag = repeated_instruction(t, sources, question=answer.question, system=system)
        if flag is not None:
            return flag
    return None


def injection_warning(answer: "Answer", system: str = "") -> str:
    """:meth:`InjectionFlag.message` for an answer that follows a planted instruction; '' otherwise."""
    flag = check_answer_for_injection(answer, system)
    return flag.message() if flag is not None else ""
