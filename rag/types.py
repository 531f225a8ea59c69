"""The data that flows between stages: small frozen dataclasses, standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """A source document as read from disk, before cleaning.

    ``doc_id`` is the file stem (or the ``doc_id`` of a JSONL line). ``kind`` is the source
    format (``txt``, ``md``, ``pdf``, ``docx``, ``html``, ``jsonl``): layout repair and
    splitting into articles apply to the formats that come from page extraction.
    """

    doc_id: str
    title: str
    text: str
    source: str = ""
    kind: str = "txt"
    date: str | None = None
    url: str | None = None
    # "metadata" when ``date`` came from HTML/DOCX/PDF properties; a JSONL record's ``date`` is its
    # field. Indexing decides between them and a header or lead date in the text (rag.dates).
    date_source: str | None = None
    collection: str | None = None  # the knowledge base a JSONL record names; `rag index --collection` otherwise


@dataclass(frozen=True)
class Article:
    """One news item inside a cleaned document: ``text[start:end]`` with its headline."""

    title: str
    start: int
    end: int
    date: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of a cleaned document: ``cleaned_text[start:end] == text``."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    title: str
    date: str | None = None


@dataclass(frozen=True)
class Hit:
    """A scored chunk. ``ranks``/``scores`` hold each retriever's 1-based rank and raw score."""

    chunk: Chunk
    score: float
    rank: int = 0
    ranks: dict[str, int] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    # Ids of near-duplicate documents (the same story from other outlets) folded under this hit.
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A claim-to-chunk link. ``span`` is (start, end) in ``chunk.text``; ``support`` in [0, 1]."""

    n: int
    chunk: Chunk
    span: tuple[int, int]
    support: float
    inferred: bool = False
    sentence: str = ""
    # False for a model's marker whose chunk does not support its sentence: such a citation is
    # kept so the reader can see what the model claimed, never shown as a plain citation.
    holds: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the citation (``rag ask --json``, results.jsonl)."""
        return {"n": self.n, "doc_id": self.chunk.doc_id, "chunk_id": self.chunk.chunk_id, "title": self.chunk.title,
                "text": self.chunk.text, "span": list(self.span), "support": round(self.support, 4),
                "inferred": self.inferred, "sentence": self.sentence, "holds": self.holds}


# What a sentence's checks concluded: a model's own citation holds ("supported"), only a chunk the
# checker found holds ("inferred"), nothing holds ("unsupported"), or it is no claim ("none": the
# refusal sentence, a one-character fragment).
VERDICTS = ("supported", "inferred", "unsupported", "none")


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer, verified once: every consumer reads this instead of re-splitting.

    ``text`` is the claim as shown (markers and source lead-ins removed); ``cited`` the numbers the
    model wrote; ``citations`` all citations checked for it (each with ``holds``, its support and
    supporting span); ``support`` the best support that holds (0 when none); ``problems`` why it
    is not supported (a figure missing from its chunk, a guess the chunk does not make).
    """

    text: str
    cited: tuple[int, ...]
    citations: tuple[Citation, ...]
    support: float
    verdict: str
    problems: tuple[str, ...] = ()

    @property
    def span(self) -> tuple[int, int] | None:
        """The supporting span of the best citation that holds, in that chunk's text."""
        held = [c for c in self.citations if c.holds]
        return max(held, key=lambda c: c.support).span if held else None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the sentence (citations by number and chunk id)."""
        return {
            "text": self.text,
            "cited": list(self.cited),
            "citations": [{"n": c.n, "chunk_id": c.chunk.chunk_id, "span": list(c.span), "support": round(c.support, 4),
                           "inferred": c.inferred, "holds": c.holds} for c in self.citations],
            "support": round(self.support, 4),
            "verdict": self.verdict,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Answer:
    """What the pipeline returns for one question."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    timings: dict[str, float] = field(default_factory=dict)
    unsupported: tuple[str, ...] = ()
    reason: str = ""  # why the pipeline abstained, when it did
    draft: str = ""  # the model's own text when a check replaced it with the refusal
    # The shown answer's sentences as verified (empty for a refusal): the one place that says which
    # citation holds for which sentence. ``citations``/``unsupported`` above are views of it.
    sentences: tuple[Sentence, ...] = ()
    # The publication-date scope the question named (rag.dates.TimeRange) and whether it was applied
    # as a filter; None when the question named no time.
    time_range: Any = None
    # For a question about time: the publication dates (ISO days) of the articles whose citations
    # hold, so the answer can say when it was reported ("据2023年8月17日报道"); empty otherwise.
    reported_on: tuple[str, ...] = ()
    # The model's probability (0-1) of having replied with the refusal sentence instead of this
    # answer (``Generator.refusal_prob``); None when not measured (a refusal, a server, the gate).
    refusal_prob: float | None = None
    # The question in Chinese as it was searched, gated and answered, when it was asked in another
    # language (rag.translation); empty otherwise.
    translation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``rag ask --json`` and the evaluation results."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "sentences": [x.to_dict() for x in self.sentences],
            "unsupported": list(self.unsupported),
            "reason": self.reason,
            "draft": self.draft,
            "hits": [hit_to_dict(h) for h in self.hits],
            "timings": dict(self.timings),
            "time_range": self.time_range.to_dict() if self.time_range is not None else None,
            "reported_on": list(self.reported_on),
            "refusal_prob": self.refusal_prob,
            "translation": self.translation,
        }


def chunk_from_dict(d: dict[str, Any]) -> Chunk:
    """The chunk of a hit written by ``hit_to_dict`` (eval results read back by the bench scripts
    and ``eval/generalisation/recheck.py``)."""
    return Chunk(chunk_id=d["chunk_id"], doc_id=d["doc_id"], text=d["text"], start=d.get("start", 0),
                 end=d.get("end", len(d["text"])), title=d.get("title", ""), date=d.get("date"))


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    """The JSON shape of one hit (``rag search --json``, ``rag ask --json``, eval results)."""
    c = hit.chunk
    return {
        "doc_id": c.doc_id,
        "chunk_id": c.chunk_id,
        "title": c.title,
        "date": c.date,
        "text": c.text,
        "start": c.start,
        "end": c.end,
        "score": round(hit.score, 6),
        "rank": hit.rank,
        "ranks": dict(hit.ranks),
        "scores": {k: round(v, 6) for k, v in hit.scores.items()},
        "duplicates": list(hit.duplicates),
    }


@dataclass(frozen=True)
class SearchFilter:
    """What a search may return: a publication-date range (ISO ``YYYY-MM-DD``, inclusive), document
    ids and collections. ``None`` means no restriction on that field; all given fields must hold.
    Every index backend applies it before fusion, so filtered-out chunks never take a slot."""

    since: str | None = None
    until: str | None = None
    doc_ids: frozenset[str] | None = None
    collections: frozenset[str] | None = None
    # Whether documents without a known date pass a date range: False for a range the user set,
    # True for one read from the question (an undated document may still be the answer).
    keep_undated: bool = False

    def is_empty(self) -> bool:
        return self.since is None and self.until is None and self.doc_ids is None and self.collections is None

    def allows(self, doc_id: str, date: str | None, collection: str | None) -> bool:
        """Whether a document with this id, publication date and collection passes the filter."""
        if self.doc_ids is not None and doc_id not in self.doc_ids:
            return False
        if self.collections is not None and collection not in self.collections:
            return False
        if self.since is None and self.until is None:
            return True
        if not date:
            return self.keep_undated
        day = date[:10]
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def describe(self) -> str:
        """A short human description of the restriction, e.g. for a refusal that names the range."""
        parts = []
        if self.since or self.until:
            parts.append(f"{self.since or '…'} – {self.until or '…'}")
        if self.doc_ids is not None:
            parts.append("documents " + ", ".join(sorted(self.doc_ids)))
        if self.collections is not None:
            parts.append("collections " + ", ".join(sorted(self.collections)))
        return "; ".join(parts)
