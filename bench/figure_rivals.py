"""Did the answer take a neighbouring figure? A refusal signal, measured on saved runs.

A passage often states two figures of the same kind side by side ("三次考察青海、两次参加全国人代会青海
代表团审议"), and a small model copies the wrong one: the answer's figure is in the chunk, so support
and value checks pass. What tells them apart is which words each figure stands among: a figure
belongs to its clause (text between ，、；。 and the like). For every shown answer (one the current
checks pass), each new figure of its held sentences (one the question does not give) is found in
its cited chunk; its score is the idf-weighted share of the question's topic words and subjects in
its own clause (best place), and the rivals' score the best share in the clause of any other figure
of the same kind in that chunk (same unit family, another value, not given by the question). The
signal is ``rival - own``: how much better another figure's clause matches the question.

    python bench/figure_rivals.py --run gen=runs/r7 --index answerable=data/gen/index_full \\
        --index nearmiss=data/gen/index_near --index offtopic=data/gen/index_full [--name N] [--details F]

Prints one JSON object (per margin: correct, wrong and unanswerable answers it would refuse, pooled
and per run) and writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import saved_runs_main, shown_answers  # noqa: E402

MARGINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
PARTS = ("answerable", "nearmiss", "offtopic")


# A figure belongs to its clause: "三次考察青海、两次参加全国人代会青海代表团审议" gives 三次 to 考察 and 两次 to
# 参加…审议. A comma between digits is a thousands separator, not a clause end.
_FIGURE_CLAUSE_END = re.compile(r"[，、；;。！!？?：:\n]|(?<!\d),|,(?!\d)")


def _clause_around(text: str, start: int, end: int) -> str:
    begin = max((m.end() for m in _FIGURE_CLAUSE_END.finditer(text, 0, start)), default=0)
    m = _FIGURE_CLAUSE_END.search(text, end)
    return text[begin: m.start() if m else len(text)]


def figure_rivals(question: str, sentences) -> tuple[float, float, str, str] | None:
    """(own, rival, figure, rival figure) for the answer figure that stands best against its rivals.

    For each new figure of the held claims (one the question does not give), ``own`` is the best
    share of the question's words (``langrules.question_words_share``) in a clause of a cited chunk
    that writes it; ``rival`` the best share in the clause of another figure of the same kind in that
    chunk (same unit family, another value, in neither the question nor the answer). None when no
    figure has a rival or the question has no words to look for. Of several figures, the one with
    the smallest ``rival - own`` counts: an answer took a neighbour only if every figure it gives did.
    """
    from rag.langrules import equivalent_units, quantities, question_words_share, same_quantity
    from rag.textnorm import normalize

    asked = quantities(question)
    best = None
    for s in sentences:
        if s.verdict not in ("supported", "inferred"):
            continue
        said = quantities(s.text)
        figures = [x for x in said if not any(same_quantity(x, a) for a in asked)]
        for c in s.citations:
            if not c.holds:
                continue
            text = normalize(c.chunk.text)
            found = quantities(text)
            for x in figures:
                own = [f for f in found if same_quantity(x, f)]
                rivals = [f for f in found if f.unit and x.unit and f.unit in equivalent_units(x.unit)
                          and f.percent == x.percent and not any(same_quantity(f, y) for y in (*said, *asked))]
                if not own or not rivals:
                    continue
                shares = [question_words_share(question, _clause_around(text, f.start, f.end)) for f in own]
                if None in shares:
                    return None
                rival = max((question_words_share(question, _clause_around(text, f.start, f.end)) or 0.0, f.text)
                            for f in rivals)
                cand = (max(shares), rival[0], x.text, rival[1])
                if best is None or cand[1] - cand[0] < best[1] - best[0]:
                    best = cand
    return best


def measure(rows: list[dict], pipeline, part: str) -> list[dict]:
    out = []
    for r, question, checked, label in shown_answers(rows, pipeline, part):
        found = figure_rivals(question, checked.verified)
        out.append({"part": part, "id": r["id"], "label": label, "question": r["question"],
                    "answer": r["answer"][:80], "own": found[0] if found else None,
                    "rival": found[1] if found else None, "figure": found[2] if found else None,
                    "rival_figure": found[3] if found else None})
    return out


def table(recs: list[dict]) -> dict:
    labels = ("correct", "wrong", "unanswerable")
    gap = [r for r in recs if r["own"] is not None and r["rival"] is not None]
    return {"shown": {k: sum(r["label"] == k for r in recs) for k in labels},
            "with_rival": {k: sum(r["label"] == k for r in gap) for k in labels},
            "refused_at": {str(m): {k: sum(r["label"] == k and r["rival"] - r["own"] > m for r in gap) for k in labels}
                           for m in MARGINS}}


def main(argv: list[str] | None = None) -> int:
    return saved_runs_main(argv, __doc__.splitlines()[0], "figure_rivals", measure, table, PARTS)


if __name__ == "__main__":
    raise SystemExit(main())
