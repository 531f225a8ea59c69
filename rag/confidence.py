"""How far a shown answer can be trusted: one score from six signals that are each weak alone.

Every check in ``grounding`` asks one yes/no question of an answer that already passed citation
verification. What still gets through is mostly a faithful quote of a passage about something else
(an advice question answered from a court report, "Why do we have eyebrows?" from a muscle's
description). Six cheap signals each separate such answers from correct ones only a little (AUC
0.59-0.74 over the archive: ``bench/confidence_fit.py``); combined in a logistic model, they
separate them better than any one (cross-validated AUC 0.81), because they fail on different answers:

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

The weights are fitted, not chosen: ``bench/confidence_fit.py`` re-judges every archived run of
``eval/runs/`` with the other checks, takes the answers they show (790 correct, 126 wrong,
near-miss, unanswerable or off-topic in round r28), fits a logistic regression with balanced
classes, and reports the cross-validated trade-off with whole sets held out (``bench/results/
confidence_fit.json``). The threshold is where about 1% of the correct answers of the fit fall
below it. Like the relevance gate, the model is tied to the embedder it was fitted with: cosines
are not comparable across embedders, so another embedder gets no confidence gate until it is
fitted (``answer.min_confidence`` set by hand turns it on with these weights regardless).
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .grounding import Draft


@dataclass(frozen=True)
class Signals:
    """The six signals of one shown answer (see the module docstring)."""

    span_similarity: float
    answer_length: float
    topic_coverage: float
    dense_top: float
    refusal_prob: float
    min_support: float


SIGNALS: tuple[str, ...] = tuple(f.name for f in fields(Signals))


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic model over standardised ``Signals``: ``means`` and ``scales`` standardise,
    ``weights`` and ``bias`` combine; ``threshold`` is the calibrated bar (0-1)."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    # A refusal probability that was not measured counts as the fit's typical value.
    typical_refusal_prob: float = 0.02

    def score(self, s: Signals) -> float:
        """The probability (0-1) that an answer with these signals is correct."""
        z = self.bias + sum(w * (x - m) / sd for w, x, m, sd in zip(self.weights, astuple(s), self.means, self.scales))
        return 1.0 / (1.0 + math.exp(-z))


# Fitted by ``python bench/confidence_fit.py`` (round r28; the archive re-judged with r27's final
# checks). Keys are embedder model ids, as the index manifest records them. A change here changes
# which answers are shown: bump ``langrules.RULES_VERSION`` with it (the evaluation's fingerprint).
# 1,045 answers (898 correct; 84 wrong, 23 near misses, 37 off-topic, 3 unanswerable). Cross-validated,
# the bar that loses 1% of the correct answers (9) refuses 4 wrong answers, 10 near misses and 18
# off-topic ones; at 0.5% 5 for 27, at 2% 18 for 36 (bench/results/confidence_fit.json). 1% is where a
# correct answer lost stops being outweighed by bad ones stopped (a wrong answer shown counting twice).
CALIBRATED: dict[str, ConfidenceModel] = {
    "multilingual-e5-small": ConfidenceModel(
        means=(0.92166, 3.20262, 0.85767, 0.92348, 0.03297, 0.91157),
        scales=(0.02531, 0.89971, 0.20204, 0.01884, 0.03813, 0.14169),
        weights=(0.6936, -0.5782, 0.3571, 0.2196, -0.199, 0.3865),
        bias=0.5481, threshold=0.106, typical_refusal_prob=0.0212),
}


def model_for(embedder_id: str) -> ConfidenceModel | None:
    """The model fitted for this embedder (its id without the ``@revision``), or None."""
    return CALIBRATED.get(embedder_id.split("@")[0])


def signals(draft: "Draft", dense_top: float, refusal_prob: float | None, embedder, *,
            typical_refusal_prob: float = 0.02) -> Signals | None:
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
    )


def span_similarity(question: str, spans: Sequence[str], embedder) -> float:
    """The best cosine between the question (as a query) and the spans (as passages). The question
    is embedded again, not taken from retrieval: what was searched may differ from what is judged
    (a follow-up searched with its history, an English question with its translation and names)."""
    import numpy as np

    q = np.asarray(embedder.embed_queries([question]))[0]
    p = np.asarray(embedder.embed_chunks(list(spans)))
    return float(np.max(p @ q))
