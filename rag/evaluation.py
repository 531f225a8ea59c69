"""Batch evaluation: run a question set through retrieval (and generation) and score it.

``load_questions`` reads and validates a JSONL/CSV question file; ``evaluate`` runs it through
the same ``Pipeline.stream`` the chat page uses (or through ``Index.retrieve`` alone with
``generate=False``, which never loads the LLM), appends one line per finished question to
``OUT/results.jsonl`` (flushed and fsync'ed), and writes ``metrics.json`` and ``report.html``.

Resuming: ``OUT/run.json`` holds a fingerprint of everything that changes the results (settings
that matter, the generate flag, k, model ids, the index's embedder and chunk count, a hash of the
questions). A rerun with the same fingerprint skips the finished questions; a partial last line
(kill or power loss mid-write) is dropped. A rerun with another fingerprint is refused unless
``overwrite``. Questions run in file order, so a resumed ``results.jsonl`` equals an
uninterrupted one line for line -- except the ``timings`` of each line (and the ``latency``
section of ``metrics.json``), which are wall-clock measurements. No line holds a timestamp.

Scoring is pure: ``score_result`` scores one results line and ``compute_metrics`` aggregates a
list of them, so both can be checked on hand-made results.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

# Matching and scoring live in rag/scoring.py (pure); re-exported here for this module's callers.
from .scoring import (  # noqa: F401
    HIT_KS,
    answer_parts,
    answer_rank,
    compute_metrics,
    match_answer,
    normalize_answer,
    percentile,
    score_result,
)
from .errors import ContextOverflowError, InputError, ModelCrashedError

if TYPE_CHECKING:
    from .config import Settings
    from .types import SearchFilter

RESULTS = "results.jsonl"
RUN = "run.json"
METRICS = "metrics.json"
REPORT = "report.html"
_FIELDS = ("id", "question", "answers", "sources", "answerable", "history", "contexts",
           # The question's scope (issue 15): knowledge-base collection(s), documents, a publication-date
           # range, and the day relative words (昨天, 上周) count from.
           "collection", "doc_ids", "since", "until", "reference_date")
# Fields of the chat page's feedback file: accepted and ignored, so feedback can be re-run as a
# question file. Any other unknown field is still an error (it is usually a typo).
_FEEDBACK_FIELDS = ("answer", "abstained", "citations", "rating", "comment", "time", "user")


@dataclass
class EvalReport:
    """What ``evaluate`` produced: the run folder, the metrics and the results in question order."""

    out_dir: Path | None
    metrics: dict[str, Any]
    results: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Questions: reading and validation


def _split_list(value: str) -> list[str]:
    """A CSV cell holding a JSON list or ``|``-separated strings."""
    value = value.strip()
    if not value:
        return []
    if value.startswith("["):
        parsed = json.loads(value)
        if not isinstance(parsed, list):
            raise ValueError("not a list")
        return parsed
    return [p.strip() for p in value.split("|") if p.strip()]


def _read_records(path: Path) -> list[tuple[int, Any]]:
    """(line number, record or an error string) for every non-blank record of a file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"question file {path} does not exist") from None
    except OSError as e:
        raise InputError(f"question file {path} cannot be read: {e}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"question file {path} is not UTF-8 ({e}); save it as UTF-8") from None
    out: list[tuple[int, Any]] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames or "question" not in [f.strip() for f in reader.fieldnames]:
            raise InputError(f"{path.name}:1: the CSV header must name a \"question\" column "
                             f"(columns: id,question,answers,sources,answerable)")
        unknown = [f for f in reader.fieldnames if f and f.strip() not in _FIELDS]
        if unknown:
            raise InputError(f"{path.name}:1: unknown CSV column(s) {', '.join(unknown)}; "
                             f"use id,question,answers,sources,answerable")
        for row in reader:
            line = reader.line_num
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            if None in row:
                out.append((line, "more cells than header columns"))
                continue
            rec: dict[str, Any] = {}
            try:
                for key, value in row.items():
                    key, value = key.strip(), (value or "").strip()
                    if not value:
                        continue
                    if key in ("answers", "sources", "history", "contexts", "doc_ids"):
                        rec[key] = (_split_list(value) if key in ("answers", "sources", "doc_ids")
                                    else json.loads(value))
                    elif key == "answerable":
                        low = value.lower()
                        if low not in ("true", "false", "1", "0", "yes", "no"):
                            raise ValueError(f'"answerable" must be true or false, got {value!r}')
                        rec[key] = low in ("true", "1", "yes")
                    else:
                        rec[key] = value
            except ValueError as e:  # json.JSONDecodeError is a ValueError
                msg = str(e) if str(e).startswith('"') else f"a cell is not valid JSON ({e})"
                out.append((line, msg))
                continue
            out.append((line, rec))
        return out
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((i, json.loads(line)))
        except json.JSONDecodeError as e:
            out.append((i, f"not valid JSON ({e.msg} at column {e.colno})"))
    return out


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_record(rec: Any, max_chars: int | None) -> tuple[dict[str, Any] | None, str | None]:
    """(normalised question, None) or (None, reason)."""
    if isinstance(rec, str):
        return None, rec
    if not isinstance(rec, dict):
        return None, "not a JSON object"
    unknown = sorted(set(rec) - set(_FIELDS) - set(_FEEDBACK_FIELDS))
    if unknown:
        return None, f"unknown field(s) {', '.join(repr(u) for u in unknown)}; known: {', '.join(_FIELDS)}"
    if "question" not in rec:
        return None, 'missing "question"'
    q = rec["question"]
    if not isinstance(q, str) or not q.strip():
        return None, '"question" must be non-empty text'
    from .pipeline import check_question

    try:
        q = check_question(q, max_chars if max_chars is not None else 10**9)
    except InputError as e:
        return None, f'"question": {e}'
    out: dict[str, Any] = {"id": None, "question": q}
    qid = rec.get("id")
    if qid is not None:
        if isinstance(qid, bool) or not isinstance(qid, (str, int)) or not str(qid).strip():
            return None, '"id" must be non-empty text or a number'
        out["id"] = str(qid).strip()
    answers = rec.get("answers", [])
    if answers is None:
        answers = []
    if not isinstance(answers, list):
        return None, '"answers" must be a list of strings or a list of lists of strings'
    if answers and all(isinstance(a, list) for a in answers):
        if not all(_is_str_list(a) and a for a in answers):
            return None, '"answers": every inner list must hold one or more strings'
    elif not _is_str_list(answers):
        return None, '"answers" must be a list of strings or a list of lists of strings, not a mix'
    if any(not x.strip() for a in answers for x in (a if isinstance(a, list) else [a])):
        return None, '"answers" holds an empty string'
    out["answers"] = answers
    sources = rec.get("sources", [])
    if sources is None:
        sources = []
    if not _is_str_list(sources):
        return None, '"sources" must be a list of document ids'
    out["sources"] = sources
    answerable = rec.get("answerable", True)
    if not isinstance(answerable, bool):
        return None, '"answerable" must be true or false'
    out["answerable"] = answerable
    history = rec.get("history")
    if history is not None:
        if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
            for m in history
        ):
            return None, '"history" must be a list of {"role": "user"|"assistant", "content": text}'
        out["history"] = [{"role": m["role"], "content": m["content"]} for m in history]
    contexts = rec.get("contexts")
    if contexts is not None:
        if not isinstance(contexts, list) or not contexts:
            return None, '"contexts" must be a non-empty list of passages'
        clean = []
        for c in contexts:
            if isinstance(c, str) and c.strip():
                clean.append(c)
            elif isinstance(c, dict) and isinstance(c.get("text"), str) and c["text"].strip() \
                    and set(c) <= {"doc_id", "title", "text"}:
                clean.append({k: str(v) for k, v in c.items() if v is not None})
            else:
                return None, '"contexts" items must be text or {"doc_id", "title", "text"} with non-empty text'
        out["contexts"] = clean
    problem = _check_scope(rec, out)
    if problem:
        return None, problem
    return out, None


def _iso_day(value: Any) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


def _check_scope(rec: dict[str, Any], out: dict[str, Any]) -> str | None:
    """Validate and copy the scope fields (collection, doc_ids, since, until, reference_date)."""
    coll = rec.get("collection")
    if coll is not None:
        if isinstance(coll, str) and coll.strip():
            out["collection"] = [coll.strip()]
        elif _is_str_list(coll) and coll and all(c.strip() for c in coll):
            out["collection"] = [c.strip() for c in coll]
        else:
            return '"collection" must be a collection name or a non-empty list of names'
    doc_ids = rec.get("doc_ids")
    if doc_ids is not None:
        if not _is_str_list(doc_ids) or not doc_ids:
            return '"doc_ids" must be a non-empty list of document ids'
        out["doc_ids"] = [str(d) for d in doc_ids]
    for key in ("since", "until"):
        if rec.get(key) is not None:
            if not _iso_day(rec[key]):
                return f'"{key}" must be a date YYYY-MM-DD, got {rec[key]!r}'
            out[key] = rec[key]
    if out.get("since") and out.get("until") and out["since"] > out["until"]:
        return f'"since" ({out["since"]}) is after "until" ({out["until"]})'
    ref = rec.get("reference_date")
    if ref is not None:
        if ref not in ("today", "newest") and not _iso_day(ref):
            return f'"reference_date" must be today, newest or a date YYYY-MM-DD, got {ref!r}'
        out["reference_date"] = ref
    return None


def question_filter(q: dict[str, Any]) -> "SearchFilter | None":
    """The SearchFilter a question's scope fields ask for (None when it has none)."""
    from .types import SearchFilter

    flt = SearchFilter(since=q.get("since"), until=q.get("until"),
                       doc_ids=frozenset(q["doc_ids"]) if q.get("doc_ids") else None,
                       collections=frozenset(q["collection"]) if q.get("collection") else None)
    return None if flt.is_empty() else flt


def _auto_id(q: dict[str, Any]) -> str:
    # A hash of the question (and the turns it follows) rather than its position, so inserting a
    # question into the file does not rename the others and runs stay comparable by id.
    key = json.dumps([q["question"], q.get("history") or []], ensure_ascii=False)
    return "q" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def _validate(records: Iterable[tuple[int, Any]], name: str, *, skip_invalid: bool,
              log: Callable[[str], None], max_chars: int | None = None) -> list[dict[str, Any]]:
    good: list[tuple[int, dict[str, Any]]] = []
    errors: list = []  # (line, message), sorted by line before reporting
    for line, rec in records:
        q, why = _check_record(rec, max_chars)
        if q is None:
            errors.append((line, f"{name}:{line}: {why}"))
        else:
            good.append((line, q))
    # Ids: given ones must be unique; generated ones get -2, -3 for a repeated question.
    seen: dict[str, int] = {}
    dup_lines: set[int] = set()
    for line, q in good:
        if q["id"] is not None:
            if q["id"] in seen:
                errors.append((line, f"{name}:{line}: duplicate id {q['id']!r} (first on line {seen[q['id']]})"))
                dup_lines.add(line)
            else:
                seen[q["id"]] = line
    good = [(line, q) for line, q in good if line not in dup_lines]
    for line, q in good:
        if q["id"] is None:
            base = _auto_id(q)
            qid, n = base, 1
            while qid in seen:
                n += 1
                qid = f"{base}-{n}"
            q["id"] = qid
            seen[qid] = line
    if errors:
        errors = [e for _, e in sorted(errors)]
        if not skip_invalid:
            shown = errors[:50] + ([f"... and {len(errors) - 50} more"] if len(errors) > 50 else [])
            raise InputError(f"{len(errors)} invalid question(s); fix them or pass --skip-invalid:\n"
                             + "\n".join(shown))
        log(f"skipped {len(errors)} invalid question(s):\n" + "\n".join(errors[:20]))
    if not good:
        raise InputError(f"{name} holds no valid questions")
    return [q for _, q in good]


def load_questions(source: str | Path | Sequence[dict], *, skip_invalid: bool = False,
                   log: Callable[[str], None] = lambda m: None, max_chars: int | None = None) -> list[dict]:
    """Read and validate a question file (JSONL or CSV) or a list of dicts.

    Every bad record is reported with its line number and reason in one ``InputError``; with
    ``skip_invalid`` they are dropped and counted in ``log``. Returns normalised questions:
    ``id`` (generated from a hash of the question when absent), ``question``, ``answers``,
    ``sources``, ``answerable`` and, when given, ``history`` and ``contexts``.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        return _validate(_read_records(path), path.name, skip_invalid=skip_invalid, log=log, max_chars=max_chars)
    if isinstance(source, dict) or not isinstance(source, Sequence):
        raise InputError("questions must be a file path or a list of question objects")
    return _validate(enumerate(source, start=1), "questions", skip_invalid=skip_invalid, log=log,
                     max_chars=max_chars)


# --------------------------------------------------------------------------------------------
# Running


def _public_settings(settings: "Settings") -> dict[str, Any]:
    d = settings.to_dict()
    if d.get("generator", {}).get("api_key"):
        d["generator"]["api_key"] = "***"  # never written to disk
    return d


def _fingerprint(settings: "Settings", *, generate: bool, k: int, questions: list[dict], index: Any,
                 pipeline: Any) -> dict[str, Any]:
    """Everything that changes the results; two runs with equal fingerprints may share a folder."""
    d = settings.to_dict()
    # Where files live and how the page is served do not change answers; the key is a secret.
    for section in ("paths", "app"):
        d.pop(section, None)
    d["generator"].pop("api_key", None)
    for key in ("isolation", "worker_timeout_s"):  # where the model runs does not change its answers
        d["generator"].pop(key, None)
    if not generate:
        d.pop("generator", None)
        d.pop("answer", None)
    fp: dict[str, Any] = {"settings": d, "generate": generate, "k": k}
    manifest = getattr(index, "manifest", None) or {}
    fp["index"] = {"embedder": manifest.get("embedder"), "chunks": manifest.get("chunks")} if index else None
    models = {"embedder": manifest.get("embedder")}
    if generate and pipeline is not None:
        models["generator"] = getattr(pipeline.generator, "model_id", None)
        prompts = getattr(pipeline, "prompts", None)
        if prompts is not None:
            blob = json.dumps(prompts.files, sort_keys=True, ensure_ascii=False)
            fp["prompts_sha256"] = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    fp["models"] = models
    if generate:
        # Answers checked by other language rules are other answers: a resumed run must not mix them.
        from .langrules import RULES_VERSION

        fp["rules_version"] = RULES_VERSION
    blob = json.dumps(questions, sort_keys=True, ensure_ascii=False)
    fp["questions_sha256"] = hashlib.sha256(blob.encode("utf-8")).hexdigest()
    fp["questions"] = len(questions)
    return fp


def _diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += _diff(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if a == b else [prefix or "(all)"]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_results(path: Path) -> list[dict[str, Any]]:
    """Finished results; a partial or garbled last line (interrupted write) is cut off the file."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    out: list[dict[str, Any]] = []
    good_bytes = 0
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        if last and not line:  # the empty string after the final newline
            break
        try:
            if last:
                raise ValueError("no final newline")
            rec = json.loads(line.decode("utf-8"))
            if not isinstance(rec, dict) or "id" not in rec:
                raise ValueError("not a result")
        except ValueError:
            if last or all(not x.strip() for x in lines[i + 1:]):
                break
            raise InputError(f"{path}:{i + 1} is damaged; rerun with --overwrite (or a new --out) to start again")
        out.append(rec)
        good_bytes += len(line) + 1
    if good_bytes != len(raw):
        with open(path, "r+b") as f:
            f.truncate(good_bytes)
            f.flush()
            os.fsync(f.fileno())
    return out


class _Lock:
    """One evaluation at a time per output folder (two writers would interleave results)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / ".lock"
        self.f = None

    def __enter__(self) -> "_Lock":
        import fcntl

        self.f = open(self.path, "a")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.f.close()
            raise InputError(f"another evaluation is writing to {self.path.parent}; wait for it or use another --out")
        return self

    def __exit__(self, *exc: Any) -> None:
        import fcntl

        if self.f:
            fcntl.flock(self.f, fcntl.LOCK_UN)
            self.f.close()


def _prepare_out_dir(out_dir: Path, fp: dict[str, Any], *, resume: bool, overwrite: bool,
                     log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Check or write run.json; returns the results already finished in this folder."""
    run_path, results_path = out_dir / RUN, out_dir / RESULTS
    if overwrite:
        for name in (RESULTS, RUN, METRICS, REPORT, RESULTS + ".tmp", METRICS + ".tmp", REPORT + ".tmp"):
            (out_dir / name).unlink(missing_ok=True)
    if run_path.exists():
        try:
            old = json.loads(run_path.read_text(encoding="utf-8"))["fingerprint"]
        except (ValueError, KeyError, TypeError, OSError):
            raise InputError(f"{run_path} is damaged; use a new --out or --overwrite") from None
        if old != fp:
            changed = ", ".join(_diff(old, fp)[:8])
            raise InputError(f"{out_dir} holds a run with different settings (changed: {changed}); "
                             f"use a new --out directory or --overwrite to replace it")
        if not resume:
            if results_path.exists() and results_path.stat().st_size:
                raise InputError(f"{out_dir} already holds results of this run; pass --overwrite to start again "
                                 f"(or resume=True to continue)")
        done = _read_results(results_path)
        if done:
            log(f"resuming: {len(done)} of {fp['questions']} questions already done in {out_dir}")
        return done
    if results_path.exists() and results_path.stat().st_size:
        raise InputError(f"{out_dir} holds results but no {RUN}; use a new --out directory or --overwrite")
    _write_atomic(run_path, json.dumps({"fingerprint": fp}, ensure_ascii=False, indent=1) + "\n")
    results_path.unlink(missing_ok=True)
    return []


def _ms(d: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 3) if isinstance(v, float) else v for k, v in d.items()}


def _run_one(q: dict[str, Any], *, pipeline: Any, index: Any, generate: bool, k: int) -> dict[str, Any]:
    from .pipeline import hits_from_contexts, retrieval_query
    from .types import Answer, hit_to_dict

    rec: dict[str, Any] = {"id": q["id"], "question": q["question"], "answerable": q["answerable"],
                           "answers": q["answers"], "sources": q["sources"]}
    if q.get("history"):
        rec["history"] = q["history"]
    rec["contexts_given"] = q.get("contexts") is not None
    t0 = time.perf_counter()
    if not generate:
        if q.get("contexts") is not None:
            hits, timings = hits_from_contexts(q["contexts"]), {"retrieve_ms": 0.0}
        else:
            # Retrieval metrics report hit@10, so fetch at least 10 whatever k is.
            from .pipeline import scoped_retrieve

            r, time_range = scoped_retrieve(index, q["question"], max(k, max(HIT_KS)), index.settings,
                                            filters=question_filter(q), reference_date=q.get("reference_date"),
                                            query=retrieval_query(q["question"], q.get("history")))
            hits, timings = r.hits, dict(r.timings)
            rec["time_range"] = time_range.to_dict() if time_range is not None else None
        timings["total_ms"] = (time.perf_counter() - t0) * 1e3
        rec.update(answer=None, abstained=None, citations=[], unsupported=[], prompt_hits=None,
                   hits=[hit_to_dict(h) for h in hits])
    else:
        final = None
        try:
            for event in pipeline.stream(q["question"], q.get("history"), contexts=q.get("contexts"), k=k,
                                         filters=question_filter(q), reference_date=q.get("reference_date"),
                                         measure_doubt=True):
                if isinstance(event, Answer):
                    final = event
        except (InputError, ContextOverflowError, ModelCrashedError) as e:
            # This question cannot be asked (too long for the context...), or the model's process
            # crashed on it (it restarts by itself): record it, go on.
            rec.update(answer=None, abstained=None, citations=[], unsupported=[], prompt_hits=None, hits=[],
                       error=str(e))
            rec["scores"] = score_result(rec)
            rec["timings"] = {"total_ms": round((time.perf_counter() - t0) * 1e3, 3)}
            return rec
        if final is None:
            raise RuntimeError("pipeline.stream ended without an Answer")
        d = final.to_dict()
        timings = dict(final.timings)
        generated = "answer_tokens" in timings
        rec.update(answer=d["answer"], abstained=d["abstained"], reason=d["reason"], draft=d["draft"],
                   citations=d["citations"], unsupported=d["unsupported"], sentences=d.get("sentences", []),
                   prompt_hits=(len(final.hits) - int(timings.get("dropped_chunks", 0))) if generated else 0,
                   hits=d["hits"], time_range=d.get("time_range"), refusal_prob=d.get("refusal_prob"),
                   translation=d.get("translation", ""))
    rec["scores"] = score_result(rec)
    rec["timings"] = _ms(timings)
    return rec


def _progress_postfix(results: Sequence[dict[str, Any]], generate: bool) -> str:
    if generate:
        judged = [r["scores"]["correct"] for r in results if r["scores"].get("correct") is not None]
        return f"acc={sum(judged) / len(judged):.1%}" if judged else "acc=-"
    ranked = [r["scores"]["source_rank"] for r in results if r.get("sources") and not r.get("contexts_given")]
    return f"hit@10={sum(1 for x in ranked if x) / len(ranked):.1%}" if ranked else "hit@10=-"


def evaluate(questions: str | Path | Sequence[dict], pipeline: Any = None, *, index: str | Path | None = None,
             out_dir: str | Path | None = None, generate: bool = True, k: int | None = None, resume: bool = True,
             settings: "Settings | None" = None, overwrite: bool = False,
             log: Callable[[str], None] = lambda m: None, show_progress: bool = False) -> EvalReport:
    """Run a question set and score it; with ``out_dir`` the run is resumable and leaves files.

    ``questions`` is a question file or a list of dicts (see ``load_questions``). Without a
    ``pipeline`` one is built from ``settings`` (default: ``load_settings()``; ``index``
    overrides ``paths.index_dir``). ``generate=False`` opens only the index and measures
    retrieval (at least 10 hits). ``k`` defaults to ``retrieval.k``. In ``out_dir``: a run
    with the same fingerprint continues where it stopped (``resume``), one with another is
    refused unless ``overwrite``. Files: results.jsonl, run.json, metrics.json, report.html.
    """
    from .config import load_settings

    if settings is None:
        settings = pipeline.settings if pipeline is not None else load_settings()
    if index is not None:
        settings = copy.deepcopy(settings)
        settings.paths.index_dir = Path(index)
    k_eff = int(k or settings.retrieval.k)
    if k_eff < 1:
        raise InputError("k must be at least 1")
    qs = load_questions(questions, log=log, max_chars=settings.answer.max_question_chars)
    # Open what the run needs: the index only for retrieval-only runs, else the full pipeline.
    idx = None
    if not generate:
        if pipeline is not None and pipeline.index is not None:
            idx = pipeline.index
        elif any(q.get("contexts") is None for q in qs):
            from .embedders import make_embedder
            from .indexing import open_index

            idx = open_index(settings.paths.resolved_index_dir(), settings, embedder=make_embedder(settings, log=log))
    else:
        if pipeline is None:
            from .pipeline import Pipeline

            pipeline = Pipeline.from_settings(settings, log=log)
        idx = pipeline.index
    if idx is not None:
        idx.embedder  # noqa: B018 - an index built with another model fails here, before any question
    fp = _fingerprint(settings, generate=generate, k=k_eff, questions=qs, index=idx, pipeline=pipeline)
    meta = {"settings": _public_settings(settings), "models": fp["models"], "index": fp["index"],
            "generate": generate, "k": k_eff, "questions_sha256": fp["questions_sha256"]}

    if out_dir is None:
        results = _run_all(qs, {}, None, pipeline=pipeline, index=idx, generate=generate, k=k_eff, log=log,
                           show_progress=show_progress)
        metrics = {**meta, **compute_metrics(results, k=k_eff, generate=generate)}
        return EvalReport(None, metrics, results)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with _Lock(out):
        done_list = _prepare_out_dir(out, fp, resume=resume, overwrite=overwrite, log=log)
        wanted = {q["id"] for q in qs}
        done = {r["id"]: r for r in done_list if r["id"] in wanted}
        results = _run_all(qs, done, out / RESULTS, pipeline=pipeline, index=idx, generate=generate, k=k_eff,
                           log=log, show_progress=show_progress)
        # Completion order equals question order for a sequential run; rewrite if it ever does not.
        ordered = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results)
        if (out / RESULTS).read_text(encoding="utf-8") != ordered:
            _write_atomic(out / RESULTS, ordered)
        metrics = {**meta, **compute_metrics(results, k=k_eff, generate=generate)}
        _write_atomic(out / METRICS, json.dumps(metrics, ensure_ascii=False, indent=1) + "\n")
        from .report import render_report

        _write_atomic(out / REPORT, render_report(metrics, results))
    log(f"wrote {out / RESULTS}, {out / METRICS} and {out / REPORT}")
    return EvalReport(out, metrics, results)


def _run_all(qs: list[dict], done: dict[str, dict], results_path: Path | None, *, pipeline: Any, index: Any,
             generate: bool, k: int, log: Callable[[str], None], show_progress: bool) -> list[dict]:
    from tqdm import tqdm

    results: list[dict] = [done[q["id"]] for q in qs if q["id"] in done]
    f = open(results_path, "a", encoding="utf-8") if results_path is not None else None
    bar = tqdm(total=len(qs), initial=len(results), file=sys.stderr, disable=not show_progress,
               unit="q", dynamic_ncols=True, desc="eval", mininterval=0.5)
    try:
        if results:
            bar.set_postfix_str(_progress_postfix(results, generate))
        for q in qs:
            if q["id"] in done:
                continue
            rec = _run_one(q, pipeline=pipeline, index=index, generate=generate, k=k)
            if f is not None:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            results.append(rec)
            bar.update(1)
            bar.set_postfix_str(_progress_postfix(results, generate))
    except KeyboardInterrupt:
        log(f"interrupted after {len(results)} of {len(qs)} questions; rerun the same command to continue")
        raise
    finally:
        bar.close()
        if f is not None:
            f.close()
    order = {q["id"]: i for i, q in enumerate(qs)}
    results.sort(key=lambda r: order[r["id"]])
    return results


# --------------------------------------------------------------------------------------------
# Comparing two runs


def _load_run(run: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run = Path(run)
    path = run / RESULTS
    if not path.exists():
        raise InputError(f"{run} holds no {RESULTS}; give the --out folder of a `rag eval` run")
    results = _read_results_readonly(path)
    try:
        metrics = json.loads((run / METRICS).read_text(encoding="utf-8"))
    except FileNotFoundError:  # an unfinished run: score what is there
        k = 5
        try:
            k = json.loads((run / RUN).read_text(encoding="utf-8"))["fingerprint"]["k"]
        except (OSError, ValueError, KeyError):
            pass
        generate = any(r.get("answer") is not None for r in results)
        metrics = {"k": k, "generate": generate, **compute_metrics(results, k=k, generate=generate)}
    except ValueError:
        raise InputError(f"{run / METRICS} is damaged; rerun the evaluation to rewrite it") from None
    return metrics, results


def _read_results_readonly(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            out.append(rec)
    return out


def _flat(metrics: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for section in ("retrieval", "answers", "citations", "latency"):
        for key, v in (metrics.get(section) or {}).items():
            if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
                out[f"{section}.{key}"] = v
    return out


def compare_runs(run_a: str | Path, run_b: str | Path) -> str:
    """Text of metric deltas (B - A) and of questions that became right or wrong.

    Also writes the same comparison as ``RUN_B/compare_<name of A>.html`` (named in the text).
    """
    from .report import render_compare

    run_a, run_b = Path(run_a), Path(run_b)
    ma, ra = _load_run(run_a)
    mb, rb = _load_run(run_b)
    fa, fb = _flat(ma), _flat(mb)
    deltas = []
    for key in list(fb) + [k for k in fa if k not in fb]:
        a, b = fa.get(key), fb.get(key)
        d = (b - a) if a is not None and b is not None else None
        deltas.append((key, a, b, d))
    by_a = {r["id"]: r for r in ra}
    by_b = {r["id"]: r for r in rb}
    common = [i for i in by_b if i in by_a]
    changes: dict[str, list[dict]] = {"became_right": [], "became_wrong": [], "source_found": [], "source_lost": []}
    k = int(mb.get("k") or 5)
    for qid in common:
        sa, sb = score_result(by_a[qid]), score_result(by_b[qid])
        row = {"id": qid, "question": by_b[qid].get("question", ""), "a": by_a[qid], "b": by_b[qid]}
        if sa["correct"] is False and sb["correct"] is True:
            changes["became_right"].append(row)
        elif sa["correct"] is True and sb["correct"] is False:
            changes["became_wrong"].append(row)
        in_a = sa["source_rank"] is not None and sa["source_rank"] <= k
        in_b = sb["source_rank"] is not None and sb["source_rank"] <= k
        if by_a[qid].get("sources") and in_a != in_b:
            changes["source_found" if in_b else "source_lost"].append(row)
    only_a = [i for i in by_a if i not in by_b]
    only_b = [i for i in by_b if i not in by_a]

    lines = [f"A: {run_a}", f"B: {run_b}", f"{len(common)} questions in both runs"
             + (f"; {len(only_a)} only in A, {len(only_b)} only in B" if only_a or only_b else ""), "",
             "metric                          A          B          B-A"]
    for key, a, b, d in deltas:
        fmt = (lambda x: "-" if x is None else f"{x:.4g}")
        sign = "" if d is None else ("+" if d > 0 else "")
        lines.append(f"{key:<30} {fmt(a):>10} {fmt(b):>10} {sign + fmt(d) if d is not None else '-':>10}")
    labels = {"became_right": "became right", "became_wrong": "became wrong",
              "source_found": f"source now in top {k}", "source_lost": f"source no longer in top {k}"}
    for key, label in labels.items():
        rows = changes[key]
        lines.append("")
        lines.append(f"{label}: {len(rows)}")
        for row in rows[:50]:
            lines.append(f"  {row['id']}  {row['question']}")
        if len(rows) > 50:
            lines.append(f"  ... and {len(rows) - 50} more (see the HTML file)")
    html_path = run_b / f"compare_{run_a.resolve().name or 'a'}.html"
    _write_atomic(html_path, render_compare(str(run_a), str(run_b), deltas, changes, labels))
    lines += ["", f"written: {html_path}"]
    return "\n".join(lines)
