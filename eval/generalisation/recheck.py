"""Re-check a run's saved answers with the current post-generation checks, without the model.

    python eval/generalisation/recheck.py runs/gen_final --index answerable=data/gen/index_full2 \
        --index nearmiss=data/gen/index_near2 --index offtopic=data/gen/index_full2 [--show]

For every question whose model text was saved (the shown answer, or the draft a check replaced),
the text is judged again as the pipeline judges a fresh answer (``Pipeline.judge``: verified
against the chunks the model was given, then ``grounding.CHECKS`` with each chunk's article
opening and preceding text read from the run's index), after the relevance gate as it stands now
(each question retrieved again; a question it stops is refused, exactly, since the gate acts
before the model). A question the model itself refused, or the gate of its run stopped, stays refused.
Prints, per part, how many answers were shown then and would be shown now, and for answerable
questions how many shown answers were correct then and are still shown now: the cost of a new
check in correct answers lost, next to the near misses and off-topic answers it stops. The
figures are only as fresh as the run: a check that changes what the model is given needs a new run.

``--out DIR`` writes the re-judged run as ``DIR/<part>/results.jsonl`` (answer, abstained, reason
and scores as the current checks and scorer give them), so ``summarize.py DIR`` reports it with
the same figures as a fresh run.

``RUN`` may also be an archived run under ``eval/runs/`` (``<part>/results.jsonl.gz``): ``runs/`` is
not kept in git, and a new machine starts without it, so the first runs of held-out sets are kept
there, gzipped, for later rounds to re-judge (their indexes are rebuilt by each set's README).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.benchlib import given_chunks, run_rows  # noqa: E402


def recheck(rows: list[dict], pipeline, rescore: bool = False) -> list[dict]:
    """Per row: id, shown then, shown now, the reason now (None when shown), correct then (by the
    run's own scores, or by the current answer matcher with ``rescore``)."""
    from bench.relevance_gate import retrieve_again
    from rag.dates import undated_day_words
    from rag.scoring import score_result

    refusal = pipeline.prompts.refusal("zh")
    out = []
    for r in rows:
        if rescore:
            r = {**r, "scores": score_result(r)}
        # A shown answer is saved as shown, its day words dated; the model's words are what was judged.
        text = r["draft"] or ("" if r["abstained"] else undated_day_words(r["answer"]))
        shown_then = not r["abstained"]
        rec = {"id": r["id"], "question": r["question"], "shown_then": shown_then,
               "correct_then": bool(shown_then and (r.get("scores") or {}).get("correct")), "text": text}
        # The relevance gate as it stands now: it acts before the model, so a question it stops
        # would have had no answer whatever the model wrote.
        best = retrieve_again(pipeline, r).dense_top
        if best < pipeline.min_relevance():
            out.append({**rec, "text": "", "shown_now": False, "correct_now": False,
                        "reason_now": f"no passage is relevant enough (best similarity {best:.3f})"})
            continue
        if not text:  # the relevance gate stopped it: no model text to judge
            out.append({**rec, "shown_now": False, "reason_now": r.get("reason") or "the model refused",
                        "correct_now": False})
            continue
        chunks = given_chunks(r)
        # A question asked in English was answered and checked as its Chinese translation.
        checked, reason = pipeline.judge(r.get("translation") or r["question"], text, chunks, refusal,
                                         refusal_prob=r.get("refusal_prob"), translated=bool(r.get("translation")),
                                         dense_top=best)
        shown = pipeline.presented(text, checked.verified)[0]
        correct_now = False
        if not reason and r.get("answerable", True):
            correct_now = bool(score_result({**r, "answer": shown, "abstained": False}).get("correct"))
        out.append({**rec, "shown_now": not reason, "reason_now": reason, "correct_now": correct_now, "answer_now": shown,
                    "citations_now": [c.to_dict() for c in checked.citations]})
    return out


def rejudged(rows: list[dict], res: list[dict], refusal: str) -> list[dict]:
    """The run's rows as the current checks judge them (for ``--out``)."""
    from rag.scoring import score_result

    out = []
    for r, x in zip(rows, res):
        if x["reason_now"] and x["reason_now"].startswith("no passage is relevant enough"):
            r = {**r, "abstained": True, "answer": refusal, "reason": x["reason_now"], "draft": "", "citations": []}
        elif x["text"]:
            shown = x["shown_now"]
            r = {**r, "abstained": not shown, "answer": x["answer_now"] if shown else refusal,
                 "reason": "" if shown else x["reason_now"], "draft": "" if shown else x["text"],
                 "citations": x["citations_now"] if shown else []}
        out.append({**r, "scores": score_result(r)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--index", action="append", default=[], help="PART=INDEX_DIR (answerable, nearmiss, offtopic)")
    ap.add_argument("--show", action="store_true", help="list every answer whose verdict changed")
    ap.add_argument("--rescore", action="store_true", help="judge correctness with the current answer matcher")
    ap.add_argument("--config", help="TOML settings (e.g. another answer.support_threshold)")
    ap.add_argument("--out", type=Path, help="write the re-judged run here (results.jsonl per part)")
    ap.add_argument("--rules-off", default="", help="rules to switch off, comma-separated (the switches of "
                    "bench/rule_effect.py), to re-judge as the checks stood before them")
    ap.add_argument("--model-scores", type=Path, help="JSON cache of the real generator's text scores, for the "
                    "confidence gate's question fit (bench/scorecache.py: a miss runs the model); without it the "
                    "gate counts the fit's typical value")
    args = ap.parse_args(argv)
    from rag.config import load_settings
    from rag.generators import FakeGenerator
    from rag.indexing import open_index
    from rag.pipeline import Pipeline

    if args.rules_off:
        from bench.rule_effect import switches

        table = switches()
        for rule in args.rules_off.split(","):
            module, name, off, _ = table[rule.strip()]
            setattr(module, name, off)  # for the whole run
    indexes = dict(x.split("=", 1) for x in args.index)
    settings = load_settings(args.config)
    cache = None
    if args.model_scores:
        from bench.scorecache import ScoreCache

        cache = ScoreCache(args.model_scores, settings)
    summary = {}
    for part in ("answerable", "nearmiss", "offtopic"):
        rows = run_rows(args.run / part)  # an archived run (eval/runs/) keeps the same rows gzipped
        if rows is None or part not in indexes:
            continue
        generator = FakeGenerator(likelihood=cache.continuation_logprobs if cache is not None else None)
        pipeline = Pipeline(open_index(indexes[part], settings=settings), generator, settings)
        res = recheck(rows, pipeline, args.rescore)
        if cache is not None:
            cache.save()
        if args.out:
            (args.out / part).mkdir(parents=True, exist_ok=True)
            with (args.out / part / "results.jsonl").open("w", encoding="utf-8") as f:
                for row in rejudged(rows, res, pipeline.prompts.refusal("zh")):
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
        summary[part] = {"questions": len(res), "shown_then": sum(x["shown_then"] for x in res),
                         "shown_now": sum(x["shown_now"] for x in res)}
        if part == "answerable":
            summary[part]["correct_shown_then"] = sum(x["correct_then"] for x in res)
            summary[part]["correct_still_shown"] = sum(x["correct_then"] and x["shown_now"] for x in res)
            summary[part]["correct_shown_now"] = sum(x["correct_now"] for x in res)
        if args.show:
            for x in res:
                if x["shown_then"] != x["shown_now"]:
                    print(f"{part} {x['id']} {'correct ' if x['correct_then'] else ''}{x['question']} -> "
                          f"{x['reason_now'] or 'shown'} | {x['text'][:80]!r}")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
