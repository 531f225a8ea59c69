"""rag.dates: publication dates (one case per shape) and question time expressions (a table,
including figures that must not be read as dates)."""

from __future__ import annotations

from datetime import date

import pytest

from rag.dates import (PublicationDate, TimeRange, majority_year, parse_datetime, publication_date, question_range,
                       recency_rerank, resolve_reference, resolve_relative)

# --- publication dates: (text, default_year, expected (date, time, source) or None) ----------------

SHAPES = [
    # crud_news headers, as they occur
    ("2023-08-17 10:43，正文：原标题：德惠法院：杜绝高空抛物", None, ("2023-08-17", "10:43", "header")),
    ("2023-08-17 14:15:35，正文：IT之家 8 月 17 日消息", None, ("2023-08-17", "14:15", "header")),
    ("2023-08-06，正文：据舒兰市防汛抗旱指挥部消息", None, ("2023-08-06", None, "header")),
    ("07-25 11:02，正文：连日来，我国多地受强降雨袭击", 2023, ("2023-07-25", "11:02", "header")),
    ("8-3 09:15，正文：记者从…获悉", 2023, ("2023-08-03", "09:15", "header")),
    ("23-08-07 10:00，正文：原标题：强降雨", None, ("2023-08-07", "10:00", "header")),
    ("2023年08月03日，正文：                8月3日，公安部召开新闻发布会", None, ("2023-08-03", None, "header")),
    ("2023年08月09日 10:20:31 来自北京市，正文：正文", None, ("2023-08-09", "10:20", "header")),
    ("[              2023/07/22  16:02              ]，正文：中国经济网北京7月22日讯", None, ("2023-07-22", "16:02", "header")),
    ("08/16  13:50，正文：参考消息网8月16日报道", 2023, ("2023-08-16", "13:50", "header")),
    ("发布时间：2023-08-15 10:00:00，正文：x", None, ("2023-08-15", "10:00", "header")),
    ("http://www.gd.chinanews.com\xa0\xa0\xa0\xa02023年08月08日 10:20\xa0\xa0\xa0\xa0来源：中新网广东，正文：x", None,
     ("2023-08-08", "10:20", "header")),
    # a newspaper page whose first line is its date
    ("2024年2月2日 星期五\n西宁晚报\n本报讯（记者 施翔）2月1日下午，…", None, ("2024-02-02", None, "header")),
    # leads: datelines, 本报讯, credited leads, dated openings
    ("来源：中国青年报客户端，正文：  8月15日，国新办就2023年7月国民经济运行情况举行发布会。", 2023, ("2023-08-15", None, "lead")),
    ("新华社北京8月15日电（周圆、张树志）国家统计局15日首次增加发布服务零售额数据。", 2023, ("2023-08-15", None, "lead")),
    ("IT之家 8 月 16 日消息，苹果今日向 iPhone 用户推送了更新", 2023, ("2023-08-16", None, "lead")),
    ("本报讯（记者 施翔）2 月 1\n日下午，省委常委、市委书记王卫东参加", 2024, ("2024-02-01", None, "lead")),
    ("，正文：中国青年报客户端讯（中青报·中青网记者 张均斌）8月1日，是我国首条高铁开通十五周年", 2023,
     ("2023-08-01", None, "lead")),
    ("，正文：记者 周宣刚8月6日，记者从烟台市气象台获悉", 2023, ("2023-08-06", None, "lead")),
    ("2023年8月10日，英大证券首席经济学家李大霄表示", None, ("2023-08-10", None, "lead")),
    # a lead date without a year and no year known: undated rather than guessed
    ("新华社北京8月15日电 国家统计局15日发布", None, None),
    # dates deeper in the text are events, not the publication
    ("市委召开全会，听取工作报告。会议决定，下届全会将于2024年3月15日召开。", 2023, None),
    ("，正文：记者从中国上海局集团有限公司获悉，8月1日10点08分，随着最后一节钢箱梁焊接完成", 2023, None),
    ("据统计，1至7月份我国服务零售额同比增长20.3%，5.5%左右的增长目标", 2023, None),
]


@pytest.mark.parametrize("text,year,expected", SHAPES)
def test_publication_date_shapes(text, year, expected):
    found = publication_date(text, default_year=year)
    if expected is None:
        assert found is None
    else:
        assert found == PublicationDate(*expected)


def test_field_and_metadata_dates_and_their_order():
    text = "2023-08-17 10:43，正文：新华社北京8月16日电 …"
    # A JSONL date field wins over the header; the header wins over the file's metadata.
    assert publication_date(text, field="2023-08-18").source == "field"
    assert publication_date(text, metadata="2020-01-01T00:00:00Z") == PublicationDate("2023-08-17", "10:43", "header")
    assert publication_date("正文没有日期。", metadata="2023-08-17T10:43:00+08:00") == \
        PublicationDate("2023-08-17", "10:43", "metadata")
    assert publication_date("正文没有日期。", metadata="D:20230817104300+08'00'") == \
        PublicationDate("2023-08-17", "10:43", "metadata")
    assert publication_date("正文没有日期。", field="not a date") is None


@pytest.mark.parametrize("raw,expected", [
    ("2023-08-17T10:43:00+08:00", ("2023-08-17", "10:43")),
    ("2023/7/2", ("2023-07-02", None)),
    ("2023年8月17日", ("2023-08-17", None)),
    ("D:20230817", ("2023-08-17", None)),
    ("2023-02-30", None),  # no such day
    ("3.15", None),
    ("v1.2.3", None),
])
def test_parse_datetime(raw, expected):
    assert parse_datetime(raw) == expected


def test_majority_year_prefers_the_common_then_the_later_year():
    assert majority_year([2023, 2023, 2015, None]) == 2023
    assert majority_year([2022, 2023]) == 2023
    assert majority_year([None]) is None


# --- relative dates inside an article ----------------------------------------------------------------

def test_relative_dates_in_an_article_resolve_against_its_publication():
    found = {e.expression: e for e in resolve_relative("昨天下午，上周五的会议之后，近日又于15日召开了会议。", "2023-08-17")}
    assert found["昨天"].date == "2023-08-16"
    assert found["上周五"].date == "2023-08-11"  # 2023-08-17 is a Thursday
    assert found["15日"].date == "2023-08-15"
    assert found["近日"].date is None and not found["近日"].certain
    assert (found["近日"].since, found["近日"].until) == ("2023-08-10", "2023-08-17")
    # a day still to come this month is last month's; 8月15日 is an absolute date, not a bare day
    assert [e.date for e in resolve_relative("28日", "2023-08-17")] == ["2023-07-28"]
    assert resolve_relative("8月15日", "2023-08-17") == []
    # days to come are as certain as days past
    assert [(e.expression, e.date) for e in resolve_relative("明天首飞，后天返程", "2023-08-03")] == [
        ("明天", "2023-08-04"), ("后天", "2023-08-05")]


@pytest.mark.parametrize("text, published, days", [
    ("东航的第二架C919将在明天首次执飞", "2023-08-03", {"明天": "2023-08-04"}),
    ("昨晚起降雨，今天仍有暴雨", "2023-08-03", {"昨晚": "2023-08-02", "今天": "2023-08-03"}),
    ("成立仪式14日在广州举行", "2023-08-15", {"14日": "2023-08-14"}),
    ("28日召开了会议", "2023-08-15", {"28日": "2023-07-28"}),  # a day still to come is last month's
    ("会议将于28日召开", "2023-08-15", {"28日": "2023-08-28"}),  # unless the event is to come
    ("今天（8月3日）起施行", "2023-08-03", {}),  # the text dates it already
    ("8月14日举行，8 月 16 日闭幕", "2023-08-15", {}),  # a day with its month
    ("将于周五举行", "2023-08-15", {}),  # a weekday is not certain for a future event
    ("近日召开会议，新华社北京14日电", "2023-08-15", {}),
    ("广东公安7月21日到23日开展集中行动", "2023-08-15", {}),  # the end of a range whose month was written
    ("访问从8月16日至19日", "2023-08-15", {}),
    ("被处以行政拘留5日", "2023-08-15", {}),  # a number of days
    ("须在5日内答复", "2023-08-15", {}),
])
def test_day_dates(text, published, days):
    from rag.dates import day_dates

    assert day_dates(text, published) == days


def test_writes_bare():
    from rag.dates import writes_bare

    assert writes_bare("成立仪式14日在广州举行", "14日")
    assert not writes_bare("成立仪式7月14日在广州举行", "14日")
    assert writes_bare("将在明天首次执飞", "明天")


def test_date_day_words_follows_each_word_with_its_day():
    from rag.dates import date_day_words

    assert date_day_words("将在明天首次执飞，明天返程", {"明天": "2023-08-04"}) == (
        "将在明天（2023年8月4日）首次执飞，明天（2023年8月4日）返程")
    assert date_day_words("今天（8月3日）起施行", {"今天": "2023-08-03"}) == "今天（8月3日）起施行"
    assert date_day_words("明天首飞", {}) == "明天首飞"
    assert date_day_words("14日举行，8月14日闭幕", {"14日": "2023-08-14"}) == "14日（2023年8月14日）举行，8月14日闭幕"
    assert date_day_words("他说“今天的成都准备好了”", {"今天": "2023-07-28"}) == "他说“今天的成都准备好了”"


# --- time expressions in questions: (question, reference, since, until, recency) -------------------

REF = "2023-08-19"  # a Saturday
EXPRESSIONS = [
    ("2023年8月的GDP是多少？", REF, "2023-08-01", "2023-09-15", False),
    ("8月17日南川支行发了多少份宣传资料？", REF, "2023-08-17", "2023-08-18", False),
    ("八月十七日下午开了什么会？", REF, "2023-08-17", "2023-08-18", False),
    ("二〇二三年八月十七日的报道说了什么？", REF, "2023-08-17", "2023-08-18", False),
    ("8月17号发布了什么？", REF, "2023-08-17", "2023-08-18", False),
    ("12月11日召开的全会讨论了什么？", REF, "2022-12-11", "2022-12-12", False),  # still to come: last year's
    ("上周开了什么会？", REF, "2023-08-07", "2023-08-14", False),
    ("本周有什么新闻？", REF, "2023-08-14", "2023-08-19", False),
    ("上周五公布了什么？", REF, "2023-08-11", "2023-08-12", False),
    ("周四公安部发布会说了什么？", REF, "2023-08-17", "2023-08-18", False),
    ("昨天发生了什么？", REF, "2023-08-18", "2023-08-19", False),
    ("今天有什么消息？", REF, "2023-08-19", "2023-08-19", False),
    ("前天国家统计局介绍1至7月份服务零售额同比增长多少？", REF, "2023-08-17", "2023-08-18", False),
    ("三天前沪指报多少点？", REF, "2023-08-16", "2023-08-17", False),
    ("今年的GDP目标是多少？", REF, "2023-01-01", "2024-03-31", False),
    ("去年全市接待游客多少人次？", REF, "2022-01-01", "2023-03-31", False),
    ("近三个月的油价怎么走？", REF, "2023-05-19", "2023-08-19", False),
    ("最近7天有哪些台风？", REF, "2023-08-12", "2023-08-19", True),
    ("上个月25日人民币中间价报多少？", REF, "2023-07-25", "2023-07-26", False),
    ("本月1日碧桂园服务发布了什么公告？", REF, "2023-08-01", "2023-08-02", False),
    ("截至8月5日22时30分，舒兰遇难多少人？", REF, "2023-08-05", "2023-08-06", False),
    ("7月25日和8月2日的中间价分别是多少？", REF, "2023-07-25", "2023-08-03", False),
    ("最近一次市委全会是哪天开的？", REF, None, None, True),
    ("最新的人民币中间价报多少？", REF, None, None, True),
]

# Questions whose figures only look like dates, or name a statistical period, not a time of reporting.
NOT_DATES = [
    "2024年西宁市政府工作报告中，地区生产总值预期增长5.5%左右吗？".replace("2024年", ""),
    "十四五规划提出了什么目标？",
    "大通县的安全生产百日攻坚集中行动1964+N是什么？",
    "3.15晚会曝光了什么？",
    "iOS 17.0.1 版本修复了什么？",
    "1至7月份服务零售额增长多少？",
    "7月份国民经济运行情况如何？",
    "上半年全国新增就业多少人？",
    "前7个月进出口总值是多少？",
    "第十三批典型案例有几起？",
    "12345热线受理了多少件诉求？",
    "到2035年要建成什么？",
    "城市空气质量优良天数比例要保持在92%以上吗？",
]


@pytest.mark.parametrize("question,ref,since,until,recency", EXPRESSIONS)
def test_question_time_expressions(question, ref, since, until, recency):
    tr = question_range(question, ref)
    assert tr is not None
    assert (tr.since, tr.until, tr.recency) == (since, until, recency)


@pytest.mark.parametrize("question", NOT_DATES)
def test_figures_and_periods_are_not_read_as_dates(question):
    assert question_range(question, REF) is None


def test_a_year_alone_is_a_scope_but_not_when_a_day_is_named():
    assert question_range("2023年城中区完成地区生产总值多少？", REF) == TimeRange("2023-01-01", "2024-03-31", "2023年")
    tr = question_range("2023年8月17日的报道", REF)
    assert (tr.since, tr.until) == ("2023-08-17", "2023-08-18")


def test_reference_day_setting():
    today = date(2026, 12, 3)
    assert resolve_reference("today", "2023-08-19", today) == today
    assert resolve_reference("newest", "2023-08-19", today) == date(2023, 8, 19)
    assert resolve_reference("newest", None, today) == today
    assert resolve_reference("2023-08-10", None, today) == date(2023, 8, 10)
    # the same question resolves against the chosen day
    assert question_range("昨天的消息", resolve_reference("2023-08-10", None)).since == "2023-08-09"


def test_describe_names_the_range():
    assert question_range("8月17日开了什么会？", REF).describe() == "2023-08-17 至 2023-08-18（8月17日）"
    assert "最新报道优先" in question_range("最新的消息", REF).describe()


def test_recency_rerank_moves_the_newer_report_up_but_not_an_unrelated_one():
    # (item, fused score, ranks, scores): 1 and 2 are two reports of one thing, 2 is newer; 3 is newest
    # but far less relevant.
    fused = [(1, 0.0490, {"bm25": 1}, {}), (2, 0.0480, {"bm25": 2}, {}), (3, 0.0100, {"bm25": 30}, {})]
    dates = {1: "2023-08-12", 2: "2023-08-13", 3: "2023-08-19"}
    out = recency_rerank(fused, dates, bonus=2 / 61, pool=10)
    assert [r[0] for r in out][:2] == [2, 1] or [r[0] for r in out][0] == 3
    order = [r[0] for r in recency_rerank(fused[:2], dates, bonus=2 / 61, pool=10)]
    assert order == [2, 1]
    assert recency_rerank(fused, {}, bonus=1.0, pool=10) == fused  # nothing dated: unchanged
    # below the pool nothing moves
    assert recency_rerank(fused, dates, bonus=1.0, pool=1)[1:] == fused[1:]


# 当天 and 当日 mean the day the text named last (same paragraph, within SAME_DAY_REACH characters).
@pytest.mark.parametrize("text, published, days", [
    ("新华社莫斯科8月18日电 俄罗斯国防部18日表示，俄方当天挫败了无人机袭击。", "2023-08-18", {"2023-08-18"}),
    ("8月5日下午，市里召开防汛会议。当天晚上，暴雨如期而至。", "2023-08-07", {"2023-08-05"}),
    ("2022年12月31日，跨年晚会在广场举行，当日到场观众超过两万人。", "2023-01-02", {"2022-12-31"}),
    ("昨天上午，新馆开放，当天接待游客3000人次。", "2023-08-07", {"2023-08-06"}),
    ("2023-08-08 18:52，正文：记者获悉，当天下午起全市启动应急响应。", "2023-08-08", {"2023-08-08"}),
    # must not be dated: no day named before it; a day named in another paragraph; a bare day in an
    # undated passage; a number of days; two 当天 meaning two days
    ("记者获悉，当天下午起全市启动应急响应。", "2023-08-08", set()),
    ("8月5日召开会议。\n另据报道，当天有多人受伤。", "2023-08-07", set()),
    ("18日，俄方当天挫败了无人机袭击。", None, set()),
    ("被处以行政拘留5日，当天执行。", "2023-08-07", set()),
    ("8月5日开幕，当天签约10个项目。8月6日闭幕，当天又签约5个。", "2023-08-07", {"2023-08-05", "2023-08-06"}),
])
def test_same_day_dates(text, published, days):
    from rag.dates import same_day_dates

    assert same_day_dates(text, published) == days


def test_same_day_dates_reads_the_cited_span_first():
    from rag.dates import same_day_dates

    text = "8月5日开幕，当天签约10个项目。8月6日闭幕，当天又签约5个。"
    assert same_day_dates(text, "2023-08-07", (text.index("8月6日"), len(text))) == {"2023-08-06"}


@pytest.mark.parametrize("said, days", [
    ("明天首次执飞，14日举行", {"明天": "2023-08-04", "14日": "2023-08-14"}),
    ("当日，成都天府国际机场口岸迎来入境最高峰", {"当日": "2023-07-27"}),
    ("8月3日，记者获悉", {}),
])
def test_undated_day_words_gives_back_what_was_said(said, days):
    from rag.dates import date_day_words, undated_day_words

    assert undated_day_words(date_day_words(said, days)) == said


def test_undated_day_words_keeps_a_date_the_text_wrote_itself():
    from rag.dates import undated_day_words

    assert undated_day_words("会议于2023年8月3日（周四）举行") == "会议于2023年8月3日（周四）举行"
