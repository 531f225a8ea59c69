"""The confidence gate (rag/confidence.py): its model, its signals and where the pipeline applies it."""
import dataclasses
import math

import pytest

from rag.confidence import CALIBRATED, FIT_CLIP, SIGNALS, SPAN_LIMIT, ConfidenceModel, Signals, model_for, question_fit, signals
from rag.generators import FakeGenerator


def _signals(**kw) -> Signals:
    base = dict(span_similarity=0.85, answer_length=3.0, topic_coverage=0.6, dense_top=0.89,
                refusal_prob=0.02, min_support=0.9, question_fit=2.0)
    return Signals(**{**base, **kw})


def _model(threshold: float = 0.5) -> ConfidenceModel:
    n = len(SIGNALS)
    # Positive weight on similarity, negative on length; the rest neutral.
    weights = tuple(1.0 if s == "span_similarity" else -1.0 if s == "answer_length" else 0.0 for s in SIGNALS)
    return ConfidenceModel(means=(0.85, 3.0, 0.6, 0.89, 0.02, 0.9, 2.0), scales=(0.02, 1.0, 0.2, 0.01, 0.05, 0.1, 1.0),
                           weights=weights, bias=0.0, threshold=threshold)


def test_the_model_is_a_logistic_over_standardised_signals():
    m = _model()
    assert len(SIGNALS) == 7 and len(m.means) == len(SIGNALS)
    assert m.score(_signals()) == pytest.approx(0.5)  # every signal at its mean
    assert m.score(_signals(span_similarity=0.87)) == pytest.approx(1 / (1 + math.exp(-1)))
    assert m.score(_signals(span_similarity=0.80)) < 0.5 < m.score(_signals(span_similarity=0.90))
    assert m.score(_signals(answer_length=6.0)) < m.score(_signals(answer_length=2.0))


def test_the_fitted_model_prefers_a_close_short_answer_to_a_long_quote_about_something_else():
    m = model_for("multilingual-e5-small")
    assert m is not None and m is model_for("multilingual-e5-small@abc123")
    assert 0 < m.threshold < 1
    close = _signals(span_similarity=0.90, answer_length=math.log1p(20), topic_coverage=0.9, min_support=1.0)
    far = _signals(span_similarity=0.80, answer_length=math.log1p(150), topic_coverage=0.2, min_support=0.5)
    assert m.score(close) > m.threshold > m.score(far)


def test_a_model_of_the_wrong_width_is_an_error_not_a_silent_truncation():
    m = dataclasses.replace(_model(), weights=_model().weights[:6])
    with pytest.raises(ValueError, match="needs 7 weights"):
        m.score(_signals())


def _overlap_likelihood(messages, text):
    """A fake model: each character of the question is likely when the user message holds it."""
    user = messages[-1]["content"]
    return [-0.5 if ch in user else -4.0 for ch in text]


def test_question_fit_is_how_much_the_passage_explains_the_question():
    gen = FakeGenerator(likelihood=_overlap_likelihood)
    q = "女子10米跳台冠军是谁？"
    # No span: every character at -4 except those in the request itself (问题 shares none here).
    on_topic = question_fit(gen, q, ["女子10米跳台决赛，全红婵夺得冠军。"], "系统")
    off_topic = question_fit(gen, q, ["男子3米板决赛，王宗源夺得金牌。"], "系统")
    assert on_topic > off_topic > 0
    # The best span counts, whatever the order.
    assert question_fit(gen, q, ["男子3米板决赛，王宗源夺得金牌。", "女子10米跳台决赛，全红婵夺得冠军。"], "系统") == on_topic


def test_question_fit_reads_the_answering_system_prompt_and_a_bounded_span():
    seen = []
    gen = FakeGenerator(likelihood=lambda m, t: seen.append(m) or [-1.0])
    question_fit(gen, "为什么？", ["甲" * (SPAN_LIMIT + 50)], "你是问答助手。")
    assert {m[0]["content"] for m in seen} == {"你是问答助手。"}  # the KV cache keeps its prefix
    assert max(m[-1]["content"].count("甲") for m in seen) == SPAN_LIMIT


@pytest.mark.parametrize("gen, question, spans", [
    (FakeGenerator(), "谁？", ["甲。"]),  # a generator without scores
    (object(), "谁？", ["甲。"]),  # no such method at all (a server)
    (FakeGenerator(likelihood=_overlap_likelihood), "谁？", []),  # nothing to read
    (FakeGenerator(likelihood=_overlap_likelihood), "  ", ["甲。"]),  # nothing asked
    (FakeGenerator(likelihood=lambda m, t: []), "谁？", ["甲。"]),  # nothing scored
])
def test_no_question_fit_without_scores(gen, question, spans):
    assert question_fit(gen, question, spans, "系统") is None


def test_an_unmeasured_question_fit_counts_as_the_typical_value(held_draft, fake_embedder):
    d = held_draft("西宁的人口是多少？", "西宁的人口是248万。", "2023年末，西宁的常住人口为248万人。")
    assert signals(d, 0.9, None, fake_embedder, typical_question_fit=1.7).question_fit == 1.7
    assert signals(d, 0.9, None, fake_embedder, fit=3.2).question_fit == 3.2


def test_no_model_for_an_embedder_it_was_not_fitted_with():
    assert model_for("fake-bigram-256") is None and model_for("") is None
    assert "multilingual-e5-small" in CALIBRATED


def test_signals_of_a_held_answer(held_draft, fake_embedder):
    d = held_draft("西宁的人口是多少？", "西宁的人口是248万。", "2023年末，西宁的常住人口为248万人。")
    s = signals(d, 0.9, None, fake_embedder, typical_refusal_prob=0.03)
    assert s is not None
    assert s.answer_length == pytest.approx(math.log1p(len("西宁的人口是248万。")))
    assert s.dense_top == 0.9 and s.refusal_prob == 0.03 and s.min_support == 0.8
    assert 0 < s.topic_coverage <= 1 and -1 <= s.span_similarity <= 1
    assert signals(d, 0.9, 0.2, fake_embedder).refusal_prob == 0.2


def test_no_signals_without_a_held_citation(verified_draft, fake_embedder):
    d = verified_draft("西宁的人口是多少？", "西宁的人口是248万[1]。", "青海湖是中国最大的咸水湖。")
    assert signals(d, 0.9, 0.01, fake_embedder) is None


def test_the_pipeline_has_no_gate_for_an_embedder_without_a_model(make_pipeline):
    p = make_pipeline()
    a = p.ask("西宁地区生产总值增长多少？")
    assert not a.abstained and p.confidence_model() is None


def test_a_bar_set_by_hand_refuses_an_answer_that_passed_every_check(make_pipeline, settings):
    settings.answer.min_confidence = 0.999999
    p = make_pipeline()
    a = p.ask("西宁地区生产总值增长多少？")
    assert a.abstained and a.reason.startswith("low confidence in the answer")
    assert p.confidence_model().threshold == 0.999999


def test_the_gate_is_off_at_zero_and_without_a_retrieval_score(make_pipeline, settings):
    settings.answer.min_confidence = 0
    assert not make_pipeline().ask("西宁地区生产总值增长多少？").abstained
    settings.answer.min_confidence = 0.999999
    p = make_pipeline()
    a = p.ask("西宁地区生产总值增长多少？")
    chunks = [h.chunk for h in a.hits]
    refusal = p.prompts.refusal("zh")
    draft = a.draft  # the model's text, kept because the gate refused it
    # Given contexts (no dense score) are their own scope: judged without the gate.
    assert p.judge(a.question, draft, chunks, refusal, refusal_prob=0.01)[1] == ""
    assert p.judge(a.question, draft, chunks, refusal, refusal_prob=0.01, dense_top=0.9)[1].startswith("low confidence")


def test_a_low_bar_lets_the_answer_through(make_pipeline, settings):
    settings.answer.min_confidence = 1e-9
    assert not make_pipeline().ask("西宁地区生产总值增长多少？").abstained


def test_the_hand_set_bar_keeps_the_fitted_weights():
    m = model_for("multilingual-e5-small")
    assert dataclasses.replace(m, threshold=0.3).weights == m.weights


def _fit_only_model(fit_weight: float, threshold: float = 0.5) -> ConfidenceModel:
    """A model whose only weight is on the question fit (``fit_weight``; 0: a model the fit cannot move)."""
    weights = tuple(fit_weight if s == "question_fit" else 0.0 for s in SIGNALS)
    return dataclasses.replace(_model(threshold), weights=weights, bias=0.0 if fit_weight else 1.0)


def test_the_question_fit_counts_within_its_clip():
    m = _fit_only_model(1.0)
    lo, hi = m.question_fit_range()
    assert (lo, hi) == (2.0 - FIT_CLIP, 2.0 + FIT_CLIP)  # mean 2, scale 1
    assert m.score(_signals(question_fit=100.0)) == m.score(_signals(question_fit=hi))
    assert m.score(_signals(question_fit=-100.0)) == m.score(_signals(question_fit=lo))
    assert m.score(_signals(question_fit=lo)) < m.score(_signals(question_fit=2.5)) < m.score(_signals(question_fit=hi))


@pytest.mark.parametrize("similarity,decided", [
    (0.95, True),    # far above the bar at either end of the fit's range
    (0.70, True),    # far below it
    (0.85, False),   # at the bar: the fit decides
    (0.86, False),
])
def test_the_other_six_signals_decide_where_the_fit_cannot_cross_the_bar(similarity, decided):
    # Similarity weighs 1 per 0.02; the fit 0.5 per unit over a range of ±3: ±1.5 logits.
    m = dataclasses.replace(_model(), weights=tuple(
        1.0 if s == "span_similarity" else 0.5 if s == "question_fit" else 0.0 for s in SIGNALS))
    assert m.decided_without_fit(_signals(span_similarity=similarity)) is decided


def test_a_decided_verdict_is_the_verdict_with_the_fit():
    """Skipping the fit never changes the verdict: for answers the six signals decide, every fit in
    (and beyond) the range gives the same side of the bar."""
    m = CALIBRATED["multilingual-e5-small"]
    for sim in (0.80, 0.84, 0.88, 0.90, 0.93, 0.96):
        for cover in (0.1, 0.5, 1.0):
            s = _signals(span_similarity=sim, topic_coverage=cover)
            if not m.decided_without_fit(s):
                continue
            sides = {m.score(dataclasses.replace(s, question_fit=f)) >= m.threshold for f in (-20, -2, 0, 2, 4, 8, 30)}
            assert len(sides) == 1


@pytest.mark.parametrize("fit_weight,measured", [(1.0, True), (0.0, False)])
def test_the_pipeline_measures_the_fit_only_where_it_can_change_the_verdict(
        make_pipeline, monkeypatch, fit_weight, measured):
    import rag.confidence as confidence
    from rag.pipeline import Pipeline

    calls = []
    monkeypatch.setattr(confidence, "question_fit", lambda *a, **k: calls.append(a) or 2.5)
    monkeypatch.setattr(Pipeline, "confidence_model", lambda self: _fit_only_model(fit_weight))
    a = make_pipeline().ask("西宁地区生产总值增长多少？")
    assert not a.abstained  # fit 2.5 > mean 2 (the fit-only model); bias 1 (the other)
    assert (len(calls) == 1) is measured and ("question_fit_ms" in a.timings) is measured


def test_a_refusal_says_whether_the_fit_was_measured(make_pipeline, monkeypatch):
    import rag.confidence as confidence
    from rag.pipeline import Pipeline

    monkeypatch.setattr(confidence, "question_fit", lambda *a, **k: -0.5)
    monkeypatch.setattr(Pipeline, "confidence_model", lambda self: _fit_only_model(1.0))
    a = make_pipeline().ask("西宁地区生产总值增长多少？")
    assert a.abstained and "question fit -0.50" in a.reason
    monkeypatch.setattr(Pipeline, "confidence_model", lambda self: dataclasses.replace(_fit_only_model(0.0), bias=-1.0))
    b = make_pipeline().ask("西宁地区生产总值增长多少？")
    assert b.abstained and "question fit not measured" in b.reason


def test_the_question_fit_is_measured_only_when_the_setting_allows(make_pipeline, settings, monkeypatch):
    """``answer.question_fit`` off: the gate does not run the generator for it (the typical value counts)."""
    import rag.confidence as confidence
    from rag.pipeline import Pipeline

    calls = []
    monkeypatch.setattr(confidence, "question_fit", lambda *a, **k: calls.append(a) or 2.5)
    monkeypatch.setattr(Pipeline, "confidence_model", lambda self: _fit_only_model(1.0, threshold=0.4))
    a = make_pipeline().ask("西宁地区生产总值增长多少？")
    assert not a.abstained and len(calls) == 1 and a.timings["question_fit_ms"] >= 0
    settings.answer.question_fit = False
    b = make_pipeline().ask("西宁地区生产总值增长多少？")
    assert not b.abstained and len(calls) == 1 and "question_fit_ms" not in b.timings
