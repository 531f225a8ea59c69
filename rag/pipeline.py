"""The question-answering pipeline: check, retrieve, gate, prompt, generate, verify.

``Pipeline.stream`` is the one code path: the CLI, the chat page and the batch evaluation all
call it (``ask`` just drains it). It yields text deltas, then one final ``Answer``.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .citations import check_answer, tidy_answer
from .grounding import CHECKS, Draft, check_citations, run_checks
from .langrules import is_follow_up, is_refusal_text
from .errors import IndexMissingError, InputError
from .prompting import build_messages, load_prompts, question_language
from .types import Answer, Chunk, Hit

if TYPE_CHECKING:
    from .config import Settings
    from .generators import Generator
    from .indexing import Index

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# Cosine similarities are not comparable across embedders, so the gate's threshold is calibrated
# per model on eval/seeds_questions.jsonl: for multilingual-e5-small every answerable question's
# best chunk scores >= 0.859 and off-topic questions score <= 0.848. Unknown models get no gate
# (0.0) until calibrated; set answer.min_relevance after looking at `rag eval` output.
CALIBRATED_MIN_RELEVANCE = {"multilingual-e5-small": 0.85, "fake-bigram-256": 0.2}


def check_question(question: Any, max_chars: int = 500) -> str:
    """Clean a question (control characters, invalid surrogates) or raise InputError saying why."""
    if not isinstance(question, str):
        raise InputError("the question must be text")
    q = question.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become '?'
    q = _CONTROL.sub(" ", q)
    q = unicodedata.normalize("NFC", q).strip()
    q = re.sub(r"\s+", " ", q)
    if not q:
        raise InputError("the question is empty; type a question (问题不能为空)")
    if len(q) > max_chars:
        raise InputError(f"the question is {len(q)} characters; the limit is {max_chars} "
                         f"(answer.max_question_chars) (问题过长，请精简到 {max_chars} 字以内)")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in q):
        raise InputError("the question has no words, only punctuation or symbols (问题中没有文字)")
    return q


def retrieval_query(question: str, history: Sequence[dict] | None) -> str:
    """The text to retrieve with: a follow-up (``langrules.is_follow_up``) is joined to the previous question."""
    if not history:
        return question
    prev = next((m["content"] for m in reversed(history) if m.get("role") == "user" and m.get("content")), None)
    if not prev:
        return question
    if is_follow_up(question):
        return f"{prev} {question}"
    return question


def hits_from_contexts(contexts: Sequence[Any]) -> list[Hit]:
    """Turn given passages (strings or {doc_id, title, text}) into hits, in the given order."""
    from .chunking import chunk_id

    hits = []
    for i, c in enumerate(contexts, start=1):
        if isinstance(c, str):
            c = {"text": c}
        doc_id = str(c.get("doc_id") or f"context-{i}")
        text = str(c.get("text", ""))
        chunk = Chunk(chunk_id=chunk_id(doc_id, text), doc_id=doc_id, text=text, start=0, end=len(text),
                      title=str(c.get("title") or doc_id))
        hits.append(Hit(chunk=chunk, score=1.0, rank=i, ranks={"given": i}, scores={}))
    return hits


def is_refusal(text: str, refusal: str) -> bool:
    """Whether the answer is the refusal sentence or a close variant (``langrules.is_refusal_text``)."""
    return is_refusal_text(text, refusal)


class Pipeline:
    """Retrieval + generation + citation checks over one index and one generator."""

    def __init__(self, index: "Index | None", generator: "Generator", settings: "Settings") -> None:
        self.index = index
        self.generator = generator
        self.settings = settings
        self.prompts = load_prompts(settings.paths.prompts_dir)
        self._index_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: "Settings", log: Callable[[str], None] = lambda m: None,
                      index: "Index | None" = None, generator: "Generator | None" = None, *,
                      embedder: Any = None, missing_index_ok: bool = False) -> "Pipeline":
        """Open the configured index and generator (models load on first use).

        ``embedder`` reuses one already made; ``missing_index_ok`` gives a pipeline with no index
        (it answers IndexMissingError) where none is built yet, e.g. the page with no sources.
        """
        from .embedders import make_embedder
        from .generators import make_generator
        from .indexing import open_index

        if index is None:
            try:
                index = open_index(settings=settings, embedder=embedder or make_embedder(settings, log=log))
            except IndexMissingError:
                if not missing_index_ok:
                    raise
        return cls(index, generator or make_generator(settings, log=log), settings)

    def reload_index(self, index_dir: Path | None = None, embedder: Any = None) -> None:
        """Switch to the newest generation of the index (after an upload or removal)."""
        from .indexing import open_index

        with self._index_lock:
            old = self.index
            embedder = embedder or (old._embedder if old is not None else None)
            self.index = open_index(index_dir or (old.index_dir if old else None), self.settings, embedder)

    def current_index(self) -> "Index":
        """The loaded index, reloaded first when another process (an upload, the CLI) published a newer one."""
        from . import store
        from .errors import RagError

        with self._index_lock:
            index = self.index
        live = store.live_name(Path(index.index_dir))
        if live is not None and live != Path(index.gen_dir).name:
            try:
                self.reload_index(Path(index.index_dir))
            except RagError:
                return index  # a generation being replaced or damaged: keep answering from the one we hold
            with self._index_lock:
                index = self.index
        return index

    def ask(self, question: str, history: Sequence[dict] | None = None, **kw: Any) -> Answer:
        """Answer a question (drains ``stream``)."""
        final = None
        for event in self.stream(question, history, **kw):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def _refuse(self, question: str, lang: str, hits: Sequence[Hit], timings: dict, t0: float) -> Answer:
        timings.update(prompt_tokens=0, ttft_ms=0.0, tokens_per_s=0.0, total_ms=(time.perf_counter() - t0) * 1e3)
        return Answer(question=question, text=self.prompts.refusal(lang), citations=(), hits=tuple(hits),
                      abstained=True, timings=timings, reason="no passage is relevant enough to answer from")

    def stream(self, question: str, history: Sequence[dict] | None = None, *, contexts: Sequence[Any] | None = None,
               k: int | None = None) -> Iterator[str | Answer]:
        """Yield answer text deltas, then the final ``Answer``."""
        cfg = self.settings
        t0 = time.perf_counter()
        question = check_question(question, cfg.answer.max_question_chars)
        lang = question_language(question)
        timings: dict[str, float] = {}
        if contexts is not None:
            hits = hits_from_contexts(contexts)
            timings["retrieve_ms"] = 0.0
            relevant = bool(hits)
        else:
            if self.index is None:
                from .errors import IndexMissingError

                raise IndexMissingError("no index is loaded; build one with `rag index`")
            index = self.current_index()
            r = index.retrieve(retrieval_query(question, history), k or cfg.retrieval.k)
            hits = r.hits
            timings["retrieve_ms"] = r.timings["retrieve_ms"]
            relevant = bool(hits) and self._relevant(r)
        if not relevant:
            answer = self._refuse(question, lang, hits, timings, t0)
            yield answer.text
            yield answer
            return
        gen = self.generator
        built = build_messages(question, hits, prompts=self.prompts, count=gen.count_tokens, n_ctx=gen.n_ctx,
                               max_tokens=cfg.generator.max_tokens, history=history,
                               history_turns=cfg.answer.history_turns,
                               trim_chars=cfg.answer.trim_chars if cfg.answer.trim_chunks else None, lang=lang)
        t_gen = time.perf_counter()
        ttft = None
        pieces: list[str] = []
        for delta in gen.stream(built.messages, max_tokens=cfg.generator.max_tokens):
            if ttft is None:
                ttft = time.perf_counter() - t_gen
            pieces.append(delta)
            yield delta
        t_end = time.perf_counter()
        text = "".join(pieces).strip()
        n_out = gen.count_tokens(text) if text else 0
        decode_s = (t_end - t_gen) - (ttft or 0.0)
        timings.update(prompt_tokens=built.prompt_tokens, ttft_ms=(ttft or 0.0) * 1e3,
                       tokens_per_s=(n_out - 1) / decode_s if n_out > 1 and decode_s > 0 else 0.0,
                       total_ms=(t_end - t0) * 1e3, answer_tokens=n_out, dropped_chunks=built.dropped)
        refusal = self.prompts.refusal(built.lang)
        chunks = [h.chunk for h in built.hits]
        checked = check_answer(text, chunks, cfg.answer.support_threshold, ignore=[refusal], question=question)
        refused = not text or is_refusal(text, refusal)
        reason = "the model refused" if refused else ""
        nothing_holds = False
        if not refused:
            # Given contexts are not in the index: their own text is their whole scope.
            opening = self._opening if contexts is None else (lambda chunk: "")
            # Nothing of it holds: show the refusal, not a made-up answer marked as doubtful. An
            # answer of another kind, year, place or event than asked: refuse plainly rather than
            # show a figure that belongs to a different question.
            checks = CHECKS if cfg.answer.check_scope else (check_citations,)
            reason = run_checks(Draft(question, checked.verified, opening), checks) or ""
            refused = bool(reason)
            nothing_holds = refused and checked.supported_sentences == 0
        # A refusal is shown as the one fixed sentence, whatever else the model wrapped around it
        # (a model that leaked its instructions has also "said" the refusal sentence).
        yield Answer(question=question, text=refusal if refused else tidy_answer(text),
                     citations=() if refused else checked.citations,
                     hits=tuple(hits), abstained=bool(reason), timings=timings,
                     # The sentences that failed stay listed when they are why the answer was refused.
                     unsupported=checked.unsupported if nothing_holds or not refused else (), reason=reason,
                     draft=text if refused and text != refusal else "",
                     sentences=() if refused else checked.verified)

    def _opening(self, chunk: Chunk) -> str:
        """The opening of a chunk's article, for the scope check (nothing without an index)."""
        index = self.index
        return index.article_opening(chunk, self.settings.answer.opening_chars) if index is not None else ""

    def min_relevance(self) -> float:
        """The gate's threshold: the setting, else the value calibrated for the index's embedder."""
        if self.settings.answer.min_relevance is not None:
            return self.settings.answer.min_relevance
        model = self.index.manifest.get("embedder", "") if self.index is not None else ""
        return CALIBRATED_MIN_RELEVANCE.get(model.split("@")[0], 0.0)

    def _relevant(self, r) -> bool:
        """The pre-generation gate: does any hit look relevant enough to be worth the model's time?"""
        return r.dense_top >= self.min_relevance()
