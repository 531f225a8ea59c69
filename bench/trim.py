"""Does the answer survive trimming? The share of answerable questions whose answer is still in the prompt.

The prompt shows each of the top ``k`` chunks trimmed to about ``--chars`` characters of the
clauses that share most with the question (``prompting.trim_chunk``): a model cannot quote what was
cut away. For every answerable question of a retrieval run (``rag eval Q --index I --out DIR
--no-generate``) whose top ``k`` chunks hold an accepted answer (``scoring.match_answer``), this
counts whether the trimmed texts still do, for each value of ``prompting.KIND_BONUS`` given, and the
characters the trimmed chunks add up to (prompt tokens, hence time to first token, follow them).
No model runs; a question asked in English is trimmed against its saved translation.

    python bench/trim.py --run gen=runs/retr/generalisation --run seeds=runs/retr/seeds \\
        [--bonus 0 1 2 3 4 6] [--chars 160] [--k 4] [--name trim] [--out F] [--details FILE]

Prints one JSON object: per bonus and per run, questions, answer kept, share kept and mean
characters; writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import write_details, write_result  # noqa: E402


def _answerable(run: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run / "results.jsonl").open(encoding="utf-8")]
    return [r for r in rows if r.get("answerable", True) and r.get("answers")]


def measure(runs: dict[str, Path], bonuses: list[int], chars: int, k: int) -> tuple[dict, list[dict]]:
    import rag.prompting as prompting
    from rag.scoring import match_answer

    figures: dict[str, dict] = {}
    details: list[dict] = []
    saved = prompting.KIND_BONUS
    try:
        for bonus in bonuses:
            prompting.KIND_BONUS = bonus
            per_run = {}
            for name, run in runs.items():
                n = kept = total = 0
                for r in _answerable(run):
                    hits = r["hits"][:k]
                    if not any(match_answer(h["text"], r["answers"]) for h in hits):
                        continue  # retrieval missed it: trimming cannot matter
                    question = r.get("translation") or r["question"]
                    texts = [prompting.trim_chunk(h["text"], question, chars) for h in hits]
                    ok = any(match_answer(t, r["answers"]) for t in texts)
                    n += 1
                    kept += ok
                    total += sum(len(t) for t in texts)
                    details.append({"bonus": bonus, "run": name, "id": r["id"], "kept": ok})
                per_run[name] = {"questions": n, "kept": kept, "share_kept": round(kept / n, 4) if n else None,
                                 "mean_chars": round(total / n, 1) if n else None}
            n_all = sum(v["questions"] for v in per_run.values())
            kept_all = sum(v["kept"] for v in per_run.values())
            chars_all = sum(v["mean_chars"] * v["questions"] for v in per_run.values() if v["questions"])
            per_run["all"] = {"questions": n_all, "kept": kept_all, "share_kept": round(kept_all / n_all, 4) if n_all else None,
                              "mean_chars": round(chars_all / n_all, 1) if n_all else None}
            figures[str(bonus)] = per_run
    finally:
        prompting.KIND_BONUS = saved
    return figures, details


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="append", required=True, help="NAME=DIR of a --no-generate run")
    ap.add_argument("--bonus", type=int, nargs="+", default=[0, 1, 2, 3, 4, 6])
    ap.add_argument("--chars", type=int, default=160)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--name", default="trim")
    ap.add_argument("--out", help="write the JSON here instead of bench/results/<name>.json")
    ap.add_argument("--details", help="write one JSON line per question and bonus here")
    a = ap.parse_args(argv)
    runs = {spec.split("=", 1)[0]: Path(spec.split("=", 1)[1]) for spec in a.run}
    figures, details = measure(runs, a.bonus, a.chars, a.k)
    write_details(a.details, details)
    write_result(a.name, {"chars": a.chars, "k": a.k, "runs": {n: str(p) for n, p in runs.items()},
                          "by_bonus": figures}, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
