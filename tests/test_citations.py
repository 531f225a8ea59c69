import pytest
from hypothesis import given, settings as hsettings, strategies as st

from rag.citations import AnswerSentence, check_answer, parse_markers, split_answer, strip_markers, verify
from rag.types import Chunk


def _chunk(i, text):
    return Chunk(chunk_id=f"c{i}", doc_id=f"d{i}", text=text, start=0, end=len(text), title=f"t{i}")


CHUNKS = [
    _chunk(1, "西宁市第十七届人民代表大会第五次会议开幕。会议应到代表312人，实到301人，符合法定人数。"),
    _chunk(2, "2024年全市地区生产总值预期增长5.5%左右。城镇居民人均可支配收入增长6%。"),
    _chunk(3, "青海省篮球联赛在西宁体育馆开幕，共有16支球队参赛。"),
]


def test_marker_shapes():
    assert parse_markers("答案[1]。") == [1]
    assert parse_markers("答案[1,3]。") == [1, 3]
    assert parse_markers("答案[1][2]。") == [1, 2]
    assert parse_markers("答案【1】和【2，3】") == [1, 2, 3]
    assert parse_markers("答案［２］") == [2]
    assert parse_markers("见[资料1]与[1-3]") == [1, 2, 3]
    assert parse_markers("没有引用") == []
    assert strip_markers("增长5.5%[2]。") == "增长5.5%。"


def test_markers_after_full_stop_belong_to_sentence():
    sents = split_answer("会议应到代表312人。[1] 预期增长5.5%。[2]")
    assert [(s.text, s.cited) for s in sents] == [("会议应到代表312人。", (1,)), ("预期增长5.5%。", (2,))]


def test_verified_citation_has_span_and_support():
    res = check_answer("会议应到代表312人[1]。", CHUNKS)
    (c,) = res.citations
    assert c.n == 1 and not c.inferred and c.support > 0.8
    assert "312" in CHUNKS[0].text[c.span[0]:c.span[1]]
    assert res.unsupported == ()


def test_wrong_number_is_unsupported():
    res = check_answer("会议应到代表320人[1]。", CHUNKS)
    assert res.citations[0].support == 0.0
    assert res.unsupported == ("会议应到代表320人。",)


def test_citation_to_wrong_chunk_is_flagged_and_corrected():
    res = check_answer("会议应到代表312人[3]。", CHUNKS)
    wrong, right = res.citations
    assert wrong.n == 3 and wrong.support < 0.3 and not wrong.inferred
    assert right.n == 1 and right.inferred and right.support > 0.8
    assert res.unsupported == ()


def test_out_of_range_numbers_dropped():
    res = check_answer("预期增长5.5%左右[2][7]。", CHUNKS)
    assert [c.n for c in res.citations] == [2]
    assert res.invalid_numbers == (7,)


def test_uncited_answer_gets_inferred_citation():
    res = check_answer("共有16支球队参赛。", CHUNKS)
    (c,) = res.citations
    assert c.inferred and c.n == 3
    assert CHUNKS[2].text[c.span[0]:c.span[1]].startswith("青海省篮球联赛")


@pytest.mark.parametrize("answer, chunks, expected", [
    # Fires: the cited chunk holds the claim only through a shared name; another writes it out.
    ("散发脱刀令颁布[2]。",
     ["此风俗一直持续到明治时代的散发脱刀令颁布。", "散发脱刀令，俗称断发令，是明治政府发出的布告。"], [2, 1]),
    ("大桥于6月30日正式通车[1]。",
     ["南湖大桥于2021年开工建设，6月30日通车。", "南湖大桥于今年6月30日上午10时正式通车。"], [1, 2]),
    ("会议应到代表312人[2]。",
     ["会议应到代表312人，实到301人。", "本次会议代表共312人。"], [2, 1]),
    # Must not fire: the cited chunk is as good as any, or the other chunk is no better by the margin.
    ("会议应到代表312人[1]。", ["会议应到代表312人，实到301人。", "会议应到代表312人。"], [1]),
    ("共有16支球队参赛[1]。", ["青海省篮球联赛共有16支球队参赛。", "联赛在西宁体育馆开幕。"], [1]),
    ("预期增长5.5%左右[2]。", ["城镇居民人均可支配收入增长6%。", "全市地区生产总值预期增长5.5%左右。"], [2]),
])
def test_better_uncited_chunk_is_attached(answer, chunks, expected):
    res = check_answer(answer, [_chunk(i, t) for i, t in enumerate(chunks, 1)])
    assert [c.n for c in res.citations if c.holds] == expected
    assert all(c.inferred for c in res.citations[1:])


# Rule 15: quotation marks are not part of the quoted words (a quote inside a quote takes single marks).
@pytest.mark.parametrize("sentence, chunk, fires", [
    ("发言人称：“尚没有船只通过这条‘人道主义走廊’”。", "业内人士说，尚没有船只通过这条“人道主义走廊”。", False),
    ("他说：“要打造‘一个创新基地’”。", "要打造“一个创新基地”，推进高质量发展。", False),
    ("报道称“「双减」政策落地”。", "报道称“双减”政策落地。", False),
    # must fire: the quoted words themselves differ, whatever the marks.
    ("发言人称：“已有三艘船通过这条‘人道主义走廊’”。", "业内人士说，尚没有船只通过这条“人道主义走廊”。", True),
    ("他说：“要打造‘两个创新基地’”。", "要打造“一个创新基地”，推进高质量发展。", True),
])
def test_quote_marks_are_not_words(sentence, chunk, fires):
    from rag.citations import problems

    assert any(p.startswith(("尚", "已", "要", "「", "双")) for p in problems(sentence, chunk)) is fires


# Rule 80: a bare figure of the question names something there (九巴86线, ISO 5725, 4号线); the answer
# repeating it bare is not a claim the chunk must state. A figure with a unit or a percentage still is.
@pytest.mark.parametrize("sentence, chunk, question, flagged", [
    ("九龙巴士86线现时一共用11辆双层空调巴士。", "现时本线使用11辆双层空调巴士。", "九巴86线现时一共用多少辆双层巴士", []),
    ("ISO 5725标准里取代准确度的新术语是真实度。", "ISO5725 使用「真实度」替代原本的准确度。", "ISO 5725 标准里 取代准确度的新术语", []),
    ("波音737 MAX停飞了20个月。", "该机型在全球停飞20个月。", "波音737 MAX停飞了多久", []),
    ("Enviro 500巴士有12米长。", "这款巴士长12米。", "Enviro 500巴士有多长", []),
    ("大众ID.4的续航为555公里。", "ID.4续航为555公里。", "大众ID.4的续航是多少", []),
    # must still fire: a figure the question gives with a unit or as a percentage, or one it does not give
    ("九巴86线用86辆巴士。", "现时本线使用11辆巴士。", "九巴86线用多少辆巴士", ["86辆"]),
    ("失业率是99%。", "失业率是5%。", "失业率是不是99%", ["99%"]),
    ("九巴86线用11辆巴士。", "现时本线使用11辆巴士。", "九巴68线用多少辆巴士", ["86"]),
    ("ISO 9001标准里取代准确度的新术语是真实度。", "ISO5725 使用「真实度」替代原本的准确度。", "ISO 5725 标准里 取代准确度的新术语", ["9001"]),
])
def test_bare_figures_of_the_question_are_names(sentence, chunk, question, flagged):
    from rag.citations import problems

    assert problems(sentence, chunk, question) == flagged


def test_refusal_sentence_is_ignored():
    res = check_answer("资料中没有找到这个问题的答案。", CHUNKS, ignore=["资料中没有找到这个问题的答案。"])
    assert res.sentences == 0 and res.citations == ()


def test_verify_names_missing_numbers():
    support, span, missing = verify("实到302人", CHUNKS[0].text)
    assert support == 0.0 and missing == ["302人"]


@hsettings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("西宁会议312人。[]【】,，1234567890abc \n、-")), max_size=80))
def test_parser_never_fails_and_spans_inside(answer):
    res = check_answer(answer, CHUNKS)
    for c in res.citations:
        assert 1 <= c.n <= len(CHUNKS)
        assert 0 <= c.span[0] <= c.span[1] <= len(c.chunk.text)
        assert 0.0 <= c.support <= 1.0


def test_number_with_unit_must_match():
    chunk = [_chunk(1, "10月15日，护苗2025绿书签行动在西宁启动，向学生赠送图书。")]
    res = check_answer("护苗行动一共赠送了10册图书[1]。", chunk)
    assert res.unsupported and res.citations[0].support == 0.0


def test_session_number_in_words_must_match():
    chunk = [_chunk(1, "市政协十五届四次会议的委员列席开幕大会。")]
    assert check_answer("同期召开的是政协第十三届四次会议[1]。", chunk).unsupported
    assert not check_answer("同期召开的是市政协十五届四次会议[1]。", chunk).unsupported


def test_numbers_from_the_question_are_not_claims():
    chunk = [_chunk(1, "城市空气质量优良天数比例保持在92%以上。")]
    answer = "按2024年报告，优良天数比例要保持在92%以上[1]。"
    assert check_answer(answer, chunk).unsupported  # 2024 is in no chunk
    assert not check_answer(answer, chunk, question="2024年报告对空气质量提出了什么目标？").unsupported


# Lead-ins a small model writes around its markers are pointers to a source, not claims.
@pytest.mark.parametrize("answer, claim, cited", [
    ("资料编号为1的资料中提到，会议实到301人。", "会议实到301人。", (1,)),
    ("根据资料[2]，全市地区生产总值预期增长5.5%左右。", "全市地区生产总值预期增长5.5%左右。", (2,)),
    ("资料编号为[3]，共有16支球队参赛。", "共有16支球队参赛。", (3,)),
    ("资料1显示：增长5.5%。", "增长5.5%。", (1,)),
    ('资料编号="2"的资料中提到，增长5.5%。', "增长5.5%。", (2,)),  # the source tag's attribute, copied
    ("报告共三个部分。", "报告共三个部分。", ()),  # a subject, not a lead-in
])
def test_source_lead_in_is_not_part_of_the_claim(answer, claim, cited):
    assert split_answer(answer) == [AnswerSentence(claim, cited)]


def test_lone_marker_sentence_attaches_to_the_previous_one():
    assert split_answer("301人。资料编号为[2]。") == [AnswerSentence("301人。", (2,))]


def test_lead_in_does_not_lower_support():
    # Every bigram of the claim is in chunk 1; those of the lead-in "的资料中提到" are not.
    bare = check_answer("实到301人，符合法定人数[1]。", CHUNKS).citations[0].support
    led = check_answer("资料编号为1的资料中提到，实到301人，符合法定人数。", CHUNKS).citations[0].support
    assert led == bare == 1.0


def test_a_two_character_answer_is_verified():
    checked = check_answer("三次[1]", [_chunk(1, "总书记三次考察青海。")])
    assert checked.sentences == 1 and checked.supported_sentences == 1
    assert checked.citations[0].n == 1 and checked.citations[0].support == 1.0


def test_percent_in_words_must_match_the_chunk():
    # "百分之4" is the figure 4%; the chunk only has 5.5% and 6%.
    checked = check_answer("城镇调查失业率控制在百分之4以内[2]。", CHUNKS)
    assert checked.supported_sentences == 0 and checked.unsupported
    assert check_answer("预期增长百分之5.5左右[2]。", CHUNKS).supported_sentences == 1


@pytest.mark.parametrize("raw, shown", [
    ("资料编号为1的资料中提到，会议实到301人。", "会议实到301人[1]。"),
    ("资料编号为[3]，共有16支球队参赛。", "共有16支球队参赛[3]。"),
    ('资料编号="2"的资料中提到，增长5.5%。', "增长5.5%[2]。"),
    ("根据资料[2]，增长5.5%。第二句[1]。", "增长5.5%[2]。第二句[1]。"),
    ("资料编号为1的资料中提到，增长5.5%[2]。", "增长5.5%[2]。"),  # the sentence's own marker wins
    ("报告共三个部分[1]。", "报告共三个部分[1]。"),
    # a chain of lead-ins: each is a citation, none is part of the claim
    ("资料编号为1的资料中提到，资料编号为2的资料中提到，资料编号为3的资料中提到，84M线从2010年8月23日起改称82M。",
     "84M线从2010年8月23日起改称82M[1][2][3]。"),
    ("资料编号为1的资料中提到，根据资料2，会议实到301人。", "会议实到301人[1][2]。"),
    ("资料编号为2的资料中提到，资料编号为2的资料中提到，会议实到301人。", "会议实到301人[2]。"),
    # Rule 143: a lead-in after a comma starts the next claim, from the source it names; one with
    # nothing after it (the token limit) cites nothing. Text that merely holds 资料 is text.
    ("资料编号为1的资料中提到，森林覆盖率提高4个百分点，资料编号为2的资料中提到，治理面积5.7万平方公里，资料编号为3的资料中提到，",
     "森林覆盖率提高4个百分点[1]。治理面积5.7万平方公里[2]。"),
    ("增长5%，根据资料[2]，收入增长3%。", "增长5%。收入增长3%[2]。"),
    ("全市发放宣传资料3000余份，资料显示增长5%[1]。", "全市发放宣传资料3000余份，资料显示增长5%[1]。"),
    ("资料编号为1的资料中提到，", "资料编号为1的资料中提到，"),
])
def test_tidy_answer_moves_the_source_lead_in_to_a_marker(raw, shown):
    from rag.citations import tidy_answer

    assert tidy_answer(raw) == shown
    # The shown text cites nothing the model did not cite, and keeps the same claims.
    assert {n for s in split_answer(shown) for n in s.cited} <= {n for s in split_answer(raw) for n in s.cited}
    assert [s.text for s in split_answer(shown)] == [s.text for s in split_answer(raw)]


def test_sentences_carry_verdicts_and_which_citations_hold():
    res = check_answer("会议应到代表312人[1]。共有16支球队参赛[1]。答案是8.8%[2]。", CHUNKS)
    verdicts = [(s.text, s.verdict) for s in res.verified]
    assert verdicts == [("会议应到代表312人。", "supported"), ("共有16支球队参赛。", "inferred"),
                        ("答案是8.8%。", "unsupported")]
    first, second, third = res.verified
    assert [c.holds for c in first.citations] == [True] and first.span is not None
    # The model's [1] does not hold for the second sentence; chunk 3 is inferred and holds.
    assert [(c.n, c.holds, c.inferred) for c in second.citations] == [(1, False, False), (3, True, True)]
    assert third.support == 0.0 and third.span is None and any("8.8%" in p for p in third.problems)
    assert res.unsupported == ("答案是8.8%。",) and res.supported_sentences == 2 and res.sentences == 3


def test_support_leaves_out_the_words_the_answer_repeats_from_the_question():
    chunk = "今年发展的主要预期目标是：城镇新增就业3.3万人以上。"
    sentence = "2024年西宁市政府工作报告提出城镇新增就业的目标是3.3万人以上。"
    plain, _, _ = verify(sentence, chunk)
    asked, _, _ = verify(sentence, chunk, "2024年西宁市政府工作报告提出城镇新增就业的目标是多少？")
    assert plain < 0.6 < asked


@pytest.mark.parametrize("sentence, chunk, supported", [
    # a one-digit count the answer writes in digits is read against the chunk's numerals in words
    ("浦锦街道今年是成立8周年。", "浦锦街道成立八周年之际，举办了活动。", True),
    ("会议共进行了3次表决。", "大会先后进行了三次表决。", True),
    ("他获得了2枚金牌。", "本届比赛他共获得两枚金牌。", True),
    # must not fire: another count is still another count, whatever its script
    ("浦锦街道今年是成立9周年。", "浦锦街道成立八周年之际，举办了活动。", False),
    ("会议共进行了4次表决。", "大会先后进行了三次表决。", False),
    # must not fire: an answer in words keeps a phrase the chunk words otherwise as it was
    ("推行六个一工作法。", "推行“六个一”工作法。", True),
])
def test_support_reads_small_counts_as_values_when_the_answer_writes_digits(sentence, chunk, supported):
    from rag.citations import verify

    support, _, _ = verify(sentence, chunk)
    assert (support >= 0.45) is supported


# Rule 19: each item of a list sentence is cited from a chunk that writes it.
@pytest.mark.parametrize("answer, chunks, expected", [
    # Fires: the sentence holds against one notice by its shared words; the other item's notice is cited too.
    ("东莞证券股份有限公司和德邦证券股份有限公司。[2]",
     ["新增东莞证券股份有限公司为场内申购、赎回业务的代办券商。", "新增德邦证券股份有限公司为场内申购、赎回业务的代办券商。"], [2, 1]),
    # The model's own citation of the other chunk, void for the whole sentence, holds for its item.
    ("东莞证券股份有限公司和德邦证券股份有限公司。[1]",
     ["新增东莞证券股份有限公司为场内申购、赎回业务的代办券商。", "新增德邦证券股份有限公司为场内申购、赎回业务的代办券商。"], [1, 2]),
    ("基地种植杉木、木荷和枫香[1]。", ["碳汇林基地种植杉木、木荷等树种。", "林场今年补种了枫香。"], [1, 2]),
    # Must not fire: every item is in the held chunk, the item is written nowhere else, or no list.
    ("基地种植杉木和木荷[1]。", ["碳汇林基地种植杉木、木荷等树种。", "林场今年补种了枫香。"], [1]),
    ("基地种植杉木、木荷和银杏[1]。", ["碳汇林基地种植杉木、木荷等树种。", "林场今年补种了枫香。"], []),  # holds nowhere: nothing added
    ("会议应到代表312人[1]。", ["会议应到代表312人，实到301人。", "代表312人和列席人员出席。"], [1]),
])
def test_list_items_cited_where_written(answer, chunks, expected):
    res = check_answer(answer, [_chunk(i, t) for i, t in enumerate(chunks, 1)], 0.45)
    assert sorted(c.n for c in res.citations if c.holds) == sorted(expected)


# Rule 24: a clause the model repeated in a loop is shown once.
@pytest.mark.parametrize("answer, shown", [
    ("于嘉靖二十四年称“既无昭穆，无昭穆，无昭穆，无昭穆，无昭穆，无昭", "于嘉靖二十四年称“既无昭穆…"),
    ("好好学习，天天向上，天天向上，天天向上，天天向上。", "好好学习，天天向上，天天向上。"),
    ("甲、乙、甲、乙、甲、乙、丙。", "甲、乙、甲、乙、甲、乙、丙。"),
    # Must not fire: a clause said twice, or parallel clauses that differ.
    ("一是加强监管，二是加强监管，三是完善制度。", "一是加强监管，二是加强监管，三是完善制度。"),
    ("加强监管，加强监管。", "加强监管，加强监管。"),
])
def test_repeated_clauses_shown_once(answer, shown):
    from rag.citations import tidy_answer

    assert tidy_answer(answer) == shown


# A paraphrased claim holds by its figures (r21, ``citations.ANCHORED_MIN_SHARE``): support between 0.3
# and the threshold, and every figure it adds written in the cited chunk in a sentence holding enough
# of the question's words. Cases from the CMRC and news sets and made-up news, none from the seeds.
@pytest.mark.parametrize("question, answer, chunk, supported", [
    # Fires: the figure is the passage's, in the sentence about what is asked (support 0.33-0.44).
    ("柏林胜利纪念柱上的胜利女神青铜像重多少", "胜利纪念柱的重为35吨。[1]",
     "与原先规划不同，后来在所谓统一战争中的胜利，增加了胜利女神维多利亚青铜雕塑，高8.3米，重35吨。", True),
    ("葵潭站被错拿走的黑色双肩包里面装了多少台苹果手机", "黑色双肩包里面装了9部苹果手机。[1]",
     "在葵潭站安检口处遗失其携带的黑色背包，内有工作需要用到的苹果手机9部，价值2万余元，希望民警帮忙找回。", True),
    ("斯洛文尼亚前锋罗迪奇2009年效力上海申花，那个赛季30场联赛他出场了多少场",
     "罗迪奇在2009年效力上海申花时，那个赛季30场联赛他出场了28场。[1]",
     "亚历山大·罗迪奇（Aleksander Rodić，），斯洛文尼亚足球运动员，司职前锋，从2009年加盟上海申花起，此后"
     "数年内效力于多家中国俱乐部。2000年曾效力于贝尔格莱德红星，2005年加盟英超球队朴茨茅斯，2006-2008年转战保"
     "加利亚球队洛维奇利特克斯和。2009年初，他在热身赛对阵上海申花的比赛中因为出色表现而被邀请试训，但是一开始因转会费问题"
     "而未加盟，不过之后由于国际布洛克降价而最终成交。因为注册时间原因而错过了亚冠的罗迪奇此后在联赛中成为绝对主力，出场了30"
     "场比赛中的28场，而且曾担任了前锋、前腰、后腰等不同位置。2010年，罗迪奇租借至青岛中能。罗迪奇在该赛季攻入7球，成为", True),
    ("东湖隧道全长多少米", "东湖隧道的长度是一千六百米。[1]", "东湖隧道工程昨日贯通，隧道全长1600米，双向四车道，预计年底通车。", True),
    ("今年的荷花节一共来了多少游客", "荷花节期间前来观赏的人数达12万人次。[1]", "第十届荷花节昨日闭幕，荷花节期间共接待游客12万人次。", True),
    # Must not fire: a neighbouring sentence's figure, a few characters from the question's words.
    ("市图书馆今年新增藏书多少册", "市图书馆今年的藏书新增量达到120万册。[1]",
     "市图书馆今年新增藏书5万册。另据统计，全市书店去年销售图书120万册，读者人均到馆5次。", False),
    ("今年的荷花节一共来了多少游客", "荷花节期间来的游客共计12万人次。[1]",
     "第十届荷花节昨日闭幕，当天上午举行了闭幕式。暑期全市各景点共接待12万人次。", False),
    # Must not fire: a figure the chunk does not write, no figure at all, support below 0.3.
    ("葵潭站被错拿走的黑色双肩包里面装了多少台苹果手机", "黑色双肩包里面装了8部苹果手机。[1]",
     "在葵潭站安检口处遗失其携带的黑色背包，内有工作需要用到的苹果手机9部，价值2万余元，希望民警帮忙找回。", False),
    ("浦发银行推出过二胎贷吗", "浦发银行没有推出二胎贷产品。[1]", "工作人员否认推出过“二胎贷”产品，并表示以官方信息为准。", False),
    ("猫一天要喂几次", "应该每天喂猫2次。[1]", "宠物医院提醒，夏季高温，狗狗每天遛2次即可，避免中午出门。", False),
    ("东湖隧道全长多少米", "东湖隧道是一条四车道的道路。[1]", "东湖隧道工程昨日贯通，隧道全长1600米，双向四车道，预计年底通车。", False),
])
def test_a_paraphrased_claim_holds_by_its_figures(question, answer, chunk, supported):
    from rag.citations import ANCHORED_MIN_SUPPORT, verify

    support, _, _ = verify(strip_markers(answer), chunk, question)
    assert support < 0.45  # each case is below the support threshold: it holds, if at all, by its figures
    checked = check_answer(answer, [_chunk(1, chunk)], 0.45, question=question)
    assert (checked.verified[0].verdict == "supported") is supported
    if supported:
        assert support >= ANCHORED_MIN_SUPPORT and checked.verified[0].citations[0].holds


# Rule 138: when the cited chunk does not hold a claim, the chunk found for it holds by its figures too.
@pytest.mark.parametrize("question, answer, chunks, holds_in", [
    ("夏令营从国际学校来了几个外国学生", "夏令营从国际学校来了25个外国学生。[2]",
     ["官任社区辖内的30位中外学生及国际学校的25位外籍学生参加本次活动。", "学生们亲手制作香囊和酸梅汤。"], 1),
    ("东湖隧道全长多少米", "东湖隧道的长度是一千六百米。[1]",
     ["今年全市新修道路40条。", "东湖隧道工程昨日贯通，隧道全长1600米，双向四车道。"], 2),
    ("今年的荷花节一共来了多少游客", "荷花节期间前来观赏的人数达12万人次。[2]",
     ["第十届荷花节昨日闭幕，荷花节期间共接待游客12万人次。", "闭幕式上举行了文艺演出。"], 1),
    # must not fire: no chunk writes the figure; the figure sits in a sentence about something else
    ("夏令营从国际学校来了几个外国学生", "夏令营从国际学校来了26个外国学生。[2]",
     ["官任社区辖内的30位中外学生及国际学校的25位外籍学生参加本次活动。", "学生们亲手制作香囊和酸梅汤。"], None),
    ("今年的荷花节一共来了多少游客", "荷花节期间来的游客共计12万人次。[2]",
     ["第十届荷花节昨日闭幕，当天上午举行了闭幕式。暑期全市各景点共接待12万人次。", "闭幕式上举行了文艺演出。"], None),
])
def test_a_found_chunk_holds_by_its_figures(question, answer, chunks, holds_in):
    checked = check_answer(answer, [_chunk(i + 1, c) for i, c in enumerate(chunks)], 0.45, question=question)
    held = [c.n for c in checked.verified[0].citations if c.holds]
    assert held == ([holds_in] if holds_in else [])


# Rule 114: a count worded with another classifier of its kind than the chunk's (4条蛇 against 4尾) is the
# chunk's figure: support reads the claim with the chunk's classifier.
@pytest.mark.parametrize("sentence, chunk, rewritten", [
    ("海关一共查出4条蛇。", "在入境旅客行李中查获4尾活体宠物蛇。", "海关一共查出4尾蛇。"),
    ("新建了3座桥。", "今年全县新建桥梁3处。", "新建了3处桥。"),
    ("共有16个队参赛。", "共有16支球队参赛。", "共有16支队参赛。"),
    ("发病87人。", "全市发病87例。", "发病87例。"),
    ("获得4块金牌。", "中国队获得金牌4枚。", "获得4枚金牌。"),
    # must not fire: the chunk writes the claim's own classifier too, another value, a classifier of
    # another kind, or a percentage
    ("有4条蛇。", "查获4尾蛇，另有4条鱼。", "有4条蛇。"),
    ("有5条蛇。", "查获4尾蛇。", "有5条蛇。"),
    ("来了3辆车。", "设了3处检查点。", "来了3辆车。"),
    ("增长5%。", "增长5个百分点。", "增长5%。"),
])
def test_a_count_is_read_with_the_chunks_classifier(sentence, chunk, rewritten):
    from rag.langrules import in_source_classifiers

    assert in_source_classifiers(sentence, chunk) == rewritten


def test_a_claim_worded_with_another_classifier_holds():
    question = "东兴口岸入境旅客把活体宠物蛇塞在黑袜子里带进来 海关一共查出几条蛇"
    chunk = "近日，南宁海关所属东兴海关在一名入境旅客行李物品中查获4尾活体宠物蛇，经鉴定为网纹蟒。"
    support, _, problems = verify("海关一共查出4条蛇。", chunk, question)
    assert problems == [] and support > 0
    checked = check_answer("海关一共查出4条蛇[1]。", [Chunk(chunk_id="c", doc_id="d", title="", text=chunk, start=0,
                                                          end=len(chunk))], 0.45, question=question)
    assert checked.supported_sentences == 1


# Rule 158: a name the claim adds to the question anchors it, as a figure does (rule 106), when the chunk
# writes the name in a sentence holding the question's words. Not a name the chunk writes elsewhere, nor
# one it does not write, nor a title's fragment jieba tags as a name.
@pytest.mark.parametrize("question, answer, text, verdict", [
    ("林越峰本来的名字叫什么？", "林越峰的本名是林海成。[1]",
     "林越峰（1909年－？），本名林海成，林越峰是其笔名。林越峰本籍台湾台中。", "supported"),
    ("三亚那个辞职以后三次溜回原来酒店后厨偷食材的前员工 警察抓他了没有", "是的，三亚警方抓了吉某。[1]",
     "三亚警方供图经查，嫌疑人吉某系该酒店餐饮部离职员工，离职后囊中羞涩，遂心生盗窃食材的念头。", "supported"),
    ("长沙那个20岁小伙查出白肺 是新冠之类的感染引起的吗", "李林在使用防晒喷雾时误吸，被诊断为白肺。[1]",
     "日前，20岁小伙李林（化名）外出前使用了防晒喷雾，在对着面部喷洒时一不小心误吸，随即出现胸闷、咳嗽的症状。",
     "supported"),
    ("林越峰本来的名字叫什么？", "林越峰的本名是林海成。[1]",          # the name in a sentence about another thing
     "林越峰（1909年－？），台湾日治时期知名作家。他的好友林海成曾为台湾文化协会成员。", "unsupported"),
    ("林越峰本来的名字叫什么？", "林越峰的本名是林海生。[1]",          # a name the chunk does not write
     "林越峰（1909年－？），本名林海成，林越峰是其笔名。", "unsupported"),
    ("现在通行的四十回本，冯梦龙做了什么工作？", "冯梦龙做了《喻世明言》的作者。[1]",  # 喻世明: a title's fragment
     "明朝小说家冯梦龙作品《喻世明言》中人物。", "unsupported"),
])
def test_a_claim_holds_by_the_name_it_adds(question, answer, text, verdict):
    checked = check_answer(answer, [_chunk(1, text)], 0.45, question=question)
    assert [s.verdict for s in checked.verified] == [verdict]
