"""Dates in news: when an article was published, and what time span a question asks about.

Two jobs, both pure (text in, dates out):

- ``publication_date``: the date (and time, when given) an article was published, with where it came
  from: ``field`` (a ``date`` in a JSONL record), ``header`` (a date line before the text, as
  ``2023-08-17 10:43，正文：`` in crud_news or ``2023年8月17日 星期四`` on a newspaper page), ``lead``
  (a dateline: ``新华社北京8月15日电``, ``IT之家 8 月 16 日消息``, ``本报讯（记者 施翔）2月1日下午``, or an
  opening ``8月15日，``), ``metadata`` (HTML ``article:published_time``/``<time>``, DOCX core properties,
  PDF ``CreationDate``; read by ``sources``) or ``user`` (an override, see ``rag docs --set-date``).
  Only the header and the lead are read: a date deeper in the text is an event (next week's
  meeting, a quoted year), not the publication. A month and day without a year take the year of
  the collection (``default_year``: indexing passes the year most dated documents of the same run
  carry); with none known, the document stays undated rather than guessing.
- ``question_range``: a question's time expression as a range of publication dates, against a
  reference day. Day-level expressions (``8月17日``, ``昨天``, ``上周五``, ``三天前``) give the day and the
  next, because a report of day D is often published on D+1 (``截至8月5日22时30分`` appears on 8月6日).
  Week, month and ``近N天/个月`` expressions give their span. Year-level expressions (``2023年``,
  ``今年``, ``去年``) give the year plus its first quarter after, since a year's figures are reported
  early in the next one. ``最新/最近/近期/目前`` give no range but ``recency``: the newest relevant
  article should win over an older one that scores slightly higher (applied by ``recency_rerank``).
  Statistical periods are not times of reporting and are not read: ``7月份``, ``1至7月``, ``上半年``,
  ``十四五``; neither are figures that only look like dates (``3.15``, ``5.5%左右``, ``1964+N``,
  version numbers): only Chinese date words (年/月/日/号/周/星期/天) make a date.

Why a small parser of our own: ``dateparser`` (tried on 17 cases) returns a point, not a span
(``2023年8月`` -> 2023-08-19), misses ``8月17日`` and ``上周五``, and reads ``3.15`` as 03:15. Chinese
numerals (``八月十七日``, ``近三个月``, ``二〇二三年``) are turned into digits with ``cn2an`` first.

Relative dates inside an article (``昨天``, ``上周五``, ``近日``) are resolved against its publication
date by ``resolve_relative``; ``近日``/``日前`` are uncertain (the week before publication) and say so.
"""

from __future__ import annotations

import calendar
import re
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

SOURCES = ("field", "header", "lead", "metadata", "user")
# A day's report is published that day or the next: a day-level range spans both.
REPORT_LAG_DAYS = 1
# A month's figures come out in the following weeks (7月份 data on 8月15日).
MONTH_LAG_DAYS = 15
# A year's figures come out in the first quarter of the next year.
YEAR_LAG_MONTHS = 3
# The header of a crud_news article ends at "，正文：" within this many characters.
_HEADER_CHARS = 100
# A dateline or a dated opening is looked for in the lead's first characters only.
_LEAD_CHARS = 80

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}


@dataclass(frozen=True)
class PublicationDate:
    """When a document was published: ISO date, optional ``HH:MM`` time, and where it was found."""

    date: str
    time: str | None = None
    source: str = "header"


@dataclass(frozen=True)
class TimeRange:
    """A question's time scope: inclusive ISO dates (either may be None), the words it came from,
    and ``recency`` when the question asks for the newest report rather than a span."""

    since: str | None
    until: str | None
    expression: str
    recency: bool = False
    # False when the range held no document at all and the search ran without it (said with the answer).
    applied: bool = True

    def to_dict(self) -> dict:
        return {"since": self.since, "until": self.until, "expression": self.expression, "recency": self.recency,
                "applied": self.applied}

    def describe(self) -> str:
        """A short Chinese description for the answer and the refusal, e.g. ``2023-08-17 至 2023-08-18``."""
        if self.since or self.until:
            if self.since == self.until:
                return f"{self.since}（{self.expression}）"
            return f"{self.since or '…'} 至 {self.until or '…'}（{self.expression}）"
        return f"最新报道优先（{self.expression}）" if self.recency else self.expression


# --- parsing one date string ---------------------------------------------------------------------

_ISO = re.compile(
    r"(?<!\d)(\d{4}|\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*T?\s*(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?)?"
)
_MD = re.compile(r"(?<![\d.])(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?(?:\s+(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?)?(?![\d.%])")
_PDF = re.compile(r"^D:(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2}))?")


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _hhmm(h: str | None, m: str | None) -> str | None:
    if h is None or m is None or not (0 <= int(h) <= 23 and 0 <= int(m) <= 59):
        return None
    return f"{int(h):02d}:{m}"


def parse_datetime(text: str, default_year: int | None = None) -> tuple[str, str | None] | None:
    """``(YYYY-MM-DD, HH:MM | None)`` from a date string in any of the shapes news and metadata use
    (``2023-08-17 10:43``, ``2023/07/22 16:02``, ``2023年08月03日``, ``23-08-07 10:00``,
    ``2023-08-17T10:43:00+08:00``, PDF ``D:20230817104300``; ``08-16 13:50`` with ``default_year``)."""
    if not text:
        return None
    s = str(text).strip()
    m = _PDF.match(s)
    if m:
        iso = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return (iso, _hhmm(m.group(4), m.group(5))) if iso else None
    m = _ISO.search(s)
    if m:
        y = int(m.group(1))
        if y < 100:
            y += 2000
        iso = _valid(y, int(m.group(2)), int(m.group(3)))
        if iso:
            return iso, _hhmm(m.group(4), m.group(5))
    if default_year is not None:
        m = _MD.search(s)
        if m:
            iso = _valid(default_year, int(m.group(1)), int(m.group(2)))
            if iso:
                return iso, _hhmm(m.group(3), m.group(4))
    return None


# --- publication date of an article --------------------------------------------------------------

_BODY_MARK = "，正文："
# A header line that is only a date: "2023年8月17日 星期四", "2023-08-17", "[2023/07/22 16:02]".
_DATE_LINE = re.compile(r"^[\s\[【(（]*(?:\d{4}|\d{2})\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
                        r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*(?:星期[一二三四五六日天]|周[一二三四五六日天])?[\s\]】)）]*$")
# Datelines: "新华社北京8月15日电", "中新网8月16日电", "IT之家 8 月 16 日消息", "金融界8月2日消息",
# "参考消息网8月16日报道", "中国经济网北京7月22日讯", "直播吧8月14日讯".
_DATELINE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:电|讯|消息|报道|晚间消息|早间消息)")
# A 本报讯 lead: "本报讯（记者 施翔）2月1日下午": the date right after the credit.
_BENBAO = re.compile(r"本报讯\s*[（(][^）)]{0,30}[）)]\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# A credited lead: "中国青年报客户端讯（中青报·中青网记者 张均斌）8月1日，", "记者 周宣刚8月6日，".
_CREDIT = re.compile(r"(?:讯|记者[\u4e00-\u9fff]{0,4})\s*(?:[（(][^）)]{0,40}[）)])?\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# An opening that starts with the date: "8月15日，国新办…".
_OPENING = re.compile(r"^(?:原标题：[^。，\n]{0,60}?)?(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:[上下中]午|晚|早|凌晨|晚间)?[，,\s]")
_SPACES = re.compile(r"[\s\u3000\xa0]+")


def _header(text: str) -> tuple[str, str] | None:
    """(header, body) when the text opens with a header block: crud_news's "…，正文：" or a first
    line that is only a date."""
    i = text.find(_BODY_MARK, 0, _HEADER_CHARS + len(_BODY_MARK))
    if i >= 0:
        return text[:i], text[i + len(_BODY_MARK):]
    first, _, rest = text.lstrip().partition("\n")
    if _DATE_LINE.match(first.strip()):
        return first, rest
    return None


def _md_date(m: re.Match, default_year: int | None) -> str | None:
    y = int(m.group(1)) if m.group(1) else default_year
    return _valid(y, int(m.group(2)), int(m.group(3))) if y is not None else None


def lead_date(body: str, default_year: int | None = None) -> str | None:
    """The date of a dateline, a 本报讯 lead or a dated opening at the start of the body."""
    lead = _SPACES.sub("", body[: _LEAD_CHARS * 2])[:_LEAD_CHARS]
    for pattern in (_DATELINE, _BENBAO, _CREDIT, _OPENING):
        m = pattern.search(lead)
        if m:
            return _md_date(m, default_year)
    return None


def publication_date(text: str, *, field: str | None = None, metadata: str | None = None,
                     default_year: int | None = None) -> PublicationDate | None:
    """When the article was published: the record's field, else its header, else its lead, else
    the file's metadata. ``None`` when none of them gives a full date."""
    if field:
        parsed = parse_datetime(field, default_year)
        if parsed:
            return PublicationDate(parsed[0], parsed[1], "field")
    head = _header(text)
    body = text
    if head is not None:
        header, body = head
        parsed = parse_datetime(_SPACES.sub(" ", header), default_year)
        if parsed:
            return PublicationDate(parsed[0], parsed[1], "header")
    found = lead_date(body, default_year)
    if found:
        return PublicationDate(found, None, "lead")
    if metadata:
        parsed = parse_datetime(metadata, default_year)
        if parsed:
            return PublicationDate(parsed[0], parsed[1], "metadata")
    return None


def without_header(text: str) -> str:
    """``text`` without the header block it opens with (``_header``: "2023-08-17 10:43，正文：", a
    first line that is only a date), or ``text`` as it is. The header's date is the publication
    date, which the index keeps as the document's ``date``; left in the passage it is the one date
    a reader of the opening sees, and a small model answers a question asking on which day
    something happened with it (``prompting``)."""
    head = _header(text)
    # Any year will do to tell a date from other text: yearless headers ("7-18 12:22") are headers too.
    return head[1].lstrip() if head is not None and parse_datetime(_SPACES.sub(" ", head[0]), 2000) else text


def header_year(text: str) -> int | None:
    """The year a header or dateline states, if any (used to pick a collection's default year)."""
    found = publication_date(text)
    return int(found.date[:4]) if found else None


def majority_year(years: Iterable[int | None]) -> int | None:
    """The most common year among dated documents (ties: the later year)."""
    counts: dict[int, int] = {}
    for y in years:
        if y is not None:
            counts[y] = counts.get(y, 0) + 1
    return max(counts, key=lambda y: (counts[y], y)) if counts else None


# --- numerals ------------------------------------------------------------------------------------

_CN_NUM = re.compile(r"[〇零一二两三四五六七八九十百]+")


def digits(text: str) -> str:
    """Chinese numerals as digits where they are counts or dates (``八月十七日`` -> ``8月17日``,
    ``近三个月`` -> ``近3个月``, ``二〇二三年`` -> ``2023年``); other text is left as it is."""
    if not _CN_NUM.search(text):
        return text
    try:
        import cn2an

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cn2an.transform(text, "cn2an")
    except Exception:  # noqa: BLE001 - cn2an rejects some mixes; the text stays as it was
        return text


# --- relative dates inside an article --------------------------------------------------------------

@dataclass(frozen=True)
class EventDate:
    """A relative date in an article resolved against its publication date."""

    expression: str
    date: str | None  # the day, when it is certain enough to name
    since: str | None = None  # otherwise a span
    until: str | None = None
    certain: bool = True


_RELATIVE_IN_TEXT = re.compile(r"今天|今日|昨天|昨日|昨晚|前天|明天|明日|后天|上周[一二三四五六日天]|本周[一二三四五六日天]|周[一二三四五六日天]|近日|日前|(?<!\d)(\d{1,2})日(?![\d电讯])")


def _bare_day_date(pub: date, day: int, to_come: bool = False) -> str | None:
    """The ISO day a bare "15日" means in an article published on ``pub``: of the month of
    publication, or of the month before when that day is still to come, unless the text says the
    event is ``to_come``; None for a day the month lacks."""
    y, mo = pub.year, pub.month
    if day > pub.day and not to_come:
        y, mo = (y - 1, 12) if mo == 1 else (y, mo - 1)
    return _valid(y, mo, day)


def resolve_relative(text: str, published: str) -> list[EventDate]:
    """Relative dates in ``text`` resolved against the publication date ``published`` (ISO).

    ``昨天`` and ``上周五`` are certain; a bare ``15日`` is the 15th of the publication month, or of
    the month before when that day is still to come; ``近日``/``日前`` are the week before
    publication and marked uncertain; ``周五`` without 上/本 is the last such day on or before it.
    """
    pub = date.fromisoformat(published)
    out: list[EventDate] = []
    for m in _RELATIVE_IN_TEXT.finditer(text):
        w = m.group(0)
        if w in ("今天", "今日"):
            out.append(EventDate(w, pub.isoformat()))
        elif w in ("昨天", "昨日", "昨晚"):
            out.append(EventDate(w, (pub - timedelta(days=1)).isoformat()))
        elif w == "前天":
            out.append(EventDate(w, (pub - timedelta(days=2)).isoformat()))
        elif w in ("明天", "明日"):
            out.append(EventDate(w, (pub + timedelta(days=1)).isoformat()))
        elif w == "后天":
            out.append(EventDate(w, (pub + timedelta(days=2)).isoformat()))
        elif w in ("近日", "日前"):
            out.append(EventDate(w, None, (pub - timedelta(days=7)).isoformat(), pub.isoformat(), certain=False))
        elif w.startswith("上周"):
            monday = pub - timedelta(days=pub.weekday() + 7)
            out.append(EventDate(w, (monday + timedelta(days=_WEEKDAYS[w[-1]])).isoformat()))
        elif w.startswith("本周"):
            monday = pub - timedelta(days=pub.weekday())
            out.append(EventDate(w, (monday + timedelta(days=_WEEKDAYS[w[-1]])).isoformat()))
        elif w.startswith("周"):
            back = (pub.weekday() - _WEEKDAYS[w[-1]]) % 7
            out.append(EventDate(w, (pub - timedelta(days=back)).isoformat()))
        elif m.group(1):
            if text[max(0, m.start() - 1):m.start()] == "月" or text[max(0, m.start() - 3):m.start()].endswith("月"):
                continue  # part of "8月15日": an absolute date, not a bare day
            iso = _bare_day_date(pub, int(m.group(1)))
            if iso:
                out.append(EventDate(w, iso))
    return out


# --- time expressions in questions -----------------------------------------------------------------

_Q_YMD = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_Q_MD = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_Q_YM = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月(?![\d份底初中末]|\s*\d)")
_Q_M = re.compile(r"(?<![\d年至到\-－~～])(\d{1,2})\s*月(?![\d份底初中末日号]|\s*\d)")
_Q_Y = re.compile(r"(?<![\d至到\-－~～])(\d{4})\s*年(?![\d底初中末]|\s*\d|\s*\d{1,2}\s*月)")
_Q_PERIOD = re.compile(r"(\d{1,2})\s*(?:至|到|-|－|~|～)\s*(\d{1,2})\s*月|上半年|下半年|[一二三四1-4]季度|前\d+个?月")
_Q_DAY_WORDS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}
_Q_N_AGO = re.compile(r"(\d+)\s*天前|(\d+)\s*日前")
_Q_NEAR = re.compile(r"(?:近|最近|过去|前)\s*(\d+)\s*(天|日|周|个?星期|个?月|年)")
_Q_WEEKDAY = re.compile(r"(上上|上|本|这|这个)?\s*(?:周|星期|礼拜)([一二三四五六日天1-7])")
_Q_WEEK = re.compile(r"上上?周|上个?星期|本周|这周|这个星期")
_Q_MONTH = re.compile(r"(上上|上|本|这)个?月(?:(\d{1,2})\s*[日号]|初|底|末)?")
_Q_YEAR = re.compile(r"今年|去年|前年|明年")
_Q_RECENT = re.compile(r"最新|最近|近期|目前|眼下|当前|最后一次")


def _day(d: date) -> str:
    return d.isoformat()


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _month_span(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _year_before(ref: date, m: int, d: int) -> int:
    """The year of a month and day named without one: this year, or last when it is still to come."""
    return ref.year if (m, d) <= (ref.month, ref.day) else ref.year - 1


def question_range(question: str, reference: date | str) -> TimeRange | None:
    """The publication-date range a question's time expression names, against ``reference``.

    ``None`` when the question names no time. Several day expressions give the span from the
    first to the last. See the module docstring for the rules and their reasons.
    """
    ref = date.fromisoformat(reference) if isinstance(reference, str) else reference
    q = digits(question)
    spans: list[tuple[date, date, str]] = []
    lag = timedelta(days=REPORT_LAG_DAYS)
    periods = [m.span() for m in _Q_PERIOD.finditer(q)]

    def in_period(m: re.Match) -> bool:
        return any(s <= m.start() < e for s, e in periods)

    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return not in_period(m) and not any(s < m.end() and m.start() < e for s, e in taken)

    for m in _Q_YMD.finditer(q):
        iso = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso and free(m):
            d = date.fromisoformat(iso)
            spans.append((d, d + lag, m.group(0)))
            taken.append(m.span())
    for m in _Q_MONTH.finditer(q):
        if not free(m):
            continue
        back = {"上上": 2, "上": 1, "本": 0, "这": 0}[m.group(1)]
        first = _add_months(date(ref.year, ref.month, 1), -back)
        last = _month_span(first.year, first.month)[1]
        tail = m.group(0)
        if m.group(2):
            iso = _valid(first.year, first.month, int(m.group(2)))
            if not iso:
                continue
            d = date.fromisoformat(iso)
            spans.append((d, d + lag, tail))
        elif tail.endswith("初"):
            spans.append((first, first + timedelta(days=10), tail))
        elif tail.endswith(("底", "末")):
            spans.append((last - timedelta(days=10), last + lag, tail))
        else:
            spans.append((first, min(last + timedelta(days=MONTH_LAG_DAYS), max(ref, first)) if back == 0 else
                          last + timedelta(days=MONTH_LAG_DAYS), tail))
        taken.append(m.span())
    for m in _Q_MD.finditer(q):
        if not free(m):
            continue
        mo, dd = int(m.group(1)), int(m.group(2))
        iso = _valid(_year_before(ref, mo, dd), mo, dd)
        if iso:
            d = date.fromisoformat(iso)
            spans.append((d, d + lag, m.group(0)))
            taken.append(m.span())
    for word, back in _Q_DAY_WORDS.items():
        i = q.find(word)
        if i >= 0 and not any(s <= i < e for s, e in taken):
            if word == "前天" and q[max(0, i - 1):i] == "大":
                continue
            d = ref - timedelta(days=back)
            spans.append((d, d + lag if back else d, word))
            taken.append((i, i + len(word)))
    for m in _Q_N_AGO.finditer(q):
        if free(m):
            d = ref - timedelta(days=int(m.group(1) or m.group(2)))
            spans.append((d, d + lag, m.group(0)))
            taken.append(m.span())
    for m in _Q_NEAR.finditer(q):
        if not free(m):
            continue
        n, unit = int(m.group(1)), m.group(2)
        if unit in ("天", "日"):
            first = ref - timedelta(days=n)
        elif unit.endswith(("周", "星期")):
            first = ref - timedelta(weeks=n)
        elif unit.endswith("月"):
            first = _add_months(ref, -n)
        else:
            first = _add_months(ref, -12 * n)
        spans.append((first, ref, m.group(0)))
        taken.append(m.span())
    for m in _Q_WEEKDAY.finditer(q):
        if not free(m):
            continue
        monday = ref - timedelta(days=ref.weekday())
        back = {"上上": 2, "上": 1}.get(m.group(1) or "", 0)
        d = monday - timedelta(weeks=back) + timedelta(days=_WEEKDAYS[m.group(2)])
        if not m.group(1) and d > ref:  # "周五" alone: the last one on or before the reference day
            d -= timedelta(weeks=1)
        spans.append((d, d + lag, m.group(0)))
        taken.append(m.span())
    for m in _Q_WEEK.finditer(q):
        if not free(m):
            continue
        monday = ref - timedelta(days=ref.weekday())
        if m.group(0).startswith("上"):
            back = 2 if m.group(0).startswith("上上") else 1
            first = monday - timedelta(weeks=back)
            spans.append((first, first + timedelta(days=6) + lag, m.group(0)))
        else:
            spans.append((monday, ref, m.group(0)))
        taken.append(m.span())
    for m in _Q_YM.finditer(q):
        if free(m) and 1 <= int(m.group(2)) <= 12:
            first, last = _month_span(int(m.group(1)), int(m.group(2)))
            spans.append((first, last + timedelta(days=MONTH_LAG_DAYS), m.group(0)))
            taken.append(m.span())
    for m in _Q_M.finditer(q):
        if free(m) and 1 <= int(m.group(1)) <= 12:
            mo = int(m.group(1))
            y = ref.year if mo <= ref.month else ref.year - 1
            first, last = _month_span(y, mo)
            spans.append((first, last + timedelta(days=MONTH_LAG_DAYS), m.group(0)))
            taken.append(m.span())
    years: list[tuple[int, str, tuple[int, int]]] = []
    for m in _Q_Y.finditer(q):
        if free(m) and 1900 <= int(m.group(1)) <= 2100:
            years.append((int(m.group(1)), m.group(0), m.span()))
    for m in _Q_YEAR.finditer(q):
        if free(m):
            off = {"今年": 0, "去年": -1, "前年": -2, "明年": 1}[m.group(0)]
            years.append((ref.year + off, m.group(0), m.span()))
    if not spans:  # a year alone is the scope only when nothing finer is named
        for y, words, _ in years:
            first = date(y, 1, 1)
            last = _add_months(date(y, 12, 31), YEAR_LAG_MONTHS)
            spans.append((first, last, words))
    recent = _Q_RECENT.search(q)
    if not spans:
        return TimeRange(None, None, recent.group(0), recency=True) if recent else None
    since = min(s for s, _, _ in spans)
    until = max(e for _, e, _ in spans)
    words = "、".join(dict.fromkeys(w for _, _, w in spans))
    return TimeRange(_day(since), _day(until), words, recency=bool(recent))


def resolve_reference(setting: str, newest: str | None, today: date | None = None) -> date:
    """The reference day for relative expressions: ``today``, ``newest`` (the newest document's date,
    for an archive; today when nothing is dated) or an ISO date."""
    today = today or date.today()
    if setting == "today":
        return today
    if setting == "newest":
        return date.fromisoformat(newest) if newest else today
    return date.fromisoformat(setting)


# --- recency prior -------------------------------------------------------------------------------------

# A candidate competes on recency only if its BM25 score is at least this share of the best
# candidate's: reports of the same thing share the question's terms (the four 人民币中间价 reports
# score within 10% of each other), an unrelated newer article sharing one word scores far below.
RECENCY_RELEVANCE = 0.7

def recency_rerank(fused: Sequence[tuple], dates: dict, *, bonus: float, pool: int) -> list[tuple]:
    """Add a recency prior to fused ``(item, score, ranks, scores)`` results: among the top ``pool``
    candidates, the newest dated one gains ``bonus``, the second newest ``bonus / 2``, the i-th
    ``bonus / i`` (undated ones nothing); the list is re-sorted, candidates below the pool keep their
    place after it. With ``bonus`` = what a rank-1 hit earns from one retriever (``w / (rrf_k + 1)``)
    this is one more RRF-like ranking, newest first, whose head counts more than its tail.

    A prior, not a filter: an article far less relevant stays below, but between reports of the
    same thing the newer one moves up.
    """
    head = list(fused[:pool])
    dated = sorted((r for r in head if dates.get(r[0])), key=lambda r: (dates[r[0]], r[1]), reverse=True)
    place = {r[0]: i for i, r in enumerate(dated, start=1)}
    out = []
    for item, score, ranks, scores in head:
        if item in place:
            ranks = {**ranks, "recency": place[item]}
            score = score + bonus / place[item]
        out.append((item, score, ranks, scores))
    out.sort(key=lambda r: (-r[1], min(r[2].values(), default=0), r[0]))
    return out + list(fused[pool:])


# The day words whose date is certain from the publication day alone, and a bare day of the month
# ("14日在广州举行"): news writes the month only when it is not the current one, so a bare day is of
# the month of publication, or of the month before when that day is still to come, unless the
# sentence says the event is to come ("将于25日", "预计28日"): then it is this month's. A weekday
# ("周五") is not among them: read against the publication day it names a past day, wrong for
# "将于周五举行", and whether "下周五" or "本周五" was meant cannot be told.
_RELATIVE_DAYS = "今天|今日|昨天|昨日|昨晚|前天|明天|明日|后天"
_DAY_WORDS = re.compile(_RELATIVE_DAYS + r"|当天|当日|(?<![\d.])(\d{1,2})日(?![\d电讯前])")
_TO_COME = re.compile(r"将|拟|计划|预计|定于|即将")
# Already dated by the text: "今天（8月3日）", "昨日(2日)".
_DATED_AFTER = re.compile(r"\s*[（(]")
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」")


# A number of days, not a day: "拘留5日", "为期3日", "5日内".
_LASTING_BEFORE = re.compile(r"(?:拘留|为期|连续|持续|历时|长达|期限|共计|共|达|满|每|第|近|逾|超过|约|停留|延长|缩短|"
                             r"提前|推迟|休息|隔离|观察|用时|耗时)\s*$")
_LASTING_AFTER = re.compile(r"\s*(?:内|以内|之内|左右|以上|多|后|之后|以后|至\d|到\d)")


def _bare_day(text: str, m: re.Match) -> bool:
    """Whether the match is a day without its month: not "8月14日", "8 月 14 日" or "14日电"; not the
    end of a range or list whose month was written ("7月21日到23日", "8月16日至19日", "3日、5日": a month
    in the ten characters before it), nor a number of days ("拘留5日", "5日内")."""
    if not m.group(1):
        return False
    before = text[max(0, m.start() - 10):m.start()]
    return not ("月" in before or _LASTING_BEFORE.search(before) or _LASTING_AFTER.match(text, m.end()))


def day_dates(text: str, published: str) -> dict[str, str]:
    """The day words of ``text`` that it does not date itself -> the ISO day each means in an article
    published on ``published``. A word meaning two days in one text is left out."""
    pub = date.fromisoformat(published[:10])
    found: dict[str, set[str]] = {}
    for m in _DAY_WORDS.finditer(text):
        if _DATED_AFTER.match(text, m.end()):
            continue
        if m.group(1):
            if not _bare_day(text, m):
                continue
            iso = _bare_day_date(pub, int(m.group(1)), to_come=bool(_TO_COME.search(text[max(0, m.start() - 8):m.start()])))
        else:
            iso = next((e.date for e in resolve_relative(m.group(0), pub.isoformat()) if e.date), None)
        if iso:
            found.setdefault(m.group(0), set()).add(iso)
    return {w: isos.pop() for w, isos in found.items() if len(isos) == 1}


# 当天 and 当日 mean the day the text named last ("新华社莫斯科8月18日电 俄罗斯国防部18日表示，俄方当天挫败
#了…"), not the day of publication: an answer that copies "当天凌晨" tells its reader nothing once the passage
# is out of sight. The day named last is a full or month-and-day date, a dated line (2023-08-08), a bare
# day of the month or a relative day word, in the same paragraph and at most ``SAME_DAY_REACH``
# characters before: further back, or across a paragraph, the day named may be another event's.
SAME_DAY_REACH = 300
_SAME_DAY = re.compile(r"当天|当日")
_NAMED_DAY = re.compile(r"(?<!\d)(\d{4})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})(?!\d)"
                        r"|(?:(\d{4})\s*年\s*)?(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
                        r"|(?<![\d.月])(\d{1,2})\s*[日号](?![\d前])|" + _RELATIVE_DAYS)


def _named_day(text: str, m: re.Match, pub: date | None) -> str | None:
    """The ISO day a ``_NAMED_DAY`` match means in an article published on ``pub``."""
    if m.group(1):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m.group(5):
        year = int(m.group(4)) if m.group(4) else pub.year if pub else None
        return _valid(year, int(m.group(5)), int(m.group(6))) if year else None
    if pub is None:
        return None
    if m.group(7):
        before = text[max(0, m.start() - 10):m.start()]
        if _LASTING_BEFORE.search(before) or _LASTING_AFTER.match(text, m.end()):
            return None
        return _bare_day_date(pub, int(m.group(7)), to_come=bool(_TO_COME.search(text[max(0, m.start() - 8):m.start()])))
    return next((e.date for e in resolve_relative(m.group(0), pub.isoformat()) if e.date), None)


def same_day_dates(text: str, published: str | None, within: tuple[int, int] | None = None) -> set[str]:
    """The ISO days the 当天 and 当日 of ``text`` (those inside ``within``, a (start, end) span, when
    it holds any) mean: each the day the text named last before it (``SAME_DAY_REACH``), read
    against ``published`` for a day without its year or month. Empty when one cannot be dated."""
    pub = date.fromisoformat(published[:10]) if published and len(published) >= 10 else None
    found = list(_SAME_DAY.finditer(text))
    if within and any(within[0] <= m.start() < within[1] for m in found):
        found = [m for m in found if within[0] <= m.start() < within[1]]
    days: set[str] = set()
    for m in found:
        start = max(0, m.start() - SAME_DAY_REACH, text.rfind("\n", 0, m.start()) + 1)
        named = list(_NAMED_DAY.finditer(text, start, m.start()))
        iso = _named_day(text, named[-1], pub) if named else None
        if not iso:
            return set()
        days.add(iso)
    return days


def writes_bare(text: str, word: str) -> bool:
    """Whether ``text`` writes the day word ``word`` as a day word (a bare "14日", not "7月14日")."""
    return any(m.group(0) == word and (not m.group(1) or _bare_day(text, m)) for m in _DAY_WORDS.finditer(text))


def date_day_words(text: str, days: dict[str, str]) -> str:
    """``text`` with each day word of ``days`` (word -> ISO day) followed by its date in words:
    "明天首次执飞" -> "明天（2023年8月4日）首次执飞", "14日举行" -> "14日（2023年8月14日）举行". A word the
    text already dates, a day with its month, and words inside quotation marks are left alone."""
    if not days:
        return text
    # A quotation is left as said: "“今天的成都…”" is someone's words, not the reporter's.
    quoted = [q.span() for q in _QUOTED.finditer(text)]

    def dated(m: re.Match) -> str:
        iso = days.get(m.group(0))
        if (not iso or _DATED_AFTER.match(text, m.end()) or (m.group(1) and not _bare_day(text, m))
                or any(a < m.start() < b for a, b in quoted)):
            return m.group(0)
        d = date.fromisoformat(iso)
        return f"{m.group(0)}（{d.year}年{d.month}月{d.day}日）"

    return _DAY_WORDS.sub(dated, text)


_ADDED_DATE = re.compile(r"（\d{4}年\d{1,2}月\d{1,2}日）")


def undated_day_words(text: str) -> str:
    """``text`` without the dates ``date_day_words`` added after its day words: the words the model wrote.
    A saved run keeps the shown answer, so re-judging it must read it as it was judged: "当日（2023年7月27日）"
    checked against a passage that writes only "7月27日" has a year no passage gives."""
    out, last = [], 0
    for m in _DAY_WORDS.finditer(text):
        added = _ADDED_DATE.match(text, m.end())
        if added:
            out.append(text[last:m.end()])
            last = added.end()
    out.append(text[last:])
    return "".join(out)
