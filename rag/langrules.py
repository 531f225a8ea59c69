"""Rules of written Chinese that the answer checks rely on, each stated with its reason.

Every check that reads an answer as language (citation verification, the kind and scope checks,
refusal and follow-up detection, the evaluation's answer matching) takes its rules from here, so a
rule is stated once, tested once (``tests/test_langrules.py``, cases written from news and
encyclopedia sentences outside the seed pages, including cases where the rule must not fire) and
changed in one place. ``RULES_VERSION`` changes whenever a rule does; the evaluation puts it in its
fingerprint so a resumed run cannot mix answers checked by two sets of rules.

Numbers: ``quantities`` reads every number of a text as a value with its unit, whatever the
script -- Arabic (``3,000``, ``5.5万``), Chinese (``十六``, ``两``, ``二〇二三``), percentages
(``百分之五`` and ``5%``), approximate forms (``3000余``, ``约5.5%``). Chinese numerals are turned
into values by ``cn2an`` (imported on first use: it costs ~0.3 s that ``import rag`` should not
pay). Its ``transform`` over a whole text is *not* used: it rewrites words that merely contain a
numeral character (一带一路 -> 1带1路, 十分重要 -> 10分重要) and leaves 两次 alone. Instead a
Chinese numeral counts only when a unit or classifier follows it (or it is a percentage), and only
that run is handed to ``cn2an.cn2an``.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterable, Sequence

from .textnorm import CJK, bigrams, compact, normalize, to_simplified

RULES_VERSION = "2026-12-07.198"

# --- numbers -------------------------------------------------------------------------------------

CN_DIGITS = "零〇○一二两三四五六七八九十百千万亿"
# Currency names that follow a sum. Each is its own unit: 5万美元 is not 5万元 (美金 is 美元 by
# another name, 港币 港元).
CURRENCIES = ("美元", "美金", "欧元", "英镑", "日元", "港元", "港币", "韩元", "卢布", "澳元", "加元", "法郎",
              "卢比", "比索", "新台币", "人民币")
_SAME_CURRENCY = ({"美元", "美金"}, {"港元", "港币"}, {"人民币", "元"})
# One measure, two or three names: 公里 and 千米 are the kilometre, km its symbol. Rule 151: Taiwan and
# Hong Kong write the metric units with 公 (公尺 the metre, 公分 the centimetre, 公厘 the millimetre, 公克
# the gram, 公升 the litre, 公吨 the tonne), and so does zh-Wikipedia text from there: "水深0.5至3公尺" is
# a depth and "体长52公分" a length (read off the second CMRC draw, r27: both refused as giving no length).
_SAME_MEASURE = ({"公里", "千米", "km"}, {"公斤", "千克", "kg"}, {"厘米", "cm", "公分"}, {"毫米", "mm", "公厘"},
                 {"克", "g", "公克"}, {"毫克", "mg"}, {"毫升", "ml"}, {"米", "公尺"}, {"升", "公升"}, {"吨", "公吨"},
                 {"平方米", "平方公尺"})
_TAIWAN_METRIC = ("平方公尺", "公尺", "公分", "公厘", "公克", "公升", "公吨")

# Why this list: a classifier or unit after a numeral is what makes it a quantity in Chinese
# ("十六支球队", "两周", "3处桥梁"); a bare Chinese numeral is usually part of a word (一些,
# 一带一路, 十分, 四地). Longer units first so "平方公里" is not read as "平方" + stray characters.
DOSE_UNITS = ("针", "剂")
UNITS = (
    "平方公里", "平方米", "公顷", "公里", "千米", "公斤", "千克", "个月", "小时", "分钟", "星期", "周年", "百分点",
    *_TAIWAN_METRIC,
    # Rule 117: a century is a unit of time (21世纪, 二十世纪); read bare, "21世纪教育研究院" answered "多少人"
    # (read off the twelfth news set's near misses).
    "世纪",
    "年", "月", "日", "号", "天", "周", "时", "岁",
    "个", "次", "件", "项", "家", "所", "名", "位", "人", "倍", "种", "条", "批", "座", "支", "处", "架", "艘",
    "头", "辆", "届", "期", "场", "台", "套", "户", "亩", "册", "本", "栋", "幢", "起", "宗", "份", "篇", "部",
    "只", "匹", "株", "棵", "颗", "枚", "张", "轮", "列", "元", "吨", "米", "层", "间", "例", "对", "双", "组",
    "类", "门", "款", "首", "幅", "所", "口", "员", "队", "回", "克", "升", "度", "级", "号", "块",
    # Temperatures (℃ and ℉ read as °c and °f after NFKC and lower case): "16.95℃" answers "多少度".
    "°c", "°f", "摄氏度", "华氏度",
    # Currencies: a sum in foreign money is a quantity like one in 元 ("五点五万美元", "1.42亿美金").
    *CURRENCIES,
    # The Latin symbols of the common measures, as car, sports and science news print them ("125km纯电续航",
    # "体重65kg"); each is the same unit as its Chinese name (``_SAME_MEASURE``, rule 56).
    "km", "kg", "cm", "mm", "厘米", "毫米",
    # Rule 76: grams, milligrams and millilitres too, as nutrition and health news print them ("每10g亚麻籽
    # 中含膳食纤维2.7g", read off the thirty-fifth set: the count of 克 was refused as missing). A symbol
    # is a unit only when no Latin letter follows it (16GB is memory, not grams), and a whole "g" figure
    # of 1 to 6 is a mobile network generation (5G), not grams (``_quantities``).
    "g", "mg", "ml", "毫克", "毫升",
    # Rule 78: episodes (集, and 话 as anime and manga number them), volumes (卷) and fish (尾) are counted
    # with classifiers of their own; without them "多少集" asked for no count, and "单行本全12册" was
    # shown for "How many episodes" (read off the thirty-fifth set).
    "集", "话", "卷", "尾",
    # Rule 173: doses are counted with 针 and 剂 ("需要接种3针", "两剂疫苗"). Read bare, "3针" was a bare figure,
    # which answers any count: "招募了多少名受试者" was answered with the doses a volunteer gets (read off r32's
    # confirmation news set).
    *DOSE_UNITS,
)
# 日元 after a day is the day and a festival ("1月1日元旦", "15日元宵节"), not yen. Rule 78's classifiers
# begin common words too ("三集团", "3尾款"): there they count nothing.
_WORD_AFTER = {"日元": "旦宵", "集": "团中体合市资成装聚训", "话": "题语剧筒费", "卷": "入烟发尺帘心轴",
               "尾": "声部巴气款号数随灯翼", "针": "对见灸织线头眼孔", "剂": "量型"}


def _unit_alternation(units: Iterable[str]) -> str:
    """The regex alternation of ``units``, longest first, each kept from beginning a longer word."""
    return "|".join(u + f"(?![{_WORD_AFTER[u]}])" if u in _WORD_AFTER else u + "(?![a-z])" if u.isascii() and u.isalpha()
                    else u for u in sorted(set(units), key=len, reverse=True))


_UNIT_RE = _unit_alternation(UNITS)

# Classifiers a "how many X" question may be answered with, and which counts compare as the same
# kind: "几座桥" is answered by "3处桥梁", "多少名选手" by "120人", "多少支球队" by "16个队";
# "多少名选手" is not answered by "50余项活动". 个 is the general classifier and joins most kinds.
CLASSIFIER_CLASSES: dict[str, str] = {
    # 例 counts cases, and a case of an illness or injury is a person ("发病多少人" -> "发病87例").
    "people": "名位人个口员例",
    "organisations": "家户所个座",
    "buildings and places": "座处个所栋幢",
    "events": "场次届期轮回",
    "items and cases": "件个项起宗例",
    "vehicles": "辆架艘台部列",
    "animals": "头只匹条尾",
    "teams": "支个队",
    "documents": "份篇部本册卷",
    # A serial's episodes: 集 on television, 话 in anime and manga, 回 in a chapter novel ("一百回本").
    "episodes": "集话回",
    "days": "天日",
    "weeks": "周星期",
    # Medals and coins are counted with 枚 or 块 ("几枚金牌" -> "4块金牌"), and medals with 面 too
    # ("最终产生出12面金牌", rule 54).
    "medals": "枚块面",
    "doses": "针剂",  # rule 173
}


def equivalent_units(unit: str) -> set[str]:
    """The classifiers that count the same kind of thing as ``unit`` (itself included)."""
    out = {unit}
    for members in CLASSIFIER_CLASSES.values():
        if unit in members:
            out |= set(members)
    if unit == "星期":
        out |= {"周"}
    for names in _SAME_CURRENCY + _SAME_MEASURE:
        if unit in names:
            out |= names
    # 度 is a temperature in either scale; °c and 摄氏度 are one scale, °f and 华氏度 the other.
    for scale in (_CELSIUS, _FAHRENHEIT):
        if unit in scale or unit == "度":
            out |= scale | {"度"}
    return out


_CELSIUS = frozenset(("°c", "摄氏度"))
_FAHRENHEIT = frozenset(("°f", "华氏度"))


_NUM = rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?|[{CN_DIGITS}]+(?:点[{CN_DIGITS}]+)?)"
# Prefixes that make a figure approximate: "约5.5%", "近3000人", "超过100家".
_APPROX_BEFORE = "约|近|大约|将近|接近|超过|逾|不到|上"


def _quantity_pattern(unit_re: str) -> "re.Pattern[str]":
    """A figure with its approximation words, magnitude and one unit of ``unit_re``."""
    return re.compile(
        # 余/多 may stand before the magnitude as well as after it: "140余万条" is over 1.4 million.
        # Some news sites space figures from the words around them ("销售收入为 342 亿欧元"): a space may
        # stand before the magnitude too, as before the unit.
        rf"(?P<pre>{_APPROX_BEFORE})?(?P<pct>百分之)?(?P<num>{_NUM})(?P<approx0>余|多)?(?:[ \u00a0\u3000]*(?P<mag>[万亿千]+))?(?P<approx>余|多)?"
        rf"\s*(?P<unit>%|‰|{unit_re})?"
    )


_QTY = _quantity_pattern(_UNIT_RE)
_TIME_UNITS = ("年", "月", "日", "号", "天", "周", "时", "小时", "分钟", "个月", "星期", "周年", "岁")
# A Chinese numeral with a magnitude is a number without a unit after it too ("率兵三万", "人口约二十五万",
# "投资一千二百亿"): digits before 百/千/万/亿 make no word, while a numeral character alone or a run
# without a leading digit does ("万一", "千万别", "百姓", "一二"). The magnitude must follow a digit, so
# 千万 and 万万 stay words.
_MAGNITUDE_NUMERAL = re.compile(r"[一二两三四五六七八九十][零〇一二两三四五六七八九十]*[百千万亿][零〇一二两三四五六七八九十百千万亿]*")
_MAGNITUDE = {"千": 1e3, "万": 1e4, "亿": 1e8}

_LONE_MAGNITUDE = {"百": 100.0, **_MAGNITUDE}

_cn2an_lock = threading.Lock()
_cn2an = None


def _cn_value(run: str) -> float | None:
    """The value of a Chinese numeral run (``十六``, ``二〇二三``, ``三点五``), or None."""
    global _cn2an
    with _cn2an_lock:
        if _cn2an is None:
            import cn2an  # lazy: see the module docstring

            _cn2an = cn2an
    run = run.replace("○", "〇")
    # cn2an reads a Chinese decimal ("五点五") but not one with a magnitude after it ("五点五万",
    # "一点二亿"): the magnitude is applied here.
    m = re.fullmatch(r"(.+点[零〇一二两三四五六七八九]+)([万亿]+)", run)
    if m:
        base = _cn_value(m.group(1))
        if base is None:
            return None
        for ch in m.group(2):
            base *= _MAGNITUDE[ch]
        return base
    try:
        value = _cn2an.cn2an(run, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        # cn2an rejects runs that are not one numeral ("一二", "万一"); digit-by-digit years
        # ("二〇二三") it reads itself, so a rejected run is a word, not a number.
        if all(ch in "零〇一二三四五六七八九" for ch in run) and len(run) >= 2:
            return float("".join(str("零一二三四五六七八九".index(ch) if ch != "〇" else 0) for ch in run))
        return None
    return float(value)


@dataclass(frozen=True)
class Quantity:
    """A number read from text: its value (magnitude applied), unit, and how it was written."""

    value: float
    unit: str  # classifier or unit after it ("支", "年", "%"), "" for a bare number
    approx: bool
    text: str
    start: int
    end: int

    @property
    def percent(self) -> bool:
        return self.unit in ("%", "‰")

    @property
    def year(self) -> bool:
        """A calendar year ("2023年", "二〇二三年"): four digits before 年."""
        return self.unit == "年" and 1000 <= self.value <= 2999 and float(self.value).is_integer()


def quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text`` (NFKC-normalised first), in order.

    A Chinese numeral counts only with a unit or classifier after it, or as 百分之N; an Arabic
    number counts bare too ("编号0971"). See the module docstring for why.
    """
    return list(_quantities(normalize(text)))


# Rule 184: lives are people: "4条生命", "两条人命" count people. The kind check and the scorer (through
# ``canonical_numbers``, which writes "4人生命") missed "4条生命" for 4人 (r32's twenty-seventh news set).
LIVES = ("生命", "人命", "性命")


# Each chunk is read once per sentence it is checked against; a small cache keeps that cheap.
@functools.lru_cache(maxsize=2048)
def _quantities(t: str) -> tuple[Quantity, ...]:
    out: list[Quantity] = []
    for m in _QTY.finditer(t):
        num, unit, end = m.group("num"), m.group("unit") or "", m.end()
        arabic = num[0].isdigit()
        if m.group("pct"):
            unit = "%"
        if not arabic and not unit and not _MAGNITUDE_NUMERAL.fullmatch(num + (m.group("mag") or "")):
            continue
        if unit == "块" and not arabic and t[m.end():m.end() + 1] in ("儿", "去", "来", "走"):
            continue  # "一块儿", "一块去": together, not a count
        if unit == "条" and t.startswith(LIVES, m.end()):
            unit = "人"  # rule 184
        if arabic:
            # A digit glued to Latin letters or an ASCII identifier is a code, not a figure ("GPT4").
            if m.start("num") > 0 and t[m.start("num") - 1].isascii() and t[m.start("num") - 1].isalpha():
                continue
            value = float(num.replace(",", ""))
            if unit == "g" and num.isdigit() and 1 <= value <= 6 and not m.group("mag"):
                # 5G, 4G: a network generation (rule 76); the figure stays, bare, as it was read before
                unit, end = "", m.end() - 1
        else:
            v = _cn_value(num)
            if v is None and num in _LONE_MAGNITUDE and (m.group("pre") or m.group("approx0") or m.group("approx")):
                # "千余人", "上千人", "近万名": a magnitude alone with an approximate marker is one of it.
                v = _LONE_MAGNITUDE[num]
            if v is None:
                continue
            value = v
        for ch in m.group("mag") or "":
            value *= _MAGNITUDE[ch]
        out.append(Quantity(value=value, unit=unit, approx=bool(m.group("pre") or m.group("approx0") or m.group("approx")),
                            text=t[m.start():end].rstrip(), start=m.start(), end=end))
    for m in _FINANCIAL.finditer(t):
        v = _cn_value(m.group("num"))
        if v is not None and not any(q.start <= m.start() < q.end for q in out):
            out.append(Quantity(value=v, unit="元" if m.group("unit") == "圆" else m.group("unit"), approx=False,
                                text=m.group(0), start=m.start(), end=m.end()))
    for m in _SPOKEN_MONEY.finditer(t):
        value = _spoken_money(m)
        if value is not None:
            out = [q for q in out if q.end <= m.start() or q.start >= m.end()]
            out.append(Quantity(value=value, unit="元", approx=False, text=m.group(0), start=m.start(), end=m.end()))
    for m in _AGE.finditer(t):
        v = _cn_value(m.group("num"))
        if v is not None and not any(q.start <= m.start("num") < q.end for q in out):
            out.append(Quantity(value=v, unit="岁", approx=False, text=m.group("num"), start=m.start("num"),
                                end=m.end()))
    for m in _TENTHS.finditer(t):
        if _is_tenths(t, m.start("num")):
            out.append(Quantity(value=10.0 * _cn_value(m.group("num")), unit="%", approx=bool(m.group("pre")),
                                text=m.group(0), start=m.start(), end=m.end()))
    return tuple(sorted(out, key=lambda x: x.start))


# Rule 171: prices are spoken in 块, 毛 and 分 as well as written in 元, 角 and 分: 两毛九 is 0.29元, 三块五 is
# 3.5元, 一块二毛 is 1.2元, 5毛钱 is 0.5元. Read as a classifier, 块 lost the 毛 after it (三块五 was 3 块) and 毛
# was no unit at all, so "茄子一斤卖多少钱" answered "两毛九" gave no amount of money (read off the twenty-seventh
# news set's first run). A 块 is money only with 钱 or a 毛 digit after it (一块地, 三块石头 are counts); a 分 only
# after 毛 or with 钱 (5分 is a score or minutes); a 角 after a Chinese numeral only with 钱 or 分 after it, since
# 三角 and 五角 are words (长三角, 三角洲, 五角大楼, 八角).
_DIGIT = r"[0-9一二两三四五六七八九]"
_SPOKEN_MONEY = re.compile(
    rf"(?P<yuan>(?:\d+|[一二两三四五六七八九十百千]+))块(?:(?P<j1>{_DIGIT})(?:(?:毛|角)(?:(?P<f1>{_DIGIT})分?)?)?(?:钱)?|钱)"
    rf"|(?<![\d一二两三四五六七八九十])(?P<jiao>{_DIGIT}毛|\d角|{_DIGIT}角(?=钱|{_DIGIT}分))(?:(?P<f2>{_DIGIT})(?:分)?)?(?:钱)?"
    rf"|(?<![\d一二两三四五六七八九十毛角])(?P<fen>{_DIGIT})分钱")


def _spoken_money(m: re.Match) -> float | None:
    """The value in 元 of a ``_SPOKEN_MONEY`` match, or None."""
    def digit(x: str | None) -> int:
        return 0 if not x else int(x) if x.isdigit() else int(_cn_value(x) or 0)

    if m.group("yuan"):
        yuan = float(m.group("yuan")) if m.group("yuan").isdigit() else _cn_value(m.group("yuan"))
        return None if yuan is None else round(yuan + digit(m.group("j1")) / 10 + digit(m.group("f1")) / 100, 2)
    if m.group("jiao"):
        return round(digit(m.group("jiao")[:-1]) / 10 + digit(m.group("f2")) / 100, 2)
    return round(digit(m.group("fen")) / 100, 2)


# Sums of money are also written in the financial numerals (大写数字: "奖励人民币壹万元", "叁仟伍佰元整"),
# which cannot be altered by a stroke. Several are common characters elsewhere (陆 in 大陆架 and 登陆场,
# 伍 in 队伍, 拾 in 收拾), so a run of them counts only before a currency, where they are a sum.
_FINANCIAL = re.compile(rf"(?P<num>[壹贰叁肆伍陆柒捌玖拾佰仟零万亿]+)(?P<unit>元|圆|{'|'.join(CURRENCIES)})")


# Rule 89: a biography gives an age as 时年/享年/终年 and a numeral with no 岁 after it ("时年三十一",
# "享年八十"): the numeral is an age in 岁, as "31岁" writes it. A numeral in words with no unit is
# otherwise no figure (see the module docstring); Arabic digits are read bare already.
_AGE = re.compile(r"(?:时年|享年|终年|卒年|殁年|得年|年仅|年方)(?P<num>[一二两三四五六七八九十百]+)(?![一二两三四五六七八九十百岁周年月日天])")

# Tenths are a percentage in words: "八成" is 80%, "两成" 20% ("超过八成俄罗斯人", "大约二成"). 成 also
# begins words after a numeral ("三成员国" is 三 + 成员国) and ends idioms (一成不变), so a numeral
# and 成 count only where jieba cuts them as one word.
_TENTHS = re.compile(rf"(?P<pre>{_APPROX_BEFORE})?(?P<num>[一二两三四五六七八九])成")


def _is_tenths(text: str, at: int) -> bool:
    from .sparse import load_jieba

    load_jieba()
    import jieba

    start = max(0, at - 3)
    pos = start
    for token in jieba.cut(text[start:at + 5]):
        if pos == at:
            return token == text[at:at + 2]
        pos += len(token)
    return False


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities state the same figure: equal values, compatible units.

    A percentage equals only a percentage (5% is not 5人); a bare number matches any unit (the
    chunk may write "共16支" where the answer repeats "16"); other units must count the same kind
    of thing (3处 = 3座, but 10册 is not 10月).
    """
    if abs(a.value - b.value) > 1e-9 * max(1.0, abs(a.value)):
        return False
    if a.percent != b.percent:
        return False
    if not a.unit or not b.unit:
        return True
    return b.unit in equivalent_units(a.unit)


# Rule 114: the same count is written with any classifier of its kind (4条蛇 and 4尾蛇, 3座桥 and 3处桥梁,
# ``CLASSIFIER_CLASSES``), and a claim that words the count with another classifier than its passage
# still states the passage's figure. ``same_quantity`` already compares them so; the support measure and
# rule 106 read text, so they read the claim with the passage's classifier (read off the tenth news
# set: "海关一共查出4条蛇" against "查获4尾活体宠物蛇" held no bigram of its claim).
def in_source_classifiers(claim: str, source: str) -> str:
    """``claim`` (NFKC-normalised) with each count that ``source`` writes only with another classifier
    of its kind rewritten with that classifier ("4条蛇" -> "4尾蛇" against "4尾活体宠物蛇")."""
    text = normalize(claim)
    counts = [q for q in quantities(text) if q.unit and not q.percent]
    if not counts:
        return text  # no count to reword
    have = canonical_numbers(source)
    for q in reversed(counts):
        if not q.text.endswith(q.unit) or canonical_numbers(q.text) in have:
            continue
        numeral = q.text[: len(q.text) - len(q.unit)]
        other = next((u for u in sorted(equivalent_units(q.unit) - {q.unit})
                      if canonical_numbers(numeral + u) in have), None)
        if other:
            text = text[: q.end - len(q.unit)] + other + text[q.end:]
    return text


def unmatched_quantities(claim: str, source: str, given: Iterable[Quantity] = ()) -> list[Quantity]:
    """The quantities of ``claim`` that ``source`` does not state (by value, whatever the script).

    ``given`` are quantities the question supplied (its years): context, not claims. A bare
    one-digit Arabic number is skipped: it is a list ordinal ("1.") far more often than a fact.
    """
    have = quantities(source)
    given = list(given)
    out = []
    claim_text = normalize(claim)
    for q in quantities(claim):
        if not q.unit and q.value < 10 and q.text.strip().isdigit():
            continue
        # "一个重要项目", "一家上市公司": 一 with a classifier is the indefinite article, not a count.
        if q.text == "一" + q.unit and q.unit not in _TIME_UNITS:
            continue
        if any(same_quantity(q, g) for g in given):
            continue
        if not any(same_quantity(q, h) for h in have) and not _written_as_code(claim_text, q, source):
            out.append(q)
    return out


# Rule 190: a bare number one space after a Latin word is that word's code when the source writes the two glued:
# "RFC 1918" is the rfc1918 a manual writes (a number glued to letters is a code, not a figure, in ``quantities``,
# so the spaced one was a figure the passage lacked and a right answer was refused: the manual set's first run,
# r34; training for it), "ISO 9001" ISO9001, "iPhone 15" iPhone15. Read only when the glued form is in the source.
_WORD_BEFORE = re.compile(r"([a-z]{2,})[ \u00a0]$")


def _written_as_code(claim: str, q: "Quantity", source: str) -> bool:
    m = _WORD_BEFORE.search(claim, max(0, q.start - 24), q.start)
    return bool(not q.unit and m and (m.group(1) + q.text.strip()) in compact(normalize(source)))


# An ordinal is a number whatever follows it: "第四修正案" is "第4修正案", "第十一子" "第11子", though no
# classifier follows the numeral (rule 57). Only the numeral after 第 is read, so 第一线 and 第一时间
# read the same in either text.
_ORDINAL = re.compile(rf"第([{CN_DIGITS}]+)")


def _ordinal_digits(m: re.Match, keep_below: float) -> str:
    value = _cn_value(m.group(1))
    if value is None or value < keep_below:
        return m.group(0)
    return f"第{value:.0f}" if float(value).is_integer() else m.group(0)


def canonical_numbers(text: str, keep_below: float = 0.0) -> str:
    """``text`` with every quantity written the one way answer matching compares.

    Chinese numerals become Arabic (十六支 -> 16支, 二〇二三年 -> 2023年, 百分之五 -> 5%), thousands
    separators go (3,000 -> 3000), and 多 after a figure becomes 余 (3000多份 -> 3000余份).
    ``keep_below``: counts under it (not percentages) stay as written. Citation support uses 10:
    a one-digit numeral in words is usually part of a phrase ("六个一工作法", "三个部分") that
    the chunk may write in other words, while years, large figures and percentages are facts
    written in either script (on eval/support_labels.jsonl converting every figure moved one
    supported and one unsupported sentence across the 0.45 threshold; converting from 10 up moved
    none across it, and one supported sentence below 0.55).
    """
    t = _ORDINAL.sub(lambda m: _ordinal_digits(m, keep_below), normalize(text))
    parts: list[str] = []
    pos = 0
    for q in quantities(t):
        if q.value < keep_below and not q.percent:
            continue
        parts.append(t[pos:q.start])
        m = _QTY.fullmatch(t[q.start:q.end])
        pre = (m.group("pre") or "") if m else ""
        num = m.group("num") if m else ""
        mag = (m.group("mag") or "") if m else ""
        if num[:1].isdigit():
            n = num.replace(",", "")
            # A zero-padded figure is the figure: "2023年07月23日" is 7月23日 (dates copied from a date line
            # are padded), "07人" is 7人.
            if len(n) > 1 and n.isdigit():
                n = n.lstrip("0") or "0"
        else:
            value = q.value
            for ch in mag:
                value /= _MAGNITUDE[ch]
            if not mag and value >= 1e4:
                # A Chinese numeral with its magnitude inside ("三万", "一千二百亿") is written with the
                # magnitude as a figure is ("3万", "1200亿"), the way answers restate it.
                mag = "亿" if value >= 1e8 else "万"
                value /= _MAGNITUDE[mag]
            n = f"{value:.4f}".rstrip("0").rstrip(".")
        unit = q.unit
        approx = bool(m and (m.group("approx0") or m.group("approx")))
        parts.append(f"{pre}{n}{mag}{'余' if approx else ''}{unit}")
        pos = q.end
    parts.append(t[pos:])
    return "".join(parts)


# --- citation markers ----------------------------------------------------------------------------

# The prompt asks for "[1]" after each sentence; small models also write "资料1", "资料编号为1".
# Sources are numbered 1..k with k at most a few dozen, so "资料" + a number is a citation only
# when the number is short and no unit, classifier, magnitude or decimal follows it: in
# "发放宣传资料3000余份" the number is a count of leaflets, not source 3000.
SOURCE_WORD_NUMBER = rf"\d{{1,2}}(?![\d.,%‰万亿千余多]|\s*(?:{_UNIT_RE}))"


# --- refusals ------------------------------------------------------------------------------------

# A refusal talks about the sources or about the assistant ("资料中没有提到…", "无法回答"); an
# answer that says something is *not* so ("该方案不包含东区的三个街道。") talks about the world and
# is an answer. So the subject decides, not the negative word.
_SOURCES = r"(?:所给|给出|提供|上述|以上|现有|给定)?的?(?:资料|材料|文章|文本|上下文|来源|参考资料|信息|内容|文档)"
_SOURCES_PREFIX = rf"(?:根据|在|从|按照)?\s*{_SOURCES}\s*(?:中|里|内)?\s*[，,]?\s*"
REFUSAL_SENTENCE = re.compile(
    r"^(?:抱歉|对不起|很抱歉)?[，,]?\s*"
    rf"(?:{_SOURCES_PREFIX}(?:并|均|都|尚|暂)?\s*"
    r"(?:没有|没|未|不|无)(?:有)?(?:找到|提到|提及|包含|涉及|给出|说明|记载|相关|关于|明确|具体|该|此|这)"
    rf"|(?:{_SOURCES_PREFIX})?(?:我)?(?:无法|不能|没法|难以)(?:回答|确定|找到|判断|给出|提供|得知|从)"
    r"|(?:没有|未)(?:检索到)"
    rf"|(?:{_SOURCES_PREFIX})?找不到"
    r"|not\s+mentioned"
    r"|(?:the\s+)?(?:provided\s+|given\s+)?(?:sources?|context|documents?|passages?)\s+(?:do|does)\s+not\s+(?:contain|mention|say|state|include)"
    r"|i\s+(?:cannot|can't|can\s+not|don't|do\s+not)\s+(?:answer|know|find|determine)"
    r"|(?:there\s+is\s+)?no\s+(?:relevant\s+)?information)",
    re.IGNORECASE,
)
# A refusal is one or two short sentences; a long text that opens with "资料中没有提到2022年，但…"
# goes on to answer something and is judged as an answer.
REFUSAL_MAX_CHARS = 60


# "Mentioned" has one subject in an answer: the sources. A clause that opens with "没有提到" or
# "并未提及" says what the sources lack even without naming them ("资料只提到2024年，没有提到2023年").
_SUBJECTLESS_MENTION = re.compile(r"^(?:但|但是|而|却)?\s*(?:并|均|都)?(?:没有|没|未)(?:有)?(?:提到|提及|说明|涉及|给出|记载)")
_CLAUSE = re.compile(r"[，,。；;！!？?\n]+")
_MARKER = re.compile(r"\[\s*\d+(?:\s*[,，、]\s*\d+)*\s*\]")


def is_refusal_text(text: str, refusal: str) -> bool:
    """Whether ``text`` is the refusal sentence, a close variant of it, or a bare "cannot answer".

    A short text is a refusal when its first clause is one, or when any clause is one and nothing
    in it is cited: "大桥于2023年建成[1]，资料没有提到具体日期。" answers with a caveat.
    """
    t = normalize(text).strip()
    core = normalize(refusal).strip("。. ")
    if core and core in t:
        return True
    if len(t) >= REFUSAL_MAX_CHARS:
        return False
    cited = _MARKER.search(t) is not None
    clauses = [c.strip() for c in _CLAUSE.split(_MARKER.sub("", t)) if c.strip()]
    for i, clause in enumerate(clauses):
        if REFUSAL_SENTENCE.match(clause) or (i > 0 and _SUBJECTLESS_MENTION.match(clause)):
            if i == 0 or not cited:
                return True
    return False


# --- follow-up questions -------------------------------------------------------------------------

# A follow-up leans on the previous turn by its shape: it opens with a pronoun or demonstrative
# (它/他们/这/该/其中…), with 那/那么/还有/另外 ("那城北区呢？"), or is an ellipsis that ends in 呢
# ("2022年呢？") or is too short to name its subject. A pronoun-like character elsewhere is not a
# follow-up: "其他省份的增长目标是什么？" names its subject (其他 = "other"), and so does
# "他们的家乡在哪里" only at the start.
_LEADING_REFERENCE = re.compile(
    r"^(?:那么|那|还有|另外|此外|然后|再|又|其中|其余|它们|它|他们|他|她们|她|这些|这个|这项|这次|这位|这家|这|"
    r"那些|那个|该|此|上述|前者|后者|and\b|what\s+about|how\s+about|and\s+what|it\b|they\b|he\b|she\b|its\b|their\b|"
    r"this\b|that\b|those\b|these\b)",
    re.IGNORECASE,
)
# 其他/其它 at the start means "other": not a reference (checked before the pattern above).
_NOT_REFERENCE = re.compile(r"^(?:其他|其它|这样|那样|此外还有什么)")
_ELLIPSIS_END = re.compile(r"(?:呢|吗呢)\s*[?？]?\s*$|^(?:and|what about)\b.*\?$", re.IGNORECASE)
# A question of at most this many letters cannot name a subject and a predicate ("多少人？", "哪年？").
FOLLOW_UP_MAX_CHARS = 4


# A yes/no question tests a claim ("…见博雷利是在布鲁塞尔吗", "不丹是1980年加入联合国的吗", "…是否…"):
# a place or time inside that claim is what is checked, and a correct answer may refute it with
# another ("在雅加达", "1971年"), so it does not scope the answer. What comes before the claim still
# does ("今年二季度印度…排第一的是小米吗": 今年, 印度). The claim starts at 是否/是不是, or at the last 是
# of a question that ends in 吗.
_TESTS_CLAIM = re.compile(r"是否|是不是")
_ENDS_IN_MA = re.compile(r"吗\s*[？?]?\s*$")
# Verbs that embed a real question in a yes/no frame: "知道…是哪一年…吗" asks for the year.
_ASKS_TO_TELL = re.compile(r"知道|清楚|了解|记得|告诉|说说|请问|问一下")


# A yes/no question in any of its usual shapes: a question ending in 吗 (unless it asks to be told
# something: "你知道…是哪一年…吗"), 是否/是不是/有没有/与否, a verb doubled around 不 (能不能, 会不会,
# 对不对), a question ending in 没有/了没, or an English question opening with an auxiliary.
# The forms that ask inside the question (a verb doubled around 不, 是否, 是不是, 有没有), which an answer
# must not carry back (rule 59, ``repeats_asking``).
_ASKING_FORMS = r"([\u4e00-\u9fff])不\1|是否|是不是|有没有"
_YES_NO = re.compile(
    rf"{_ASKING_FORMS}|与否|(?:没有|了没)\s*[？?]?\s*$|"
    r"^(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would)\b",
    re.IGNORECASE)


# Rule 187: an asking form that is the object of a verb of checking or finding out ("用哪个命令来检查一个文本
# 文件是不是 UTF-8 编码的", "怎么判断西瓜熟没熟", "如何确认账户是否被冻结") is an embedded question: the question
# itself asks with its wh-word (哪个命令, 怎么, 如何), so it is no yes/no question, and an answer may carry the
# embedded form back ("用 iconv 检查文本文件是不是 UTF-8 编码"). Both the verb (in the same clause, before the
# form) and a wh-word elsewhere in the question are needed: "检查结果是不是阳性" and "你能确认他是不是去了"
# still ask yes or no. Read off the first run of the manual set (round r34): training for it.
_FINDING_OUT = re.compile(r"检查|检测|判断|确认|确定|查看|看看|验证|核实|测试|辨别|分辨|区分|弄清|搞清|查明")
_WH_WORD = re.compile(r"哪|什么|谁|几|多少|怎么|怎样|如何|何时|为何")
def _embedded_asking(q: str, start: int, end: int) -> bool:
    """Whether the asking form at ``q[start:end]`` is embedded after a verb of finding out (rule 187)."""
    clause = _CLAUSE.split(q[:start])[-1]
    return bool(_FINDING_OUT.search(clause)) and bool(_WH_WORD.search(q[:start] + "\n" + q[end:]))


def _asks_with(m: re.Match) -> bool:
    """Whether a match of ``_YES_NO`` or ``_ASKING`` is the question's own asking form (not embedded)."""
    return not (re.fullmatch(_ASKING_FORMS, m.group(0)) and _embedded_asking(m.string, m.start(), m.end()))


def _tests_in_ma_frame(q: str) -> bool:
    """A question ending in 吗 that is not a request to be told something (see above)."""
    return bool(_ENDS_IN_MA.search(q)) and not _ASKS_TO_TELL.search(q)


def asks_yes_no(question: str) -> bool:
    """Whether ``question`` asks for a yes or a no (see above)."""
    q = to_simplified(normalize(question)).strip()
    if _ENDS_IN_MA.search(q):
        return _tests_in_ma_frame(q)
    return any(_asks_with(m) for m in _YES_NO.finditer(q))


def untested_part(question: str) -> str:
    """The part of ``question`` before the claim a yes/no question tests (see above); the whole
    question when it tests none."""
    m = _TESTS_CLAIM.search(question)
    if m:
        return question[:m.start()]
    if _ENDS_IN_MA.search(question) and "是" in question:
        return question[:question.rindex("是")]
    return question


# Why: a small model sometimes copies the question back as its answer ("…所在的商厦本身带不带专用烟道[1]。"),
# and the copy holds against the chunk that shares the question's words. An answer that still carries
# the yes/no question's own asking form (带不带, 是否, 是不是, 有没有) has not answered it (rule 59).
# Not the wh-words: a passage copied as the answer may write them ("增加到几个人时", "哪几件事"), and on
# the saved runs reading 几个 and 哪 cost two correct answers for one wrong one stopped.
_ASKING = re.compile(_ASKING_FORMS)


def repeats_asking(question: str, answer: str) -> str | None:
    """The question's asking form that ``answer`` repeats, or None."""
    have = compact(answer)
    for m in _ASKING.finditer(to_simplified(normalize(question))):
        if m.group(0) in have and _asks_with(m):
            return m.group(0)
    return None


def is_follow_up(question: str) -> bool:
    """Whether ``question`` leans on the previous turn (see the rule above)."""
    q = normalize(question).strip()
    q = re.sub(r"^[\s，,。.!！?？]+", "", q)
    if not q:
        return False
    letters = re.sub(r"[\W_]+", "", q)
    if len(letters) <= FOLLOW_UP_MAX_CHARS:
        return True
    if _NOT_REFERENCE.match(q):
        return False
    return bool(_LEADING_REFERENCE.match(q) or _ELLIPSIS_END.search(q))


# --- the language a question is written in ------------------------------------------------------

# Rule 70: a question is written in the language of its own words, not of the names it quotes. An
# English question often gives a Chinese name in brackets or quotes so that the reader knows which
# one is meant ("What was the original name of the footballer Su Jingyu (苏镜宇)?", "What does “内卷”
# mean?"); read as Chinese because it holds CJK characters, it was searched and gated as it stands
# and stopped at the relevance gate (the two such questions of the thirty-second set). So the
# bracketed and quoted parts are set aside first: what remains decides. A Chinese question quoting an
# English title ("《Sophie》一共播出了多少集", "Antichrist Superstar这首歌出自…") keeps CJK outside its
# quotes and stays Chinese, and a question with no Latin letters outside its quotes is Chinese.
_QUOTED = re.compile(r"\([^()]*\)|（[^（）]*）|“[^“”]*”|\"[^\"]*\"|《[^《》]*》|「[^「」]*」|『[^『』]*』|‘[^‘’]*’|【[^【】]*】")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CJK_CHAR = re.compile(f"[{CJK}]")


def mostly_latin(question: str) -> bool:
    """Whether ``question`` has more than twice as many Latin letters as CJK characters: asked mostly in
    English, so its Latin words are its language, not names ("What was 西宁's GDP growth?")."""
    return len(_LATIN_LETTER.findall(question)) > 2 * len(_CJK_CHAR.findall(question))


def written_in_english(question: str) -> bool:
    """Whether ``question`` is written in English: outside its brackets and quotes it has Latin
    letters and no CJK character (rule 70)."""
    own = _QUOTED.sub(" ", question)
    return bool(_LATIN_LETTER.search(own)) and not _CJK_CHAR.search(own)


# --- one claim in other words ---------------------------------------------------------------------

# Rule 72: "cannot" has several spellings that state the same claim: 不会飞, 不能飞, 无法飞行, 没法飞, 不可以
# 飞. An answer to "关岛秧鸡能飞吗" that says "关岛秧鸡不能飞" is the passage's "一种不会飞的鸟" in
# other words, yet its only own bigrams (鸡不, 不能) were not in the passage and it was refused as
# unsupported (the thirtieth set; training). Support reads them as one word. The positive forms (能,
# 会, 可以) are not folded: 会 is also a meeting and 能 energy.
_CANNOT = re.compile(r"不能够|不会|无法|没法|没办法|不可以")


def fold_cannot(text: str) -> str:
    """``text`` with each spelling of "cannot" written 不能 (rule 72)."""
    return _CANNOT.sub("不能", text)


# Rule 73: a claim states what its passage states, not its opposite. Bigram support cannot see a
# negation: "企鹅会飞" shares 企鹅 and 会飞 with "企鹅不会飞" (support 0.67). So a word the claim affirms
# that its passage writes only negated is a reversed claim. Only that way round: a passage often
# implies a negation without writing it, and "该药的口服吸收率极低，因此须以静脉注射" is the passage of the
# right answer "庆大霉素不能口服" (a training answer, refused when both ways were read). A word is
# negated when a negating word of jieba's stands right before it (不, 没有, 尚未, 无法, 不可 ...: whole
# words, so 不断, 不少, 不同 negate nothing); jieba's part-of-speech tags are not used, since it tags 飞
# and 上市 as nouns. One place in the passage with the claim's polarity is enough (a passage writing
# "他没有参加初赛，参加了决赛" supports "他参加了决赛"). "Cannot" is folded first (rule 72), so 不能飞
# and 不会飞 agree. On every saved run of r16 it changes no answer: a guard, not a gain.
NEGATORS = frozenset({"不", "没", "没有", "未", "未曾", "尚未", "并未", "从未", "从没", "别", "甭", "无法", "不能",
                      "不可", "不可以", "不要", "不用", "不必", "不得", "不再", "并非", "不是", "绝不", "决不",
                      "毫不", "从不", "并不", "也不", "都不", "还没", "还未", "仍未"})


# verify() reads one chunk against every sentence of an answer (and every chunk for inferred
# citations): each text is cut once, as _quantities caches its figures.
@functools.lru_cache(maxsize=2048)
def _polarities(text: str) -> "MappingProxyType[str, frozenset[bool]]":
    """Each CJK word of ``text`` (jieba's cut) with the polarities it is written in (True: negated);
    read-only, since it is cached."""
    from .sparse import load_jieba

    load_jieba()
    import jieba

    out: dict[str, set[bool]] = {}
    negated = False
    for word in jieba.cut(fold_cannot(normalize(text))):
        if not word.strip():
            continue
        if word in NEGATORS:
            negated = True
            continue
        if _CJK_CHAR.match(word):
            out.setdefault(word, set()).add(negated)
            if len(word) == 2 and word[0] in "能会" and _CJK_CHAR.match(word[1]):
                # jieba keeps a modal with a one-character verb (会飞, 能飞) and cuts 不能/飞: the verb
                # is read on its own too, so "企鹅会飞" meets "企鹅不能飞" on 飞.
                out.setdefault(word[1], set()).add(negated)
        negated = False
    return MappingProxyType({w: frozenset(ps) for w, ps in out.items()})


def reversed_words(claim: str, source: str) -> list[str]:
    """The words ``claim`` affirms that ``source`` writes only negated (rule 73)."""
    have = _polarities(source)
    return [w for w, ps in _polarities(claim).items() if False in ps and have.get(w) == {True}]


# --- speculation and unstated conclusions ----------------------------------------------------------

# Words that mark a guess ("可能", "推测", "或许", "应该是") or a conclusion drawn by the writer
# ("这表明", "由此可见", "意味着"). A sentence carrying one states something its source did not,
# whatever its word overlap; when the source itself uses the same word (a forecast quoted: "预计
# 可能出现降雨") the sentence only repeats it. "尽可能" / "可能性" are not guesses by the answer.
SPECULATION = re.compile(
    r"(?<!尽)可能(?!性)|推测|推断|猜测|或许|也许|大概|估计|应该是|想必|似乎|看来|恐怕"
    r"|这表明|这说明|这意味着|意味着|由此可见|可以看出|可见|说明了|表明了|因此可以|据此"
    r"|probably|perhaps|maybe|likely|suggests\s+that|this\s+(?:shows|means|indicates)",
    re.IGNORECASE,
)


# Why: a yes or a no alone ("不能。[1]", "可以。[1]", "是的[1]") states no fact a passage could hold, yet
# its one bigram (不能, 可以) is in most passages, so it "holds" with full support against a passage about
# something else ("我有痛风，还能不能喝啤酒" answered "不能。[1]" from a beer festival). A reply is
# verified through the fact it rests on; a bare yes or no is no claim of its own (rule 62), and an
# answer with no claim at all ("是[1]") is refused like one whose claims do not hold.
_REPLY_WORDS = (r"(?:是|是的|对|对的|不是|不对|有|没有|没|能|不能|可以|不可以|不行|行|会|不会|需要|不需要|要|不要|应该|不应该|"
                r"yes|no)")
_BARE_REPLY = re.compile(rf"^{_REPLY_WORDS}[。.!！]?$", re.IGNORECASE)


def is_bare_reply(sentence: str) -> bool:
    """Whether ``sentence`` (citation markers removed) is only a yes or a no."""
    return bool(_BARE_REPLY.match(compact(sentence)))


# Why: the model also answers a yes/no question by copying it without its asking word ("滕皇后是孙权的
# 妻子吗" -> "滕皇后是孙权的妻子。[1]", "有蹄类动物身上有颈阔肌吗" -> "有蹄类动物身上有颈阔肌。"). That is a
# bare yes in the question's own words: support is measured on what a sentence adds to the question
# (citations.verify), and it adds nothing, so the passage that merely names both 滕皇后 and 孙权 "holds"
# it. A sentence that adds no character bigram to the question (after a leading "是的，") is a bare
# reply (rule 65); one that adds a word of its own ("庆大霉素不能口服" to "能不能口服": 素不, "这是首次在非洲
# 举行") is verified as any claim. On every saved run it refused 3 wrong answers (the passages said no)
# and 1 right one ("是的，塞雷茨·卡马是博茨瓦纳的第一任总统", whose passage writes 首任: nothing it said was checked).
_LEADING_REPLY = re.compile(rf"^{_REPLY_WORDS}[，,、：:]", re.IGNORECASE)


def restates_question(question: str, sentence: str) -> bool:
    """Whether ``sentence`` (citation markers removed) answers the yes/no ``question`` by restating
    it: it adds no character bigram to the question's (see above)."""
    if not asks_yes_no(question):
        return False
    grams = set(bigrams(_LEADING_REPLY.sub("", compact(to_simplified(sentence)))))
    return bool(grams) and grams <= set(bigrams(to_simplified(question)))


# Rule 82: the same holds for a question asking what, who or where: an answer that adds no character
# bigram to the question ("希特勒 吞并奥地利 演讲 维也纳 广场名" -> "维也纳广场") names nothing the question
# did not, so it answers nothing, however well its passage "supports" it. Not for a question that
# offers its own choices (A还是B, "A和B哪个更…", "A与B谁…"), whose right answer is one of its words.
_OFFERS_CHOICES = re.compile(r"还是|(?:和|与|及|跟|、).*(?:哪|谁)|(?:哪|谁).*(?:和|与|及|跟|、)")
# Rule 181: "跟X一起", "和X一同", "与X共同" name a companion, not a choice: "跟毛不易一起合唱的是哪个歌手" asks
# for the other singer, and "毛不易" answers nothing (read off r33's first news set: training for it).
_COMPANION = re.compile(r"(?:和|与|跟|同)[^，,。？?！!、和与跟]{1,12}?(?:一起|一同|共同|一道)")


def adds_nothing(question: str, claims: str) -> bool:
    """Whether ``claims`` (the answer's held claims, markers removed) add no character bigram to a
    question that is neither yes/no nor a choice among its own words (rule 82)."""
    q = compact(to_simplified(question))
    if asks_yes_no(question) or _OFFERS_CHOICES.search(_COMPANION.sub("", q)):
        return False
    grams = set(bigrams(compact(to_simplified(claims))))
    return bool(grams) and grams <= set(bigrams(q))


# Rule 91: a yes or a no is about what the question names. An answer to a yes/no question that neither
# opens with a reply (是, 不是, 能, 没有 …) nor mentions any of the question's topic words or names answers
# another question: a sentence quoted from a passage about something else ("不丹是1980年加入联合国的吗" ->
# "吉格梅·多吉·旺楚克在20岁时确诊心脏病…", "每天都洗头会不会更容易掉头发" -> 明治政府's 断发令). Measured on the
# yes/no answers shown over every saved run: of those sharing nothing with the question, 3 wrong and 1
# off-topic, no correct one (the lowest correct ones share 0.07 and 0.15: a court's "驳回上诉，维持原判").
def misses_the_question(question: str, claims: str) -> bool:
    """Whether ``claims`` answer the yes/no ``question`` without a reply word and without any of its
    topic words or names (rule 91)."""
    if not asks_yes_no(question) or not claims.strip() or _LEADING_REPLY.match(compact(to_simplified(claims))):
        return False
    return question_words_share(question, claims) == 0


def speculation(claim: str, source: str) -> list[str]:
    """The guess or conclusion markers of ``claim`` that ``source`` does not itself use."""
    src = normalize(source)
    out = []
    for m in SPECULATION.finditer(normalize(claim)):
        word = m.group(0)
        if word not in src:
            out.append(word)
    return list(dict.fromkeys(out))


# Rule 74: a conclusion follows from premises about the same things. An answer that quotes a passage
# about something else and then concludes ("…体育让世界的联系更加紧密[1]。因此，成都和杭州更适合年轻人。",
# "…巴勒斯坦国大使馆及以色列大使馆[1]。因此，港澳通行证的签注用完了，不能在外地办理。") is a non
# sequitur: its point is the unsupported conclusion, and its supported sentences are about other
# things. A conclusion (因此, 所以, 综上 … at the start of a sentence) whose topic words and subjects
# none appear in the answer's supported sentences or the passage sentences supporting them rests on
# nothing said. A conclusion that compares what its premises state ("萨默塞特郡有两个城市，巴斯是最大
# 城市…[1]。因此，规模更大的是巴斯。") shares 巴斯 with them and stands.
CONCLUSION = re.compile(r"^\s*(?:综上所述|由此可见|总而言之|总的来说|因此|所以|因而|故而|综上|总之|可见)[，,：:\s]*")


def conclusion_terms(sentence: str) -> list[str] | None:
    """The topic words and subjects of ``sentence`` when it opens with a conclusion word, else None
    (rule 74)."""
    text = normalize(sentence)
    m = CONCLUSION.match(text)
    if not m:
        return None
    rest = text[m.end():]
    return list(dict.fromkeys([*topic_words(rest), *subjects(rest)]))


def follows_from(sentence: str, premises: Sequence[str]) -> bool:
    """False when ``sentence`` is a conclusion none of whose terms its ``premises`` mention (rule 74);
    True otherwise (not a conclusion, or a conclusion with no terms to look for)."""
    terms = conclusion_terms(sentence)
    if not terms:
        return True
    have = compact(" ".join(premises))
    return any(compact(t) in have for t in terms)


# --- names ---------------------------------------------------------------------------------------

# A person an answer names must be in its source (or in the question): a model filling a gap from
# memory names someone the passage never mentions ("新任总理是阿德恩"), and bigram overlap with the
# question's own words hides it. Names are jieba's person tags (nr, nrfg, nrt) of two or more
# characters; jieba also tags some common words as names ("高峰"), which is harmless when the
# answer copies its source's words, as the prompt asks. Places are left to the scope check: an
# answer adds its subject's district from the article's title ("城中区力争…"), and on the 58
# labelled pairs of eval/support_labels.jsonl a place rule voided 8 supported sentences.
_NAME_FLAGS = ("nr", "nrfg", "nrt")
_PLACE_SUFFIX = re.compile(r"(?:省|市|区|县|州|镇|乡|村)$")
_BEFORE_NAME = "和与及跟同于在从向对被把将由给"
_AFTER_NAME = "在于从向对把被将和与及跟同的是也都就又曾已便"


def names(text: str) -> list[str]:
    """Person names in ``text`` (two or more characters), in order, without repeats."""
    from .sparse import load_jieba

    load_jieba()  # initialises jieba once, quietly, under its lock
    import jieba.posseg as pseg

    out = [w.strip() for w, flag in pseg.cut(normalize(text)) if flag in _NAME_FLAGS and len(w.strip()) >= 2]
    return list(dict.fromkeys(out))


def unsupported_names(claim: str, source: str, given: str = "") -> list[str]:
    """The names of ``claim`` that neither ``source`` nor the question (``given``) contains."""
    have = compact(source + "\n" + given)
    out = []
    for name in names(claim):
        if name in have or _PLACE_SUFFIX.sub("", name) in have:
            continue
        # jieba's HMM glues a conjunction or preposition to the name after it ("…公司和德邦证券" gives
        # 和德邦, "于延宝五年" 于延宝), and a preposition or particle to the name before it ("潘淑在赤乌六年…"
        # gives 潘淑在, rule 88): they are not part of the name.
        if name[0] in _BEFORE_NAME and len(name) >= 3 and name[1:] in have:
            continue
        if name[-1] in _AFTER_NAME and len(name) >= 3 and name[:-1] in have:
            continue
        if _guess_across_words(name, claim, compact(source), given):
            continue
        out.append(name)
    return out


# Rule 157: an answer repeats the question's frame and puts the asked name in it, and jieba's HMM can guess a
# name across the seam: "孙权封王称帝后立孙登为太子" (asked "…称帝后立谁为太子？") gives the name 后立孙, 后立
# from the question and 孙 of 孙登, and its passage, which writes "称帝，立孙登为太子", was held to lack a name.
# Such a guess is two parts: one the question writes, next to the seam, and the rest, which with the
# character beyond it (the name the guess cut) the source writes (孙 + 登: 孙登). Both must hold: a name
# that merely shares a neighbour with the source ("向王伟颁发" against "向李伟颁发": 伟颁) has no part in
# the question, and a made-up name the source lacks leaves nothing the source writes.
def _guess_across_words(name: str, claim: str, source: str, given: str) -> bool:
    """Whether ``name``, a guess of jieba's HMM in ``claim``, is the question's words (``given``) glued
    to a name the ``source`` (compact) writes (rule 157)."""
    if not given or dictionary_tag(name) is not None:
        return False
    text, asked = normalize(claim), compact(given)
    at = text.find(name)
    if at < 0:
        return False
    after, before = text[at + len(name):at + len(name) + 1], text[at - 1:at] if at else ""
    for k in range(1, len(name)):
        head, tail = name[:k], name[k:]
        if head in asked and after and _CJK_WORD.match(after) and compact(tail + after) in source:
            return True
        if tail in asked and before and _CJK_WORD.match(before) and compact(before + head) in source:
            return True
    return False


# --- what a question is about ---------------------------------------------------------------------

# Why: a near miss (the passage that held the answer is gone) is answered from a passage about
# something else that happens to hold a figure of the asked kind: "丰田集团上半年全球销量" answered
# with 奥迪's 907111辆, "王永吉的谥号" with 朱翊镠's. Citation support cannot see it (the sentence is
# copied from its chunk) and the question's years and places may match. What gives it away is that
# the named thing the question is about -- a person, organisation, product, place or other proper
# name -- appears nowhere in the passage the answer rests on, nor in its article's title and
# opening. Subjects are jieba's proper-noun tags (nr*, ns, nt, nz) and Latin words; common words
# jieba also tags as names ("城市", "中国") are dropped by their idf in jieba's own table: below
# SUBJECT_MIN_IDF a word is too common to name one thing (城市 5.0, 上海 4.6, 成都 6.7; 丰田 8.6,
# 延吉 10.6, 王永吉 10.0). All-capital acronyms (GDP, APP, CPI) are left out: articles write them
# out in Chinese (国内生产总值) as often as not. jieba's HMM guesses unknown names ("联易融", "朱某"),
# which catch near misses; turning it off cost 2 near-miss catches and saved 1 correct answer on the
# complete generalisation run (runs/r3), so it stays on, and the date it glued to a name is cut off
# first (``unglue_figures``).
_SUBJECT_FLAGS = ("nr", "nrfg", "nrt", "ns", "nt", "nz", "eng")
SUBJECT_MIN_IDF = 8.0
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_CJK_WORD = re.compile(f"^[{CJK}]+$")


# 天 and 周 (not 周年, 周岁) count days and weeks: "4天班" gave the place 天班 ("一周只上四天班"). 强 after a
# number is a ranking's ("世界500强里顺丰的名次" gave the name 强里顺丰; rule 141).
_UNIT_AFTER_DIGITS = re.compile(rf"(\d\s*(?:[年月日号天强]|周(?![年岁])))(?=[{CJK}])")
_ORDINAL_AFTER_WORD = re.compile(rf"(?<=[{CJK}])(?=第\s*[\d{CN_DIGITS}几])")


def unglue_figures(text: str) -> str:
    """``text`` with a space after each digit-written date or day unit and before each ordinal's 第, so
    jieba's HMM cannot glue them to the word next to them ("6月30日利东邨" gave the name 日利东;
    "胡天衡第1次" gave the place 衡第: 第1次 is an ordinal, 胡天衡 the name)."""
    return _ORDINAL_AFTER_WORD.sub(" ", _UNIT_AFTER_DIGITS.sub(r"\1 ", text))


# A numeral before 国 counts countries ("中日韩三国", "欧盟五国", "东盟十国"); jieba's HMM glues the
# last name before it to the count (韩三国), which then reads as a place or a subject nobody writes.
_COUNTED_COUNTRIES = re.compile(f"[{CN_DIGITS}]国$")


def counts_countries(word: str) -> bool:
    """Whether ``word`` ends in a count of countries (韩三国, 欧盟五国) rather than naming a place."""
    return bool(_COUNTED_COUNTRIES.search(word))


# Words for family members and forms of address are common nouns, though jieba's dictionary tags
# some as names (老公, 阿姨, 岳父: nr) or places (哥哥: ns): "被老公丢在高速上的女子" is about a woman and
# her husband, whom the passage calls 丈夫. Neither a subject nor a place the passage must write.
KINSHIP_TERMS = frozenset(
    "老公 老婆 丈夫 妻子 爱人 老伴 爸爸 妈妈 父亲 母亲 爷爷 奶奶 外公 外婆 姥姥 姥爷 哥哥 姐姐 弟弟 妹妹 "
    "儿子 女儿 孙子 孙女 叔叔 阿姨 伯伯 伯父 伯母 舅舅 舅妈 姑姑 姑父 婶婶 姨妈 岳父 岳母 公公 婆婆 "
    "女婿 儿媳 媳妇 大哥 大姐 大爷 大妈 大叔 大娘 小哥 小伙 姑娘 宝妈 闺蜜".split())


def subjects(question: str) -> list[str]:
    """The proper names a question is about (see above), in order, without repeats."""
    return list(_subjects(question))


def word_idf(word: str) -> float:
    """jieba's idf of ``word`` (the table's median for a word it lacks): how rare, so how telling, a
    word is. One reading for the subject, topic and advice rules."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.analyse

    idf = jieba.analyse.default_tfidf
    return idf.idf_freq.get(word, idf.median_idf)


# Rule 152: jieba's HMM glues two names joined by 和, 与 or 及 into one word it guesses ("江文也和郭芝苑", tagged
# a place): that is two names and the conjunction, and a passage naming both names them (a passage on 郭芝苑
# and 江文也 was refused as never naming "江文也和郭芝苑"; read off the third CMRC draw, r27). Only a guess: the
# dictionary's words with 和 (共和国, 和平, 总和) stay whole.
_JOINED_NAMES = re.compile(f"([{CJK}]{{2,}})([和与及])([{CJK}]{{2,}})")


def split_joined_names(tokens: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(word, tag) tokens with each guessed word of two names joined by 和, 与 or 及 cut into the
    two names (keeping its tag) and the conjunction."""
    from .sparse import load_jieba

    jieba = load_jieba()
    out: list[tuple[str, str]] = []
    for w, flag in tokens:
        m = _JOINED_NAMES.fullmatch(w)
        if m and not jieba.dt.FREQ.get(w):
            out += [(m.group(1), flag), (m.group(2), "c"), (m.group(3), flag)]
        else:
            out.append((w, flag))
    return out


# The subject check asks for a question's subjects twice per answer (those missing, and all of
# them): cut the question once.
@functools.lru_cache(maxsize=1024)
def _subjects(question: str) -> tuple[str, ...]:
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    from .dates import question_range

    q = to_simplified(unicodedata.normalize("NFKC", question))  # case kept: GDP is an acronym
    # In a question asked mostly in English the Latin words are its language, not names the
    # Chinese passages would spell the same way.
    english = mostly_latin(q)
    # A title in book-title marks (《战争与和平》, 《本草纲目》) is a proper name whatever words it is
    # made of: a passage that never writes it is not about it (a passage on 罗素 that never names
    # 《战争与和平》 answered "《战争与和平》的作者是谁？" with 罗素).
    out = [m.group(1).strip() for m in BOOK_TITLE.finditer(q) if m.group(1).strip()]
    # Rule 120: so is a term in quotation marks ("“冻结金额”是什么意思", "“指鹿为马”里是谁…"): the
    # question asks about the term as a unit, and a passage that writes only its parts (冻结, 马) is
    # about something else.
    out += [m.group(1) for m in _QUOTED_TERM.finditer(q)]
    out += _guessed_companies(q)
    # Rule 107: a model code of letters and digits joined by hyphens is one name.
    codes = [] if english else _CODE.findall(q)
    out += codes
    for code in codes:
        q = q.replace(code, " ")
    for w, flag in split_joined_names(pseg.cut(unglue_figures(q))):
        w = w.strip()
        if flag not in _SUBJECT_FLAGS or len(w) < 2 or _ACRONYM.match(w):
            continue
        # A Latin word names something when it is capitalised or carries a digit (Excel, S20);
        # lower-case words in a Chinese question are descriptions ("green coverage").
        if w.isascii() and (english or not (w[0].isupper() or any(ch.isdigit() for ch in w))):
            continue
        if counts_countries(w) or w in KINSHIP_TERMS:
            continue
        if _CJK_WORD.match(w) and word_idf(w) < SUBJECT_MIN_IDF:
            continue
        if flag == "nz" and _verb_object(w):
            continue
        # jieba guesses some time words as names ("上周四" nr): a word rag.dates reads as a time
        # expression is when, not what, and the scope check owns it.
        if question_range(w, "2000-01-01") is not None:
            continue
        out.append(w)
    return tuple(dict.fromkeys(out))


# Rule 132: jieba's dictionary tags many verb phrases and terms as other proper nouns (nz): 达成协议,
# 兴修水利, 搜集情报, 妨碍交通. One made of a dictionary verb and a dictionary noun (达成 + 协议) is what
# someone did, not a name: "美国和伊朗达成协议…这笔钱冻结在哪个国家" named nothing a passage must write but
# its countries. A city before the noun keeps an event's name (遵义会议, 开封战役: jieba tags 遵义 and 开封
# verbs; rule 118).
def _verb_object(word: str) -> bool:
    from .gazetteer import is_city

    return any(dictionary_tag(word[:k]) == "v" and dictionary_tag(word[k:]) == "n" and not is_city(word[:k])
               for k in range(2, len(word) - 1))


# Rule 94: a company is named by a word of its own and what it does (新壹科技, 中唯集团, 利亚达化工): when
# jieba's dictionary does not know the word (its HMM guessed 新壹), the tagger cuts it into characters
# (新 a, 壹 m) and no proper-noun tag is left, so "新壹科技…推出的平台叫什么" had no subject, and a
# passage on 苹果's Ajax platform answered it. A guessed word of two or more characters right before
# a company noun names that company, which a passage about it writes.
_COMPANY_NOUNS = frozenset(("科技", "集团", "公司", "股份", "控股", "银行", "证券", "传媒", "医药", "智能",
                            "资本", "航空", "汽车", "电子", "网络", "化工", "实业", "物流", "地产", "能源"))


# Rule 107: a product or model code is letters and digits joined by hyphens (i7-13650HX, F-35,
# COVID-19, MH-370), and names one thing whole: jieba cuts it at the hyphen, and its first piece
# (i7) is named by every passage on another processor of the family ("i7-13700HX"), so a passage
# about another laptop answered "联想拯救者Y9000P新配置 i7-13650HX加RTX4060那版预售价多少". A passage
# names the code when it writes it with or without the hyphens, in either case (i7 13650HX).
# Dates and figures (2023-07-19, 3-5) have no letter; words (Wi-Fi, e-mail) no digit.
_CODE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*[A-Za-z])(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![A-Za-z0-9])")
_CODE_JOINS = re.compile(r"[-‐‑–—_\s]")


def _guessed_companies(question: str) -> list[str]:
    """Company names in ``question`` made of a word jieba's dictionary lacks and a company noun."""
    import jieba

    words = [w for w in jieba.cut(unglue_figures(question)) if w.strip()]
    return [w + nxt for w, nxt in zip(words, words[1:])
            if nxt in _COMPANY_NOUNS and len(w) >= 2 and _CJK_WORD.match(w) and not jieba.dt.FREQ.get(w)]


def dictionary_tag(word: str) -> str | None:
    """jieba's dictionary tag of ``word``, None for a word it does not list."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    return pseg.dt.word_tag_tab.get(word)


def book_titles(question: str) -> list[str]:
    """The titles in book-title marks of ``question``, read as ``_subjects`` reads the question
    (NFKC, simplified), so they compare with its subjects."""
    return [m.group(1) for m in BOOK_TITLE.finditer(to_simplified(unicodedata.normalize("NFKC", question)))]


def _haystack(texts: Iterable[str]) -> str:
    """``texts`` as one simplified string without whitespace, to look words up in."""
    return compact(to_simplified("\n".join(texts)))


# Rule 141: the characters jieba glues before a name (rule 88's) that are not also common surnames, and 里.
_GLUED_BEFORE_SUBJECT = "里" + "".join(c for c in _BEFORE_NAME if c not in "于向从由同将")


def missing_subjects(question: str, texts: Iterable[str]) -> list[str]:
    """The question's subjects that none of ``texts`` mentions. A Chinese subject of three or more
    characters also counts as mentioned by all but its last character: jieba cuts a name with the
    next character glued on ("王琦停贷" gives 王琦停). An organisation's abbreviation counts as
    mentioned by its full name (``abbreviates``: 人社部 by 人力资源和社会保障部)."""
    have = _haystack(texts)
    full_names = None  # the passages' organisation names, read once when first needed

    def named_as_abbreviation(key: str) -> bool:
        nonlocal full_names
        if not _ABBREVIATION.match(key):
            return False
        if full_names is None:
            full_names = organisation_names(have)
        return any(abbreviates(key, name) for name in full_names)

    # A title in book-title marks is named whole: the marks say where it ends, so no character of it
    # is jieba's glue, and 变形金刚 does not name 《变形记》 (rule 93). So is a word jieba's dictionary lists
    # (rule 100): its HMM glued nothing to it, and 银行 does not name 银行卡. Not a place, nor a word made
    # of a place and one character (中国队, 北京站): both are named by the place too.
    titles = {compact(t.strip()) for t in book_titles(question)}

    def whole(key: str) -> bool:
        tag = dictionary_tag(key)
        return key in titles or (tag is not None and "ns" not in (tag, dictionary_tag(key[:-1])))

    def mentioned(key: str) -> bool:
        if _CODE.fullmatch(key):
            return _CODE_JOINS.sub("", key).lower() in _CODE_JOINS.sub("", have).lower()
        if key in have or (len(key) >= 3 and _CJK_WORD.match(key) and not whole(key) and key[:-1] in have):
            return True
        # Rule 141: so does a character glued before it, a preposition or the localiser 里 ("500强里顺丰的
        # 名次" gives 里顺丰, "和德邦" as in rule 88), when the rest is named; not the ones that are also
        # common surnames (于, 向, 从, 由, 同, 将: 于东来 is a person, not 东来).
        if (len(key) >= 3 and _CJK_WORD.match(key) and not whole(key) and key[0] in _GLUED_BEFORE_SUBJECT
                and key[1:] in have):
            return True
        if named_as_abbreviation(key):
            return True
        # jieba glues two abbreviations that follow each other into one word ("文旅部工信部" for
        # 文化和旅游部 and 工业和信息化部): each part is named in its own right.
        return any(key[i - 1] in _ORG_HEAD_CHARS and key[-1] in _ORG_HEAD_CHARS
                   and named_as_abbreviation(key[:i]) and mentioned(key[i:])
                   for i in range(2, len(key) - 1))

    return [s for s in subjects(question) if not mentioned(compact(s))]


# Rule 150: a rare character the question writes outside any dictionary word is part of a name:
# jieba knows neither 钟惺 (cut 钟 + 惺的) nor 疣鹦嘴鱼 (疣 + 鹦嘴鱼) nor 禅那, so ``subjects`` finds no name
# there, and passages about 袁彭年, 钝头鹦嘴鱼 and 喇嘛 answered "钟惺的别号", "疣鹦嘴鱼以什么为食" and
# "禅那被译为什么" (CMRC annotators' near misses, r26). A passage about the thing writes its name, so
# it writes that character. "Rare" is read off jieba's dictionary: a character's weight is the summed
# frequency of the dictionary words that contain it (惺 645, 疣 200, 禅 2919; 鱼 51532, 钟 20614).
# ``RARE_CHARACTER_WEIGHT`` comes from every archived run re-judged with the rule at any weight
# (docs/QUALITY_LOG.md, r27): the answers it would refuse were two near misses at 200 and 645, then
# correct answers from 5971 up (帅 in 换帅, 偷); 2000 is about the geometric middle of that gap. Only
# characters of words the dictionary lacks (the HMM's guesses) or of single-character nouns and
# morphemes count: a rare verb (曝, 憋, 挪) is the asker's wording, which a passage says its own way.
RARE_CHARACTER_WEIGHT = 2000
_NAME_PART_TAGS = frozenset(("n", "ng", "g", "nr", "nrfg", "nrt", "ns", "nt", "nz", "x"))


def character_weight(ch: str) -> int:
    """The summed dictionary frequency of the jieba words containing ``ch`` (0 for a character
    no word contains)."""
    return _character_weights().get(ch, 0)


# Built once, on first use (~0.5 s over the ~500,000 entries of jieba's prefix dictionary); two
# threads asking at once may both build it, which costs time, not correctness.
@functools.lru_cache(maxsize=1)
def _character_weights() -> dict[str, int]:
    from .sparse import load_jieba

    jieba = load_jieba()
    weights: dict[str, int] = {}
    for word, freq in jieba.dt.FREQ.items():
        if freq > 0:
            for c in set(word):
                weights[c] = weights.get(c, 0) + freq
    return weights


@functools.lru_cache(maxsize=1024)
def rare_name_characters(question: str) -> tuple[str, ...]:
    """The rare Chinese characters (``RARE_CHARACTER_WEIGHT``) of ``question`` that stand in a word
    jieba's dictionary does not list or in a single-character noun or morpheme: parts of a name the
    dictionary does not know. Titles in book-title marks and quoted terms are left to ``subjects``."""
    from .sparse import load_jieba

    jieba = load_jieba()
    import jieba.posseg as pseg

    q = to_simplified(unicodedata.normalize("NFKC", question))
    q = BOOK_TITLE.sub(" ", _QUOTED_TERM.sub(" ", q))
    out: list[str] = []
    for w, flag in pseg.cut(q):
        known = bool(jieba.dt.FREQ.get(w))
        if known and not (len(w) == 1 and flag in _NAME_PART_TAGS):
            continue
        if not known and flag[:1] in ("v", "a", "d", "p", "c", "u", "r", "m", "q"):
            continue
        out += [c for c in w if _CJK_CHAR.match(c) and character_weight(c) < RARE_CHARACTER_WEIGHT]
    return tuple(dict.fromkeys(out))


def missing_name_characters(question: str, texts: Iterable[str]) -> list[str]:
    """The question's rare name characters (``rare_name_characters``) that none of ``texts`` writes."""
    chars = rare_name_characters(question)
    if not chars:
        return []
    have = _haystack(texts)
    return [c for c in chars if c not in have]


# --- other names of a country ----------------------------------------------------------------------
# Why: a country is written by its formal name in encyclopedias ("中华人民共和国1994年分税制改革"), as
# 我国 in a Chinese outlet's news ("我国汽车出口量"), and by the Hong Kong and Taiwan names in
# zh-Wikipedia text (纽西兰, 义大利, 澳洲); a question names it the common way (中国, 新西兰). The
# scope check looked for the question's word only and refused an answer whose passage names the
# country its own way. Each name below is that country and no other; a formal name that contains
# the common one (日本国, 俄罗斯联邦, 印度共和国) needs no entry. 我国 is China because every Chinese
# news outlet of the corpus writes from China; a source written elsewhere would use the country's name.
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "中国": ("中华人民共和国", "我国", "新中国"),
    "美国": ("美利坚合众国", "美利坚"),
    "英国": ("大不列颠及北爱尔兰联合王国", "联合王国"),
    "韩国": ("大韩民国", "南韩"),
    "朝鲜": ("北韩",),
    "德国": ("德意志联邦共和国", "德意志"),
    "法国": ("法兰西共和国", "法兰西"),
    "新西兰": ("纽西兰",),
    "意大利": ("义大利",),
    "澳大利亚": ("澳洲", "澳大利亚联邦"),
    "新加坡": ("星加坡", "星洲"),
    "阿联酋": ("阿拉伯联合酋长国",),
    "荷兰": ("尼德兰",),
}
# Rule 81: American states go by a short name of their first syllable and 州 (得州, 加州, 佛州), and their
# transliterations differ between the mainland and zh-Wikipedia (得克萨斯州, 德克萨斯州). A question that
# says 得州 about a passage on 德克萨斯州 was refused by the scope check twice (the thirty-first and
# thirty-sixth sets). Only the short names that belong to one state: 德州 is also a city in Shandong,
# 华州 and 新州 stand for more than one place.
_SAME_PLACE: tuple[tuple[str, ...], ...] = (
    ("得州", "得克萨斯州", "德克萨斯州", "得克萨斯", "德克萨斯"),
    ("加州", "加利福尼亚州", "加利福尼亚", "加里福尼亚州"),
    ("佛州", "佛罗里达州", "佛罗里达"),
    ("麻州", "马萨诸塞州", "麻萨诸塞州", "麻省"),
    ("宾州", "宾夕法尼亚州", "宾夕法尼亚"),
)


def place_names(place: str) -> tuple[str, ...]:
    """``place`` and the other names of the same country (``COUNTRY_NAMES``, its side: rule 123) or state
    (rule 81)."""
    others = [n for group in _SAME_PLACE if place in group for n in group if n != place]
    return tuple(dict.fromkeys((place, *COUNTRY_NAMES.get(place, ()), *others, *_side(place), *_travel(place))))


# Rule 123: news on talks and disputes names a country by its side, the first character of its name and
# 方 (美方, 中方, 俄方, 乌方: "美方对包括李家超…在内的中方人员实施…制裁" answers a question about 美国). A side may
# stand for two countries (巴方: 巴基斯坦 or 巴西), which only makes the scope check lenient where the text is
# ambiguous. A compass point and 方 is a direction (南方, 西方), never a side.
_COMPASS = frozenset("东西南北")


def _side(place: str) -> tuple[str, ...]:
    return (place[0] + "方",) if place[:1] not in _COMPASS and len(place) >= 2 and is_country(place) else ()


# Rule 129: a verb of going or staying joined to a country's one-character abbreviation names the
# country: 赴美 ("王天成2008年赴美" answers "去美国以后…"), 访华, 留日, 驻韩, 旅法, 抵俄. Only the
# abbreviations the press uses by themselves (a table, since 中国's is 华, not 中), and only these verbs:
# 在 and 来 are too often the first character of an unrelated word ("在美丽乡村", "近来华为").
_COUNTRY_ABBREVIATIONS = {"美国": "美", "日本": "日", "英国": "英", "法国": "法", "德国": "德", "俄罗斯": "俄",
                          "韩国": "韩", "朝鲜": "朝", "澳大利亚": "澳", "加拿大": "加", "意大利": "意", "印度": "印",
                          "泰国": "泰", "越南": "越", "中国": "华"}
_TRAVEL_VERBS = "赴访旅留驻抵"


def _travel(place: str) -> tuple[str, ...]:
    short = _COUNTRY_ABBREVIATIONS.get(place)
    return tuple(v + short for v in _TRAVEL_VERBS) if short else ()


# --- countries as rivals (rule 95) -----------------------------------------------------------------
# Why: a story about two countries' deals ("卡塔尔把猎豹高炮卖回德国 … 约旦也净赚8000万美元") lets a small
# model answer the question about one country with the other's figure. The scope check's rival rule
# compared places of one administrative level (城东区 against 城北区) and a country has no level
# suffix, so the sentence carrying 约旦's figure passed for a question about 卡塔尔 (its chunk names
# 卡塔尔 elsewhere). Countries are one level of their own: a sentence carrying the answer that names
# a country and none of the question's countries is about that one. The names are ISO 3166's in
# iso-codes' Chinese (pycountry: short, common and official forms) and ``COUNTRY_NAMES``; China's
# regions (香港, 澳门, 台湾) are no rival of 中国.
_NOT_RIVAL_COUNTRIES = ("HK", "MO", "TW")


@functools.lru_cache(maxsize=1)
def _country_names() -> frozenset[str]:
    import gettext

    import pycountry

    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    names = {n for group in COUNTRY_NAMES.items() for n in (group[0], *group[1])}
    for c in pycountry.countries:
        if c.alpha_2 in _NOT_RIVAL_COUNTRIES:
            continue
        for attr in ("name", "common_name", "official_name"):
            english = getattr(c, attr, None)
            chinese = zh.gettext(english) if english else ""
            if chinese and chinese != english:
                names.add(chinese)
    return frozenset(names)


def is_country(word: str) -> bool:
    """Whether ``word`` names a country (see above)."""
    return word in _country_names()


# A question that asks where ("哪个国家", "在哪里") is answered by a place it does not name.
_ASKS_PLACE = re.compile(r"哪(?:个|些|一)?(?:国家?|城市|[省市县区地里儿])|什么(?:地方|国家|城市)|何[处地]|在哪")


def asks_place(question: str) -> bool:
    """Whether the question asks for a place (the answer names one the question does not)."""
    return bool(_ASKS_PLACE.search(question))


# --- abbreviations of organisations ---------------------------------------------------------------
# Why: news and the people asking about it shorten an organisation's name to the first character
# of each word of it, in order (缩略语): 人力资源和社会保障部 -> 人社部, 国家发展和改革委员会 ->
# 发改委, 中央纪律检查委员会 -> 中纪委. A question that says 人社部 about a passage that writes the
# full name is about that passage (measured: fresh8's 源来好创业 question, refused by the subject
# check with the right answer). The rule: the abbreviation's first character starts the full name,
# its last character is in the name's head word (the organisation noun: 部, 委员会, 局 …, or a word
# jieba tags as an organisation), and all of its characters occur in the name in order. A full
# name is a run of content words joined at most by 和/与/及 and ending in such a head: "人们在社区
# 干部" is no name (在 breaks it, and 干部 is a common noun, not a head), and a place (城北区) is
# never an abbreviation of another (城东北区): no head word holds 区 or 县. A national body's short
# form drops its country (中国证券监督管理委员会 -> 证监会), a university's keeps 大 of 大学 (北大).
_ORG_HEADS = frozenset(("部", "委", "委员会", "局", "总局", "厅", "署", "院", "办", "办公室", "会", "协会",
                        "银行", "大学", "学院", "集团", "公司", "中心", "法院", "检察院", "联合会"))
_ABBREVIATION = re.compile(rf"^[{CJK}]{{2,4}}$")
_ORG_HEAD_CHARS = "部委局厅署院办会行学司团心"
# A national body drops its country from the short form (中国证券监督管理委员会 -> 证监会).
_NATIONAL = re.compile(r"^(?:中华人民共和国|中国|国家|全国)(?=.{3})")
_NAME_PART_FLAGS = ("n", "nt", "ns", "nz", "vn", "l", "j")
_NAME_JOINERS = ("和", "与", "及")
FULL_NAME_MAX_CHARS = 16


def organisation_names(text: str) -> list[str]:
    """Runs of ``text``'s words that can be an organisation's full name (see above), longest first
    from each starting word."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    words = [(w, f) for w, f in pseg.cut(text)]
    out = []
    for i, (w, f) in enumerate(words):
        if f not in _NAME_PART_FLAGS or not _CJK_WORD.match(w):
            continue
        run, joined = "", False
        for word, flag in words[i:]:
            joiner = word in _NAME_JOINERS and bool(run)
            # Rule 136: inside a name, after its first word, a verb is a name's word too: 中国物流与采购
            # 联合会, 中国保护消费者基金会 (jieba tags 采购 and 保护 verbs). A name still begins with a noun and
            # ends at a head, so "发布联合会" is none.
            part = flag in _NAME_PART_FLAGS or (flag == "v" and bool(run))
            if not joiner and (not part or not _CJK_WORD.match(word)):
                break
            run += word
            joined = joined or joiner
            if len(run) > FULL_NAME_MAX_CHARS:
                break
            # A noun glued to its head ("旅游部") ends a name only after a joiner (文化和旅游部): on its
            # own, "社会保障局" inside 人力资源和社会保障局 would make 社保局 read as that body's name.
            if not joiner and (word in _ORG_HEADS or (flag == "nt" and word[-1] in _ORG_HEAD_CHARS)
                               or (joined and _noun_and_head(word))):
                out.append((run, word))
    return out


def _noun_and_head(word: str) -> bool:
    """A word jieba made of a noun and an organisation head ("旅游部" in 文化和旅游部: 旅游 + 部);
    not 干部, whose 干 is no word of its own. It ends a name only after a joiner (see
    ``organisation_names``)."""
    import jieba

    return len(word) >= 3 and word[-1] in _ORG_HEAD_CHARS and bool(jieba.dt.FREQ.get(word[:-1]))


def abbreviates(short: str, name: tuple[str, str]) -> bool:
    """Whether ``short`` abbreviates ``name`` (the full name and its head word, as
    ``organisation_names`` gives them)."""
    full, head = name
    if short[-1] not in head:
        return False
    # A national body's short form drops its country (证监会) or keeps its first character (中物联 for
    # 中国物流与采购联合会: rule 136).
    return any(_initials_in_order(short, f) for f in dict.fromkeys((_NATIONAL.sub("", full), full)))


def _initials_in_order(short: str, full: str) -> bool:
    if len(full) <= len(short) or full[0] != short[0]:
        return False
    at = 0
    for ch in short:
        at = full.find(ch, at)
        if at < 0:
            return False
        at += 1
    return True


# --- what a question is about: its topic words ----------------------------------------------------------
# A passage that shares none of the question's content words is not about the question, however
# faithfully the answer quotes it: measured, the off-topic answers that passed every other check
# were verbatim sentences of unrelated passages ("在新家里，透过窗户就能看到…" for a sourdough
# starter, a helmet campaign for descaling a kettle). Topic words are the question's common nouns,
# Latin words, book titles, and its rarer verbs, adjectives and distinguishing words (jieba idf >=
# TOPIC_VERB_MIN_IDF, so 成立/判断/进行/主要 do not count); proper names are the subject check's, numbers and times the kind
# and scope checks'. The frame nouns of a question (时候, 原因, 数量…) say what is asked, not about what.
_TOPIC_FLAGS = {"n", "vn", "nw", "eng", "j", "l", "i"}
# Verbs, adjectives and distinguishing words (主要, 重要 are "b" like 野生) count only when rare.
_TOPIC_RARE_FLAGS = {"v", "a", "ad", "an", "vd", "b"}
TOPIC_VERB_MIN_IDF = 7.0
_FRAME_NOUNS = frozenset(
    "时候 时间 年份 日期 数量 人数 名字 名称 原因 方法 方式 内容 情况 问题 地方 地点 东西 部分 方面 "
    "资料 答案 规定 标准 作用 意思 结果 目的 特点 多少钱".split()
    # How long is asked with 多长 and 多长时间, which jieba lists as nouns (rule 101): "可以保存多长时间"
    # shared 时间 with a passage on frozen food.
    + "多长 多长时间".split()
    # Words that total a count are the frame of "how many", not its topic (jieba tags 一共 j, as if
    # an abbreviation): "徐福节一共办了几届" is about 徐福节.
    + "一共 总共 共计 合计 总计".split())
# A title in book-title marks, of two to thirty characters (a longer run is an unclosed mark, not a title);
# the one pattern for every rule that reads titles.
BOOK_TITLE = re.compile(r"《([^》]{2,30})》")
# A quoted term of two to twelve characters without punctuation inside (rule 120).
_QUOTED_TERM = re.compile(r"[“「『‘]([^“”「」『』‘’，,。、；;：:！!？?\s]{2,12})[”」』’]")
# Rule 85: a dimension noun asked for by amount ("全长多少", "海拔多高", "面积有多大") names the measure the
# answer's unit gives, which the kind check already asks for; a passage writes the figure with its unit
# and often without the noun ("长153千米", "高196米"), so it is not a topic word there. Three right answers
# were refused for 全长 (the thirty-fifth and thirty-ninth sets).
_DIMENSIONS = ("全长", "总长", "长度", "面积", "总面积", "高度", "海拔", "身高", "深度", "水深", "宽度",
               "重量", "体重", "直径", "周长",
               # Rule 87: the measures of animals, vessels and works, asked the same way ("体长大约多少",
               # "排水量是多少"); a passage writes "长18厘米", "满载9000吨".
               "体长", "身长", "翼展", "体积", "容积", "容量", "排水量", "厚度", "跨度", "半径", "射程", "口径")
DIMENSION_WORDS = frozenset(_DIMENSIONS)
_ASKED_DIMENSION = re.compile(rf"(?:{'|'.join(_DIMENSIONS)})\s*(?:是|为|约|大约|有)?\s*(?:多少|多长|多高|多大|多重|多宽|多深|几)")
# Rule 79: an A-not-A form (是不是, 好不好, 可不可以, 喜不喜欢, 去没去) is how a yes/no question asks, like 吗:
# it says nothing of the topic, and no passage answering the question need write it. jieba keeps some
# of them as one rare word (是不是 v, 好不好 a), which then counted as a topic word, the rarest one of
# "…是不是比别的毒株更强" (rule 45's bar).
_A_NOT_A = re.compile(r"^(.)[不没]\1.?$")
# The noun an interrogative determiner asks about ("哪个国家", "哪所大学", "什么学校", "何种材料") is the
# kind of the answer, not the question's topic: a passage names the answer (韩国, 剑桥大学), not
# always its kind, and a kind word shared by chance (国家, 公司) says nothing about the topic.
# "为什么" asks why and "多少个国家" counts countries: both leave the noun a topic word.
_ASKED_KIND = re.compile(r"(?:(?<!为)什么|何种|何|哪)(?:一)?(?:[个些种类家所位座支条部只款项届本首间国名样]|几[个家所位座支条部只款项届本首间名])?$")


# A machine translation of an English question sometimes leaves a common word in English ("在卢旺达湖上
# overloaded的船上有多少人？", "如何去掉被 stripped的螺丝？", "氨水制 soda工艺"). No Chinese passage writes
# it, so it is not a topic word of the translation. Names, acronyms and model numbers keep their
# capitals or digits (BRICS, Fitch, DDR5, iOS, Noctis V) and stay. Only for a translation: a
# question typed in Chinese with an English phrase ("如何冲泡 cold brew 咖啡？") means that phrase.
# A translated title stays a topic word although the translator renders it its own way ("The Big
# Sleep" became 《大睡魔》 where the passage writes 《长眠不醒》): dropping titles was measured to let
# as many off-topic answers through ("Who painted The Starry Night?" answered 毕卡索) as it saved.
_LEFTOVER = re.compile(r"(?<![A-Za-z0-9])[a-z]{3,}(?![A-Za-z0-9])")


def without_renderings(translation: str) -> str:
    """A translated question without the lower-case English words its translator left (see
    above); unchanged when it is still mostly English."""
    if mostly_latin(translation):
        return translation
    return _LEFTOVER.sub("", translation)


# Rule 193: a question may name the document it asks of: "按照手册的建议，一个好密码应该由几个字符组成", "这本参考手册
#覆盖了哪两个版本", "文章里提到的那家公司", "手册对新维护者挑选的程序有要求". The document is where the answer is, not
# what the question is about, and the passage that answers does not write 手册 (r34's manual sets: "按照手册的建议"
# was refused as advice about 手册). A document noun is read as the source when a preposition of basis (按照,
# 根据, 依照, 参照, 据, 照) or a demonstrative (这本, 这篇, 这份, 该, 本) comes before it, when a locative and a verb
# of saying follow it (里提到, 中说), or when it opens the question as the one who says (手册对…, 手册把…, 手册用…);
# with it goes what the document says of it ("的建议", "的说法").
# "员工手册一共发放了多少本" is about a handbook and keeps it.
_SOURCE_NOUN = "(?:参考手册|使用手册|用户手册|手册|文章|报道|文档|原文|本文|指南|说明书|教程)"
# What the document says, after it: "按照手册的建议" asks what the manual advises; 建议 is the source's word too.
_ITS_WORD = "(?:的(?:建议|说法|介绍|描述|规定|要求|解释))"
_SOURCE_REFERENCE = re.compile(
    rf"(?:按照|根据|依照|依据|参照|据|照)(?:这本|这篇|这份|这|该|本)?{_SOURCE_NOUN}{_ITS_WORD}?"
    rf"|(?:这本|这篇|这份|该|本)(?<!日本){_SOURCE_NOUN}{_ITS_WORD}?"
    rf"|{_SOURCE_NOUN}(?=[里中上]?(?:提到|提及|说|写|讲|介绍|建议|给出|认为))"
    rf"|^{_SOURCE_NOUN}(?=[对用把给将])")


def _source_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names the document it asks of (rule 193)."""
    return [m.span() for m in _SOURCE_REFERENCE.finditer(text)]


def topic_words(question: str) -> list[str]:
    """The question's topic words (see above), in order, without repeats."""
    return list(_topic_words(question))


# Rule 86: a word jieba's HMM guessed outside its dictionary is often a cut across two words ("和弓以握弓处"
# gives 以握 and 弓处, "神圣历把一年" gives 历把), so a passage writing the question's own text (握弓处,
# 神圣历) never holds the guess. Such a word is also mentioned by a bigram its cut split: its first
# character with the one before it, or its last with the one after, where neither is a function
# character (把, 以, 的 … join words, and a bigram with one is found anywhere) nor one of the question's
# frame (怎, 哪, 吗; the modal 要, 想, 能 and the 到 of 到现在, "想参加", "要怎么申请"), nor a demonstrative
# or classifier ("这款手游" cuts 手游 out of 款手, which "这款手机" writes).
_FUNCTION_CHARS = frozenset("的了是在为以把被和与及也都就而或之其所于向从对由将着过地得" "怎哪谁几什吗呢吧要想会能可该到"
                            "这那此每各个款种只位件")


# Rule 98: jieba tags some words that begin with a numeral as numerals (四季 m, 二手 m), though they count
# nothing: "地球上的四季是怎么形成的" then had 地球 as its only topic word, and a passage on the Earth's
# core answered it. Such a word is a topic word when it is rare enough (``TOPIC_VERB_MIN_IDF``, as for
# verbs: 一些, 十分, 千万 stay out), is not all numeral characters (十六) and holds no figure
# ``quantities`` reads (三次, 两周, 一员: counts, which the kind check owns). Nor one that opens with the
# asking 几 (几颗, 几家: jieba tags them m): the count asked for is the question's frame, which no passage
# writes ("快舟一号甲…一共送了几颗卫星上天" had 几颗 as a topic word, and its right answer "5颗" was refused;
# rule 109).
def _numeral_word(word: str, flag: str) -> bool:
    return (flag == "m" and _CJK_WORD.match(word) is not None and not all(ch in CN_DIGITS for ch in word)
            and not word.startswith("几") and word_idf(word) >= TOPIC_VERB_MIN_IDF and not quantities(word))


def _cut_bigrams(text: str, start: int, end: int) -> tuple[str, ...]:
    """The bigrams a guessed word at ``text[start:end]`` was cut out of (rule 86)."""
    pairs = [text[start - 1:start + 1] if start > 0 else "", text[end - 1:end + 1] if end < len(text) else ""]
    return tuple(p for p in pairs if len(p) == 2 and _CJK_WORD.match(p) and not set(p) & _FUNCTION_CHARS)


# Rule 155: the copula and the verbs of having and being somewhere (是, 有, 在, 为) begin a question's
# predicate, and jieba's HMM joins one to the character before it when that character ends a word it
# does not know: "向宠有什么作为" gives 宠有, "高豆莫是哪一年去世的" 莫是, "光在真空中" 光在. Such a guess is
# two halves of two words, never one a passage writes ("向宠…唯有向宠那一营" was refused for lacking 宠有;
# 5,332 eval questions hold 40 such guesses, none a word). It is no topic word; the name it cut stays a
# subject. Dictionary words ending so (老是, 于是, 还是, 总是, 现在, 认为) are words, and stay.
_PREDICATE_STARTS = frozenset("是有在为")


def _crosses_into_predicate(guessed: str) -> bool:
    """Whether a two-character word jieba's HMM guessed ends in a verb that begins the predicate."""
    return len(guessed) == 2 and guessed[1] in _PREDICATE_STARTS


_ADVERBIAL_PARTICLE = ("地", "uv")  # rule 194, in _topic_entries


def _topic_words(question: str) -> tuple[str, ...]:
    return tuple(w for w, _ in _topic_entries(question))


def _adverb_and_verb(word: str) -> bool:
    """Rule 144: a set phrase jieba lists whole (tag l or i) made of a dictionary adverb and a verb
    (尽快恢复, 及时处理) says how something is done, not what a question is about: in "嗓子哑了说不出话，
    怎么尽快恢复" the topic is 嗓子, and 尽快恢复, the rarest of its words, let a report on a town's
    recovery from a flood ("助力当地尽快恢复生产生活秩序") answer it."""
    return any(dictionary_tag(word[:k]) == "d" and dictionary_tag(word[k:]) == "v" for k in range(1, len(word)))


@functools.lru_cache(maxsize=1024)
def _topic_entries(question: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(topic word, other bigrams that mention it) for each topic word of ``question``."""
    from .sparse import load_jieba

    load_jieba()
    import jieba
    import jieba.posseg as pseg

    q = to_simplified(unicodedata.normalize("NFKC", question))
    # In a question asked mostly in English ("What was 西宁's GDP growth?") the Latin words are its
    # language, not words the Chinese passages would share (as for subjects).
    english = mostly_latin(q)
    out = [(m.group(1), ()) for m in BOOK_TITLE.finditer(q)]
    text, pos = unglue_figures(q), 0
    sources = _source_spans(text)
    tokens = list(pseg.cut(text))
    for k, (w, flag) in enumerate(tokens):
        preceding, pos = text[max(0, pos - 4):pos], pos + len(w)
        if any(a <= pos - len(w) and pos <= b for a, b in sources):
            continue
        # Rule 194: a word before the structural particle 地 (jieba's uv) is an adverbial, how the verb after it is
        # done ("要交互地更改…", "如何安全地删除旧内核"): not what the question is about, and the passage that
        # answers need not write it (it wrote "update-alternatives --config" for 交互地更改; read off r35's FAQ set,
        # training for it). 地 as a noun is part of its word (土地, 当地, 基地).
        if k + 1 < len(tokens) and tuple(tokens[k + 1]) == _ADVERBIAL_PARTICLE:
            continue
        w = w.strip()
        if len(w) < 2 or w in _FRAME_NOUNS or (w.isascii() and (english or len(w) < 3)) or _A_NOT_A.match(w):
            continue
        if w in _DIMENSIONS and _ASKED_DIMENSION.match(text, pos - len(w)):
            continue
        if flag.startswith("n") and _ASKED_KIND.search(preceding):
            continue
        if flag in ("l", "i") and _adverb_and_verb(w):
            continue
        if (flag in _TOPIC_FLAGS or (flag in _TOPIC_RARE_FLAGS and word_idf(w) >= TOPIC_VERB_MIN_IDF)
                or _numeral_word(w, flag)):
            if not any(ch.isdigit() for ch in w):
                guessed = _CJK_WORD.match(w) and not jieba.dt.FREQ.get(w)
                if guessed and _crosses_into_predicate(w):
                    continue
                out.append((w, _cut_bigrams(text, pos - len(w), pos) if guessed else ()))
    first: dict[str, tuple[str, ...]] = {}
    for w, alts in out:
        first.setdefault(w, alts)
    return tuple(first.items())


def common_topic_words_only(question: str) -> bool:
    """Whether every topic word of the question is a common one (jieba idf below
    ``TOPIC_VERB_MIN_IDF``: 生活, 情况-like words that many passages write and many do not)."""
    words = topic_words(question)
    return bool(words) and all(word_idf(w) < TOPIC_VERB_MIN_IDF for w in words)


def shares_topic(question: str, texts: Iterable[str]) -> bool:
    """Whether ``texts`` mention any topic word of the question (True when it has none). A Chinese
    word of three or more characters also counts by its first or last two ("收盘价" by 收盘,
    "多肉植物" by 多肉): passages write the same thing in shorter compounds."""
    return topic_coverage(question, texts) > 0


def dictionary_topic_words(question: str, skip: Iterable[str] = ()) -> list[str]:
    """The question's topic words that jieba's dictionary lists (or that a 《title》 names), without
    those containing a word of ``skip``. A word jieba's HMM guessed outside its dictionary ("运动完出了
    一身汗" gives 完出) is a cut across two words, not a word, so it is never among them."""
    from .sparse import load_jieba

    load_jieba()
    import jieba

    titles = set(book_titles(question))
    skip = tuple(skip)
    return [w for w in topic_words(question) if (jieba.dt.FREQ.get(w) or w in titles) and not any(k in w for k in skip)]


def rarest_topic_word(question: str, skip: Iterable[str] = ()) -> str | None:
    """The question's most specific topic word: the one of ``dictionary_topic_words`` with the highest
    idf (a word missing from the idf table counts at the median); None when it has none."""
    words = dictionary_topic_words(question, skip)
    return max(words, key=word_idf) if words else None


def mentions_word(word: str, texts: Iterable[str]) -> bool:
    """Whether ``texts`` mention ``word`` as ``shares_topic`` reads a mention."""
    return _mentions(compact(word).lower(), _haystack(texts).lower())


def topic_coverage(question: str, texts: Iterable[str]) -> float:
    """The share of the question's topic words that ``texts`` mention, each weighted by its jieba
    idf (a rare word says more about what is asked than a common one); 1.0 when the question has
    none. Mentioned as in ``shares_topic``."""
    share = _weighted_share(_topic_entries(question), "\n".join(texts))
    return 1.0 if share is None else share


def question_words_share(question: str, text: str) -> float | None:
    """The idf-weighted share of the question's topic words and subjects that ``text`` mentions;
    None when the question has neither (nothing to look for)."""
    entries = dict(_topic_entries(question))
    for s in subjects(question):
        entries.setdefault(s, ())
    return _weighted_share(tuple(entries.items()), text)


def _weighted_share(entries: Sequence[tuple[str, tuple[str, ...]]], text: str) -> float | None:
    """Over (word, other bigrams that mention it) pairs, as ``_topic_entries`` gives them."""
    if not entries:
        return None
    # The question's words are simplified (``_topic_words``); so are the passage's here: a CMRC
    # paragraph keeps variant characters ("AK-130舰砲" for 舰炮).
    have = compact(to_simplified(text)).lower()
    weights = {w: word_idf(w) for w, _ in entries}
    total = sum(weights.values())
    found = sum(weights[w] for w, alts in entries if _mentions(compact(w).lower(), have) or any(a in have for a in alts))
    return found / total if total else None


def _mentions(key: str, have: str) -> bool:
    return key in have or (len(key) >= 3 and bool(_CJK_WORD.match(key))
                           and any(p in have for p in (key[:2], key[-2:]) if not _too_common(p)))


# Rule 102: a part of a longer word stands for it only when the part says something: 时间 (jieba idf 4.1),
# 公司, 价格, 银行 are written in most passages, so "飞行后的时间差" was mentioned by a passage on a
# computer's 启动时间 and "如何克服时间差" answered from it. Parts below PART_MIN_IDF do not mention the
# word; 收盘 (6.1) still mentions 收盘价, 多肉 多肉植物.
PART_MIN_IDF = 5.0


def _too_common(part: str) -> bool:
    return word_idf(part) < PART_MIN_IDF


# --- what a question asks for ------------------------------------------------------------------------

def _starts_word(text: str, at: int, unit: str) -> bool:
    """Whether the classifier ``unit`` at ``at`` begins a longer word of ``text`` (jieba's cut):
    "多少本地群众" cuts 多少/本地/群众, so 本 is not the classifier it looks like; "多少本书" cuts
    多少/本/书."""
    from .sparse import load_jieba

    load_jieba()
    import jieba

    pos = 0
    for token in jieba.cut(text):
        if pos == at:
            # A word of jieba's dictionary (本地, 家庭, 个人), not one its HMM guessed from two
            # characters it does not know together: "多少克盐" cuts 多少/克盐, and 克盐 is no word, so 克
            # is the classifier (rule 75; an off-topic "每天吃多少克盐" was answered with 元 and passed).
            return len(token) > len(unit) and token.startswith(unit) and bool(jieba.dt.FREQ.get(token))
        if pos > at:
            return False
        pos += len(token)
    return False


# A level or grade is often written in Roman numerals (Ⅳ级应急响应, Ⅱ类水质, 第Ⅲ期); NFKC turns Ⅳ
# into IV. Such a numeral answers a count of 级, 类 or 期 as an Arabic one would.
_ROMAN_UNITS = ("级", "类", "期")
_ROMAN_LEVEL = re.compile(r"(?<![A-Za-z])[IVX]{1,4}\s*(?:级|类|期)")

ASKS_DAY = re.compile(r"哪一?天|几月几[日号]|几号|哪一?日|what\s+date|which\s+day", re.IGNORECASE)
# Rule 83: 年份 and 何年 ask for a year as 哪一年 does ("观念艺术 这个术语 正式确立 年份", "出版年份").
ASKS_YEAR = re.compile(r"哪一?年|几几年|年份|何年|which\s+year|what\s+year", re.IGNORECASE)
_MONEY_UNITS = frozenset(("元", *CURRENCIES))
ASKS_MONEY = re.compile(r"多少(?:钱|资金|经费|费用|投资|税款|罚款|奖金)|花了多少|价格是多少|售价是多少|\bhow\s+much\s+money\b",
                        re.IGNORECASE)
ASKS_TIME = re.compile(r"什么时候|何时|什么时间|\bwhen\b", re.IGNORECASE)
ASKS_AGE = re.compile(r"多大年纪|多大岁数|几岁|多少岁|年龄|how\s+old", re.IGNORECASE)
# "多少X"/"几X" with a classifier asks for a count of X ("多少支球队", "几座桥", "持续几周"); "哪几个"
# asks for names, "几月几日" for a date, "多少" alone ("人口是多少") for any figure.
# 千 before 米 or 克 is the unit's (多少千米 asks for kilometres, not thousands of metres).
ASKS_COUNT = re.compile(rf"(?:多少|(?<!哪)几)(?:十|百|千(?![米克])|万|亿)*\s*({_UNIT_RE})(?!民)")
ASKS_ORDINAL = re.compile(r"第(?:几|多少)")
ASKS_NUMBER = re.compile(r"多少|百分之几|how\s+(?:many|much)|what\s+percentage", re.IGNORECASE)
# Words that answer "哪一天" without a figure; "今年" does not.
DAY_WORDS = re.compile(r"今天|昨天|明天|前天|后天|当天|当日|同日|次日")
# "多久"/"多长时间" asks for a length of time: a figure with a time unit ("两年内", "2.3秒", "十几分钟",
# "一个半月"), half of one ("半小时"), a frequency for "多久一次" ("每周", "隔三天"), or a word that is
# a length of time ("长期", "片刻"). "多少天"/"几年" are counts and handled as such; "没多久"/"没过多久"
# ("shortly after") is narration, not a question about time.
ASKS_DURATION = re.compile(r"(?<![没不])(?<!没过)(?<!不过)多久|多长时间|多少时间|多长的时间")
DURATION = re.compile(
    rf"(?:{_NUM}|[几数多半])\s*(?:多|余|来|几)?\s*个?\s*半?\s*(?:年|月|周|星期|礼拜|天|日|小时|钟头|分钟|分|秒|旬|季度|世纪)"
    r"|半\s*个?\s*(?:小时|钟头|天|日|月|年)|[每隔]\s*\S{0,3}?(?:天|日|周|星期|月|年|小时)"
    r"|长期|短期|永久|终身|片刻|一会儿?|即时|立即|当天|当日"
)
# A calendar year or day is a point in time, not a length: "2009年" (a year of the modern calendar,
# unless "多/余/来/间/半" make it a count of years) and "8月17日" answer "什么时候", not "多久". A span
# between two years ("2020年至2023年") is a length.
_CALENDAR = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}\s*年(?!\s*(?:多|余|来|间|半|之久))|\d{1,2}\s*月\s*\d{1,2}\s*[日号]")
_YEAR_SPAN = re.compile(r"(?:1[89]|20)\d{2}\s*年?\s*(?:至|到|—|–|-|~)\s*(?:1[89]|20)\d{2}\s*年")
# Words of time that answer "什么时候" without a figure.
TIME_WORDS = re.compile(r"今年|去年|明年|前年|年[初底末中]|上午|下午|晚上|期间|以来|当天|当日|今天|昨天|明天|月[初底末中]|上旬|中旬|下旬")
# A length of time counted from now or from the event ("18个月内", "三天后", "两周之内", "半年以后") is
# a time too: it answers "什么时候"/"何时"/"when" as a date would, and a forecast or a deadline is
# usually written that way ("原型将在18个月内亮相"). It is no calendar year or day, so "哪一年" and
# "哪天" still want one. The figure must be a length (a count of time units), so "3人内" or "第三天后"
# is not one, and 前/后 must follow it: "前三年" is "the first three years".
RELATIVE_TIME = re.compile(
    rf"(?<!第)(?:{_NUM}|[几数半])\s*(?:多|余|来)?\s*个?\s*半?\s*(?:年|月|周|星期|天|日|小时|分钟|秒|季度)"
    r"\s*(?:之内|以内|之后|以后|内|后|之前|以前|前)")


# 个 is the general classifier: "多少个航班" is answered in the noun's own classifier ("8810班",
# "12架次", "3辆") or with a bare number before the noun, which the unit list cannot foresee. What
# still does not answer it is a time, a percentage or an amount of money or measure.
_NOT_COUNTS = frozenset("年 月 日 号 时 天 周 小时 分钟 个月 星期 周年 岁 % ‰ 百分点 元 吨 米 公里 千米 平方米 平方公里 公顷 亩 公斤 千克 克 升 度 "
                        "°c °f 摄氏度 华氏度".split()) | frozenset(CURRENCIES) | frozenset(_TAIWAN_METRIC)


# 几 asks no count where it is indefinite: after a demonstrative or a word of time ("这几天" these
# days, "近几年" the last few years, "前几名" the top few, "头几个月") and before 前, 后 or 来 ("几天前"
# some days ago, "几年来" for some years); "几年级" is a school grade and "多少年来" (for many
# years) is rhetorical. Rule 104: so is 几 after 好 ("冲走好几米", quite a few) and before a multiplier
# ("几十年", "几百名": tens, hundreds): a statement's figure, not the asking word ("被潮水冲走好几米 那段视频
# 是在哪个观潮点拍的" asks where, and its answer 老盐仓 was refused as giving no count of 米).
_INDEFINITE_BEFORE = frozenset("这那近前后头去最十好")
_INDEFINITE_AFTER = frozenset("前后来")
_MULTIPLIERS = frozenset("十百千万亿")
_NOT_YEARS_COUNT = re.compile(r"(?:几|多少)年(?:来|级|代|间)")  # matched at the 几 (``match(q, pos)``)
# What answers a count of years: a figure (or 几, 数, 多, 半) before 年 or 周年 ("成立75周年"), once
# calendar years are taken out.
_YEARS_COUNTED = re.compile(rf"(?:{_NUM}|[几数多半])\s*(?:多|余|来)?\s*个?\s*半?\s*周?年")


def _asked_count(q: str) -> re.Match | None:
    """The first "多少X"/"几X" of ``q`` that asks for a count (``ASKS_COUNT``), not an indefinite 几."""
    for m in ASKS_COUNT.finditer(q):
        if _NOT_YEARS_COUNT.match(q, m.start()):
            continue
        if q[m.start()] == "几" and (q[m.start() - 1:m.start()] in _INDEFINITE_BEFORE
                                     or q[m.end():m.end() + 1] in _INDEFINITE_AFTER
                                     or q[m.start() + 1:m.start() + 2] in _MULTIPLIERS):
            continue
        return m
    return None


def _counts(x: Quantity) -> bool:
    return x.unit not in _NOT_COUNTS


# Rule 124: the general classifier 个 stands for any other ("23个品类" answers 多少种, "3个村" 几座村庄), and any
# classifier answers 多少个 ("5家医院" for 多少个医疗机构): so far the kind check asked only that something be
# counted. The noun counted after the answer's classifier says what: one sharing no character with the
# question's counted noun is something else ("41个项目已开工" for 多少家企业, "7株暖地杓兰" for 传统村落有多少个,
# "15份合作备忘录" for 多少个国家). The question's noun is the one right after its classifier, or, where the
# classifier ends the question ("传统村落有多少个"), the one before 有/是/共. Without a noun on either side
# (共有5个，…; 获得通过) nothing is compared.
_BEFORE_COUNT = ("有", "是", "共", "一共", "总共", "共有", "一共有", "总共有", "约", "大约")


def _asked_noun(q: str, m: re.Match) -> str:
    """The noun a "多少X" of ``q`` counts (see above), or ""."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    after = [(w, f) for w, f in pseg.cut(re.split(r"[，,。？?！!\s]", q[m.end():])[0]) if w.strip()]
    if after:
        return _counted_words(q[m.end():]) if after[0][1].startswith("n") and _CJK_WORD.match(after[0][0]) else ""
    before = [(w, f) for w, f in pseg.cut(re.split(r"[，,。？?！!\s]", q[:m.start()])[-1]) if w.strip()]
    while before and before[-1][0] in _BEFORE_COUNT:
        before.pop()
    return before[-1][0] if before and before[-1][1].startswith("n") and _CJK_WORD.match(before[-1][0]) else ""


def _same_thing(asked: str, after: str, question: str = "") -> bool:
    """Whether the count whose text continues with ``after`` counts ``asked`` (rule 124): no noun on one
    side, or the words counted (up to the first verb, adverb, particle or conjunction: 项目 in "项目已开工",
    合作备忘录 in "合作备忘录和协议", a name jieba cuts into characters, 暖地杓兰) sharing a character with it. A
    one-character noun is the head of any (几个人: 9名官兵). Counted with a classifier of the asked one's kind,
    a thing the ``question`` itself names is what it counts too ("在多少家医院增设了临时献血点": 8个临时献血点)."""
    if len(asked) < 2:
        return True
    counted = _counted_words(after)
    return not counted or bool(set(counted) & set(asked)) or bool(question and counted in question)


def _counted_words(text: str) -> str:
    """The words a count at the start of ``text`` counts, across 的 ("23个品类的设备": 品类设备); see above."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    counted = ""
    for w, f in pseg.cut(re.split(r"[，,。；;、？?！!\s]", text)[0]):
        if w == "的" and counted:
            continue
        if not _CJK_WORD.match(w) or (f.startswith(_NOT_COUNTED_FLAGS) and f != "vn"):
            break
        counted += w
    return counted


# jieba's tags that end the words a count counts: verbs (not verbal nouns), adverbs, prepositions,
# particles, conjunctions, pronouns, numerals, classifiers, locatives and times.
_NOT_COUNTED_FLAGS = ("v", "d", "p", "u", "c", "r", "m", "q", "f", "t", "x", "w")


# A year of another calendar answers "哪一年" too: a common-era year of any size ("公元598年",
# "公元前221年", and "前119年" as encyclopedias shorten it: three or four digits after a 前 that
# begins a clause or follows a preposition (建于前753年), since "前3年" is "the first three years"
# and 提前 is a word), and a reign or era year, a name and its year in Chinese numerals ("开皇十八年",
# "洪武三年", "贞观元年", "民国三十年", "昭和二十年"). An era name is not told from a word by its jieba
# tag or idf (建兴 is tagged a verb, 时隔 a noun), so the rule is the shape: a count of years after a
# verb or a measure ("成立三年", "连续三年", "近三年") is excluded by the words that make it one.
# Rule 83: a three-digit year stands the same way, at the start of a clause or after a preposition
# ("：485年发生富阳唐寓之起兵叛乱", "于485年"), not after a verb or a measure ("持续了300年", "近100年").
_OTHER_CALENDAR = re.compile(
    rf"公元前?\s*\d+\s*年|(?:(?<=[于在至到自从约])|(?<![\u4e00-\u9fff\d]))"
    rf"(?:前?\s*[1-9]\d{{2}}\s*年(?![代度间底初中末内来前后多余])|前\s*\d{{4}}\s*年)"
    rf"|(?<![{CN_DIGITS}\d])(?<!成立|连续|持续|历时|时隔|相隔|长达|经过|为期|整整|坚持|前后|服刑|徒刑|已经|用了|过了|最近|将近|接近)"
    rf"(?<=[\u4e00-\u9fff]{{2}})(?:元|[一二三四五六七八九十]{{1,3}})年(?![代度间底初中末内来前后多余])")


# --- choice questions -------------------------------------------------------------------------------
# Why: "性转变是先雌后雄还是先雄后雌" names both answers; the answer repeats one of them
# ("…是先雌后雄"), and counting the question's words as its context (see citations.verify) leaves it
# no claim of its own, so its support fell to the share of the whole sentence (0.38, refused). In a
# choice question the alternatives around 还是 are what is asked, not context. The right alternative
# runs from 还是 to the end of its clause; the left one is taken as long as the right (the two sides
# of a choice are parallel: 先雌后雄 / 先雄后雌, 手动挡 / 自动挡).
_CHOICE = re.compile(r"还是([^，,。？?！!；;]+)")


def without_alternatives(question: str) -> str:
    """``question`` with the alternatives of a choice (X还是Y) taken out."""
    out = question
    for m in _CHOICE.finditer(question):
        right = m.group(1).rstrip("呢吗啊")
        left_end = m.start()
        left_start = max(0, left_end - len(right))
        out = out.replace(question[left_start:left_end] + "还是" + right, " ", 1)
    return out


# --- superlatives -----------------------------------------------------------------------------------
# Why: a question asking which thing is the most of something ("世界上最高的建筑是哪一座", "人体最大的
# 器官是什么") is answered only by a source that says so. A passage about one building or one planet
# lets the model put its own (or a wrong) name into the question's frame, and every other check
# passes: the name is in the passage, the frame is the question's. Measured over every saved run
# (the first time on fresh9, so it is training there): of 7 shown answers to such questions, the 2
# correct ones had the superlative in their supporting sentence ("最大日降雨量出现在…油坊村",
# "最早的…"), the 5 wrong ones did not (加拿大广场, 格利泽581b, 木星, 肝脏, 美国 for off-topic
# questions). Only the shape 最 + one character + 的, followed by a which/what/who word, asks for the
# superlative thing: "最长能做多少天" asks for a figure (sources say 可达, 不得超过), "最后看的" and
# "最近一次" are adverbs of time. A source may state the superlative as 第一 or 之最.
_ASKS_SUPERLATIVE = re.compile(r"最([\u4e00-\u9fff])的(?=.*(?:哪|什么|谁))")
_STATED_SUPERLATIVE = ("第一", "之最")


def asked_superlative(question: str) -> str | None:
    """The superlative a question asks to be identified (``最高``), or None."""
    m = _ASKS_SUPERLATIVE.search(to_simplified(normalize(question)))
    return "最" + m.group(1) if m else None


# The domain of a superlative is the place a locative names before it ("世界上面积最大的湖泊",
# "地球上现存体型最大的动物", "太阳系里离太阳最近的行星"): a source that says 微山湖 is the largest lake
# of 华北 does not say it is the world's. The domain is the noun before 上, 里 or 中 in the clause
# that holds the superlative; a question without one ("单日雨量最大的是哪个村") has none to check.
_SUPERLATIVE_DOMAIN = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:上|里|中)(?=[^，,。？?]*?最[\u4e00-\u9fff]的)")


# The world is written four ways, and a source ranking in any of them ranks in the world.
_WORLD = ("世界", "全球", "全世界", "地球")


def superlative_domain(question: str) -> str | None:
    """The place a superlative question ranks within (世界, 地球, 太阳系), or None."""
    if asked_superlative(question) is None:
        return None
    q = to_simplified(normalize(question))
    for m in _SUPERLATIVE_DOMAIN.finditer(q):
        if not _inside_word(q, m.end()):
            return m.group(1)
    return None


def _inside_word(text: str, end: int) -> bool:
    """Whether the locative ending at ``end`` (上, 里, 中) is cut by jieba as part of a longer word that
    is not itself a locative: 中心, 体育中心, 中学, 上海, 上市, 里程 (rule 115: "英国尼斯湖中心组织的…规模最大的…"
    has no domain 国尼斯湖; read off the twelfth news set). 上面, 里面, 中间 stay locatives."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    at = 0
    for w, flag in pseg.cut(text):
        if at + len(w) >= end:  # the word that holds the locative
            return len(w) > 1 and flag != "f"
        at += len(w)
    return False


def names_domain(domain: str, texts: Iterable[str]) -> bool:
    """Whether ``texts`` name the superlative's ``domain`` (any word for the world stands for it)."""
    have = _haystack(texts)
    forms = _WORLD if domain in _WORLD else (domain,)
    return any(f in have for f in forms)


# A source may rank within a part of the question's domain: "我国北方面积最大的淡水湖" does not say the
# lake is China's largest, nor "省内最高的山" the country's highest. A region word (a direction, a
# part of a country, or "within the province/city") just before the superlative in the source's
# clause narrows its domain, unless the question itself names that region.
_REGION_WORDS = (r"北方|南方|[东西南北中]部|东北|西北|西南|东南|华[北南东中]|境内|省内|市内|区内|县内|"
                 r"全省|全市|全区|全县|本省|本市")


def narrower_domain(question: str, superlative: str, texts: Iterable[str]) -> str | None:
    """The region word that narrows the source's ranking (``_REGION_WORDS`` right before
    ``superlative`` in its clause) and that the question does not name, or None."""
    q = to_simplified(normalize(question))
    pattern = re.compile(rf"({_REGION_WORDS})(?:地区)?[^，,。；;！!？?]{{0,6}}?{re.escape(superlative)}")
    for text in texts:
        t = to_simplified(normalize(text))
        for m in pattern.finditer(t):
            # "青海省内最高" asked of 青海: the region is the question's own place.
            if m.group(1) in q or t[max(0, m.start() - 2):m.start()] in q:
                continue
            return m.group(1)
    return None


# The ordinal is read as a value, in either script: "第1大城市" states 最大 as "第一大城市" does (rule 69).
_FIRST_ORDINAL = re.compile(r"第1(?![\d.])")


# Rule 96: news ranks by listing in order before 位列前三 (排名前五, 分列前三, 居前三位): "申万宏源、开源证券、
# 中泰证券位列前三，得分分别为147.03分…" states that its first member is the top one, with no 最 or 第一
# (read off the second news set's first run, training: "得分最高的是哪家券商" refused with the right
# 申万宏源). Only the first member is ranked top, so the answer must name it; a list of one is no ranking.
_RANKED_LIST = re.compile(rf"([^，,。；;：:！!？?]+?、[^，,。；;：:！!？?]+?)(?:位列|排名|名列|分列|位居|排在|居)前"
                          rf"[{CN_DIGITS}\d]+(?:名|位)?")


def ranks_first(claims: str, texts: Iterable[str]) -> bool:
    """Whether one of ``texts`` lists things in ranked order (see above) and ``claims`` names the first."""
    have = compact(to_simplified(claims))
    for text in texts:
        for m in _RANKED_LIST.finditer(to_simplified(normalize(text))):
            first = compact(m.group(1).split("、")[0])
            if len(first) >= 2 and first in have:
                return True
    return False


def states_superlative(superlative: str, texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` states ``superlative`` (or a 第一/第1/之最 that stands for it)."""
    have = _haystack(texts)
    return (superlative in have or any(w in have for w in _STATED_SUPERLATIVE)
            or bool(_FIRST_ORDINAL.search(canonical_numbers(have))))


# Rule 71: written Chinese also counts without a classifier, the numeral set right before the noun
# or one of its characters: "育有两子" (two sons) answers "有几个儿子", "育有二女" "几个女儿", "三校联合"
# "几所学校", "五国签署" "几个国家", "一子一女" "几个孩子". Read off the thirty-first set (training): "潘均顺
# 婚后育有两子" was refused as giving no count. The numeral and character must be one word of jieba's
# (两子, 三校, 五国, or a run of them: 一子一女), so a numeral that begins a longer word ("一方面" for
# "几个方面", "两国关系") or stands alone before a word ("三/学期" for "几所学校") counts nothing; nor
# does a numeral before a character the asked noun lacks ("育有两女" for "几个儿子").
_COUNTED = re.compile(rf"{_NUM}([{CJK}])")
_COUNT_WORD = re.compile(rf"(?:{_NUM}[{CJK}])+")


def _counted_by_noun(after: str, claims: str) -> bool:
    """Whether ``claims`` counts the noun that opens ``after`` (the question's text after its asking
    classifier: "儿子" in "几个儿子") with a numeral before one of its characters (rule 71)."""
    from .sparse import load_jieba

    load_jieba()
    import jieba

    noun = next((t for t in jieba.cut(after) if t.strip()), "")
    chars = "".join(ch for ch in noun if _CJK_CHAR.fullmatch(ch))
    if len(chars) < 2:
        return False  # a one-character noun (人, 次) is a unit quantities() already reads
    return any(_COUNT_WORD.fullmatch(token) and any(m.group(1) in chars for m in _COUNTED.finditer(token))
               for token in jieba.cut(normalize(claims)))


# Rule 126: a dimension asked by amount (rule 85's "面积有多大", "海拔多高", "全长多少") is answered in its unit: an
# area in 平方米, 亩 or 公顷, a length in 米 or 公里, a weight in 吨 or 公斤. "这些光束系统具有1万流明的超高亮度"
# gives a figure, but of brightness: it does not answer "那块投影屏面积有多大". The measure is read from the
# dimension noun; 容量 and 口径 are left out (a battery's 毫安时, a gun's 毫米 or 口径 in inches).
_MEASURES = {
    "area": (("面积", "总面积"), r"平方(?:米|公里|千米|英里|英尺|公尺)?|平米|亩|公顷|㎡|km2|m2"),
    "length": (("全长", "总长", "长度", "高度", "海拔", "身高", "深度", "水深", "宽度", "直径", "周长", "体长", "身长",
                "翼展", "厚度", "跨度", "半径", "射程"),
               r"(?:千|厘|毫|微|纳)?米|公里|公尺|公分|公厘|英尺|英寸|英里|海里|尺|丈|里|km|cm|mm|m\b|ft"),
    "weight": (("重量", "体重", "排水量"), r"公?吨|千克|公斤|公?克|斤|磅|kg|t\b"),
    "volume": (("体积", "容积"), r"立方(?:米|厘米|千米|公尺)?|公?升|方|m3"),
}
_FIGURE_BEFORE = r"(?:\d|[零〇一二两三四五六七八九十百千万亿])[\d.,]*\s*(?:多|余|万|亿|几)*\s*"
_MEASURED = {name: re.compile(_FIGURE_BEFORE + f"(?:{units})", re.IGNORECASE) for name, (_, units) in _MEASURES.items()}


# Rule 160: a superlative ranks by a dimension the noun before it names: "海拔最高" (altitude) and "纬度最高"
# (latitude) are two rankings, and "漠河机场是中国位置最北、纬度最高的民用机场" does not say it is the airport
# "海拔最高" (asked in r29's off-topic set). When the question names a dimension right before its superlative,
# and every place the supporting sentences state that superlative names another dimension right before it,
# they rank by something else. The dimensions are the measure nouns (``_MEASURES``, one measure counting as
# one dimension: 高度 and 海拔 are both heights) and the other quantities things are ranked by; a superlative
# with no dimension before it ("中国最高的机场", "世界最高峰") ranks by what the question says and passes.
_RANK_DIMENSIONS: dict[str, str] = {
    **{noun: name for name, (nouns, _) in _MEASURES.items() for noun in nouns},
    **{noun: noun for noun in ("纬度", "经度", "人口", "人数", "温度", "气温", "速度", "密度", "产量", "销量", "年龄",
                               "位置", "降水量", "降雨量", "票房", "市值", "营收", "收入", "价格", "排名", "得分")},
}
_DIMENSION_BEFORE = "|".join(sorted(_RANK_DIMENSIONS, key=len, reverse=True))


def other_dimension(question: str, superlative: str, texts: Iterable[str]) -> str | None:
    """The dimension the ``texts`` rank by where the question asks ``superlative`` of another one
    (rule 160), or None (same dimension, none named, or one stated plainly)."""
    q = to_simplified(normalize(question))
    asked = re.search(rf"({_DIMENSION_BEFORE}){re.escape(superlative)}", q)
    if not asked:
        return None
    have = _haystack(texts)
    stated = [m.start() for m in re.finditer(re.escape(superlative), have)]
    others = []
    for at in stated:
        before = re.search(rf"({_DIMENSION_BEFORE})$", have[:at])
        if not before or _RANK_DIMENSIONS[before.group(1)] == _RANK_DIMENSIONS[asked.group(1)]:
            return None
        others.append(before.group(1))
    return others[0] if others else None


def _asked_measure(question: str) -> str | None:
    """The measure ("area", "length", …) a question asks for by a dimension noun (rule 126), or None."""
    m = _ASKED_DIMENSION.search(question)
    if not m:
        return None
    return next((name for name, (nouns, _) in _MEASURES.items() if any(m.group(0).startswith(n) for n in nouns)), None)


# Rule 125: "分别" with a question of amount ("进口和出口分别是多少", "标准版和尊享版一年保费分别是多少") asks one figure
# for each thing named, so the answer gives two figures of one kind (219元 and 365元), or says they are the
# same (均为, 都是, 各). "北京地区上半年进出口总值1.79万亿元" gives one total: not an answer, though its figure
# has the kind asked.
_ASKS_EACH = re.compile(r"分别[^，,。？?]{0,8}(?:多少|几)")
_SAME_FOR_EACH = re.compile(r"均|都|各|同为|一样|相同")


def _asks_each(question: str) -> bool:
    return bool(_ASKS_EACH.search(question))


def _each_answered(qs: Sequence[Quantity], claims: str) -> bool:
    units = [x.unit for x in qs if not x.year and x.unit not in ("月", "日", "号", "时")]
    return bool(_SAME_FOR_EACH.search(claims)) or any(units.count(u) >= 2 for u in set(units))


_DAY_OF_MONTH = re.compile(r"月\s*$")


def missing_kind(question: str, claims: str) -> str | None:
    """What kind of answer the question wants and ``claims`` lacks ("a date", "a count of 支"...).

    ``claims`` is the answer's claims only (markers and source lead-ins removed).
    """
    q = normalize(question)
    if asks_yes_no(q) and not _ASKS_TO_TELL.search(q):
        # A question word inside a yes/no question is indefinite ("具体哪天推出已经定了吗": has a day
        # been set?), so it asks for no kind; unless it is a question someone is asked to tell
        # ("你知道他是哪一年出生的吗" asks for the year). Rule 119: in every yes/no shape, not only 吗:
        # "三星要赔多少钱公开了没有" asks whether the sum was made public ("具体和解金额尚未公布" answers it),
        # as do "有没有公布赔了多少钱" and "哪天开通是否已经确定".
        return None
    qs = quantities(claims)
    if _asks_each(q) and not _each_answered(qs, claims):
        return "a figure for each of the things asked"
    measure = _asked_measure(q)  # asked without a unit: "体重多少公斤" is a count of 公斤, below
    if measure and not _asked_count(q) and not _MEASURED[measure].search(normalize(claims)):
        return f"a measure of {measure}"
    if ASKS_AGE.search(q):
        return None if any(x.unit == "岁" for x in qs) or re.search(r"\d+\s*(?:years?\s+old)", claims, re.I) else "an age"
    if ASKS_DAY.search(q):
        ok = any(x.unit in ("日", "号") for x in qs) or DAY_WORDS.search(claims)
        return None if ok else "a date"
    if ASKS_YEAR.search(q):
        ok = any(x.year for x in qs) or re.search(r"今年|去年|明年|前年", claims) or \
            any(not x.unit and 1000 <= x.value <= 2999 for x in qs) or _OTHER_CALENDAR.search(normalize(claims))
        return None if ok else "a year"
    if ASKS_TIME.search(q):
        ok = any(x.unit in ("年", "月", "日", "号", "时") for x in qs) or TIME_WORDS.search(claims) \
            or RELATIVE_TIME.search(normalize(claims))
        return None if ok else "a time"
    if ASKS_DURATION.search(q):
        c = normalize(claims)
        return None if _YEAR_SPAN.search(c) or DURATION.search(_CALENDAR.sub(" ", c)) else "a length of time"
    if ASKS_ORDINAL.search(q):
        # "第几个儿子" wants a rank ("第十一子", "第3位"), whatever noun or classifier follows it.
        return None if re.search(rf"第\s*{_NUM}", normalize(claims)) else "a rank"
    m = _asked_count(q)
    if m and m.group(1) in _ROMAN_UNITS and _ROMAN_LEVEL.search(unicodedata.normalize("NFKC", claims)):
        return None  # "Ⅳ级应急响应" answers "几级"
    if m and _starts_word(q, m.start(1), m.group(1)):
        m = None  # "多少本地受灾群众", "多少家庭": 本 and 家 begin a word there, they count nothing
    if m and m.group(1) == "年":
        # "连着几年都达标了", "建了多少年": a count of years ("18年", "十几年"), not a calendar year.
        c = normalize(claims)
        return None if _YEAR_SPAN.search(c) or _YEARS_COUNTED.search(_CALENDAR.sub(" ", c)) else "a count of years"
    if m and m.group(1) in CURRENCIES:
        # Rule 147: "多少新台币", "多少美元" ask for a sum, as 多少钱 does (rule 84), and a sum in any currency
        # is that kind of answer: "募集32.55亿元新台币" writes the currency after 元. Whether it is the
        # right currency is the figure check's question (unmatched_quantities: 3亿元 is not 3亿美元).
        return None if any(x.unit in _MONEY_UNITS for x in qs if not x.year) else "an amount of money"
    if m and m.group(1) not in ("年", "月", "日", "号", "时"):
        want = equivalent_units(m.group(1))
        # A figure without any unit answers a count of things too: the noun is left out after it
        # ("约150万说瑶语" for 多少人, "共16参赛" for 多少支队伍). Not an amount of money or a measure
        # (多少亿元, 多少公里), and not a figure the question itself gives ("8·18"灾后…).
        given = {x.value for x in quantities(question)}
        bare = m.group(1) not in _NOT_COUNTS and any(not x.unit and not x.percent and x.value not in given for x in qs)
        # 个 is the general classifier the other way round too: "23个品类" answers "多少种", "3个村"
        # "几座村庄"; not a measure or a sum ("多少吨" wants 吨, which 个 is not).
        general = m.group(1) not in _NOT_COUNTS
        # Rule 124: ... but only of the thing asked: "41个项目" counts projects, not 多少家企业, and "15份合作备忘录"
        # documents, not 多少个国家.
        asked, c = _asked_noun(q, m), normalize(claims)

        def counts_it(x: Quantity) -> bool:
            if not (x.unit in want or (m.group(1) == "个" and _counts(x)) or (general and x.unit == "个")):
                return False
            # Rule 159: a 日 or 号 right after a month is a day of that month, a date, not a count of days:
            # "最后通牒是8月7日" does not say how many days an ultimatum gave ("是几天？"), "为期7日" does.
            if x.unit in ("日", "号") and _DAY_OF_MONTH.search(c[:x.start]):
                return False
            return (x.unit == m.group(1) or "个" not in (x.unit, m.group(1))
                    or _same_thing(asked, c[x.end:], q if x.unit in want else ""))

        if not bare and not any(counts_it(x) for x in qs) and not (general and _counted_by_noun(q[m.end():], claims)):
            return f"a count of {m.group(1)}"
        return None
    # Rule 84: "多少钱" (资金, 经费, 费用) asks for a sum: a figure in a currency, or a bare one ("30万"), answers
    # it; a count of something else does not ("坚持'三个导向'" for "投资规模预计要超过多少钱").
    if not m and ASKS_MONEY.search(q):
        ok = any(x.unit in _MONEY_UNITS or (not x.unit and not x.percent) for x in qs if not x.year)
        if ok and _PRICE_ASKED.search(q) and not _CHANGE_ASKED.search(q) and _only_changes(qs, normalize(claims)):
            return "a price, and the answer gives only a change of it"
        return None if ok else "an amount of money"
    # "多少" asks for an amount; a calendar year is a time, so an answer whose only figures are years
    # ("已降至1992年以来的最低水平" for "收视率跌到了多少") gives none. Questions asking when are
    # handled above; "多少年" is a count of years, which "3年" answers and "1992年" does not.
    if (m or ASKS_NUMBER.search(q)) and all(x.year for x in qs):
        return "a number"
    if not m and _ASKS_RATE.search(q) and not _SHARE.search(normalize(claims)):
        return "a rate (a share: a percentage, a fraction or 成)"
    return None


# Rule 188: a rate or share asked with 多少 or 几 ("年利率是多少", "投票率是多少", "覆盖率提高到了多少", "命中率
# 几成") is answered by a share: a percentage, 个百分点, a fraction (二十万分之一), 成 or a number of basis points;
# a sum or a count is another quantity ("提取额度提高至每人2700元/月" for "公积金贷款的年利率是多少", read off r34's
# off-topic set: training for it). Not the rates that are measures of their own (汇率 7.1, 频率 in 赫兹, 功率 in
# 马力, 速率, 码率, 帧率, 分辨率, 折射率, 曲率, 斜率, 倍率, 比率 as 3:1). Over the eval questions asking a rate
# with 多少, every gold answer is such a share.
_ASKS_RATE = re.compile(r"(?<![汇频功速码帧辨射曲斜倍比])率[^，,。？?]{0,8}?(?:多少|几)")
_SHARE = re.compile(r"%|％|‰|百分|千分|万分|分之|[一二两三四五六七八九十\d]成|基点|\bbp\b|percent", re.IGNORECASE)


# Rule 139: a question asking what something sells or costs for ("Model S现车调完以后卖多少钱", "售价是多少")
# asks a price, and a sum right after a word of change (降价5.4万-7万元, 优惠2000元, 上调300元) is how much the
# price moved, not the price. Not when the question asks the change itself (降了多少, 便宜了多少, 比…贵多少).
_PRICE_ASKED = re.compile(r"卖多少钱|售价|价格是多少|价格多少|价钱|多少钱一|定价|起售价|报价|标价|(?:卖|售|要|花|值)多少钱")
_CHANGE_ASKED = re.compile(r"[降涨减省便宜贵调]了|(?:降|涨|调|优惠|便宜|省|减|补贴|差)(?:价)?多少|差价|"
                           r"比[^，,。？?]{0,15}(?:多|少|贵|便宜|高|低)|少了|多了")
_CHANGE_BEFORE = re.compile(r"(?:降价|下调|上调|调低|调高|调降|涨价|优惠|便宜|降低|提高|减少|增加|让利|补贴|直降|立减|"
                            r"降|涨|省|减)(?:了|约|近|超|达|幅度为|幅度达)?\s*$")
_RANGE_JOIN = re.compile(r"[-－~～—至到]\s*$")


def _only_changes(qs: Sequence["Quantity"], claims: str) -> bool:
    """Whether every sum of ``qs`` in ``claims`` follows a word of change (the second figure of a
    range "5.4万-7万元" as its first does)."""
    sums = [x for x in qs if not x.year and not x.percent and (x.unit in _MONEY_UNITS or not x.unit)]
    if not sums:
        return False
    change = False
    for x in sums:
        before = claims[max(0, x.start - 8):x.start]
        change = bool(_CHANGE_BEFORE.search(before) or (change and _RANGE_JOIN.search(before)))
        if not change:
            return False
    return True


# --- advice and decision questions ------------------------------------------------------------------
# Why: a question asking what to do ("微波炉里有焦味，怎么去掉", "领导周末发微信要不要马上回复", "学车选
# 手动挡还是自动挡") describes the asker's own situation in several words, and an article answers it
# only when it is about that situation. A passage that shares one of those words (微波炉 in a list of a
# rest stop's appliances, 邻居 in a story about neighbours playing mahjong) passes the topic check
# (``shares_topic``: any one word), and a faithful quote of it is shown as the answer. Over the saved
# off-topic runs these were most of the off-topic answers still shown (17 of 27 from the sixth to the
# fourteenth set); a factual question about the same articles is not of this shape. So for this shape
# the supporting passages must mention a share of its topic words (``ADVICE_MIN_TOPIC_COVERAGE``,
# ``topic_coverage``), as a passage giving advice on that situation does.
# The shape: the asker weighs whether to do something (要不要, 该不该, 值不值得, 有没有必要 …, "should
# I"), chooses between options by what is better (A好还是B好, 选A还是B), or asks how to deal with
# something (怎么办, 怎么/如何/怎样 + a verb, what to watch out for, "how do I"). Not a question about how
# something was done ("警方是怎么找到失主的": 是…的 or 了 mark a past event).
# Rule 60: also whether one may do something (能不能, 可不可以, 能否, 可以…吗: "我有痛风，还能不能喝啤酒",
# "充电宝可以带上飞机吗") and how something is calculated ("利息是怎么算的", where 是…的 marks no past
# event; "是怎么算出…的" still does). These were left out at first because they also ask facts about a
# thing ("这款手机能不能无线充电"); a passage about that thing meets the bar below, and over every saved
# run the wider shape stopped 6 off-topic answers and cost no correct one (docs/QUALITY_LOG.md r14).
# Rule 66: also whether what happened to one is fair or lawful (…只按运费赔偿合理吗, 这样扣工资合法吗, 正常吗)
# and what one needs to do something (开户需要满足什么条件, 要带哪些证件): a judgement or a procedure for the
# asker's own case, which a passage meets only when it is about that case.
# Rule 105: also what one needs to do ("汽车要停放一两个月，走之前需要做些什么") and whether one's case counts as
# something ("年会上喝多了摔伤，算不算工伤"), as rule 66's 合法吗 does (read off the fifth news set, training:
# both were answered from passages on other things; no answerable question of any set has either shape).
# Rule 77: 有什么好办法, 有哪些有效的方法, 有什么缓解办法 ask for a method as 有什么办法 does, and 要办(理)/提交哪些手续
# a procedure as 要带哪些证件 does. And a yes/no question that names nothing ("长时间戴耳机会损伤听力吗",
# rule 51's class, ``grounding._asks_about_asker``) is about the asker's own situation too: its
# supporting passages meet the coverage bar and the most specific word below, but not rule 67, since
# a fact answers it. Over every saved run re-judged with them (docs/QUALITY_LOG.md r18), the three
# stopped 7 off-topic answers and no correct one; the 13 answerable eval questions of the yes/no shape
# are covered 0.54-1.0 by their own passages.
_ADVICE = re.compile(
    r"要不要|该不该|需不需要|值不值得|值得[\u4e00-\u9fff]{0,6}[吗么]|有没有必要|有必要|是否值得|应该|应当|"
    r"怎么办|怎么才能|怎样才能|如何才能|该怎么|要怎么|该如何|"
    r"(?:要|应)注意(?:什么|哪些|些什么)|有(?:什么|哪些)(?:好的?|有效的?|简单的?|实用的?)?[\u4e00-\u9fff]{0,2}(?:建议|办法|方法|技巧|窍门|妙招)|"
    r"好还是|还是[^，,。？?！!]{1,12}(?:好|合适|划算)[吗呢]?\s*[？?]?\s*$|(?:^|[，,])(?:选|买|去|学)[^，,。？?还]{1,12}还是|"
    r"(?:怎么|如何|怎样)(?![的样])(?![^，,。？?]*(?:的\s*[？?]?\s*$|了))[\u4e00-\u9fff]|"
    r"(?:什么|哪|多少)[^，,。？?]{0,12}(?:比较|更)(?:好|合适|划算|有用)|(?<!最)(?:好|合适)[吗呢]?\s*[？?]?\s*$|"
    r"\bshould\s+(?:i|we|you)\b|\bhow\s+(?:do|can|should)\s+(?:i|we|you)\b|\bhow\s+to\b|\bis\s+it\s+worth\b|"
    r"\bbest\s+way\s+to\b|"
    r"(?:怎么|如何|怎样)(?:计算|算)(?![出了到])|能不能|可不可以|可以不可以|能否|"
    r"可以[^，,。？?！!]{1,12}(?:吗|(?<!什)么)\s*[？?]?\s*$|"
    r"(?:合理|合法|违法|犯法|正常|公平|过分)(?:吗|么|不)\s*[？?]?\s*$|"
    r"(?:需要|要|得)(?:满足|具备|准备|带|办|办理|提交|交)?(?:什么|哪些)(?:条件|材料|手续|证件)|"
    r"(?:需要|要|应该|该|得)做(?:些|点)?(?:什么|哪些)|算不算",
    re.IGNORECASE)
# The share of an advice question's topic words (idf-weighted, ``topic_coverage``) its supporting
# passages must mention. Measured over every saved run judged without the check (docs/QUALITY_LOG.md r11,
# bench/results/advice_coverage.json): of the shown answers to advice questions, 0 of 5 correct, 1 of
# 9 wrong and 22 of 42 unanswerable ones sit below 0.4 (the lowest correct one covers 0.5); of the 537
# correct answers of any shape, 14 (2.6%) sit below 0.4 and 26 (4.8%) below 0.5.
ADVICE_MIN_TOPIC_COVERAGE = 0.4

# Rule 67: advice is said in advice's words. What to do, whether one may, what is fair and how to go
# about something are stated with a word of obligation or need (应当, 需要, 必须), permission or
# prohibition (可以, 不得, 禁止, 不要), recommendation or warning (建议, 提醒, 注意, 避免, 尽量, 及时),
# law (规定, 依法, 有权, 责任) or procedure (办理, 申请, 预约, 拨打, 方法, 步骤); a choice is answered with
# 更好, 适合. A sentence that only reports what happened ("查尔斯看到鲨鱼，以及被水母蜇伤", "虹彩吸蜜鹦鹉
# 聪敏机灵，能学会各种把戏", "注册制下强调申报即担责，处罚对象已转向双罚机制") answers none of these,
# however many of the question's words it shares; quotes like these were most of the off-topic answers
# still shown on the twenty-third to twenty-eighth sets. So an answer to an advice question must say
# something of this kind in its own sentences or in the passage sentences supporting them. Words are
# jieba's, so the modal 应, 要, 可 count where they stand alone ("市民应尽量…", "要多喝水", "可携带身份证")
# and not inside other words (应急, 主要, 重要, 可能); a longer word holding one of two or more characters
# counts too (尽量避免, 及时就医).
ADVICE_WORDS = frozenset((
    "应", "应当", "应该", "需", "需要", "须", "必须", "务必", "要", "可", "可以", "能够", "允许", "准许",
    "不能", "不可", "不得", "不要", "不宜", "不应", "不用", "无需", "无须", "别", "勿", "切勿", "请勿", "禁止", "严禁",
    "忌", "宜", "建议", "提醒", "提示", "呼吁", "倡导", "最好", "尽量", "尽可能", "及时", "立即", "尽快",
    "第一时间", "记得", "注意", "留意", "小心", "警惕", "谨防", "避免", "防止", "预防", "规定", "法律", "依法",
    "违法", "合法", "有权", "权利", "义务", "责任", "办法", "方法", "措施", "步骤", "流程", "技巧", "途径",
    "渠道", "办理", "申请", "预约", "登记", "报名", "拨打", "报警", "举报", "投诉", "咨询", "登录", "点击",
    "按照", "依照", "更好", "适合", "合适", "适宜"))
# Rule 186: a command after a shell prompt ("# deluser --remove-home fish", "$ sudo lsof -p 1") tells the reader
# what to type: manuals give what to do that way, without a word of advice around it. A prompt is "$" or "#"
# then a lower-case command name (a Markdown heading "# 简介" or a price "$5" is none). Read off the manual
# set's first run (r34): training for it.
_COMMAND_LINE = re.compile(r"(?m)^\s*[#$]\s*(?:sudo\s+)?[a-z][\w.+-]*(?=\s|$)")
_ADVICE_EN = re.compile(r"\b(?:should|must|need|needs|may|can|cannot|avoid|recommend\w*|advise\w*)\b", re.IGNORECASE)


def states_advice(texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` says what to do, may or must not be done, or how (rule 67)."""
    from .sparse import load_jieba

    load_jieba()
    import jieba

    for text in texts:
        t = to_simplified(normalize(text))
        if _ADVICE_EN.search(t) or _COMMAND_LINE.search(t) or any(_advice_word(w) for w in jieba.cut(t)):
            return True
    return False


_LONG_ADVICE_WORDS = tuple(w for w in ADVICE_WORDS if len(w) > 1)


def _advice_word(word: str) -> bool:
    return word in ADVICE_WORDS or (len(word) > 2 and any(a in word for a in _LONG_ADVICE_WORDS))


# Rule 63: a question asking why something is so ("为什么天空是蓝色的", "鹦鹉总拔自己的羽毛是什么原因") is
# answered by a passage that explains that thing, and such a passage names what it explains: every
# dictionary topic word of the question (``dictionary_topic_words``) must be in the supporting
# passages. A passage explaining why a flame is blue shares 蓝色 and not 天空; the most specific word
# alone (rule 45's bar) is 蓝色 there.
# Rule 99: how something comes about ("四季是怎么形成的", "如何产生", 成因) asks for its cause as 为什么 does.
# Rule 148: 为 closing a verb (称为, 成为, 改为, 命名为, 译为, 视为, 评为…) is that verb's, and "称为什么" asks
# what something is called, not why ("他们的文体合称为什么", a CMRC question; training). After any other
# character 为什么 asks why: "因为什么" too (因为 is no verb of this kind).
_VERB_BEFORE_WEI = "称成作认改视列定译名分变转评选命设化誉奉尊封立拜任推"
_ASKS_WHY = re.compile(rf"(?<![{_VERB_BEFORE_WEI}])为什么|为何|什么原因|原因是什么|是何原因|成因|(?:怎么|怎样|如何)(?:形成|产生|引起|造成|导致)|\bwhy\b",
                       re.IGNORECASE)


def asks_why(question: str) -> bool:
    """Whether ``question`` asks for the cause of something."""
    return bool(_ASKS_WHY.search(to_simplified(normalize(question))))


# Rule 130: "X是如何Y的", "怎么找到…": a question asking how something happens asks for a mechanism, as a
# why-question asks for a cause (rule 63), and a passage that never mentions one of its words explains
# something else ("蚂蚁是如何找到巢穴的" answered from a passage on ants building bridges). "怎样的" and
# "怎么样" ask what kind or how things stand, not how something happens.
_ASKS_HOW = re.compile(r"(?:如何|怎么|怎样)(?![的样办])|\bhow (?:do|does|did|is|are)\b", re.IGNORECASE)


def asks_how(question: str) -> bool:
    """Whether ``question`` asks how something happens or is done (rule 130); not a 怎么 inside a
    relative clause (rule 167)."""
    return bool(_ASKS_HOW.search(_without_how_clauses(question)))


# Rule 167: 怎么, 如何 or 怎样 inside a relative clause describes what someone did ("讲超常儿童怎么测的那位研究员 叫什么
# 名字"): the clause ends in 的 before the noun it describes, and the question asks the question word after it (谁,
# 什么, 哪, 多少, 几), not how to do something. Seen on the twenty-fifth news set's first run (r31), which is training
# for this rule from then on; no archived question has the shape, and the advice questions that write 的 after
# 怎么 ("怎么做出透明的冰块", "怎么查询自己的社保缴费记录") ask nothing after it.
_HOW_CLAUSE = re.compile(r"(?:怎么|如何|怎样)[\u4e00-\u9fff]{1,12}?的(?=[\u4e00-\u9fff])(?=[^，,。？?]*(?:谁|什么|哪|多少|几))")


def _without_how_clauses(question: str) -> str:
    return _HOW_CLAUSE.sub("", to_simplified(normalize(question)))


def asks_advice(question: str) -> bool:
    """Whether ``question`` asks what to do: whether to, which option is better, or how to deal with
    something (see above); not a 怎么 inside a relative clause (rule 167)."""
    return bool(_ADVICE.search(_without_how_clauses(question)))


# Rule 122: "算不算" weighs whether something counts as something. About the asker's own case ("年会上喝多了
# 摔伤，算不算工伤", rule 105) it is a judgement the asker wants; about something the question names ("张雨霏她们
# 那个成绩算不算亚洲最好成绩", "孙桥派出所收留的大龟算不算国家保护动物") it asks a fact the article states (打破亚洲纪录,
# 国家二级保护动物). Whether the question names something is the grounding module's reading
# (``grounding.asks_advice``); here, whether 算不算 is the only advice form.
# Rule 131: so does whether someone bears a legal consequence ("白车司机要不要担一部分责任", "商家需不需要赔偿"):
# about a named accident or dispute, the article states the ruling (负全部责任); about the asker's own case,
# it is the judgement the asker wants.
_JUDGES_CASE = re.compile(r"算不算|(?:要不要|需不需要|用不用|该不该)(?:承?担|负|赔|坐牢|判刑|被罚|罚款)")


def only_judges_a_case(question: str) -> bool:
    """Whether ``question``'s only advice form is 算不算 (rule 122) or whether someone bears a legal
    consequence (rule 131)."""
    q = to_simplified(normalize(question))
    return bool(_JUDGES_CASE.search(q)) and not _ADVICE.search(_JUDGES_CASE.sub("，", q))


# --- who did it: the relation asked ------------------------------------------------------------------
# Why: a question asking who stands in a relation to a named thing ("《水浒传》的作者是谁", "人体血液
# 循环是哪位科学家发现的", "加拿大的首都是哪里") is answered only by a source that states the relation.
# A passage that names the thing and some person (罗贯中 beside 《水浒》 in a critic's remark, 瞿希贤 in a
# passage on songs) lets the model put that person into the question's frame, and every other check
# passes: both names are in the passage, the frame is the question's. The relation is stated by one of
# a few words for it, which the sentence supporting the answer must contain.
_RELATIONS: dict[str, tuple[str, ...]] = {
    # Rule 149: an adaptation credits its source's author as 原作 ("依山田贵敏漫画原作《孤岛诊疗所》改编").
    "writing": ("作者", "作家", "记者", "写", "著", "撰", "创作", "笔下", "所作", "执笔", "原作"),
    "discovery": ("发现",),
    "invention": ("发明",),
    "capital": ("首都", "首府", "都城", "国都"),
    "composition": ("作曲", "谱写", "谱曲", "创作"),
    "painting": ("画", "绘", "创作"),
    # Rule 142: a founder is also said to 成立, 开办, 兴办 or 组建 what they founded ("由台商林铭田成立于2000年").
    "founding": ("创立", "创办", "创建", "创始", "创设", "成立", "开办", "兴办", "组建"),
    "design": ("设计",),
    "direction": ("导演", "执导"),
}
RELATION_WORDS = tuple(dict.fromkeys(w for ws in _RELATIONS.values() for w in ws)) + ("科学家", "人物")
_WHO = r"(?:谁|哪位|哪个人|什么人|哪一位)"
_ASKS_RELATION: tuple[tuple[str, re.Pattern], ...] = (
    ("writing", re.compile(rf"作者是{_WHO}|作者叫什么|{_WHO}(?:写|著|撰写|创作)|是{_WHO}[^，,。？?]{{0,6}}(?:写|著)的")),
    ("discovery", re.compile(rf"{_WHO}[^，,。？?]{{0,6}}发现|发现者是")),
    ("invention", re.compile(rf"{_WHO}[^，,。？?]{{0,6}}发明|发明者是|发明人是")),
    ("capital", re.compile(r"(?:首都|首府)(?:是|在)?(?:哪|什么)|(?:哪|什么)[^，,。？?]{0,6}是(?:首都|首府)")),
    ("composition", re.compile(rf"{_WHO}[^，,。？?]{{0,6}}(?:作曲|谱写|谱曲)|作曲(?:者|家)?是{_WHO}")),
    ("painting", re.compile(rf"是{_WHO}[^，,。？?]{{0,6}}画的|{_WHO}画")),
    ("founding", re.compile(rf"{_WHO}[^，,。？?]{{0,6}}(?:创立|创办|创建)|创始人是{_WHO}")),
    ("design", re.compile(rf"{_WHO}[^，,。？?]{{0,6}}设计|设计者是{_WHO}|设计师是{_WHO}")),
    ("direction", re.compile(rf"{_WHO}[^，,。？?]{{0,6}}(?:导演|执导)|导演是{_WHO}")),
)


def asked_relation(question: str) -> str | None:
    """The relation a question asks the agent or place of ("writing" for "《水浒传》的作者是谁"), or None."""
    q = to_simplified(normalize(question))
    return next((name for name, pattern in _ASKS_RELATION if pattern.search(q)), None)


def states_relation(relation: str, texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` writes a word of ``relation``."""
    have = _haystack(texts)
    return any(w in have for w in _RELATIONS[relation])


# Rule 162: a number that picks one member out of a series names that member, not the series. Firefox 117
# is not Firefox 116, 九龙巴士41R线 is not 32M线, the 第十二批 cases are not the 第十一批's. A passage about
# a neighbouring member reads like an answer (the same product, route or event, the same kind of fact),
# so the question's member number must be written in the passages that support the answer. Three
# shapes say "member of a series" in Chinese news and encyclopedias:
#   - a Latin name and its version or model number: Firefox 117, Fold5, C919, Claude Instant 1.2;
#   - a route number before 号线, 线 or 路: 16号线, 五号线, 41R线, 1路;
#   - an ordinal of an edition, batch, model or generation: 第十二批, 第80届, 第三期, 第一款, 第二代, 第二架.
# Not a year after a name (Square Enix 2023 is a fiscal year), a quarter or half-year (Q2, H1), nor a
# quantity with its unit (RTX 4090 24GB's 24, 4x100米).
_SERIES_LATIN = re.compile(r"(?<![A-Za-z0-9.])([A-Za-z][A-Za-z+]*)\s?(\d+(?:\.\d+)*)(?![\d.])"
                           r"(?!\s?(?:%|(?i:gb|tb|mb|kb|mm|cm|km|kg|mg|ml|kw|w|hz|mhz|ghz|mah|fps|nm|k|p|g|m|t|x)(?![A-Za-z])))")
_SERIES_ROUTE = re.compile(r"(?<![\dA-Za-z.])(\d+[A-Za-z]?)(?:号线|线(?!城市)|路(?![口段人边]))")
_SERIES_ORDINAL = re.compile(r"第(\d+)(届|批|期|款|代|架)")
_FIRST_CLASSIFIERS = "届批期款代架枚个台部辆艘颗任集场轮笔号"
# Rule 172: an officeholder's term is a member too: "博茨瓦纳的第二任总统" is not answered by the passage on its
# 首任总统 (read off r32's off-topic set, two questions: training for it).
_SERIES_TERM = re.compile(r"第(\d+)(任)")
# Rule 183: a project's phase is a member the same way: "18号线一期工程" is not answered by the passage on its 二期工程
# (read off r33's first off-topic set: training for it). Only before 工程/项目: "三期临床试验" is a trial's phase,
# which a passage may write as III期.
_SERIES_PHASE = re.compile(r"(?<![\d第])(\d+)(期)(?=工程|项目)")
# Rule 192: the works and rounds of a series are members the same way: a film, book or part (第8部剧场版 is not the
# 第7部), an episode (第12集), a match (第3场) or a round (第二轮). Not the words these classifiers begin: 部分, 部门,
# 部长, 部队, 部委, 部位, 集团, 集中, 集体, 集合, 场所, 场馆, 场地, 轮胎. Not 第N季: business news writes a quarter so
# ("台湾今年第二季半导体产值", measured on the archive), as often as a show's season.
_SERIES_WORK = re.compile(r"第(\d+)(部(?![分门长队委位])|集(?![团中体合])|场(?![所馆地])|轮(?!胎))")
# Rule 196: a tranche, order or payment counted with 笔 (第二笔战略投资 is not the 首笔) and a numbered storm, notice
# or decree counted with 号 (今年第5号台风 is not the 第6号) are members the same way (read off r35's off-topic set:
# training for 笔). Not 号 before a line, building, gate, road or room (an address or a route: rule 162's).
_SERIES_COUNTED = re.compile(r"第(\d+)(笔|号(?![线院楼门口路室]))")
# Rule 168: a Chinese name and its model or mission number are a member the same way (塞斯纳172型 is not
# 塞斯纳170, 歼-20 is not 歼-10, 长征五号 is not 长征二号, 神舟十六号 is not 神舟十五号). The number follows the
# name directly or after a hyphen, with 型 or 号 or, without them, with two digits or more; what follows
# must not make it a quantity (172万辆, 20%, 30岁, 737人), a cohort (95后) or a date (7月16号). The word
# before it is no verb, measure or time word (增长12, 检查时120), and not a street or building
# (中关村大街27号 is an address).
_SERIES_CJK = re.compile(r"([\u4e00-\u9fff]{1,8})([-－]?)(\d+)(型|号(?![线院楼门口路室]))?(?![\d.%％])")
_NOT_SERIES_NAME = re.compile(r"(?:[路街道巷弄村组楼栋室第年月日周期届批次号线站时]|今天|明天|昨天)$")
_NUMBER_AFTER = re.compile(r"^\s*(?:[多余万亿千百十几来后%％‰.·:：/～~至到-]|分之)")
_NOT_NAME_FLAGS = ("v", "m", "q", "t", "p", "d", "u", "c", "r", "f", "a")
_TIME_CODES = frozenset(("q", "h", "fy"))
_YEAR_NUMBER = re.compile(r"(?:19|20)\d\d")
_COVERBS = frozenset("到在往去进入向从至于")


@dataclass(frozen=True)
class Member:
    """One series member a question names: its text as asked, and the pattern a passage writing it matches."""

    text: str
    written: re.Pattern


def series_members(question: str) -> list[Member]:
    """The series members ``question`` names (rule 162), in order, without repeats."""
    q = to_simplified(normalize(question))
    out: dict[str, Member] = {}
    for m in _SERIES_LATIN.finditer(q):
        name, number = m.group(1), m.group(2)
        if name.lower() in _TIME_CODES or _YEAR_NUMBER.fullmatch(number):
            continue
        out.setdefault(m.group(0), Member(m.group(0), re.compile(rf"(?<![\d.]){re.escape(number)}(?!\d)")))
    # Routes in Arabic digits only: 一线城市 and 一路 are no routes. 五号线 is read through the numerals.
    routes = [(m.group(0), m.group(1)) for m in _SERIES_ROUTE.finditer(q)]
    for m in re.finditer(r"[一二三四五六七八九十]+号线", q):
        digits = re.match(r"(\d+)号线", canonical_numbers(m.group(0)))
        if digits:
            routes.append((m.group(0), digits.group(1)))
    for text, number in routes:
        # A route of digits alone is looked for with its 号, 线 or 路 (a bare 7 is anywhere); one with a
        # letter (41R) is a code wherever it stands.
        after = "" if not number.isdigit() else "(?=号|线|路)"
        out.setdefault(text, Member(text, re.compile(rf"(?<![\dA-Za-z.]){re.escape(number.upper())}(?![\dA-Za-z]){after}", re.I)))
    for text, number in _cjk_members(q):
        # With 号 the number is looked for with it ("月船2号" is not written by "8月2日"); with 型 or bare (two
        # digits or more), alone: "塞斯纳172" writes 塞斯纳172型, "737客机" 波音737.
        suffix = "号" if text.endswith("号") else ""
        out.setdefault(text, Member(text, re.compile(rf"(?<![\d.]){number}(?!\d){suffix}")))
    ordinals = (_SERIES_ORDINAL, _SERIES_TERM, _SERIES_PHASE, _SERIES_WORK, _SERIES_COUNTED)
    for m in [m for pattern in ordinals for m in pattern.finditer(canonical_numbers(q))]:
        number, unit = m.groups()
        # The first is also 首 or 初 (首届, 初代, 首任), and by any classifier: 首枚 is the 第一款 rocket.
        first = f"|(?:首|初|第1)[{_FIRST_CLASSIFIERS}]" if number == "1" else ""
        out.setdefault(m.group(0), Member(m.group(0), re.compile(rf"(?<!\d){number}{unit}{first}")))
    return list(out.values())


def _cjk_members(question: str) -> list[tuple[str, str]]:
    """(text, number) of each Chinese-named series member of ``question`` (rule 168, above)."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    q = canonical_numbers(question)
    out = []
    for m in _SERIES_CJK.finditer(q):
        run, hyphen, number, suffix = m.groups()
        if not suffix and not hyphen and len(number) < 2:
            continue
        rest = q[m.end():].lower()
        if _NUMBER_AFTER.match(rest) or re.match(r"[a-z]?(?:号线|线|路)", rest) or not suffix and (_YEAR_NUMBER.fullmatch(number) or rest.startswith(UNITS)):
            continue
        words = [(w, f) for w, f in pseg.cut(run) if w.strip()]
        if not words or _NOT_SERIES_NAME.search(run):
            continue
        name, flag = words[-1]
        # Rule 185: after a coverb of direction or place (到, 在, 往, 进…, or a verb ending in one: 进入, 前往),
        # "N号" numbers the noun that follows: "切换到3号虚拟控制台" is console 3, which a manual writes "控制台 3";
        # "住在5号楼", "前往2号航站楼". The member's name is that noun, not the coverb. Read off the manual set's
        # first run (r34): training for it.
        if suffix == "号" and (name in _COVERBS or flag.startswith("v") and name[-1] in _COVERBS):
            continue
        # A verb, measure or time word before the number makes it a quantity (增长12, 卖出172), unless
        # a hyphen or 型/号 binds it to the name (歼-20: jieba tags 歼 a verb).
        if not (hyphen or suffix) and flag.startswith(_NOT_NAME_FLAGS):
            continue
        if len(name) < 2 and len(words) > 1:  # jieba cut the name (塞斯/纳): show its last two words
            name = words[-2][0] + name
        out.append((f"{name}{hyphen}{number}{suffix or ''}", number))
    return out


def unwritten_members(question: str, texts: Iterable[str]) -> list[str]:
    """The series members ``question`` names (``series_members``) that none of ``texts`` writes."""
    members = series_members(question)
    if not members:
        return []
    have = canonical_numbers(to_simplified(normalize("\n".join(texts))))
    return [m.text for m in members if not m.written.search(have)]


# Rule 164: a flow is not a stock. Statistics report both for one quantity, in one sentence or the next: what
# was added in a period (新增, 新发放, 净增) and what stands at its end (余额, 存量, 保有量, 累计). "7月新增人民币
# 贷款多少" is not answered by "人民币贷款余额为228.9万亿元", nor "贷款余额是多少" by "新增贷款3459亿元". The
# sentence carrying the answer must write the kind the question asks, when it writes only the other.
_FLOW_WORDS = ("新增", "新发放", "净增", "净减", "净流入", "净流出", "增量", "新签")
_STOCK_WORDS = ("余额", "存量", "保有量", "累计", "总存量")


def _flow_or_stock(text: str) -> set[str]:
    t = to_simplified(text)
    return ({"flow"} if any(w in t for w in _FLOW_WORDS) else set()) | ({"stock"} if any(w in t for w in _STOCK_WORDS) else set())


def other_flow_or_stock(question: str, spans: Iterable[str]) -> str | None:
    """"flow" or "stock": the kind the question asks for (rule 164) when the sentences carrying the answer
    write only the other kind; else None. A question asking both, or neither, is not read."""
    return _only_the_other(_flow_or_stock(question), _flow_or_stock("\n".join(spans)))


def _only_the_other(asked: set[str], written: set[str]) -> str | None:
    """The one kind ``asked`` of a pair (rules 164, 170) when the text carrying the answer writes kinds of
    the pair and not that one; None when the question asks both or neither."""
    return next(iter(asked)) if len(asked) == 1 and written and not asked & written else None


# Rule 169: a sport's men's and women's events are two events. "福冈世锦赛跳水女子10米台的冠军" is not answered by
# the sentence that names the men's champion, though every other word matches. The sentences carrying the
# answer must write the category the question asks when they write only the other one. Only the sentences
# (not the article): a story names both draws; and the person words (一名女子 as a news subject) count
# the same way, since a sentence about "一名中年男子" answers nothing about "一名女子".
_SEX_CATEGORIES = (("男子", "女子"), ("男单", "女单"), ("男双", "女双"), ("男篮", "女篮"), ("男足", "女足"),
                   ("男排", "女排"), ("男团", "女团"))
_OTHER_CATEGORY = {a: b for pair in _SEX_CATEGORIES for a, b in (pair, pair[::-1])}


def other_category(question: str, spans: Iterable[str]) -> tuple[str, str] | None:
    """(asked, written): a men's or women's category the question names (rule 169) and the other one, which
    the sentences carrying the answer write instead of it; else None."""
    q = to_simplified(question)
    text = to_simplified("\n".join(spans))
    for asked, other in _OTHER_CATEGORY.items():
        if asked in q and other not in q and other in text and asked not in text:
            return asked, other
    return None


# Rule 170: a rise is not a fall. "股价跌了百分之多少" is not answered by the sentence giving the first day's
# 涨幅 of 254.64%, nor "主力合约涨了多少" by another contract's 跌幅0.49%: the same figure-shaped answer, the
# other direction. The direction is read in the clause that asks (the one with 多少/几): a fall or rise in a
# background clause ("卢布兑美元跌破100以后 … 利率加到了多少") is not what is asked. The sentences carrying the
# answer must write the asked direction when they write only the other.
_RISE = re.compile(r"涨|增长|上升|增加|提高|提升|攀升|增幅|上调|走高|回升|多出|高出|增多")
_FALL = re.compile(r"跌|下降|减少|降低|下滑|回落|缩水|降幅|下调|走低|缩减|萎缩|少了")
_ASKING_CLAUSE = re.compile(r"多少|几|百分之几")


def _asking_clauses(question: str, asking: "re.Pattern[str]") -> list[str]:
    """The clauses of ``question`` (split at punctuation and spaces) that hold an ``asking`` word: where rules
    170, 174, 175 and 178 read what is asked, leaving background clauses out."""
    return [c for c in re.split(r"[，,。；;？?！!\s]", question) if asking.search(c)]


def other_direction(question: str, spans: Iterable[str]) -> tuple[str, str] | None:
    """("rise", "fall") or ("fall", "rise"): the direction of change the question's asking clause names
    (rule 170) and the other one, which the sentences carrying the answer write instead; else None. The same
    for a profit and a loss (rule 178)."""
    clauses = _asking_clauses(to_simplified(question), _ASKING_CLAUSE)
    if len(clauses) != 1:
        return None
    for reader, pair in ((_directions, ("rise", "fall")), (_profit_or_loss, ("profit", "loss"))):
        asked = _only_the_other(reader(clauses[0]), reader("\n".join(spans)))
        if asked:
            return asked, pair[1] if asked == pair[0] else pair[0]
    return None


def _directions(text: str) -> set[str]:
    t = to_simplified(text)
    return ({"rise"} if _RISE.search(t) else set()) | ({"fall"} if _FALL.search(t) else set())


# Rule 178: a profit is not a loss, in the same reading as rule 170's rise and fall: "上半年的净亏损是多少" is not
# answered by a sentence giving 净利润 only. A negative figure is a loss written as a profit ("净利润-5.2亿元").
_PROFIT = re.compile(r"盈利|利润|净利|赚|盈余")
_LOSS = re.compile(r"亏|[-－—–]\s*\d")


def _profit_or_loss(text: str) -> set[str]:
    t = to_simplified(text)
    return ({"profit"} if _PROFIT.search(t) else set()) | ({"loss"} if _LOSS.search(t) else set())


# Rule 174: the two ends of a scale are two answers. "年龄最大的几岁" is not answered by "其中最小的一个女孩只有5岁",
# nor "最多能赔多少" by a sentence giving 最少: the same figure-shaped answer, the other end. As with rule 170,
# the end is read in the clause that asks, and the sentences carrying the answer must write the asked end when
# they write only the other. 最近 ("lately") and names and set phrases that hold 最高/最大 (最高人民法院,
# 最大限度) are not ends of a scale.
_EXTREMES = (("最大", "最小"), ("最高", "最低"), ("最多", "最少"), ("最早", "最晚|最迟"), ("最长", "最短"),
             ("最快", "最慢"), ("最重", "最轻"), ("最贵", "最便宜"), ("最年长|最老", "最年轻|最年幼"))
_NOT_AN_END = re.compile(r"最高(?:人民|法|检|院|级别|领导|指挥|统帅|荣誉|奖)|最大(?:限度|程度|化)|最小化|最低(?:限度|程度)")
_ASKING_ANY = re.compile(r"多少|几|哪|什么|谁|how|which|what", re.I)


def other_extreme(question: str, spans: Iterable[str]) -> tuple[str, str] | None:
    """(asked, written): the end of a scale the question's asking clause names (最大, rule 174) and the other
    end (最小), which the sentences carrying the answer write instead; else None."""
    clauses = _asking_clauses(_NOT_AN_END.sub(" ", to_simplified(question)), _ASKING_ANY)
    if len(clauses) != 1:
        return None
    text = _NOT_AN_END.sub(" ", to_simplified("\n".join(spans)))
    for pair in _EXTREMES:
        ends = {end: re.compile(end) for end in pair}
        asked = _only_the_other({e for e, r in ends.items() if r.search(clauses[0])},
                                {e for e, r in ends.items() if r.search(text)})
        if asked:
            other = pair[1] if asked == pair[0] else pair[0]
            return asked.split("|")[0], other.split("|")[0]
    return None


# Rule 175: a sum of money is named by what it pays for. "被教育部门罚了多少钱" is not answered by the camp's fee
# ("每名孩子缴费2980"), nor "赔了多少" by a price: the same 元, another payment. The payment is read in the clause
# that asks; the sentences carrying the answer must write it when they write another kind of payment only.
_PAYMENTS = {"fine": re.compile(r"罚"), "compensation": re.compile(r"赔|补偿"), "donation": re.compile(r"捐"),
             "prize": re.compile(r"奖金|奖励|悬赏"), "pay": re.compile(r"工资|薪|酬"),
             "fee or price": re.compile(r"费|价|售|卖|买")}


def other_payment(question: str, spans: Iterable[str]) -> tuple[str, str] | None:
    """(asked, written): the kind of payment whose sum the question's asking clause asks for (a fine, rule 175)
    and the kind the sentences carrying the answer write instead of it; else None."""
    clauses = _asking_clauses(to_simplified(question), _ASKING_CLAUSE)
    if len(clauses) != 1 or not (ASKS_MONEY.search(clauses[0]) or re.search(r"金额|多少(?:万|亿)?(?:元|块)", clauses[0])):
        return None
    text = to_simplified("\n".join(spans))
    asked_kinds = {k for k, r in _PAYMENTS.items() if r.search(clauses[0])}
    written = {k for k, r in _PAYMENTS.items() if r.search(text)}
    asked = _only_the_other(asked_kinds, written)
    return (asked, ", ".join(sorted(written))) if asked else None


# Rule 177: a plan is not what happened. "鑫诺四号后来实际是在哪一天发射升空的" is not answered by "计划于2008年底发射
#升空": a question that asks for the outcome (实际, 最终, 后来) wants what was done, and a sentence that gives the
# date or figure only as a plan or forecast (计划, 预计, 将于, 有望) says what was meant to be. The sentences
# carrying the answer must write the outcome when they write only the plan.
_OUTCOME_ASKED = re.compile(r"实际|最终|真正|后来|到头来")
_PLAN = re.compile(r"计划|预计|预期|拟|将于|将在|有望|预定|定于|打算|即将")
_OUTCOME = re.compile(r"实际|最终|已经|已于|终于|成功|如期|完成")


def plan_for_outcome(question: str, spans: Iterable[str]) -> bool:
    """Whether the question asks what actually happened (rule 177) and the sentences carrying the answer
    write only a plan or forecast."""
    q, text = to_simplified(question), to_simplified("\n".join(spans))
    asked = {"outcome"} if _OUTCOME_ASKED.search(q) and not _PLAN.search(q) else set()
    written = ({"plan"} if _PLAN.search(text) else set()) | ({"outcome"} if _OUTCOME.search(text) else set())
    return _only_the_other(asked, written) is not None


# Rule 180: rule 124 read in the passage. The kind check reads the answer's own words, and an answer may name
# the thing asked after a figure that counts something else in its source: "人民党一共赢得了18个议席" from
# "18个参选政党". The figure the answer gives for "多少个X" must count X (``_same_thing``) at least once where
# the passages carrying the answer write it; when they write it only counting another thing, that is what it
# counts. A figure the passages never write is the figure check's question, not this one.
def counts_another_thing(question: str, claims: str, texts: Iterable[str]) -> str | None:
    """What the passages ``texts`` count with the figure ``claims`` gives for the question's "多少X" (rule 180),
    when they never count X with it; else None."""
    q = normalize(question)
    m = _asked_count(q)
    if m is None or m.group(1) in _NOT_COUNTS or _starts_word(q, m.start(1), m.group(1)):
        return None
    asked = _asked_noun(q, m)
    if len(asked) < 2:
        return None
    want = equivalent_units(m.group(1)) | {"个"}
    given = {x.value for x in quantities(claims) if x.unit in want}
    if len(given) != 1:
        return None
    value = next(iter(given))
    others = []
    for text in texts:
        t = normalize(text)
        for x in quantities(t):
            if x.value != value or x.unit not in want:
                continue
            words = _counted_words(t[x.end:])
            if not words or _same_thing(asked, t[x.end:], q):
                return None
            others.append(words)
    return others[0] if others else None


# Rule 165: a word jieba's dictionary lacks and its HMM did not guess comes out as single characters (钩盲蛇
# gives 钩/盲/蛇, 龙坳村 gives 龙/坳/村). Three or more such content characters in a row are one unknown word,
# nearly always a name (a species, a village, a muscle) that no rule reads otherwise: a passage that never
# writes it is about something else ("钩盲蛇以什么为食" answered from a passage on 扁尾海蛇).
_UNSEGMENTED_TAGS = ("n", "ng", "nr", "ns", "nz", "nrt", "nrfg", "a", "ag", "an", "b", "j", "s", "g", "vn")
UNSEGMENTED_MIN = 3


def unsegmented_names(question: str) -> list[str]:
    """Runs of ``UNSEGMENTED_MIN`` or more single content characters in jieba's cut of ``question`` (rule 165)."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    out, run = [], []
    for w, flag in [*pseg.cut(to_simplified(normalize(question))), ("。", "x")]:
        if len(w) == 1 and re.fullmatch(f"[{CJK}]", w) and flag in _UNSEGMENTED_TAGS:
            run.append(w)
            continue
        if len(run) >= UNSEGMENTED_MIN:
            out.append("".join(run))
        run = []
    return list(dict.fromkeys(out))


# Rule 191: a Latin-script name in a Chinese question -- a program, package, file, brand, product or release
# (TikTok, Fedora, dpkg-buildpackage, dh_make, Trixie) -- must be written by the passages the answer rests on: a
# Chinese passage that never writes it is about something else ("系外行星HAT-P-2b的母星HAT-P-2质量是太阳的多少倍" was
# answered from the passage on the planet HAT-P-2b, r34's off-topic set). The subject check cannot see it: it
# counts only capitalised Latin words, and only
# when none of the question's subjects is named (a Debian manual names Linux everywhere). A Chinese writer keeps
# such a name in Latin because it has no Chinese form, so the passage that answers writes it in Latin too, in any
# case (Bilibili, bilibili). Not read: a question written in English (rule 70: mostly Latin letters, and English
# function words among them); a plain lower-case word, which may be English describing the asked thing ("西宁 green
# coverage: …", as for subjects; only a capital, a digit, a joining mark or a path's slash makes a word a name for
# sure, so pacman and aptitude are not read: measured, r35); a word of fewer than three letters (su, w, Q2); an
# all-capital acronym, which articles write out in Chinese as often as not (GDP, CPI, APP: as for subjects); a
# series member's version number (rule 162 reads it); and a file format before its noun (deb 包). A name is written
# when the passages hold it between non-letters, so "Arch" is not written by "architecture".
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_+.-]*[A-Za-z0-9+]")
LATIN_NAME_MIN_LETTERS = 3
# A name's dotted version ("gentoo-0.9.12.tar.gz") or a model number glued to it ("iPhone15") is rule 162's to read;
# the name is the part before. A number after a hyphen alone is part of a designation (HAT-P-2 is not HAT-P-2b).
_VERSION_TAIL = re.compile(r"[-_.]\d+(?:\.\d+)+.*$|(?<=[A-Za-z])\d+$")
# An English question has English function words; a Chinese one heavy with command names has none ("arch linux
# PKGBUILD pkgrel 什么时候要加一" is Chinese however many Latin letters it holds).
_ENGLISH_FUNCTION_WORD = re.compile(
    r"(?<![A-Za-z])(?:the|a|an|of|in|on|to|is|are|was|were|do|does|did|what|which|who|when|where|why|how|many|much)"
    r"(?![A-Za-z])", re.I)
# A Latin word right before a noun of file or format names a kind of file, not a thing ("deb 包", "pdf 文件",
# "json 格式"): the passage about such a file need not write the abbreviation.
_FORMAT_NOUN = re.compile(r"\s?(?:包|文件|格式|文档|档案|动图|图片|视频|音频|镜像)")


def latin_names(question: str) -> list[str]:
    """The Latin-script names of a Chinese ``question`` (rule 191), in order, without repeats."""
    q = unicodedata.normalize("NFKC", question)
    if not _CJK_CHAR.search(q) or mostly_latin(q) and _ENGLISH_FUNCTION_WORD.search(q):
        return []
    out = []
    for m in _LATIN_WORD.finditer(q):
        w = _VERSION_TAIL.sub("", m.group(0)).rstrip(".-_")
        if len(_LATIN_LETTER.findall(w)) < LATIN_NAME_MIN_LETTERS or _ACRONYM.match(w) or _FORMAT_NOUN.match(q, m.end()):
            continue
        # A plain lower-case word may be English that describes ("西宁 green coverage: 空气质量…", as for subjects)
        # as well as a command (pacman): only a capital, a digit, a joining mark (dh_make, pam.d, dpkg-buildpackage)
        # or a path's slash before it makes it a name for sure.
        if w.isalpha() and w.islower() and not (m.start() > 0 and q[m.start() - 1] == "/") and m.group(0) == w:
            continue
        out.append(w)
    return list(dict.fromkeys(out))


# Rule 198: rule 191 does not read the collection's own subject. A manual's pages leave out the product they document
# (the LibreOffice help's Calc pages never write "Calc"; they are its context, as 本手册 is), while a question names
# it for scope ("在 LibreOffice Calc 中…"): a name that many of the index's chunks write cannot tell its passages
# apart. Measured on chunk shares (``Index.term_chunks`` over its size): the product names of r36's LibreOffice
# help set (training: read off its first run, where rule 191 refused 5 right drafts) stand in 4.4% (Draw) to 10.5%
# (Writer) of its chunks; the names of rule 191's 24 archived catches in at most 0.9% (App, 43 of 4,918), all
# but that one in 0.2% or less ("etc", 7.4%, is caught with pam.d, which no chunk writes). The bar lies between,
# a factor of two from each side; a word in fewer than five chunks is never the collection's subject (a small index).
COLLECTION_SUBJECT_SHARE = 0.02
COLLECTION_SUBJECT_MIN_CHUNKS = 5


def collection_subject(chunks: int, total: int) -> bool:
    """Whether a word that ``chunks`` of an index's ``total`` chunks write is the collection's own subject (rule 198)."""
    return chunks >= COLLECTION_SUBJECT_MIN_CHUNKS and chunks >= COLLECTION_SUBJECT_SHARE * total


def unwritten_latin_names(question: str, texts: Iterable[str],
                          collection: Callable[[str], bool] = lambda word: False) -> list[str]:
    """The Latin names of ``question`` (``latin_names``, rule 191) that none of ``texts`` writes, leaving out the
    collection's own subjects (``collection``: rule 198)."""
    names = latin_names(question)
    if not names:
        return []
    have = normalize("\n".join(texts))
    return [n for n in names
            if not re.search(rf"(?<![a-z]){re.escape(n.lower())}(?![a-z])", have) and not collection(n)]


def unwritten_names(question: str, texts: Iterable[str]) -> list[str]:
    """The unsegmented names of ``question`` (``unsegmented_names``) that none of ``texts`` writes."""
    names = unsegmented_names(question)
    if not names:
        return []
    # Punctuation between its parts does not split a name (“猫粮”“狗粮” writes 猫粮狗粮), and, as for
    # subjects, the run may end in the next word's first character (黄鳍雀鲷幼鱼 gives 雀鲷幼).
    have = re.sub(r"[^\w]", "", _haystack(texts))
    return [n for n in names if n not in have and n[:-1] not in have]


# Rule 195: a name ending in a generic head that says what kind of thing it names -- a station (鱼珠站), an island
# (利吉丹岛), a lake (色林错), a state (佛蒙特州), a school, a temple -- is one thing of that kind, and another name
# with the same head is another thing of the kind. An encyclopedia paragraph or a news story is about the thing its
# title names; a sentence of it that does not name the asked thing ("该站于2009年12月28日启用" in the paragraph titled
# 大沙东站) states the title's thing's fact, not the neighbour's the question names (r35's off-topic set: the
# opening date of 大沙东站 given for 鱼珠站, 西巴丹岛's area for 利吉丹岛, 色林错's for 羊卓雍错, Vermont's 14
# counties for New Hampshire). Provinces, cities and districts are the scope rules' (levels and containment from
# the gazetteer), so their heads are not read here. A dictionary word ending in a head is a common noun (火车站,
# 加油站, 半岛) unless a name comes before it (南昌火车站).
NAME_HEADS = ("大学", "学院", "中学", "小学", "医院", "机场", "公园", "水库", "隧道", "大桥", "站", "岛", "湖", "错",
              "山", "峰", "岭", "河", "江", "湾", "港", "桥", "寺", "庙", "塔", "宫", "州", "县", "镇", "村", "乡", "峡", "礁")
_NAMING_TAGS = frozenset(("ns", "nr", "nrt", "nrfg", "nt", "nz"))
# What may stand before a bare head as its name: a noun jieba cut off it (鱼珠/n + 站) or a name (巴丹/ns + 岛).
_BEFORE_HEAD_TAGS = _NAMING_TAGS | {"n", "ng", "j"}


@dataclass(frozen=True)
class HeadedName:
    """A name of rule 195: ``name`` ends in ``head``; ``core`` is the name without its head."""

    name: str
    head: str

    @property
    def core(self) -> str:
        return self.name[: -len(self.head)]

    def same_thing(self, other: "HeadedName") -> bool:
        """Whether two names may name one thing: the same head, and cores that share a character pair or hold
        one another (浦东机场 and 上海浦东国际机场; a translator's 新罕布夏州 and 新罕布什尔州)."""
        if self.head != other.head:
            return False
        a, b = self.core, other.core
        return a in b or b in a or bool(set(bigrams(a)) & set(bigrams(b)))


def headed_names(text: str) -> list[HeadedName]:
    """The names of ``text`` that end in a head of ``NAME_HEADS`` (rule 195), in order, without repeats."""
    from .sparse import load_jieba

    load_jieba()
    import jieba.posseg as pseg

    tokens = [(t.word, t.flag) for t in pseg.cut(to_simplified(unicodedata.normalize("NFKC", text)))]
    out: list[HeadedName] = []
    for i, (w, flag) in enumerate(tokens):
        head = next((h for h in NAME_HEADS if w.endswith(h)), None)
        if head is None:
            continue
        prev, prev_flag = tokens[i - 1] if i else ("", "x")
        # A word the HMM glued to a particle or preposition is no name (矢井田瞳在大学 gives 瞳在/n + 大学).
        before = (_CJK_WORD.match(prev) and len(prev) >= 2
                  and not (prev[-1] in _AFTER_NAME and dictionary_tag(prev) is None))
        if w == head:
            name = prev + w if before and prev_flag in _BEFORE_HEAD_TAGS else ""
        elif before and prev_flag in _NAMING_TAGS:
            name = prev + w  # 南昌/ns + 西站, 大沙/ns + 东站, 南昌/ns + 火车站
        elif dictionary_tag(w) in (None, *_NAMING_TAGS):
            # A name the dictionary lists (色林错/ns) or a word only the HMM guessed (利吉丹岛).
            name = w
        else:
            name = ""  # a common noun: 火车站, 加油站, 半岛
        if name and len(name) > len(head) + 1 and _CJK_WORD.match(name):
            out.append(HeadedName(name, head))
    return list(dict.fromkeys(out))
