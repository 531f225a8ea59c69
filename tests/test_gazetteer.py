"""Which places of China lie inside which (rag/gazetteer.py, rules 111-112)."""

import importlib.metadata

import pytest

from rag import gazetteer
from rag.gazetteer import by_short_name, inside, short_form


@pytest.mark.parametrize("name, short", [
    ("重庆市", "重庆"), ("陕西省", "陕西"), ("江北区", "江北"), ("恩施土家族苗族自治州", "恩施"),
    ("新疆维吾尔自治区", "新疆"), ("广西壮族自治区", "广西"), ("香港特别行政区", "香港"), ("阿拉善盟", "阿拉善"),
    ("长阳土家族自治县", "长阳"), ("滨海新区", "滨海"), ("黔东南苗族侗族自治州", "黔东南"), ("北京市", "北京"),
    # must not shorten: a one-character stem keeps its kind, a name without one stays
    ("沙县", "沙县"), ("重庆", "重庆"), ("黑龙江", "黑龙江"),
])
def test_short_form(name, short):
    assert short_form(name) == short


@pytest.mark.parametrize("place, outer", [
    ("江北", "重庆"), ("江北区", "重庆市"), ("江北", "宁波"), ("西峰区", "庆阳"), ("西峰", "甘肃省"),
    ("海淀", "北京"), ("浦东新区", "上海"), ("咸阳", "陕西"), ("喀什", "新疆维吾尔自治区"), ("恩施", "湖北"),
])
def test_a_division_lies_inside_its_city_and_province(place, outer):
    assert inside(place, outer)


@pytest.mark.parametrize("place, outer", [
    ("江北", "北京"), ("西安", "甘肃"), ("寸滩", "重庆"),  # another province; a street, not a division
    ("重庆", "江北"), ("甘肃", "西峰区"),                    # the wrong way round
    ("东京", "日本"),                                        # not China's table
])
def test_a_division_does_not_lie_elsewhere(place, outer):
    assert not inside(place, outer)


@pytest.mark.parametrize("outer, text, held", [
    ("北京", "2023世界机器人大会将于8月16日在京开幕", True),
    ("陕西", "南航累计在陕保障出港航班2086班次", True),
    ("上海市", "今年来沪工作的毕业生达12万人", True),
    ("香港", "公司将于8月8日赴港上市", True),
    ("重庆", "代表团抵渝考察", True),
    # must not fire: a word the short name begins (京东, 港口), an adjective or classifier (新, 台),
    # no verb of being or going before it (南京, 陕菜馆), or no province named
    ("北京", "用户在京东购买手机", False),
    ("香港", "在港口新增泊位12个", False),
    ("新疆", "在新的一年新建学校30所", False),
    ("台湾", "在台上发言", False),
    ("北京", "南京今年接待游客", False),
    ("陕西", "陕菜馆今年接待游客", False),
    ("西宁", "在宁工作的毕业生", False),
])
def test_a_province_by_its_short_name(outer, text, held):
    assert by_short_name(outer, text) is held


def test_a_missing_place_table_says_how_to_fix_it(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    gazetteer._containing.cache_clear()
    monkeypatch.setattr(importlib.metadata, "files", missing)
    try:
        with pytest.raises(RuntimeError, match="cpca"):
            inside("江北", "重庆")
    finally:
        monkeypatch.undo()
        gazetteer._containing.cache_clear()
    assert inside("江北", "重庆")
