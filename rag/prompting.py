"""Prompt building: templates from ``prompts/``, the token budget, and trimming chunks.

Every prompt token costs about 18 ms before the first answer token on a 2-core CPU, so the
prompt is built to a budget: the system prompt, the budgeted history, the numbered chunks (each
trimmed to its sentences relevant to the question) and the question must fit ``n_ctx`` together
with ``max_tokens`` of answer. When they do not, the lowest-ranked chunks go first, whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from .dates import without_header
from .textnorm import compact
from .errors import ContextOverflowError, RagError
from .langrules import missing_kind, written_in_english
from .types import Chunk, Hit

TITLE_CHARS = 16


def question_language(question: str) -> str:
    """``en`` when the question is written in English (``langrules.written_in_english``: Latin
    letters and no CJK outside its brackets and quotes), else ``zh``."""
    return "en" if written_in_english(question) else "zh"


@dataclass(frozen=True)
class Prompts:
    """The template files, loaded once."""

    folder: Path
    files: dict

    def get(self, name: str) -> str:
        return self.files[name]

    def optional(self, name: str) -> str:
        """A template that may be absent from a user's prompts folder ('' then)."""
        return self.files.get(name, "")

    def refusal(self, lang: str) -> str:
        return self.files[f"refusal_{lang}"].strip()

    def system(self, lang: str) -> str:
        return self.files[f"system_{lang}"].strip().replace("{refusal}", self.refusal(lang))


@lru_cache(maxsize=8)
def load_prompts(folder: str | Path | None = None) -> Prompts:
    """Read every ``*.txt`` template in ``prompts/`` (the project's default folder if None)."""
    from .config import PROJECT_ROOT

    folder = Path(folder) if folder else PROJECT_ROOT / "prompts"
    files = {}
    for name in ("system_zh", "system_en", "user_zh", "user_en", "source", "refusal_zh", "refusal_en"):
        p = folder / f"{name}.txt"
        try:
            files[name] = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RagError(f"prompt template {p} is missing; restore it from the repository") from None
    # Optional: without it English questions are used as asked (rag.translation).
    translate = folder / "translate_zh.txt"
    if translate.is_file():
        files["translate_zh"] = translate.read_text(encoding="utf-8")
    # Optional: without it the model sees no example turns (answer.example_turns).
    examples = folder / "examples_zh.txt"
    if examples.is_file():
        files["examples_zh"] = examples.read_text(encoding="utf-8")
        example_turns(Prompts(folder, files), "zh")  # a malformed file fails here, not mid-answer
    return Prompts(folder, files)


# Example turns: worked questions shown before the real one, in exactly the shape of a real turn
# (the same user template and source blocks), each answered the way the rules ask: the asked figure
# with its citation, or the refusal sentence when the sources are about something else (another
# province, a neighbouring product). They sit between the system message and the conversation, so
# the prompt's first tokens are the same for every question and llama.cpp reuses their cache:
# after the first question they cost no prompt processing.
_EXAMPLE_FIELD = re.compile(r"^(资料|问题|回答)[:：]\s*(.*)$")


def example_turns(prompts: Prompts, lang: str) -> list[dict]:
    """The example turns of ``prompts/examples_<lang>.txt`` as chat messages (none without it)."""
    raw = prompts.optional(f"examples_{lang}")
    if not raw:
        return []
    where = prompts.folder / f"examples_{lang}.txt"
    turns: list[dict] = []
    lines = [x for x in raw.splitlines() if x.strip() and not x.lstrip().startswith("#")]
    blocks = "\n".join(lines).split("\n===")
    for i, block in enumerate(blocks, start=1):
        sources, question, answer = [], "", ""
        for line in block.strip("=\n ").splitlines():
            m = _EXAMPLE_FIELD.match(line.strip())
            if not m:
                raise RagError(f"{where}: example {i}: line {line.strip()[:40]!r} is not 资料：/问题：/回答：")
            key, value = m.groups()
            if key == "资料":
                title, sep, text = value.partition("|")
                if not sep or not text.strip():
                    raise RagError(f"{where}: example {i}: a 资料 line needs 标题 | 正文")
                sources.append((title.strip(), text.strip()))
            elif key == "问题":
                question = value.strip()
            else:
                answer = value.strip().replace("{refusal}", prompts.refusal(lang))
        if not (sources and question and answer):
            raise RagError(f"{where}: example {i} needs 资料：, 问题： and 回答： lines")
        blocks_text = [_source_block(prompts, n, Hit(Chunk(f"example-{i}-{n}", f"example-{i}", text, 0, len(text),
                                                           title), 0.0), text)
                       for n, (title, text) in enumerate(sources, start=1)]
        user = prompts.get(f"user_{lang}").format(sources="\n".join(blocks_text), question=question).strip()
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return turns



def _grams(text: str) -> set[str]:
    t = compact(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} | set(re.findall(r"\d+(?:\.\d+)?%?", t))


_CLAUSE_END = re.compile(r"[。！？!?；;，,：:]+[”’」』）)]*|\n+")


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans (ending at ，；。 and the like): the unit trimming keeps or drops."""
    spans, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


# A question that asks for a figure of some kind (a count, a year, a day, an age, a length of time)
# is answered by a clause that holds one, and that clause often repeats none of the question's
# words: "申请破产的大多为小微企业，占比达87.7%" for "小微企业占比多少". Such a clause ranks as if it
# shared this many more character bigrams with the question. Measured (bench/trim.py): the share of
# answerable questions whose answer survives trimming, over six question sets (351 questions whose
# top 4 chunks hold the answer), is 321 without the bonus, 331 at 1 and 332 at every value from 2
# to 6; 3 sits in the middle of that plateau.
KIND_BONUS = 3


def trim_chunk(text: str, question: str, max_chars: int) -> str:
    """Keep the clauses of ``text`` that share the most with the question, in their order.

    Short chunks are returned as they are. The best clause and then its neighbours are kept
    first (an answer often sits right after the words that repeat the question), then other
    clauses by overlap, until ``max_chars``. A clause holding the kind of figure the question
    asks for (``langrules.missing_kind``, the rule the answer's kind check uses) scores
    ``KIND_BONUS`` more. Dropped stretches become ``…``. Whole clauses only: a number or a name
    is never cut.
    """
    if len(text) <= max_chars:
        return text
    spans = _clauses(text)
    if len(spans) <= 1:
        return text
    q = _grams(question)
    score = [len(q & _grams(text[s:e])) for s, e in spans]
    if missing_kind(question, "") is not None:  # the question asks for a figure of some kind
        score = [sc + (KIND_BONUS if missing_kind(question, text[s:e]) is None else 0)
                 for sc, (s, e) in zip(score, spans)]
    best = max(range(len(spans)), key=lambda i: (score[i], -i))
    order = [best]
    for d in range(1, len(spans)):
        for i in (best + d, best - d):
            if 0 <= i < len(spans) and (d <= 2 or score[i] > 0):
                order.append(i)
    order.sort(key=lambda i: (0 if i == best else 1 if abs(i - best) <= 1 else 2 if score[i] else 3, -score[i],
                              abs(i - best)))
    keep: set[int] = set()
    used = 0
    for i in order:
        s, e = spans[i]
        if keep and used + (e - s) > max_chars:
            continue
        keep.add(i)
        used += e - s
    parts, prev = [], None
    for i in sorted(keep):
        s, e = spans[i]
        if prev is not None and i != prev + 1:
            parts.append("…")
        parts.append(text[s:e].strip())
        prev = i
    out = "".join(parts)
    if min(keep) > 0:
        out = "…" + out
    if max(keep) < len(spans) - 1:
        out += "…"
    return out


@dataclass(frozen=True)
class BuiltPrompt:
    """Messages for the generator, which hits made it in (numbered 1..n), and the token count."""

    messages: list[dict]
    hits: list[Hit]
    texts: list[str]
    prompt_tokens: int
    dropped: int
    lang: str


# What a document could use to spell the source delimiter <资料>/</资料> so that a model reads it
# as one: brackets (ASCII, full-width, small-form, CJK and math angle and lenticular brackets),
# slashes, the two characters in simplified, traditional and compatibility forms (the chars whose
# NFKC form is 资/資/料, listed because scanning Unicode at import would cost ~0.2 s), with any
# spaces or invisible format characters (zero-width space/joiners, BOM, soft hyphen, bidi marks,
# variation selectors) between them. Parentheses are left alone: "（资料图）" is common in news.
_OPEN = "<\uff1c\ufe64\u2329\u3008\u27e8\u2039\u00ab\u300a\u3010\uff3b\ufe47\\[\u300c\u300e\u3016\u2985"
_CLOSE = ">\uff1e\ufe65\u232a\u3009\u27e9\u203a\u00bb\u300b\u3011\uff3d\ufe48\\]\u300d\u300f\u3017\u2986"
_SLASH = "/\uff0f\u2044\u2215\u29f8\\\\\uff3c\ufe68\u3033\u2571"
_ZI, _LIAO = "\u8d44\u8cc7\u32ae", "\u6599\uf9be\U0001f21b"
_SEP = "[\\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]*"
# HTML entities too: a model reads "&lt;/资料&gt;" as the tag it spells.
_O = f"(?:[{_OPEN}]|&lt;|&#0*60;|&#x0*3c;)"
_C = f"(?:[{_CLOSE}]|&gt;|&#0*62;|&#x0*3e;)"
_S = f"(?:[{_SLASH}]|&#0*47;|&#x0*2f;)"
DELIMITER_LIKE = re.compile(
    f"(?:{_O}{_SEP}(?:{_S}{_SEP})?[{_ZI}]{_SEP}[{_LIAO}](?:{_SEP}{_C})?"
    f"|{_S}{_SEP}[{_ZI}]{_SEP}[{_LIAO}]{_SEP}{_C})", re.I
)


def neutralise_delimiters(text: str) -> str:
    """Document text with every spelling of ``<资料``/``</资料>`` reduced to the bare word 资料.

    The sources are fenced by ``<资料 …>`` … ``</资料>``; a document that could write that fence
    (in any look-alike spelling a model would read the same way) could end its block and speak as
    the user. Removing the brackets and slash keeps the word readable and leaves no fence.
    """
    while True:  # again: removing "</资料>" from "<</资料>" leaves a new "<资料"
        text, n = DELIMITER_LIKE.subn("资料", text)
        if not n:
            return text


def _source_block(prompts: Prompts, n: int, hit: Hit, text: str, dates: bool = False) -> str:
    # Titles and text are quoted material: they must not close the <资料> tag and speak as the user.
    title = hit.chunk.title
    if len(title) > TITLE_CHARS:  # long multi-line headlines cost tokens and add nothing
        title = title.split(" ")[0][:TITLE_CHARS]
    title = neutralise_delimiters(title).replace("<", "＜").replace(">", "＞").replace('"', "'")
    body = neutralise_delimiters(text)
    # The publication date goes in the header only when the question is about time: it costs a
    # few prompt tokens per source, and then lets the answer say "据8月17日报道".
    date = f' 日期="{hit.chunk.date[:10]}"' if dates and hit.chunk.date else ""
    return prompts.get("source").format(n=n, title=title, text=body, date=date).strip()


def trim_options(answer, top_doc_chars: int | None = None) -> dict:
    """``build_messages``'s trimming arguments from the ``answer`` settings (``trim_chunks``,
    ``trim_chars``, ``whole_chunks``, ``whole_short_doc_chars``): one reading for the pipeline and
    the bench scripts that rebuild its prompt. ``top_doc_chars`` is the length of the top-ranked
    chunk's document: a short one (a single story) has its chunk shown whole."""
    whole = answer.whole_chunks
    limit = answer.whole_short_doc_chars
    if limit and top_doc_chars is not None and 0 < top_doc_chars <= limit:
        whole = max(whole, 1)
    return {"trim_chars": answer.trim_chars if answer.trim_chunks else None, "whole": whole}


def build_messages(question: str, hits: Sequence[Hit], *, prompts: Prompts, count: Callable[[str], int],
                   n_ctx: int, max_tokens: int, history: Sequence[dict] | None = None, history_turns: int = 2,
                   trim_chars: int | None = 160, lang: str | None = None, dates: bool = False,
                   examples: bool = False, whole: int = 0) -> BuiltPrompt:
    """Messages that fit ``n_ctx - max_tokens``: system, the example turns (``examples``), recent
    history, and as many chunks as fit. With ``trim_chars``, the first ``whole`` chunks are shown
    whole and the rest trimmed (``trim_chunk``)."""
    lang = lang or question_language(question)
    system = prompts.system(lang)
    template = prompts.get(f"user_{lang}")
    shown = example_turns(prompts, lang) if examples else []
    budget = n_ctx - max_tokens - 16  # 16: chat-template tokens around each message, with margin
    overhead = 8
    fixed = count(system) + count(template.format(sources="", question=question)) + 2 * overhead
    # The examples help; the sources are what the answer needs. In a small context (a quarter of
    # it or more would go to them) they are left out, all together so the cached prefix stays one.
    cost = sum(count(m["content"]) + overhead for m in shown)
    if cost > budget // 4:
        shown, cost = [], 0
    fixed += cost
    if fixed > budget:
        raise ContextOverflowError(
            f"the question alone needs {fixed} tokens but generator.n_ctx={n_ctx} leaves {budget}; "
            f"shorten the question or raise generator.n_ctx"
        )
    remaining = budget - fixed
    # History: newest turns first, while they fit in a third of what is left.
    kept_history: list[dict] = []
    turns = list(history or [])[-2 * history_turns :] if history_turns else []
    hist_budget = remaining // 3
    for msg in reversed(turns):
        if msg.get("role") not in ("user", "assistant") or not isinstance(msg.get("content"), str):
            continue
        c = count(msg["content"]) + overhead
        if c > hist_budget:
            break
        kept_history.insert(0, {"role": msg["role"], "content": msg["content"]})
        hist_budget -= c
        remaining -= c
    blocks: list[str] = []
    texts: list[str] = []
    used_hits: list[Hit] = []
    for i, hit in enumerate(hits):
        # A document's opening chunk is shown without its header: the publication date reaches the
        # model only as the source's 日期, and only for a question about a time span (``dates``).
        body = without_header(hit.chunk.text) if hit.chunk.start == 0 else hit.chunk.text
        text = trim_chunk(body, question, trim_chars) if trim_chars and i >= whole else body
        block = _source_block(prompts, len(used_hits) + 1, hit, text, dates)
        c = count(block) + 1
        if c > remaining:
            break  # lowest-ranked chunks are dropped first, never cut
        blocks.append(block)
        texts.append(text)
        used_hits.append(hit)
        remaining -= c
    user = template.format(sources="\n".join(blocks), question=question).strip()
    messages = [{"role": "system", "content": system}, *shown, *kept_history, {"role": "user", "content": user}]
    tokens = sum(count(m["content"]) + overhead for m in messages)
    return BuiltPrompt(messages, used_hits, texts, tokens, len(hits) - len(used_hits), lang)
