"""Per-kind figures for a dated-set run: python eval/dated/score.py RUN_DIR [RUN_DIR...] --index INDEX_DIR

For each run (a `rag eval` output folder) and each kind of question in eval/dated/meta.json
(day, latest, relative, collection, doc) it prints:

- ``src@1``: the top hit comes from a gold source document (the article of the right day);
- ``ans@1`` / ``ans@4``: the answer string is in the top 1 / top 4 hits (what the model is given);
- ``date@1``: the top hit's publication date is the expected one (time-scoped questions);
- ``in_scope``: share of the top-4 hits inside the question's collection / documents (filtered ones);
- ``dup@5``: share of top-5 slots taken by a second copy of a story (near-duplicate groups of the index);
- ``acc``: answered correctly (runs with generation only).

The index is read only for document dates, collections and duplicate groups (its manifest).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _manifest(index_dir: Path) -> dict:
    sys.path.insert(0, str(HERE.parents[1]))
    from rag import store

    return store.read_manifest(store.current_generation(index_dir))


def _mean(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(sum(xs) / len(xs), 3) if xs else None


def score(run: Path, meta: dict, docs: dict) -> dict:
    rows = [json.loads(line) for line in (run / "results.jsonl").open(encoding="utf-8")]
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        m = meta.get(r["id"], {})
        hits = r.get("hits") or []
        top = hits[0] if hits else {}
        answers = r.get("answers") or []

        def has(h: dict) -> bool:
            text = (h.get("text") or "").replace(" ", "")
            return any(a.replace(" ", "") in text for a in answers)

        s = {
            "src@1": bool(top) and top.get("doc_id") in set(r.get("sources") or []),
            "ans@1": bool(top) and has(top),
            "ans@4": any(has(h) for h in hits[:4]),
            "date@1": (bool(top) and (docs.get(top.get("doc_id"), {}).get("date") == m.get("expected_date")))
            if m.get("expected_date") else None,
            "acc": (r.get("scores") or {}).get("correct"),
        }
        if m.get("collection") or m.get("doc_ids"):
            colls = m.get("collection")
            colls = {colls} if isinstance(colls, str) else set(colls or [])
            ok = [(docs.get(h["doc_id"], {}).get("collection") in colls) if colls else (h["doc_id"] in set(m["doc_ids"]))
                  for h in hits[:4]]
            s["in_scope"] = sum(ok) / len(ok) if ok else None
        groups = {}
        seen, wasted = set(), 0
        for h in hits[:5]:
            g = docs.get(h["doc_id"], {}).get("duplicate_group")
            if g and g in groups and groups[g] != h["doc_id"]:
                wasted += 1
            if g:
                groups.setdefault(g, h["doc_id"])
        s["dup@5"] = wasted / min(5, len(hits)) if hits else None
        by_kind.setdefault(m.get("kind", "?"), []).append(s)
        by_kind.setdefault("all", []).append(s)
    keys = ("src@1", "ans@1", "ans@4", "date@1", "in_scope", "dup@5", "acc")
    return {kind: {"n": len(v), **{k: _mean([x.get(k) for x in v]) for k in keys}} for kind, v in by_kind.items()}


def main(here: Path = HERE, doc: str = __doc__) -> int:
    """The command line; ``here`` is the set's folder, whose meta.json gives each question's kind
    (the fresh dated set calls this with its own folder and docstring)."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--index", required=True)
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    meta = json.loads((here / "meta.json").read_text(encoding="utf-8"))
    docs = _manifest(Path(args.index))["documents"]
    out = {}
    for run in args.runs:
        out[run] = score(Path(run), meta, docs)
        print(run)
        for kind, figs in sorted(out[run].items()):
            print(f"  {kind:10s} " + "  ".join(f"{k}={v}" for k, v in figs.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
