"""Questions in another language than the sources: read them in Chinese before searching.

The sources are Chinese, and everything that verifies an answer (the relevance gate's calibration,
bigram support, the kind, scope and subject checks) is a Chinese rule. An English question used as
it is fails all of them: measured on the generalisation set, 0 of 9 English questions were
answered, and opening the gate to 0.70 gave 0 of 10 right answers and one off-topic answer shown
(eval/generalisation/README.md). So a question written in English is first translated into
Chinese by the same local generator (one short call: the question in, one line out), and the
translation is what is searched, gated, prompted and checked. The answer is in Chinese, the
language its citations can be verified in, and it is shown with the translation so the reader sees
what was searched (``Answer.translation``).

Names written in Latin letters (NetEase, AA+, DDR5) are also kept as they were asked, next to the
translation, because Chinese news often prints foreign names and products in Latin script and a
translated name would miss them in BM25.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .generators import Generator
    from .prompting import Prompts

_CJK = re.compile(r"[\u3400-\u9fff]")
# A Latin token that names something rather than being an English word: capitalised (not the
# question's first word), or carrying a digit or a symbol of product names (DDR5, AA+, 3G).
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+.&'\-]*[A-Za-z0-9+]|[A-Za-z0-9]")
_LEADING = re.compile(r"^(?:译文|翻译|中文|问题)\s*[:：]\s*")
_QUOTES = "\"'“”‘’「」『』"
# A translation must still be a question. A small model sometimes answers instead ("第15次…会议将在中国
# 举办。" for "Which country will host…?"), and a statement used as the question would lend the answer
# its own words: support leaves the question's words out, so a claim copied from it checks nothing.
_ASKS = re.compile(r"[?？]\s*$|什么|谁|哪|几|多少|吗|呢|如何|怎么|怎样|为什么|为何|何时|何地|是否|多久|多长|多大|多高|多远")
MAX_TOKENS = 96
# Added to the question when the first reply was a Chinese statement, not a question: "In which year
# did the family of Bai Lei change his name to Bai Yuefeng?" came back as "白 Lei的家人在2004年将他的名字改为
# 白岳峰。" (an invented answer), and with this reminder as "哪一年，白 Lei的家人将他的名字改为白岳峰？" (both
# English questions of the thirty-first set; see docs/QUALITY_LOG.md r17 for the count over every
# English question of the eval sets).
RETRY_REMINDER = "\n（只翻译，不回答）"
# Example lines of prompts/translate_zh.txt ("English question => 中文问句") become earlier turns of
# the conversation. With the instruction alone the default 1.5B model answered 5 of 32 English
# questions instead of translating them ("第15次BRICS领导人会议将在中国举办。"); with three example
# turns it translated all 32 into questions (measured on the English questions of the sets; see
# docs/QUALITY_LOG.md "English questions").
_EXAMPLE = re.compile(r"^\s*(.+?)\s*=>\s*(.+?)\s*$")


def translation_messages(template: str, question: str) -> list[dict]:
    """The chat messages that ask for ``question`` in Chinese: the template's instruction as the
    system message, its ``English => 中文`` lines as example turns, then the question."""
    instruction, turns = [], []
    for line in template.splitlines():
        m = _EXAMPLE.match(line)
        if m:
            turns += [{"role": "user", "content": m.group(1)}, {"role": "assistant", "content": m.group(2)}]
        else:
            instruction.append(line)
    return [{"role": "system", "content": "\n".join(instruction).strip()}, *turns,
            {"role": "user", "content": question}]


def latin_names(question: str) -> list[str]:
    """The Latin-script names of an English question, in order: capitalised words other than the
    first, and tokens with a digit or ``+`` ("Micron", "DDR5", "AA+"); not "I"."""
    names: list[str] = []
    for i, m in enumerate(_TOKEN.finditer(question)):
        w = re.sub(r"'s$", "", m.group(0)).rstrip(".'")  # NetEase's -> NetEase
        named = (i > 0 and w[:1].isupper() and w != "I") or any(ch.isdigit() or ch == "+" for ch in w)
        if named and w not in names:
            names.append(w)
    return names


def clean_translation(reply: str, refusal: str = "") -> str | None:
    """The translation in a generator's reply: its first non-empty line without a "译文：" label or
    quotes; None when that holds no Chinese (the model answered in English or produced nothing),
    is the refusal sentence, or is not a question (the model answered it instead)."""
    line = next((x.strip() for x in reply.splitlines() if x.strip()), "")
    line = _LEADING.sub("", line).strip().strip(_QUOTES).strip()
    if not _CJK.search(line) or (refusal and refusal in line) or not _ASKS.search(line):
        return None
    return line


def translate_question(generator: "Generator", question: str, prompts: "Prompts") -> str | None:
    """``question`` in Chinese, by the generator with ``prompts/translate_zh.txt``; None when the
    template is missing or no usable translation came back (the question is then used as asked).
    A Chinese reply that is not a question is asked for once more (``RETRY_REMINDER``)."""
    template = prompts.optional("translate_zh")
    if not template:
        return None
    refusal = prompts.refusal("zh")
    reply = "".join(generator.stream(translation_messages(template, question), max_tokens=MAX_TOKENS))
    found = clean_translation(reply, refusal)
    if found is None and _CJK.search(reply):
        # A Chinese reply that is no question: the model answered or restated instead of
        # translating. Asked once more, with the reminder beside the question, it translates.
        reply = "".join(generator.stream(translation_messages(template, question + RETRY_REMINDER),
                                         max_tokens=MAX_TOKENS))
        found = clean_translation(reply, refusal)
    return found


def search_text(translation: str, question: str) -> str:
    """What retrieval reads for a translated question: the translation, then the asked question's
    Latin names that the translation does not already carry."""
    lower = translation.lower()
    extra: Sequence[str] = [w for w in latin_names(question) if w.lower() not in lower]
    return f"{translation} {' '.join(extra)}".strip()
