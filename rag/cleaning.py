"""Layout repair for text extracted from newspaper pages, and splitting a page into articles.

``clean_text`` only removes or moves whitespace: every other character of the input survives in
order, so offsets into the cleaned text can be shown to the reader. The heuristics, tuned on the
five pages in ``seeds/``:

* Lines are grouped into *blocks* separated by blank lines. A block is *headline-like* when it has
  no sentence punctuation (，。；！？ , ; ! ?) and at most 60 characters: titles, bylines
  (``市人大代表、副市长 刘强峰``), figure labels. Its lines stay separate.
* Inside any other block a line is joined to the next one unless it ends a paragraph (。！？!?…
  or ``.``, optionally followed by closing quotes or brackets, or a reporter credit such as
  ``（记者 施翔）``) or the next line starts something new (``本报讯``, a list item, a ``——``
  subtitle, a credit line). This repairs hard-wrapped columns (seed 001 wraps every 10 to 15
  characters) and leaves one-paragraph-per-line pages (seeds 002, 004) alone. The first line of
  a document stays separate when it looks like a headline (seed 003 opens with its page title)
  unless the next line plainly continues it (see "strong evidence" below).
* A blank line after a line that does not end a paragraph is a page or column break when the
  text goes on (``积极贡\n\n献，``), and the two blocks are joined, unless the line ends with a
  lead-in (``：`` ``——`` ``-``), the next block is headline-like, starts something new or opens
  with a paragraph opener (``同时，`` ``此外，``), or the page repeats the broken sentence (seed
  004 prints ``…主题宣传视频《守`` twice). After a headline-like block the join needs strong
  evidence that the sentence goes on: the next block starts with punctuation, or with a clause
  of at most three characters (``献，`` ``求是、`` ``效衔接，``) that is not an opener. Line
  lengths were tried as evidence and dropped: seed 003's headline ``为走在前作表率贡献中区力量``
  is exactly as long as the wrapped column it sits in, while punctuation separates every case in
  the seeds. Known miss: a paragraph that the page cut short is joined to the next one (seed
  002: ``…精神的具`` + ``报告有四个特点:``); nothing in the text tells the two apart.
* Whitespace inside a line: a space between a CJK character and a digit is always removed (PDF
  extraction pads half-width runs: ``2 月 1日``, ``等 6 名代表``); a space next to a single
  letter-spaced CJK character is removed (``会 议 大 通``); in a body line (sentence
  punctuation, or a 、 enumeration longer than 40 characters) every space between CJK
  characters or CJK punctuation is removed (seed 004 keeps the wrap points as spaces:
  ``擘画的 宏伟蓝图``), except inside a short bracket such as ``（记者 施翔）``, and so is a
  space after ASCII punctuation that follows CJK (``64件, 无集中``, ``问题, 12345``).
  Spaces next to Latin letters are kept (``Hello world``, ``使用 GPU``), and so are the spaces
  that separate the phrases of a headline (``坚定信心 迎难而上``).

Every decision looks only at whitespace-free text, at how a line ends and how the next one
starts, and the pass repeats until the text stops changing, so cleaning a cleaned text changes
nothing (the tests check this with Hypothesis).

``find_articles`` then reads the cleaned page as a sequence of headline runs and body runs; see
its docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textnorm import compact, normalize  # noqa: F401  (moved to textnorm; kept importable here)
from .types import Article

_CJK_SYMBOLS = frozenset("‘’“”…—·")
_SENT_PUNCT = frozenset("，。；！？,;!?")
_FINAL = frozenset("。！？!?…")
_CLOSERS = "”’」』）)】〕》\"'"
_LEADIN = ("：", ":", "—", "-")

_WS = re.compile(r"\s+")
_INLINE_WS = re.compile(r"[^\S\n]+")
_SHORT_BRACKET = re.compile(r"[（(][^（）()\n]{0,40}[）)]")

# Decisions are made on whitespace-free ("squeezed") lines, so removing spaces cannot change them.
_LEAD = re.compile(r"^(?:本报讯|本报[^，,。]{0,8}[讯电]|据?新华社|中新社|新华网|人民网|央视网)")
_CREDIT_END = re.compile(
    r"[（(](?:本报)?(?:特约|见习|实习)?(?:记者|通讯员|实习生|摄影|摄|报道员)[^（）()]{0,24}[）)]$"
)
_CREDIT_ONLY = re.compile(
    r"^[（(](?:本报)?(?:特约|见习|实习)?(?:记者|通讯员|实习生|摄影|摄|报道员)[^（）()]{0,24}[）)]$"
)
_CREDIT_LINE = re.compile(
    r"^(?:设计制图|图表设计|制图|美编|责任编辑|编辑|校对)[：:]?[^\W\d_]{2,4}$"
)
_LIST_START = re.compile(
    r"^(?:[-•●▪■◆*](?!\d)|\d{1,2}[.、．](?!\d)|[（(]\d{1,2}[）)]|[一二三四五六七八九十]{1,3}、)"
)
# A numbered section heading of a manual or report ("2.1.3 持续升级的生活", "3.8 udev 系统") stands on
# its own line: it neither continues the line before it nor is continued by the next. Read on the
# squeezed line: a section number of two to four levels, then a short title without sentence
# punctuation. A decimal at the start of a wrapped line ("3.5亿元项目") is told apart by what follows
# the number: a decimal is followed by its unit or a percent sign, a section number by a title.
_SECTION_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3}\.?)")
_SECTION_HEADING = re.compile(_SECTION_NUMBER.pattern + r"(?![\d.%％‰])(?![亿万千百十元角倍米吨克秒分时天年月日个只人次台辆件岁度升斤里])\S")
# A table-of-contents line ends with a dot leader and a page number ("软件包配置 . . . . 35"); the
# next entry starts a line of its own.
_TOC_LINE = re.compile(r"(?:\.{4,}|…{2,}|·{4,})\d{1,4}$")
# A row of a plain-text or Markdown table ("|类别|网络地址|", "+----+----+", "|---|---|") is a line of its own:
# joined, a table's rows ran together into one line ("…|类别|…||A   |10.x.x.x…").
_TABLE_ROW = re.compile(r"^[|+].*[|+]$")
_FIRST_CLAUSE = re.compile(r"^([^，、；：,;:。！？!?“”\"'（）()《》]{1,3})[，、；,;]")
# Words that often open a new paragraph with a short clause; after a headline they are not
# evidence that a broken sentence goes on.
_OPENERS = frozenset(
    "同时 此外 另外 其中 目前 当前 近日 日前 今年 去年 明年 为此 对此 因此 然而 但是 不过 据悉 "
    "首先 其次 再次 最后 总之 会上 会后 随后 近年来 多年来 今天 昨天 昨日 今日 上午 下午 晚上 "
    "他说 她说 记者 眼下 如今 此前 之后 其后 另一方面".split()
)
_OPENER = re.compile(r"^([^，,]{1,4})[，,]")

_BYLINE_TAIL = re.compile(
    r"(?:代表|书记|长|主任|主席|委员|经理|董事|校长|院长|教授|专家)\S*[^\S\n]+[^\W\d_]{2,4}$"
)
_DATE = re.compile(r"(?<!\d)(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_YEAR = re.compile(r"(?<![\d到至])(\d{4})\s*年")
_DATE_LEAD = re.compile(r"^(?:\d{4}年)?\d{1,2}月\d{1,2}日")


# Character classes are tested by code point: regexes over these ranges cost 20 ms to compile.
def _is_ideo(c: str) -> bool:
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or o == 0x3007


def _is_cjkx(c: str) -> bool:
    """A CJK ideograph, CJK punctuation or a full-width symbol (not a full-width digit/letter)."""
    o = ord(c)
    return (
        _is_ideo(c)
        or 0x3001 <= o <= 0x303F
        or 0xFF01 <= o <= 0xFF0F
        or 0xFF1A <= o <= 0xFF20
        or 0xFF3B <= o <= 0xFF40
        or 0xFF5B <= o <= 0xFF65
        or c in _CJK_SYMBOLS
    )


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9" or "\uff10" <= c <= "\uff19"


def _squeeze(s: str) -> str:
    return _WS.sub("", s)


# A FAQ numbers its questions, and each question is its entry's heading: "1.1. 本 FAQ 文档是什么？", "1.5. Debian
# GNU/Linux 与其他 Linux 发行版的区别是什么？为什么我应该选择 Debian，而不是其他发行版？". Such a line has sentence
# punctuation, which otherwise tells a sentence from a heading, but a line that opens with a section number and
# ends in a question mark (or in an exclamation after one: "…我以为这张 CD 只有“stable”！") is a question set as a
# title: running text does not ask under a section number. Up to 80 characters (the Debian FAQ's longest is 62);
# a full stop may come before the question ("…不工作。我该怎么办？").
_QUESTION_END = re.compile(r"[？?](?:[^。？?]*[！!])?$")
QUESTION_HEADING_MAX = 80


def _section_heading(sq: str) -> bool:
    """True when a (squeezed) line is a numbered section heading (see ``_SECTION_HEADING``): a short title
    without sentence punctuation, or a question (``_QUESTION_END``)."""
    if not _SECTION_HEADING.match(sq) or _TOC_LINE.search(sq):
        return False
    if len(sq) <= 40 and not _has_sent_punct(sq):
        return True
    return len(sq) <= QUESTION_HEADING_MAX and bool(_QUESTION_END.search(sq))


def _table_row(sq: str) -> bool:
    """True when a (squeezed) line is a row of a plain-text or Markdown table (``_TABLE_ROW``)."""
    return len(sq) > 1 and bool(_TABLE_ROW.match(sq))


def _ends_paragraph(sq: str) -> bool:
    """True when a (squeezed) line ends a paragraph: final punctuation, a credit, a numbered section
    heading, a table-of-contents entry or a table row."""
    if _CREDIT_END.search(sq) or _CREDIT_LINE.fullmatch(sq):
        return True
    if _section_heading(sq) or _TOC_LINE.search(sq) or _table_row(sq):
        return True
    s = sq.rstrip(_CLOSERS)
    if not s:
        return False
    if s[-1] in _FINAL:
        return True
    # An ASCII full stop ends a paragraph unless it follows a digit ("1." numbering, "3.").
    return s[-1] == "." and (len(s) < 2 or not s[-2].isdigit())


def _starts_new(sq: str) -> bool:
    """True when a (squeezed) line starts something that is never a continuation."""
    return bool(
        _LEAD.match(sq)
        or _LIST_START.match(sq)
        or sq.startswith("—")
        or _CREDIT_ONLY.match(sq)
        or _CREDIT_LINE.fullmatch(sq)
        or _section_heading(sq)
        or _table_row(sq)
    )


def _has_sent_punct(sq: str) -> bool:
    return any(c in _SENT_PUNCT for c in sq)


def _headline_line(sq: str) -> bool:
    """A single line that reads as a headline: short, no sentence punctuation, no bracket."""
    return (
        len(sq) <= 40
        and not _has_sent_punct(sq)
        and not _LEAD.match(sq)
        and not any(c in "（）()" for c in sq)
    )


def _headline_block(sqs: list[str]) -> bool:
    return (
        sum(map(len, sqs)) <= 60
        and not any(_has_sent_punct(s) for s in sqs)
        and not any(_LEAD.match(s) for s in sqs)
    )


def _strong_continuation(sq: str) -> bool:
    """True when a block starts in the middle of a sentence beyond doubt."""
    if not sq:
        return False
    if sq[0] in "，。、；：！？,;:!?）)」』”’…》":
        return True
    m = _FIRST_CLAUSE.match(sq)
    return bool(m) and not _opens(sq) and not _LIST_START.match(sq)


def _opens(sq: str) -> bool:
    """True when a block starts with a paragraph opener such as ``同时，``."""
    m = _OPENER.match(sq)
    return bool(m) and m.group(1) in _OPENERS


def _repeats_tail(last_sq: str, next_sq: str) -> bool:
    """True when the next block starts by repeating the unfinished sentence of the last line."""
    cut = max((i for i, c in enumerate(last_sq) if c in _FINAL), default=-1)
    if cut < 0:
        return False
    tail = last_sq[cut + 1 :].lstrip(_CLOSERS)
    return len(tail) >= 4 and next_sq.startswith(tail)


def _join(a: str, b: str) -> str:
    # English words wrapped across lines get their space back; CJK joins directly, and so does a
    # number with the CJK beside it. Two digits either side of a line end are two numbers: line
    # breaking never splits a number (Unicode's line-breaking rules, UAX #14, forbid a break between
    # two numeric characters), so joining them directly would make a new one ("… 35" + "2.1.1 软件包配置"
    # gave "352.1.1").
    latin_end = a[-1].isascii() and (a[-1].isalpha() or a[-1] in ",;:!?)")
    if latin_end and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    if _is_digit(a[-1]) and _is_digit(b[0]):
        return a + " " + b
    return a + b


@dataclass
class _Block:
    lines: list[str]
    headline: bool


def _body_lines(lines: list[str], first_block: bool) -> list[str]:
    """Join the hard-wrapped lines of one block."""
    if first_block and len(lines) > 1 and _headline_line(_squeeze(lines[0])):
        # A page often opens with its title; _join_opening_line decides on the final lines.
        return [lines[0], *_body_lines(lines[1:], False)]
    out = [lines[0]]
    for nxt in lines[1:]:
        if _ends_paragraph(_squeeze(out[-1])) or _starts_new(_squeeze(nxt)):
            out.append(nxt)
        else:
            out[-1] = _join(out[-1], nxt)
    return out


def _join_opening_line(block: _Block) -> None:
    """Join a title-like first line of the page when the next line plainly goes on with it.

    Decided on the final lines (after blank-line merges), so that cleaning stays idempotent.
    """
    lines = block.lines
    if block.headline or len(lines) < 2:
        return
    head, first = _squeeze(lines[0]), _squeeze(lines[1])
    if not _headline_line(head) or _ends_paragraph(head) or _starts_new(first):
        return
    if _strong_continuation(first):  # "2 月 1" + "日下午，"
        lines[:2] = [_join(lines[0], lines[1])]


def _should_merge(left_headline: bool, left_last: str, right: _Block) -> bool:
    """Whether a blank line between two blocks is a page or column break inside a sentence."""
    last = _squeeze(left_last)
    first = _squeeze(right.lines[0])
    if _ends_paragraph(last) or last.endswith(_LEADIN):
        return False
    if right.headline or _starts_new(first) or _repeats_tail(last, first) or _opens(first):
        return False
    if left_headline:
        return _strong_continuation(first)
    return True


def _protected_spans(line: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SHORT_BRACKET.finditer(line):
        if len(_squeeze(m.group(0))) <= 22:
            spans.append((m.start(), m.end()))
    return spans


def _fix_spaces(line: str) -> str:
    """Remove the spaces that page extraction put inside Chinese text (see module docstring)."""
    # Bylines ("市人大代表、副市长 刘强峰") keep their space; long enumerations do not.
    body = _has_sent_punct(line) or ("、" in line and len(_squeeze(line)) > 40)
    protected = _protected_spans(line) if body else []
    out = []
    pos = 0
    for m in _INLINE_WS.finditer(line):
        s, e = m.start(), m.end()
        if s == 0 or e == len(line):
            continue
        left, right = line[s - 1], line[e]
        if _is_ideo(left) and _is_ideo(right):
            # Letter-spaced characters: "会 议 大 通".
            remove = s == 1 or line[s - 2].isspace() or e + 1 == len(line) or line[e + 1].isspace()
        else:
            # Padding around numbers: "2 月 1日", "等 6 名".
            remove = (_is_ideo(left) and _is_digit(right)) or (_is_digit(left) and _is_ideo(right))
        if not remove and body and _is_cjkx(left) and _is_cjkx(right):
            remove = not any(ps < s and e < pe for ps, pe in protected)
        if not remove and body and left in ",;:!?" and s >= 2 and _is_cjkx(line[s - 2]):
            # Chinese text set with ASCII punctuation ("64件, 无集中反映问题"): no space after it.
            remove = _is_ideo(right) or right.isdigit()
        if remove:
            out.append(line[pos:s])
            pos = e
    out.append(line[pos:])
    return "".join(out)


# A pass that changed the text is run again; real pages settle after one pass, a lone list marker
# before a number after two. The cap only guards against a pair of passes that undo each other.
_MAX_PASSES = 6


def clean_text(text: str) -> str:
    """Repair the layout of page-extracted text: join wrapped lines, drop layout spaces.

    Keeps every non-whitespace character in order; idempotent. See the module docstring.

    One pass is not always a fixed point: a decision on a line that a join lengthens can read
    differently on the joined line. A lone ``-`` is a list marker while no digit follows it on its
    line; joined with the next line ``0`` it becomes ``-0``, a negative number that continues the
    line before it. So the pass repeats until the text stops changing, which makes the result
    idempotent by construction instead of by each rule's care.
    """
    text = _clean_pass(text)
    for _ in range(_MAX_PASSES):
        again = _clean_pass(text)
        if again == text:
            break
        text = again
    return text


def _clean_pass(text: str) -> str:
    """One pass of ``clean_text``."""
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    raw_blocks: list[list[str]] = []
    cur: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            cur.append(line)
        elif cur:
            raw_blocks.append(cur)
            cur = []
    if cur:
        raw_blocks.append(cur)
    if not raw_blocks:
        return ""

    blocks = []
    for k, lines in enumerate(raw_blocks):
        headline = _headline_block([_squeeze(ln) for ln in lines])
        blocks.append((lines, headline, _body_lines(lines, k == 0)))

    # Right to left, so that each decision sees the block on its right as it will be printed
    # (already merged with what follows it); this keeps cleaning idempotent.
    lines, headline, body = blocks[-1]
    right = _Block(lines if headline else body, headline)
    out_blocks: list[_Block] = []
    for lines, headline, body in reversed(blocks[:-1]):
        if _should_merge(headline, body[-1], right):
            right = _Block(body[:-1] + [_join(body[-1], right.lines[0])] + right.lines[1:], False)
        else:
            out_blocks.append(right)
            right = _Block(lines if headline else body, headline)
    out_blocks.append(right)
    out_blocks.reverse()
    _join_opening_line(out_blocks[0])
    return "\n\n".join("\n".join(_fix_spaces(ln) for ln in b.lines) for b in out_blocks)


# --- articles -------------------------------------------------------------------------------

_HEAD, _BODY, _LEADP, _CREDIT = "head", "body", "lead", "credit"


@dataclass
class _Para:
    start: int
    end: int
    raw: str
    sq: str
    block: int
    kind: str
    byline: bool


@dataclass
class _Item:
    head: bool
    paras: list[_Para]


def _paragraphs(text: str) -> list[_Para]:
    paras: list[_Para] = []
    pos = 0
    block = 0
    blank = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            if blank and paras:
                block += 1
            start = pos + len(line) - len(line.lstrip())
            sq = _squeeze(stripped)
            if _LEAD.match(sq):
                kind = _LEADP
            elif _CREDIT_END.search(sq) or _CREDIT_LINE.fullmatch(sq):
                kind = _CREDIT
            elif not _LIST_START.match(sq) and not _has_sent_punct(sq) and len(sq) <= 50:
                kind = _HEAD
            else:
                kind = _BODY
            byline = kind == _HEAD and bool(_BYLINE_TAIL.search(stripped))
            paras.append(_Para(start, start + len(stripped), stripped, sq, block, kind, byline))
            blank = False
        else:
            blank = True
        pos += len(line) + 1
    return paras


def _items(paras: list[_Para]) -> list[_Item]:
    """Runs of headline paragraphs and runs of body paragraphs, bodies cut at leads and credits."""
    items: list[_Item] = []
    for p in paras:
        last = items[-1] if items else None
        if p.kind == _HEAD:
            if last is not None and last.head:
                last.paras.append(p)
            else:
                items.append(_Item(True, [p]))
        elif last is None or last.head or p.kind == _LEADP or last.paras[-1].kind == _CREDIT:
            items.append(_Item(False, [p]))
        else:
            last.paras.append(p)

    # A headline run between two parts of one story is a subheading ("破题——每月一议 统筹调度")
    # or a figure label; it separates stories only when something else says so.
    merged: list[_Item] = []
    for i, it in enumerate(items):
        if it.head and 0 < i < len(items) - 1:
            prev, nxt = items[i - 1], items[i + 1]
            separator = (
                prev.paras[-1].kind == _CREDIT
                or nxt.paras[0].kind == _LEADP
                or bool(_DATE_LEAD.match(nxt.paras[0].sq))
                or any(p.byline or p.sq.startswith("—") for p in it.paras)
            )
            if not separator:
                merged[-1].paras.extend(it.paras)
                continue
        if not it.head and merged and merged[-1].paras[-1].kind == _HEAD and not merged[-1].head:
            # The story goes on after a subheading that was just absorbed.
            merged[-1].paras.extend(it.paras)
            continue
        merged.append(it)
    return merged


def _units(paras: list[_Para]) -> list[list[_Para]]:
    """Split a headline run into its blank-line-separated blocks."""
    units: list[list[_Para]] = []
    for p in paras:
        if units and units[-1][-1].block == p.block:
            units[-1].append(p)
        else:
            units.append([p])
    return units


def _title(paras: list[_Para]) -> str:
    named = [p.raw for p in paras if not p.byline] or [p.raw for p in paras]
    return " ".join(named)


def _doc_year(text: str) -> int | None:
    # The latest year the page mentions is taken as its year ("2023年工作回顾" and "2024年目标"
    # on a page from 2024); years after 到/至 are targets ("到2035年") and are ignored.
    years = [int(y) for y in _YEAR.findall(text) if 1900 <= int(y) <= 2100]
    return max(years) if years else None


def _find_date(text: str, year: int | None) -> str | None:
    for m in _DATE.finditer(text):
        month, day = int(m.group(2)), int(m.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        y = int(m.group(1)) if m.group(1) else year
        if y is None:
            return _squeeze(m.group(0))
        return f"{y:04d}-{month:02d}-{day:02d}"
    return None


def find_articles(text: str, default_title: str) -> list[Article]:
    """Split a cleaned page into news items; the articles cover ``[0, len(text))`` in order.

    Paragraphs (lines) are headlines (no sentence punctuation, at most 50 characters), leads
    (``本报讯``…), credits (``（记者 施翔）``, ``设计制图 刘伟明``) or body. A story starts at a
    lead, ends at a credit, and is separated from the next one by a headline run that follows a
    credit, precedes a lead or a dated opening (``10月15日，``), holds a byline, or a ``——``
    subtitle; other headline runs are subheadings inside a story.

    Pages print the headline either before the story (seeds 000, 002, 004) or after it (seeds 001
    and 003, where two or three stories can be followed by all their headlines). The layout whose
    reading leaves fewer headline paragraphs without a story wins (headlines before the first
    story for "after", after the last story for "before"; a tie means "before"). With headlines
    after, a headline run is shared out in blank-line blocks among the untitled stories just
    before it, in order; with headlines before, a run goes to the story after it, except that a
    story opened by ``本报讯`` and followed by a run of several blocks takes the first block.

    Titles join the headline lines with a space and leave out bylines; stories without a
    headline get ``default_title``. The date is the first ``M月D日`` of the story, with the year
    written there or else the latest year found on the page, as ``YYYY-MM-DD``; None if none.
    A headline printed after its story lies inside the character range of the next story.
    """
    paras = _paragraphs(text)
    items = _items(paras)
    bodies = [i for i, it in enumerate(items) if not it.head]
    if not bodies:
        title = _title(_units(paras)[0]) if paras else default_title
        return [Article(title, 0, len(text), _find_date(text, _doc_year(text)))]

    leading = len(items[0].paras) if items[0].head else 0
    trailing = len(items[-1].paras) if items[-1].head else 0
    after = leading < trailing

    titles: dict[int, list[_Para]] = {}
    starts: dict[int, int] = {i: items[i].paras[0].start for i in bodies}
    if after:
        pending: list[int] = []
        for i, it in enumerate(items):
            if not it.head:
                pending.append(i)
                continue
            if not pending:
                continue
            units = _units(it.paras)
            n, m = len(pending), len(units)
            if m >= n:
                sizes = [m // n] * n
                sizes[-1] += m % n
            else:
                sizes = [0] * (n - m) + [1] * m
            k = 0
            for body, size in zip(pending, sizes):
                if size:
                    titles[body] = [p for u in units[k : k + size] for p in u]
                k += size
            pending = []
    else:
        for i, it in enumerate(items):
            if not it.head or i + 1 >= len(items):
                continue
            paras_for_next = it.paras
            prev = i - 1
            units = _units(it.paras)
            if (
                prev >= 0
                and prev not in titles
                and items[prev].paras[0].kind == _LEADP
                and len(units) >= 2
            ):
                titles[prev] = units[0]
                paras_for_next = [p for u in units[1:] for p in u]
            titles[i + 1] = paras_for_next
            starts[i + 1] = paras_for_next[0].start

    year = _doc_year(text)
    bounds = [starts[i] for i in bodies]
    bounds[0] = 0
    bounds.append(len(text))
    articles = []
    for k, i in enumerate(bodies):
        start, end = bounds[k], bounds[k + 1]
        title = _title(titles[i]) if i in titles else default_title
        articles.append(Article(title, start, end, _find_date(text[start:end], year)))
    return articles


# --- sections of a manual or report ---------------------------------------------------------------

# A manual or a report numbers its sections ("2.1.3 持续升级的生活", "3.8 udev 系统"). Uploaded as one PDF it
# is one document, and ``find_articles``, which reads newspaper stories (leads, credits, bylines), leaves
# it one article: every chunk carried the book's title, and nothing told a chunk of 2.1.3 from one of
# 9.6.7. Measured in round r34 on the Chinese Debian Reference (251 pages) with 32 questions written
# before the change: the gold section was the first chunk for 65.6% of them from the PDF, against 96.9%
# from the same text cut into titled sections. So a layout document with at least ``MIN_SECTIONS``
# numbered heading lines (``_section_heading``, which a table-of-contents entry with its dot leader is
# not) is cut at them, and each section is titled with the document's title and its heading.
MIN_SECTIONS = 3
MIN_SECTION_BODY = 20  # characters without spaces
_LINE = re.compile(r"[^\n]+")


def find_sections(text: str, default_title: str, date: str | None = None) -> list[Article]:
    """The numbered sections of a cleaned text, covering ``[0, len(text))`` in order; [] when it
    has fewer than ``MIN_SECTIONS`` numbered headings. The text before the first heading keeps
    ``default_title``."""
    heads = [(m.start(), m.group(0).strip()) for m in _LINE.finditer(text) if _section_heading(_squeeze(m.group(0)))]
    # A section number is used once in a document, so a number that recurs is first an entry of the contents
    # list, whose lines would otherwise become sections titled by their last entry (a FAQ's contents list took
    # the questions' words into a chunk titled "16.4. 文档格式"). Only the last heading with a number opens a
    # section; the contents stay with the text before the first section.
    numbers = [_SECTION_NUMBER.match(_squeeze(h)).group(1).rstrip(".") for _, h in heads]
    last = {n: i for i, n in enumerate(numbers)}
    heads = [h for i, h in enumerate(heads) if last[numbers[i]] == i]
    if len(heads) < MIN_SECTIONS:
        return []
    out = [Article(default_title, 0, heads[0][0], date)] if heads[0][0] > 0 else []
    ends = [start for start, _ in heads[1:]] + [len(text)]
    fold_from = None  # start of the heading-only sections folded into the next one
    for (start, heading), end in zip(heads, ends):
        # A heading with (almost) no body of its own (a chapter heading right before its first section, or
        # a contents list without page numbers) is folded into the section after it, so that no chunk is a
        # bare heading that matches a question by its title alone.
        body = _squeeze(text[start + len(heading):end])
        if len(body) < MIN_SECTION_BODY and end < len(text):
            fold_from = start if fold_from is None else fold_from
            continue
        out.append(Article(f"{default_title} {heading}".strip(), start if fold_from is None else fold_from, end, date))
        fold_from = None
    return out if len(out) > 1 else []
