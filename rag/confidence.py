"""How far a shown answer can be trusted: one score from seven signals that are each weak alone.

Every check in ``grounding`` asks one yes/no question of an answer that already passed citation
verification. What still gets through is mostly a faithful quote of a passage about something else
(an advice question answered from a court report, "Why do we have eyebrows?" from a muscle's
description, another country's July figure for the one asked). Seven cheap signals each separate
such answers from correct ones only a little (AUC 0.61-0.76 over the archive:
``bench/confidence_fit.py``); combined in a logistic model they separate them better than any one,
because they fail on different answers:

- ``span_similarity``: the embedder's cosine between the question and the passage sentence that
  supports the answer, the best over its held citations. A quote about something else sits far
  from the question even when it shares words with it.
- ``answer_length``: log(1 + characters of the answer's sentences). A correct answer states the
  asked fact; a draft that quotes a whole passage at length found nothing it could state.
- ``topic_coverage``: the idf-weighted share of the question's topic words that the supporting
  passages mention (``langrules.topic_coverage``, read with the context ``check_topic`` reads).
- ``dense_top``: the best dense similarity of the retrieval (what the pre-generation gate reads).
- ``refusal_prob``: the model's own probability of the refusal sentence for this prompt.
- ``min_support``: the lowest support among the answer's held sentences.
- ``question_fit`` (round r29): how much more likely the generator finds the question after the
  supporting sentence than with no passage (``question_fit``: query likelihood, per token). It
  reads what an embedding blurs: the one word of the question the passage does not explain (女子
  against 男子, 2021 against 2022). Alone it separates off-topic answers from correct ones about as
  well as ``span_similarity`` (AUC 0.91 and 0.90), but on other answers: added to the six, it raises
  the bad answers refused at 1% of the correct ones lost from 37 to 50 (cross-validated).

The weights are fitted, not chosen: ``bench/confidence_fit.py`` re-judges every archived run of
``eval/runs/`` with the other checks, takes the answers they show, fits a logistic regression with
balanced classes, and reports the cross-validated trade-off with whole sets held out
(``bench/results/confidence_fit.json``). The threshold is where 1.5% of the correct answers of the
fit fall below it (see ``CALIBRATED``). Like the relevance gate, the model is tied to the embedder
and the generator it was fitted with: cosines are not comparable across embedders, so another
embedder gets no confidence gate until it is fitted (``answer.min_confidence`` set by hand turns it
on with these weights regardless); a generator that cannot score text (a server) leaves the question
fit at its typical value, so the gate then rests on the other six signals.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields, replace
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .grounding import Draft


@dataclass(frozen=True)
class Signals:
    """The seven signals of one shown answer (see the module docstring)."""

    span_similarity: float
    answer_length: float
    topic_coverage: float
    dense_top: float
    refusal_prob: float
    min_support: float
    question_fit: float


SIGNALS: tuple[str, ...] = tuple(f.name for f in fields(Signals))

# How far from its mean the question fit counts, in its standard deviations. The fit is a difference of
# mean log-probabilities and has no natural bound; bounding it is what lets the gate skip measuring it
# when the other six signals already decide (``ConfidenceModel.decided_without_fit``). At 3 deviations
# the bound moves the score by at most 0.98 logits either way with the r29 weights. Measured in r30
# (``bench/fit_skip.py`` over r30's two fresh sets, r29's two and the seed sets: 248 answers the gate
# judged): 5 fits lay beyond it, all above (6.23-6.95: a question its passage nearly writes out), none
# below; the skip measured the fit for 54 of the 248 and no verdict differed from measuring it always.
FIT_CLIP = 3.0


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic model over standardised ``Signals``: ``means`` and ``scales`` standardise,
    ``weights`` and ``bias`` combine; ``threshold`` is the calibrated bar (0-1)."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    # A refusal probability or question fit that was not measured counts as the fit's typical value.
    typical_refusal_prob: float = 0.02
    typical_question_fit: float = 2.0

    def score(self, s: Signals) -> float:
        """The probability (0-1) that an answer with these signals is correct. The question fit
        counts within ``FIT_CLIP`` standard deviations of its mean (``question_fit_range``)."""
        if not len(self.weights) == len(self.means) == len(self.scales) == len(SIGNALS):
            raise ValueError(f"a confidence model needs {len(SIGNALS)} weights, means and scales ({', '.join(SIGNALS)})")
        lo, hi = self.question_fit_range()
        s = replace(s, question_fit=min(max(s.question_fit, lo), hi))
        z = self.bias + sum(w * (x - m) / sd for w, x, m, sd in zip(self.weights, astuple(s), self.means, self.scales))
        return 1.0 / (1.0 + math.exp(-z))

    def question_fit_range(self) -> tuple[float, float]:
        """The values of the question fit that count (``FIT_CLIP`` standard deviations either side
        of its mean); a fit outside counts as the nearer end."""
        i = SIGNALS.index("question_fit")
        return self.means[i] - FIT_CLIP * self.scales[i], self.means[i] + FIT_CLIP * self.scales[i]

    def decided_without_fit(self, s: Signals) -> bool:
        """Whether the other six signals decide the answer whatever its question fit: the score at
        both ends of ``question_fit_range`` falls on the same side of the bar. The fit then need not
        be measured (it costs the generator about 3.6 s), and the verdict is the same as with it."""
        lo, hi = self.question_fit_range()
        low, high = self.score(replace(s, question_fit=lo)), self.score(replace(s, question_fit=hi))
        return (low >= self.threshold) == (high >= self.threshold)


# Fitted by ``python bench/confidence_fit.py --correct-sample 450 --loss 0.015`` (round r29; the archive
# re-judged with r28's final checks and the gate off). Keys are embedder model ids, as the index manifest
# records them. A change here changes which answers are shown: bump ``langrules.RULES_VERSION`` with it.
# 645 answers: every bad one the other checks show (97 wrong, 29 near misses, 66 off-topic, 3 unanswerable)
# and 450 of the 995 correct ones, drawn at random (the question fit costs the model ~3.6 s an answer).
# Cross-validated with whole runs held out: at 1.5% of the correct answers lost, 66 bad answers refused (6
# wrong, 16 near misses, 43 off-topic, 1 unanswerable); at 1% 5 for 50, at 2% 9 for 68; without the question
# fit, 1% refused 37 and 2% 51. 1.5% is the knee: from 1% to 1.5% two correct answers of the sample (about
# four of the archive) buy 16 bad ones; from 1.5% to 2% two buy two (bench/results/confidence_fit.json).
CALIBRATED: dict[str, ConfidenceModel] = {
    "multilingual-e5-small": ConfidenceModel(
        means=(0.91643, 3.27112, 0.84097, 0.91933, 0.03501, 0.90748, 1.94991),
        scales=(0.02817, 0.88848, 0.22562, 0.02097, 0.03772, 0.14551, 1.41975),
        weights=(0.5264, -0.4051, 0.3955, 0.3898, -0.2678, 0.407, 0.3282),
        bias=0.286, threshold=0.154, typical_refusal_prob=0.0227, typical_question_fit=1.7546),
}


def model_for(embedder_id: str) -> ConfidenceModel | None:
    """The model fitted for this embedder (its id without the ``@revision``), or None."""
    return CALIBRATED.get(embedder_id.split("@")[0])


def signals(draft: "Draft", dense_top: float, refusal_prob: float | None, embedder, *,
            typical_refusal_prob: float = 0.02, fit: float | None = None,
            typical_question_fit: float = 2.0) -> Signals | None:
    """The signals of an answer's verified ``draft``; None when no citation of it holds (the
    checks before this one speak for such an answer). ``embedder`` embeds the question and the
    supporting sentences (``embed_queries`` / ``embed_chunks``)."""
    from .grounding import _read_with_context, _topic_question
    from .langrules import topic_coverage

    spans = draft.spans()
    supporting = draft.supporting()
    held = [s for s in draft.sentences if s.verdict in ("supported", "inferred")]
    if not spans or not supporting or not held:
        return None
    return Signals(
        span_similarity=span_similarity(draft.question, spans, embedder),
        answer_length=math.log1p(sum(len(s.text) for s in draft.sentences)),
        topic_coverage=topic_coverage(_topic_question(draft), _read_with_context(draft, supporting)),
        dense_top=float(dense_top),
        refusal_prob=typical_refusal_prob if refusal_prob is None else float(refusal_prob),
        min_support=min(s.support for s in held),
        question_fit=typical_question_fit if fit is None else float(fit),
    )


def span_similarity(question: str, spans: Sequence[str], embedder) -> float:
    """The best cosine between the question (as a query) and the spans (as passages). The question
    is embedded again, not taken from retrieval: what was searched may differ from what is judged
    (a follow-up searched with its history, an English question with its translation and names)."""
    import numpy as np

    q = np.asarray(embedder.embed_queries([question]))[0]
    p = np.asarray(embedder.embed_chunks(list(spans)))
    return float(np.max(p @ q))


# The query-likelihood request (``question_fit``): after the answering system prompt, which is then
# still the KV cache's prefix for the next question, the model is asked for a question about a passage.
_ASK_WITH = "资料：{passage}\n\n根据这段资料，提出一个问题。"
_ASK_WITHOUT = "提出一个问题。"
SPAN_LIMIT = 200  # characters of each supporting span the model reads: bounds the cost of a long quote


def question_fit(generator, question: str, spans: Sequence[str], system: str) -> float | None:
    """How much the supporting spans explain the question, by the generator's own likelihood.

    The mean log-probability per token of ``question`` as the model's reply to a request for a
    question about the best span, minus the same with no span: how much more likely the passage
    makes the question (query likelihood normalised by the question's prior). A correct answer's
    passage explains the question's words; a quote of a passage about something else (another
    country's figure, the men's event for the women's) leaves them unexplained. None when the
    generator cannot score text (a server, a fake without scores). ``system``: the answering
    system prompt, so that the KV cache keeps it. Costs a prefill of each span (~100 tokens).
    """
    score = getattr(generator, "continuation_logprobs", None)
    if not callable(score) or not spans or not question.strip():
        return None

    def mean_logp(user: str) -> float | None:
        logp = score([{"role": "system", "content": system}, {"role": "user", "content": user}], question)
        return sum(logp) / len(logp) if logp else None

    prior = mean_logp(_ASK_WITHOUT)
    conds = [c for c in (mean_logp(_ASK_WITH.format(passage=s[:SPAN_LIMIT])) for s in dict.fromkeys(spans))
             if c is not None]
    if prior is None or not conds:
        return None
    return max(conds) - prior
