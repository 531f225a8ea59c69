"""What one rule changes: every archived draft judged with the rule and without it, no model, no index.

    python bench/rule_effect.py --rule 161 [RUN_DIR ...] [--out bench/results/rule_effect_161.json]

Without RUN_DIR, every run under ``eval/runs/``. For each draft the model wrote (shown or refused), the
step the rule belongs to is run twice on the chunks the model was given: citation verification
(``citations.check_answer``) for rules 157-158, the check the rule lives in (``grounding.check_kind``,
``check_superlative``, ``check_scope``, ``check_flow_or_stock``, ``check_written_names``,
``check_category``, ``check_direction``) for rules 159-170 and 172, and both steps for rule 171's reading of
figures. Prints JSON: drafts read and each draft
whose verdict differs, with its kind (correct, wrong, nearmiss, offtopic, by the current scorer).

The checks read no article context here (no index: openings and preceding text are empty), so a
check that would have been satisfied by an article's opening may differ from a full re-judge; the
rule's own decision does not read that context. A rule is switched off by replacing the one function
or pattern that carries it (``switches``, which ``recheck.py --rules-off`` uses too), so what is
measured is exactly that rule.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchlib import given_chunks, machine_info, run_rows, switched_off  # noqa: E402

REFUSAL = "资料中没有找到这个问题的答案。"


def switches():
    """rule -> (module, attribute, the value that switches the rule off, the step it changes)."""
    import rag.citations as C
    import rag.grounding as G
    import rag.langrules as L

    never = re.compile(r"(?!x)x")
    return {
        "157": (L, "_guess_across_words", lambda *a, **k: False, "citations"),
        "158": (C, "names", lambda *a, **k: [], "citations"),
        "159": (L, "_DAY_OF_MONTH", never, G.check_kind),
        "160": (G, "_other_dimension", lambda *a, **k: None, G.check_superlative),
        "161": (G, "_period_months", lambda *a, **k: set(), G.check_scope),
        "162": (G, "_unwritten_members", lambda *a, **k: [], G.check_written_names),
        "163": (G, "_CUMULATIVE_MONTHS", never, G.check_scope),
        "164": (G, "_other_flow_or_stock", lambda *a, **k: None, G.check_flow_or_stock),
        "165": (G, "_unwritten_names", lambda *a, **k: [], G.check_written_names),
        "166": (G, "_days", lambda *a, **k: set(), G.check_publication_date),
        "167": (L, "_HOW_CLAUSE", never, G.run_checks),
        "168": (L, "_cjk_members", lambda *a, **k: [], G.check_written_names),
        "169": (G, "_other_category", lambda *a, **k: None, G.check_category),
        "170": (G, "_other_direction", lambda *a, **k: None, G.check_direction),
        "171": (L, "_SPOKEN_MONEY", never, "checks"),
        "172": (L, "_SERIES_TERM", never, G.check_written_names),
        "173": (L, "_QTY", L._quantity_pattern(L._unit_alternation(u for u in L.UNITS if u not in L.DOSE_UNITS)), "checks"),
        "174": (G, "_other_extreme", lambda *a, **k: None, G.check_extreme),
        "175": (G, "_other_payment", lambda *a, **k: None, G.check_payment),
        "177": (G, "_plan_for_outcome", lambda *a, **k: False, G.check_plan),
        "178": (L, "_profit_or_loss", lambda *a, **k: set(), G.check_direction),
        "179": (G, "_period_years", lambda *a, **k: set(), G.check_scope),
        "180": (G, "_counts_another_thing", lambda *a, **k: None, G.check_counted_thing),
        "181": (L, "_COMPANION", never, G.check_restated),
        "184": (L, "LIVES", ("\uffff",), "checks"),
        "182": (G, "_other_year_part", lambda *a, **k: None, G.check_scope),
        "183": (L, "_SERIES_PHASE", never, G.check_written_names),
        "185": (L, "_COVERBS", frozenset(), G.check_written_names),
        "186": (L, "_COMMAND_LINE", never, G.check_advice),
        "187": (L, "_FINDING_OUT", never, G.run_checks),
        "188": (L, "_ASKS_RATE", never, G.check_kind),
        "189": (G, "_rival_place", lambda *a, **k: None, G.check_enclosing_figure),
        "190": (L, "_WORD_BEFORE", never, "citations"),
        "191": (L, "latin_names", lambda *a, **k: [], G.check_written_names),
        "192": (L, "_SERIES_WORK", never, G.check_written_names),
        "193": (L, "_SOURCE_REFERENCE", never, G.run_checks),
        "194": (L, "_ADVERBIAL_PARTICLE", None, G.run_checks),
        "195": (G, "_title_rival", lambda *a, **k: None, G.check_title_rival),
        "196": (L, "_SERIES_COUNTED", never, G.check_written_names),
        "197": (G, "_inherited_year_part", lambda *a, **k: None, G.check_inherited_year_part),
        "198": (L, "collection_subject", lambda *a, **k: False, G.check_written_names),
        # Before rule 176 a figure right after a month always made it a day, a year too ("8月2023年").
        "176": (G, "_MONTH", re.compile(r"(?<![\d.])(?:1[0-2]|[1-9])月(?!\d|份?[初中底末]?\d)"), G.check_scope),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*", type=Path)
    ap.add_argument("--rule", required=True, choices=sorted(switches()))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    from rag.citations import check_answer
    from rag.config import load_settings
    from rag.dates import undated_day_words
    from rag.grounding import Draft, run_checks
    from rag.scoring import score_result

    module, name, off, step = switches()[args.rule]
    threshold = load_settings(None).answer.support_threshold
    runs = args.runs or sorted(p for p in (ROOT / "eval" / "runs").iterdir() if p.is_dir())

    def verdict(r: dict, text: str):
        question = r.get("translation") or r["question"]
        chunks = given_chunks(r)
        checked = check_answer(text, chunks, threshold, ignore=[REFUSAL], question=question)
        if step == "citations":
            return [s.verdict for s in checked.verified]
        if step == "checks":  # a reading both steps use (rule 171's figures): citations, then every check
            return [s.verdict for s in checked.verified], run_checks(Draft(question, checked.verified,
                                                                             translated=bool(r.get("translation"))))
        return step(Draft(question, checked.verified, translated=bool(r.get("translation"))))

    drafts, changed = 0, []
    for run in runs:
        for part in ("answerable", "nearmiss", "offtopic"):
            for r in run_rows(run / part) or []:
                text = r.get("draft") or ("" if r["abstained"] else undated_day_words(r["answer"]))
                if not text or not r.get("hits"):
                    continue
                drafts += 1
                with switched_off(module, name, off):
                    before = verdict(r, text)
                after = verdict(r, text)
                if before != after:
                    answerable = part == "answerable" and r.get("answerable", True)
                    right = answerable and score_result({**r, "answer": text, "abstained": False}).get("correct")
                    kind = ("correct" if right else "wrong") if answerable else part
                    changed.append({"run": run.name, "id": r["id"], "kind": kind, "question": r["question"],
                                    "draft": text[:120], "without": before, "with": after})
    result = {"name": f"rule_effect_{args.rule}", "machine": machine_info(), "rule": args.rule,
              "runs": len(runs), "drafts": drafts, "changed": changed}
    out = args.out or ROOT / "bench" / "results" / f"rule_effect_{args.rule}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
