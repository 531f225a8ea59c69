"""How often the generator turns an English question into a usable Chinese question, first time and
with the one retry (``rag.translation.translate_question``).

Every distinct question of the repository's eval files that ``langrules.written_in_english`` reads
as English is translated the way the pipeline does it; the first reply and, where it is not usable
(``clean_translation`` gives None) but holds Chinese, the reply to the retry are kept. Needs the
default generator (about 2 s a question on 2 cores).

    python bench/translate_english.py [--limit N] [--name translate_english]

Prints and writes one JSON object: questions, usable first time, retried, usable after the retry,
and the questions that stayed untranslated with both replies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import ROOT, write_result  # noqa: E402


def english_questions(root: Path = ROOT) -> list[tuple[str, str]]:
    """(id, question) of every distinct English question of ``eval/**/*.jsonl``, in file order."""
    from rag.langrules import written_in_english

    seen: dict[str, str] = {}
    for path in sorted((root / "eval").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            q = row.get("question") if isinstance(row, dict) else None
            if isinstance(q, str) and written_in_english(q) and q not in seen:
                seen[q] = str(row.get("id", ""))
    return [(i, q) for q, i in seen.items()]


def table(rows: list[dict]) -> dict:
    """The counts over per-question records with ``first`` and ``retry`` (the cleaned replies, or
    None) and ``retried`` (whether the retry was asked)."""
    return {"questions": len(rows),
            "usable_first": sum(r["first"] is not None for r in rows),
            "retried": sum(r["retried"] for r in rows),
            "usable_after_retry": sum(r["retry"] is not None for r in rows),
            "untranslated": [r for r in rows if r["first"] is None and r["retry"] is None]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="only the first N questions")
    ap.add_argument("--name", default="translate_english")
    args = ap.parse_args(argv)
    from rag.config import load_settings
    from rag.generators import make_generator
    from rag.prompting import load_prompts
    from rag.translation import MAX_TOKENS, RETRY_REMINDER, _CJK, clean_translation, translation_messages

    settings = load_settings()
    gen, prompts = make_generator(settings), load_prompts(settings.paths.prompts_dir)
    template, refusal = prompts.get("translate_zh"), prompts.refusal("zh")
    rows = []
    for qid, q in english_questions()[: args.limit]:
        reply = "".join(gen.stream(translation_messages(template, q), max_tokens=MAX_TOKENS))
        first = clean_translation(reply, refusal)
        retried = first is None and bool(_CJK.search(reply))
        again, retry = "", None
        if retried:
            again = "".join(gen.stream(translation_messages(template, q + RETRY_REMINDER), max_tokens=MAX_TOKENS))
            retry = clean_translation(again, refusal)
        rows.append({"id": qid, "question": q, "reply": reply, "first": first, "retried": retried,
                     "reply_retry": again, "retry": retry})
    write_result(args.name, table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
