"""A second chance for a draft the kind check refused: measured on saved runs, with the real model.

Most false refusals on the fresh sets are drafts that never give the kind of figure asked for ("a
date", "a count of 人"). This script asks the model once more, as a follow-up turn after its own
draft ("你的回答没有给出问题所问的日期……"), for every saved question whose draft the kind check
refused, judges the new text exactly as the pipeline judges an answer (``Pipeline.judge``, with the
refusal probability measured on the retry's prompt), and counts what it would change: correct answers
gained on answerable questions (beyond those today's checks pass without a retry: the runs are older
than some rules), and near-miss and off-topic questions that would now be answered.

The first prompt is rebuilt from the saved hits as the run built it (``prompting.build_messages``);
the draft is the saved one (greedy decoding writes it again word for word), so only the follow-up
turn is generated (its prefix is in llama.cpp's cache after the first retry of a question).

    python bench/kind_retry.py --run gen=runs/r7 --index answerable=data/gen/index_full \\
        --index nearmiss=data/gen/index_near --index offtopic=data/gen/index_full [--name NAME]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import saved_runs_main  # noqa: E402

PARTS = ("answerable", "nearmiss", "offtopic")
# The kind check's words for what is missing, as the follow-up turn names them.
KIND_WORDS = {"a date": "日期", "a year": "年份", "a time": "时间", "an age": "年龄", "a length of time": "时长",
              "a rank": "名次", "a number": "数字"}
_GENERATOR = None
RETRY = "你的回答没有给出问题所问的{kind}。请只根据上面的资料，直接写出{kind}并标注资料编号；资料中没有时只回答：{refusal}"


def _kind_word(reason: str) -> str | None:
    # "the question asks for a count of 人 and the answer gives none"
    if not reason.startswith("the question asks for "):
        return None
    kind = reason[len("the question asks for "):].split(" and the answer")[0]
    if kind.startswith("a count of "):
        return f"数量（多少{kind[len('a count of '):]}）"
    return KIND_WORDS.get(kind)


def measure(rows: list[dict], pipeline, part: str) -> list[dict]:
    from rag.citations import tidy_answer
    from rag.generators import make_generator
    from rag.pipeline import is_refusal, top_document_chars
    from rag.prompting import build_messages, trim_options
    from rag.scoring import score_result
    from rag.types import Hit, chunk_from_dict

    cfg = pipeline.settings
    global _GENERATOR
    if _GENERATOR is None:  # saved_runs gives a fake generator: load the model once for every run
        _GENERATOR = make_generator(cfg)
    gen = pipeline.generator = _GENERATOR
    out = []
    for r in rows:
        kind = _kind_word(r.get("reason") or "")
        if not kind or not r.get("draft"):
            continue
        question = r.get("translation") or r["question"]
        chunks = [chunk_from_dict(h) for h in r["hits"]]
        # The draft as today's checks judge it: a rule added since the run may pass it without a retry.
        _, reason0 = pipeline.judge(question, r["draft"], chunks[: r.get("prompt_hits") or len(chunks)],
                                    pipeline.prompts.refusal("zh"), refusal_prob=r.get("refusal_prob"),
                                    translated=bool(r.get("translation")))
        correct0 = not reason0 and r.get("answerable", True) and bool(
            score_result({**r, "answer": tidy_answer(r["draft"]), "abstained": False}).get("correct"))
        hits = [Hit(chunk=c, score=h.get("score", 0.0), rank=h.get("rank", 0)) for c, h in zip(chunks, r["hits"])]
        built = build_messages(question, hits, prompts=pipeline.prompts, count=gen.count_tokens, n_ctx=gen.n_ctx,
                               max_tokens=cfg.generator.max_tokens, history_turns=cfg.answer.history_turns,
                               **trim_options(cfg.answer, top_document_chars(pipeline.index, hits)),
                               lang="zh" if r.get("translation") else None, dates=r.get("time_range") is not None,
                               examples=cfg.answer.example_turns)
        refusal = pipeline.prompts.refusal(built.lang)
        messages = [*built.messages, {"role": "assistant", "content": r["draft"]},
                    {"role": "user", "content": RETRY.format(kind=kind, refusal=refusal)}]
        text = "".join(gen.stream(messages, max_tokens=cfg.generator.max_tokens)).strip()
        doubt = pipeline._refusal_prob(gen, messages, refusal, {}) if text and not is_refusal(text, refusal) else None
        _, reason = pipeline.judge(question, text, [h.chunk for h in built.hits], refusal, refusal_prob=doubt,
                                   translated=bool(r.get("translation")))
        shown = not reason
        correct = shown and r.get("answerable", True) and bool(
            score_result({**r, "answer": tidy_answer(text), "abstained": False}).get("correct"))
        out.append({"part": part, "id": r["id"], "question": r["question"], "answerable": r.get("answerable", True),
                    "retry": text, "same_text": text == r["draft"].strip(), "shown": shown, "correct": correct,
                    "reason": reason, "shown_without_retry": not reason0, "correct_without_retry": correct0})
    return out


def table(recs: list[dict]) -> dict:
    ans = [r for r in recs if r["answerable"]]
    return {"retried_answerable": len(ans), "same_text": sum(r["same_text"] for r in recs),
            "correct_without_retry": sum(r["correct_without_retry"] for r in ans),
            "correct_gained": sum(r["correct"] and not r["correct_without_retry"] for r in ans),
            "wrong_shown": sum(r["shown"] and not r["correct"] for r in ans),
            "retried_unanswerable": len(recs) - len(ans),
            "unanswerable_shown": sum(r["shown"] and not r["shown_without_retry"] for r in recs if not r["answerable"])}


def main(argv: list[str] | None = None) -> int:
    return saved_runs_main(argv, __doc__.splitlines()[0], "kind_retry", measure, table, PARTS)


if __name__ == "__main__":
    raise SystemExit(main())
