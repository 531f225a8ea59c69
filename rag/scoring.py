"""Scoring of evaluation results: pure functions of results lines, standard library only.

``score_result`` scores one results line and ``compute_metrics`` aggregates a list of them, so
both can be checked on hand-made results; ``match_answer`` decides whether an answer holds a gold
answer. The report (``rag.report``) and the evaluation runner (``rag.evaluation``) both import
this module and neither imports the other's internals.

Answer matching compares numbers as values through the one normaliser of the checks
(``langrules.canonical_numbers``): "十六支" holds the gold "16支", "百分之五点五" holds "5.5%".
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Sequence

from .langrules import canonical_numbers
from .textnorm import QUOTE_MARKS, compact

# Retrieval metrics always report hit@10, so a retrieval-only run fetches at least this many hits.
HIT_KS = (1, 3, 5, 10)



def normalize_answer(text: str) -> str:
    """Form used for answer matching: NFKC (folds full/half width), no whitespace, lower case, no
    quotation marks, and figures written one way (十六支 -> 16支, 百分之五 -> 5%, 二〇二三年 -> 2023年)."""
    # Quotation marks say how a name is written, not what it is (``textnorm.QUOTE_MARKS``): a gold answer
    # quoted 「洁颜油之父」 (CMRC keeps corner brackets) is held by “洁颜油之父” or by the bare words.
    return QUOTE_MARKS.sub("", compact(canonical_numbers(text)))


def _holds(key: str, text: str) -> bool:
    """Whether normalised ``text`` holds normalised ``key``; a figure must not be part of a longer
    one ("16支" is not in "116支", "5" is not in "5.5%")."""
    if not key:
        return False
    if not (key[0].isdigit() or key[-1].isdigit()):
        return key in text
    pattern = ("(?<![\\d.])" if key[0].isdigit() else "") + re.escape(key) + ("(?![\\d.]*\\d)" if key[-1].isdigit() else "")
    return re.search(pattern, text) is not None


def answer_parts(answers: Sequence[Any]) -> list[list[str]]:
    """Answers as required parts: a list of strings is one part; a list of lists is one per list."""
    if not answers:
        return []
    if all(isinstance(a, list) for a in answers):
        return [list(a) for a in answers]
    return [[a for a in answers if isinstance(a, str)]]


def match_answer(text: str, answers: Sequence[Any]) -> bool:
    """Whether ``text`` holds every required part (any string of a part satisfies it)."""
    from .citations import strip_markers

    parts = answer_parts(answers)
    if not parts or not text:
        return False
    t = normalize_answer(strip_markers(text))
    return all(any(_holds(normalize_answer(s), t) for s in part) for part in parts)


def answer_rank(texts: Sequence[str], answers: Sequence[Any]) -> int | None:
    """Smallest n such that the first n texts together hold every part of the answer, or None."""
    parts = answer_parts(answers)
    if not parts:
        return None
    norm = [normalize_answer(t) for t in texts]
    worst = 0
    for part in parts:
        keys = [normalize_answer(s) for s in part if normalize_answer(s)]
        first = next((i for i, t in enumerate(norm, start=1) if any(_holds(k, t) for k in keys)), None)
        if first is None:
            return None
        worst = max(worst, first)
    return worst


def _count_sentences(text: str) -> int:
    from .citations import split_answer

    return len(split_answer(text))


def score_result(r: dict[str, Any]) -> dict[str, Any]:
    """Per-question scores of one results line (None where the score does not apply).

    - ``source_rank``: 1-based position of the first hit from a gold source document;
      ``answer_rank``: the fewest top hits that together hold the answer;
    - ``correct``: an answerable question answered (not abstained) with text holding the answer;
    - ``false_refusal``: an answerable question abstained on; ``refusal_ok``: an unanswerable one;
    - ``citations_total``/``citations_valid``: distinct ``[n]`` markers in the raw answer, and
      those pointing at one of the ``prompt_hits`` chunks the model was given;
    - ``cited_chunk_has_answer``: for a correct answer, whether the chunks its citations that hold
      point at (the model's own markers and the inferred ones the answer shows for sentences those
      do not support) together hold the answer; ``marker_chunk_has_answer``: the model's markers only;
    - ``unsupported``/``sentences``: flagged sentences out of the answer's sentences.
    """
    from .citations import parse_markers

    hits = r.get("hits") or []
    sources = set(r.get("sources") or [])
    answers = r.get("answers") or []
    answerable = r.get("answerable", True)
    retrieved = not r.get("contexts_given", False)
    s: dict[str, Any] = {}
    s["source_rank"] = (next((i for i, h in enumerate(hits, start=1) if h.get("doc_id") in sources), None)
                        if sources and retrieved else None)
    s["answer_rank"] = answer_rank([h.get("text", "") for h in hits], answers) if answers else None
    for k in HIT_KS:
        s[f"answer_in_top{k}"] = (s["answer_rank"] is not None and s["answer_rank"] <= k) if answers else None
    generated = r.get("answer") is not None
    if not generated or r.get("error"):
        s.update(correct=None, false_refusal=None, refusal_ok=None, citations_total=None, citations_valid=None,
                 citation_valid=None, cited_chunk_has_answer=None, marker_chunk_has_answer=None, unsupported=None,
                 sentences=None)
        if r.get("error") and answerable and answers:
            s["correct"] = False  # a question the pipeline could not take counts as not answered
        return s
    text = r.get("answer") or ""
    abstained = bool(r.get("abstained"))
    s["correct"] = (not abstained and match_answer(text, answers)) if answerable and answers else None
    s["false_refusal"] = abstained if answerable else None
    s["refusal_ok"] = abstained if not answerable else None
    nums = parse_markers(text)
    given = int(r.get("prompt_hits") or 0)
    s["citations_total"] = len(nums)
    s["citations_valid"] = sum(1 for n in nums if 1 <= n <= given)
    s["citation_valid"] = s["citations_valid"] / len(nums) if nums else None
    s["cited_chunk_has_answer"] = s["marker_chunk_has_answer"] = None
    if s["correct"]:
        cites = r.get("citations") or []
        # A citation that does not hold is never shown as a citation, so it proves nothing here.
        shown = [c.get("text", "") for c in cites if c.get("holds", True)]
        marked = [c.get("text", "") for c in cites if not c.get("inferred")]
        s["cited_chunk_has_answer"] = bool(shown) and answer_rank(["\n".join(shown)], answers) is not None
        s["marker_chunk_has_answer"] = bool(marked) and answer_rank(["\n".join(marked)], answers) is not None
    if abstained:
        s["unsupported"] = s["sentences"] = None
    else:
        flagged = len(r.get("unsupported") or [])
        s["unsupported"] = flagged
        # The answer's verified sentences when the line has them (claims only), else split the text.
        verified = [x for x in (r.get("sentences") or []) if x.get("verdict") != "none"]
        s["sentences"] = max(len(verified) if r.get("sentences") else _count_sentences(text), flagged)
    return s


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between ranks, as numpy's default."""
    v = sorted(values)
    if not v:
        return None
    pos = (len(v) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def _share(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


def compute_metrics(results: Sequence[dict[str, Any]], *, k: int, generate: bool = True) -> dict[str, Any]:
    """Counts and the retrieval, answer, citation and latency metrics of a list of results.

    Retrieval metrics count questions that retrieved (not those with given ``contexts``) and
    have gold ``sources`` (hit@n, MRR) or ``answers`` (answer_in_top{n}). Shares are rounded to
    4 decimals, milliseconds to 0.1. Answer and citation metrics are None when not generating.
    """
    scored = [(r, score_result(r)) for r in results]
    retrieved = [(r, s) for r, s in scored if not r.get("contexts_given")]
    with_src = [s for r, s in retrieved if r.get("sources")]
    with_ans = [s for r, s in retrieved if r.get("answers")]
    counts = {
        "questions": len(results),
        "answerable": sum(1 for r in results if r.get("answerable", True)),
        "unanswerable": sum(1 for r in results if not r.get("answerable", True)),
        "with_sources": len(with_src),
        "with_answers": sum(1 for r in results if r.get("answers")),
        "contexts_given": len(results) - len(retrieved),
        "errors": sum(1 for r in results if r.get("error")),
    }
    # depth: the most hits any question got; hit@n beyond it counts only what was retrieved.
    depth = max((len(r.get("hits") or []) for r, _ in retrieved), default=0)
    retrieval: dict[str, Any] = {"k": k, "depth": depth, "questions": len(with_src)}
    for n in HIT_KS:
        retrieval[f"hit@{n}"] = _share(sum(1 for s in with_src if s["source_rank"] and s["source_rank"] <= n),
                                       len(with_src))
    retrieval["mrr"] = _share(sum(1 / s["source_rank"] for s in with_src if s["source_rank"]), len(with_src))
    if k not in HIT_KS:
        retrieval[f"hit@{k}"] = _share(sum(1 for s in with_src if s["source_rank"] and s["source_rank"] <= k),
                                       len(with_src))
    retrieval["answer_questions"] = len(with_ans)
    for n in sorted(set(HIT_KS) | {k}):
        retrieval[f"answer_in_top{n}"] = _share(
            sum(1 for s in with_ans if s["answer_rank"] and s["answer_rank"] <= n), len(with_ans))

    answers = citations = None
    if generate:
        judged = [s for _, s in scored if s["correct"] is not None]
        ans_q = [s for r, s in scored if r.get("answerable", True) and s["false_refusal"] is not None]
        unans = [s for r, s in scored if not r.get("answerable", True) and s["refusal_ok"] is not None]
        abstained = [r for r, s in scored if r.get("answer") is not None and r.get("abstained")]
        true_pos = sum(1 for r in abstained if not r.get("answerable", True))
        answers = {
            "judged": len(judged),
            "correct": sum(1 for s in judged if s["correct"]),
            "accuracy": _share(sum(1 for s in judged if s["correct"]), len(judged)),
            "false_refusal": _share(sum(1 for s in ans_q if s["false_refusal"]), len(ans_q)),
            "abstained": len(abstained),
            "refusal_precision": _share(true_pos, len(abstained)),
            "refusal_recall": _share(sum(1 for s in unans if s["refusal_ok"]), len(unans)),
        }
        correct = [s for _, s in scored if s["correct"]]
        with_sent = [s for _, s in scored if s["sentences"]]
        total = sum(s["citations_total"] or 0 for _, s in scored)
        citations = {
            "markers": total,
            "valid": _share(sum(s["citations_valid"] or 0 for _, s in scored), total),
            "cited_chunk_has_answer": _share(sum(1 for s in correct if s["cited_chunk_has_answer"]), len(correct)),
            "marker_chunk_has_answer": _share(sum(1 for s in correct if s["marker_chunk_has_answer"]), len(correct)),
            "unsupported_sentences": _share(sum(s["unsupported"] for s in with_sent),
                                            sum(s["sentences"] for s in with_sent)),
        }

    def timing(key: str, rows: Iterable[dict]) -> list[float]:
        return [float(r["timings"][key]) for r in rows if key in (r.get("timings") or {})]

    ran = [r for r in results if not r.get("error")]
    gen_rows = [r for r in ran if "answer_tokens" in (r.get("timings") or {})]  # the model was called
    retrieve = timing("retrieve_ms", (r for r in ran if not r.get("contexts_given")))
    total_ms = timing("total_ms", ran)
    ttft = timing("ttft_ms", gen_rows)
    tps = [x for x in timing("tokens_per_s", gen_rows) if x > 0]
    prompt = timing("prompt_tokens", gen_rows)
    # The confidence gate's question fit runs only where the other signals leave its verdict open.
    fit = timing("question_fit_ms", ran)
    latency = {
        "retrieve_ms_p50": _r(percentile(retrieve, 50)), "retrieve_ms_p95": _r(percentile(retrieve, 95)),
        "ttft_ms_p50": _r(percentile(ttft, 50)), "ttft_ms_p95": _r(percentile(ttft, 95)),
        "total_ms_p50": _r(percentile(total_ms, 50)), "total_ms_p95": _r(percentile(total_ms, 95)),
        "tokens_per_s_mean": _r(_mean(tps), 2),
        "prompt_tokens_p50": _r(percentile(prompt, 50)), "prompt_tokens_mean": _r(_mean(prompt)),
        "generated": len(gen_rows),
        "question_fit_measured": len(fit), "question_fit_ms_p50": _r(percentile(fit, 50)),
    }
    return {"counts": counts, "retrieval": retrieval, "answers": answers, "citations": citations,
            "latency": latency}
