"""Which places of China lie inside which: the administrative divisions, and the provinces' short names.

The scope check (``grounding.scope_problem``) asks the text carrying an answer to name the places the
question is pinned to. News names the smallest place it can and leaves out what every reader of a
local paper knows: "江北一公司财务被骗" is 重庆's 江北区, "在京开幕" is 北京, "在陕保障航班" is 陕西
(measured: three refused right answers on the seventh and ninth news sets). Two rules of written
Chinese let the passage name the question's place without writing it:

* a county or city names the city and province it lies in (``inside``). The divisions are the
  national adcode table that ``cpca`` carries (MIT, 3,500 provinces, cities and counties, 2020):
  a maintained list rather than one typed here. Only the file is read (``importlib.metadata``
  finds it), so ``cpca``'s own matcher and pandas are never imported. A short name shared by two
  counties (江北: 重庆 and 宁波) names both: the check may only be lenient where the text is
  ambiguous, never refuse.
* a province-level place is written by its one-character short name (简称) right after a verb of
  being or going there: 在京, 来沪, 赴港, 抵渝, 离京 (``by_short_name``). The short names are the
  official list. Only those jieba's dictionary tags as a place or an abbreviation count (京, 沪, 陕,
  渝 …): 黑, 贵, 新 are adjectives, 吉, 鲁, 桂 surnames, 台 a classifier, and "在新的一年" names no
  place. The character after the short name must not make a word with it (在京东, 在港口, 在青春).

And one rule of reading: a province or city is a place whatever jieba's dictionary tags it
(``is_city``, rule 118). The dictionary tags a third of China's 300-odd prefecture-level cities as
something else (合肥, 石家庄, 烟台 as common nouns, 嘉兴, 邵阳 as people, 大连 an adverb), so "中欧班列(合肥)"
or "合肥要大胆推…" named no place and a passage about 徐州's trains answered it.
"""

from __future__ import annotations

import functools
import re

# Province-level divisions and their short names (简称), the official list.
PROVINCE_SHORT_NAMES = {
    "北京": "京", "天津": "津", "上海": "沪", "重庆": "渝", "河北": "冀", "山西": "晋", "辽宁": "辽",
    "吉林": "吉", "黑龙江": "黑", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣",
    "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂", "海南": "琼",
    "四川": "川", "贵州": "黔", "云南": "滇", "陕西": "陕", "甘肃": "甘", "青海": "青", "宁夏": "宁",
    "新疆": "新", "西藏": "藏", "内蒙古": "蒙", "香港": "港", "澳门": "澳", "台湾": "台",
}

# Verbs of being or going somewhere that a short name follows (在京, 来沪, 赴港, 抵渝, 离京, 返京, 驻港,
# 进藏, 回京, 留苏, 访华 is a country's and not listed).
_BEING_OR_GOING = "在来赴抵离返驻进回留"

# The division's kind, as its name ends: an autonomous one, after the peoples it is named for
# (恩施土家族苗族自治州, 新疆维吾尔自治区: the peoples are cpca's list of the 56, read with the table), a
# special region (香港特别行政区), a prefecture (地区), a league (盟), a banner (旗), a province, city,
# district or county.
_KINDS = r"(?:特别行政区|地区|林区|矿区|新区|省|市|区|县|盟|旗)"


# Rows of the table that group divisions rather than name one.
_GROUPS = frozenset(("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"))


def short_form(name: str) -> str:
    """``name`` without its kind (重庆市 -> 重庆, 恩施土家族苗族自治州 -> 恩施); the name itself when
    that would leave fewer than two characters (沙县 stays)."""
    m = _kind().fullmatch(name)
    return m.group(1) if m else name


@functools.lru_cache(maxsize=1)
def _kind() -> re.Pattern[str]:
    peoples = sorted(_read("56_nations.csv"), key=len, reverse=True)
    # A people is written with 族 (苗族) or without it (维吾尔自治区, 蒙古自治州).
    names = "|".join(re.escape(p) + "族?" for p in (x.removesuffix("族") for x in peoples) if p)
    # The shortest stem of two or more characters that the kind follows (黔东南苗族侗族自治州 is 黔东南),
    # the peoples only before 自治: 北京市 is 北京 and 六盘水市 六盘水, though 京 and 水 are peoples (京族, 水族).
    return re.compile(f"(.{{2,}}?)(?:(?:{names})*自治[区州县旗]|{_KINDS})")


def _read(name: str) -> list[str]:
    """The lines of the data file ``name`` that ``cpca`` carries."""
    import importlib.metadata

    try:
        files = importlib.metadata.files("cpca") or []
    except importlib.metadata.PackageNotFoundError as e:
        raise RuntimeError("the place table needs the cpca package (a dependency of this project): "
                           "reinstall the project as README.md says") from e
    path = next((f for f in files if f.name == name), None)
    if path is None:
        raise RuntimeError(f"the cpca package holds no resources/{name}: reinstall it (pip install cpca)")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@functools.lru_cache(maxsize=1)
def _containing() -> dict[str, frozenset[str]]:
    """Every division's name and short form -> the short forms of the divisions it lies in."""
    import csv

    names = {row["adcode"]: row["name"].strip() for row in csv.DictReader(_read("adcodes.csv"))}
    out: dict[str, set[str]] = {}
    for code, name in names.items():
        if name in _GROUPS:
            continue
        outer = {names.get(code[:2] + "0" * 10), names.get(code[:4] + "0" * 8)} - {name, None, *_GROUPS}
        for key in {name, short_form(name)}:
            out.setdefault(key, set()).update(short_form(o) for o in outer)
    return {k: frozenset(v) for k, v in out.items()}


def is_division(word: str) -> bool:
    """Whether an administrative division bears the name or short name ``word`` (上街 for 上街区; not 浙大,
    which jieba's dictionary lists as a place)."""
    return word in _containing()


def inside(place: str, outer: str) -> bool:
    """Whether the division ``place`` (full or short name) lies inside ``outer`` (a province or a
    city, full or short name): 江北 inside 重庆, 西峰区 inside 庆阳 and 甘肃."""
    return short_form(outer) in _containing().get(place, ())


def by_short_name(outer: str, text: str) -> bool:
    """Whether ``text`` names the province-level ``outer`` by its short name after a verb of being or
    going there (在京, 来沪)."""
    from .langrules import dictionary_tag

    short = PROVINCE_SHORT_NAMES.get(short_form(outer))
    if short is None or dictionary_tag(short) not in ("ns", "j"):
        return False
    for m in re.finditer(f"(?<=[{_BEING_OR_GOING}]){short}(.?)", text):
        if not (m.group(1) and dictionary_tag(short + m.group(1))):
            return True
    return False


# Rule 133: local news names a county's court, police or government by the county's short name
# alone (离石法院, 江北警方, 海淀检察院), and jieba's dictionary tags many such names as common words
# (离石 n), so no place is read there. A division inside ``outer`` written by its short form right
# before one of these offices names it.
_OFFICES = r"(?:人民法院|法院|法庭|检察院|公安|警方|交警|消防|政府|党委|纪委|监委|人大|政协|区委|县委|市委)"


@functools.lru_cache(maxsize=64)
def _office_pattern(outer: str) -> re.Pattern[str] | None:
    key = short_form(outer)
    names = sorted({n for n, outers in _containing().items() if key in outers and len(n) >= 2},
                   key=len, reverse=True)
    return re.compile(f"(?:{'|'.join(map(re.escape, names))}){_OFFICES}") if names else None


@functools.lru_cache(maxsize=64)
def _inside_pattern(outer: str) -> re.Pattern[str] | None:
    key = short_form(outer)
    names = sorted({n for n, outers in _containing().items() if key in outers and len(n) >= 2}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names))) if names else None


def writes_a_place_inside(outer: str, text: str) -> bool:
    """Whether ``text`` writes the name or short form of any division inside ``outer`` (汝城 for 郴州), as a
    string: lenient where a short form is also a common word, so only for letting an answer stand."""
    pattern = _inside_pattern(outer)
    return bool(pattern and pattern.search(text))


def by_office(outer: str, text: str) -> bool:
    """Whether ``text`` names a division inside ``outer`` by its name before an office (离石法院 for
    吕梁: rule 133)."""
    pattern = _office_pattern(outer)
    return bool(pattern and pattern.search(text))


@functools.lru_cache(maxsize=1)
def _cities() -> frozenset[str]:
    """The names and short forms (two characters or more) of the province- and prefecture-level
    divisions. Not counties: many of their short forms are ordinary words (城关, 和平, 新华, 开发)."""
    import csv

    out: set[str] = set()
    for row in csv.DictReader(_read("adcodes.csv")):
        code, name = row["adcode"], row["name"].strip()
        if name in _GROUPS or code[4:] != "0" * 8:
            continue
        out.update(n for n in (name, short_form(name)) if len(n) >= 2)
    return frozenset(out)


def is_city(word: str) -> bool:
    """Whether ``word`` is the name or short form of a province or prefecture-level city (合肥, 石家庄市,
    恩施, 内蒙古)."""
    return word in _cities()
