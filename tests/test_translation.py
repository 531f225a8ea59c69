"""English questions over Chinese sources: translated before search (rag.translation)."""

import pytest

from rag.translation import clean_translation, latin_names, search_text, translation_messages


@pytest.mark.parametrize("question, names", [
    ("When will Micron start mass-producing 32Gb DDR5 chips?", ["Micron", "32Gb", "DDR5"]),
    ("What did Fitch cut the US rating to?", ["Fitch", "US"]),
    ("Who leads NetEase's new studio in Austin, Texas?", ["NetEase", "Austin", "Texas"]),
    ("Is the rating still AA+?", ["AA+"]),
    ("Which phone did Apple launch in 2023?", ["Apple", "2023"]),
    # must not fire: the first word, "I", ordinary lower-case words
    ("What is the population of the city?", []),
    ("How do I boil an egg?", []),
    ("Where was the meeting held?", []),
    ("why is the sky blue", []),
])
def test_latin_names(question, names):
    assert latin_names(question) == names


@pytest.mark.parametrize("reply, expected", [
    ("美光何时开始量产DDR5芯片？", "美光何时开始量产DDR5芯片？"),
    ("译文：美光何时开始量产？", "美光何时开始量产？"),
    ("“惠誉把美国评级下调到了多少？”", "惠誉把美国评级下调到了多少？"),
    ("\n\n网易的新工作室由谁领导？\n（注：网易即NetEase）", "网易的新工作室由谁领导？"),
    ("中文：西瓜怎么挑？", "西瓜怎么挑？"),
    # not a translation: no Chinese, nothing, or the refusal sentence
    ("When will Micron start?", None),
    ("", None),
    ("   \n  ", None),
    ("资料中没有找到这个问题的答案。", None),
    # an answer instead of a translation: not a question
    ("第15次金砖国家领导人会晤将在中国举办。", None),
    ("嫌疑人计划袭击的城市是柏林。", None),
    ("金砖国家领导人会晤在哪里举办", "金砖国家领导人会晤在哪里举办"),
    ("美国的评级被下调了吗", "美国的评级被下调了吗"),
])
def test_clean_translation(reply, expected):
    assert clean_translation(reply, "资料中没有找到这个问题的答案。") == expected


def test_search_text_keeps_latin_names_the_translation_dropped():
    assert search_text("网易在奥斯汀的新工作室由谁领导？", "Who leads NetEase's new studio in Austin?") == \
        "网易在奥斯汀的新工作室由谁领导？ NetEase Austin"
    # a name the translation kept as it was is not repeated
    assert search_text("美光何时量产DDR5？", "When will Micron mass-produce DDR5?") == "美光何时量产DDR5？ Micron"
    assert search_text("水的沸点是多少？", "What is the boiling point of water?") == "水的沸点是多少？"


TRANSLATION = "西宁的球队有多少支参赛？"


def _translating(translation=TRANSLATION):
    """A fake generator that translates when given the translation prompt and otherwise answers
    like the default fake (the best sentence of source 1)."""
    from rag.generators import FakeGenerator

    reader = FakeGenerator()

    def reply(messages):
        if messages[0]["content"].startswith("你是翻译"):
            return translation
        return reader._reply(messages)

    return FakeGenerator(reply)


def test_english_question_is_searched_and_answered_in_chinese(fake_index, settings):
    from rag.pipeline import Pipeline
    from rag.render import plain_answer_report, render_answer

    gen = _translating()
    a = Pipeline(fake_index, gen, settings).ask("How many teams take part in the Xining league?")
    assert a.question == "How many teams take part in the Xining league?"
    assert a.translation == TRANSLATION
    assert not a.abstained and "16支" in a.text
    assert a.citations and a.citations[0].chunk.doc_id == "sport"
    # one call to translate, one to answer; the answer prompt asks the Chinese question in Chinese
    assert len(gen.calls) == 2
    assert f"问题：{TRANSLATION}" in gen.calls[1][-1]["content"]
    assert "translate_ms" in a.timings
    assert a.to_dict()["translation"] == TRANSLATION
    assert f"问题已译为中文检索：{TRANSLATION}" in plain_answer_report(a)
    html = render_answer(a, 0)
    assert "问题已译为中文检索" in html and "翻译" in html


def test_chinese_question_is_not_translated(make_pipeline):
    p = make_pipeline()
    a = p.ask("多少支球队参赛？")
    assert a.translation == "" and "translate_ms" not in a.timings
    assert len(p.generator.calls) == 1


def test_translation_off_uses_the_question_as_asked(fake_index, settings):
    from rag.pipeline import Pipeline

    settings.answer.translate_questions = False
    gen = _translating()
    a = Pipeline(fake_index, gen, settings).ask("How many teams take part?")
    assert a.translation == "" and all(not c[0]["content"].startswith("你是翻译") for c in gen.calls)


def test_a_reply_without_chinese_falls_back_to_the_question(fake_index, settings):
    from rag.pipeline import Pipeline

    gen = _translating("How many teams take part?")
    a = Pipeline(fake_index, gen, settings).ask("How many teams take part?")
    assert a.translation == ""
    assert "Question: How many teams take part?" in gen.calls[-1][-1]["content"]


def test_a_refused_english_question_still_shows_its_translation(fake_index, settings):
    from rag.pipeline import Pipeline

    settings.answer.min_relevance = 0.99
    a = Pipeline(fake_index, _translating("量子计算机的原理是什么？"), settings).ask("How do quantum computers work?")
    assert a.abstained and a.translation == "量子计算机的原理是什么？"
    assert a.text == "资料中没有找到这个问题的答案。"


def test_a_prompts_folder_without_the_template_skips_translation(tmp_path, fake_index, settings):
    import shutil

    from rag.config import PROJECT_ROOT
    from rag.pipeline import Pipeline

    folder = tmp_path / "prompts"
    shutil.copytree(PROJECT_ROOT / "prompts", folder)
    (folder / "translate_zh.txt").unlink()
    settings.paths.prompts_dir = str(folder)
    gen = _translating()
    a = Pipeline(fake_index, gen, settings).ask("How many teams take part?")
    assert a.translation == "" and len(gen.calls) == 1


def test_a_translated_name_is_not_required_in_the_passages(fake_index, settings, make_pipeline):
    """The translator's rendering of a name (伊凡 for a name the sources write otherwise) is not the
    user's word: the subject check is skipped for a translated question, and only for it."""
    from rag.pipeline import Pipeline

    asked = "How many teams take part in the Ivan basketball league?"
    a = Pipeline(fake_index, _translating("伊凡篮球联赛有多少支球队参赛？"), settings).ask(asked)
    assert not a.abstained and "16支" in a.text and a.translation
    # The same Chinese question typed by the user names 伊凡 itself: refused, the league is not 伊凡's.
    b = make_pipeline().ask("伊凡篮球联赛有多少支球队参赛？")
    assert b.abstained and "伊凡" in b.reason


def test_translation_messages_turn_example_lines_into_turns():
    template = "你是翻译。\n只输出译文。\nHow many? => 有多少？\nWho won => 谁赢了？\n"
    messages = translation_messages(template, "When did it open?")
    assert messages[0] == {"role": "system", "content": "你是翻译。\n只输出译文。"}
    assert [m["role"] for m in messages[1:]] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[1]["content"] == "How many?" and messages[2]["content"] == "有多少？"
    assert messages[-1] == {"role": "user", "content": "When did it open?"}


def test_translation_messages_without_examples():
    # a user's own template without example lines: the instruction and the question only
    assert translation_messages("只输出译文。", "Why?") == [
        {"role": "system", "content": "只输出译文。"}, {"role": "user", "content": "Why?"}]


def test_shipped_template_has_example_turns():
    from rag.prompting import load_prompts

    messages = translation_messages(load_prompts().get("translate_zh"), "Q?")
    assert len(messages) >= 5 and not any("=>" in m["content"] for m in messages)


def test_a_statement_instead_of_a_translation_is_asked_for_once_more():
    """The model restated the question as an answer; with the reminder it translates (rule of
    ``translate_question``); a second statement leaves the question untranslated."""
    from rag.generators import FakeGenerator
    from rag.prompting import load_prompts
    from rag.translation import RETRY_REMINDER, translate_question

    asked = []

    def reply(messages):
        asked.append(messages[-1]["content"])
        return "哪一年白磊改名为白岳峰？" if messages[-1]["content"].endswith(RETRY_REMINDER) else "白磊在2004年改名为白岳峰。"

    q = "In which year did Bai Lei change his name to Bai Yuefeng?"
    assert translate_question(FakeGenerator(reply), q, load_prompts()) == "哪一年白磊改名为白岳峰？"
    assert asked == [q, q + RETRY_REMINDER]
    asked.clear()
    assert translate_question(FakeGenerator(lambda m: asked.append(1) or "白磊改名为白岳峰。"), q, load_prompts()) is None
    assert len(asked) == 2  # one retry, not more
    asked.clear()
    # an English reply (nothing Chinese) is not retried: the model did not try to translate
    assert translate_question(FakeGenerator(lambda m: asked.append(1) or "Bai Yuefeng."), q, load_prompts()) is None
    assert len(asked) == 1
    asked.clear()
    # a good first translation costs one call
    assert translate_question(FakeGenerator(lambda m: asked.append(1) or "白磊哪年改名？"), q, load_prompts()) == "白磊哪年改名？"
    assert len(asked) == 1


def test_english_question_naming_a_chinese_name_in_brackets_is_translated(fake_index, settings):
    """Rule 70: the bracketed 西宁 does not make the question Chinese."""
    from rag.pipeline import Pipeline

    a = Pipeline(fake_index, _translating(), settings).ask("How many teams take part in the Xining (西宁) league?")
    assert a.translation == TRANSLATION
    assert not a.abstained and "16支" in a.text
