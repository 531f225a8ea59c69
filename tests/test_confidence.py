"""The confidence gate (rag/confidence.py): its model, its signals and where the pipeline applies it."""
import dataclasses
import math

import pytest

from rag.confidence import CALIBRATED, SIGNALS, ConfidenceModel, Signals, model_for, signals


def _signals(**kw) -> Signals:
    base = dict(span_similarity=0.85, answer_length=3.0, topic_coverage=0.6, dense_top=0.89,
                refusal_prob=0.02, min_support=0.9)
    return Signals(**{**base, **kw})


def _model(threshold: float = 0.5) -> ConfidenceModel:
    n = len(SIGNALS)
    # Positive weight on similarity, negative on length; the rest neutral.
    weights = tuple(1.0 if s == "span_similarity" else -1.0 if s == "answer_length" else 0.0 for s in SIGNALS)
    return ConfidenceModel(means=(0.85, 3.0, 0.6, 0.89, 0.02, 0.9), scales=(0.02, 1.0, 0.2, 0.01, 0.05, 0.1),
                           weights=weights, bias=0.0, threshold=threshold)


def test_the_model_is_a_logistic_over_standardised_signals():
    m = _model()
    assert len(SIGNALS) == 6 and len(m.means) == len(SIGNALS)
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
