"""Building, updating and opening an index: sources -> cleaned chunks -> FAISS + BM25.

``update_index`` is incremental: a document whose content hash is unchanged keeps its chunks,
tokens and vectors (copied from the live generation, nothing embedded); new or changed documents
are cleaned, chunked, tokenised and embedded; documents whose source was scanned but is gone are
dropped. The result is published atomically (see ``store``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Iterable

import numpy as np

from . import store
from .chunking import split_document
from .cleaning import clean_text, find_articles, find_sections
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, InputError, RagError
from .fusion import fuse_retrievers
from .sparse import Bm25Index, tokenize
from .textnorm import to_simplified
from .types import Article, Chunk, Document, Hit, SearchFilter

if TYPE_CHECKING:
    from .config import Settings
    from .embedders import Embedder

# Formats that come from page extraction get layout repair and splitting into articles; the
# others (JSONL records, DOCX, HTML) already carry their own structure and title.
LAYOUT_KINDS = {"txt", "md", "pdf"}
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class IndexSummary:
    """What one indexing run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Indexed earlier from a file that this run could not read: the indexed version stays.
    kept: list[str] = field(default_factory=list)
    # (doc_id, the source it was indexed from before): taken over only because the run allowed it.
    replaced: list[tuple[str, str]] = field(default_factory=list)
    # (file, reason): files refused whole for giving an id another source owns (also in ``skipped``).
    refused: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped"
            + (f", {len(self.replaced)} replaced from another source" if self.replaced else "")
            + (f" ({len(self.kept)} kept as indexed before)" if self.kept else "")
            + f"; {self.chunks} chunks in the index, "
            f"{self.embedded} embedded, {self.seconds:.1f}s"
        )


def chunk_settings(settings: "Settings") -> dict:
    """What decides the chunks and their tokens; an index built otherwise must be rebuilt."""
    from .sparse import TOKENIZER_VERSION

    return {"size": settings.chunking.size, "overlap": settings.chunking.overlap, "tokenizer": TOKENIZER_VERSION}


def valid_unicode(doc: Document) -> Document:
    """The document with lone surrogates replaced by U+FFFD (same length, so offsets hold).

    A JSONL ``"\\ud800"`` escape or a file name that is not UTF-8 gives such characters; SQLite,
    the manifest and the chunk ids need encodable UTF-8.
    """
    bad = {f.name: _SURROGATE.sub("\ufffd", v) for f in dataclasses.fields(doc)
           if isinstance(v := getattr(doc, f.name), str) and _SURROGATE.search(v)}
    return dataclasses.replace(doc, **bad) if bad else doc


def existing_paths(paths: Iterable) -> list[Path]:
    """``paths`` as ``Path``s; a clear error for the first that does not exist, before anything is read."""
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"source path {p} does not exist")
    return paths


def read_valid_sources(paths: list[Path], settings: "Settings") -> tuple[list[Document], list]:
    """The documents under ``paths`` (``sources.read_sources``) with their text made valid Unicode,
    and what was skipped: one reading for both index engines."""
    from .sources import read_sources

    docs, skipped = read_sources(paths, max_file_mb=settings.chunking.max_file_mb)
    return [valid_unicode(d) for d in docs], skipped


def prepare_document(doc: Document, size: int, overlap: int) -> list[Chunk]:
    """Clean a document and cut it into chunks carrying their article titles."""
    if doc.kind in LAYOUT_KINDS:
        text = clean_text(doc.text)
        articles = find_articles(text, doc.title) or [Article(doc.title, 0, len(text), doc.date)]
        if len(articles) == 1:  # no news stories: a manual's or report's numbered sections, if it has them
            articles = find_sections(text, doc.title, doc.date) or articles
        if doc.kind == "md":  # a Markdown heading's "#" marks are layout, not title
            articles = [Article(a.title.lstrip("#").strip() or doc.title, a.start, a.end, a.date) for a in articles]
    else:
        text = doc.text.replace("\r\n", "\n").strip()
        articles = [Article(doc.title, 0, len(text), doc.date)]
    return split_document(doc.doc_id, text, articles, size=size, overlap=overlap)


def indexed_text(chunk: Chunk) -> str:
    """What the retrievers see: the article title gives each chunk its topic.

    A title that is only the document's id (a file named by its stem) is left out: an id such as
    ``news-00000`` became every chunk's first BM25 token and part of its embedding, and matches
    nothing a person asks.
    """
    if chunk.title and chunk.title != chunk.doc_id and chunk.title not in chunk.text:
        return f"{chunk.title}\n{chunk.text}"
    return chunk.text


def content_hash(doc: Document, chunking: dict) -> str:
    h = hashlib.sha256()
    for part in (doc.kind, doc.title, doc.date or "", json.dumps(chunking, sort_keys=True), doc.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _covered(source: str, scanned: list[Path]) -> bool:
    """Whether a document's source lies inside what this run scanned (so its absence means removal)."""
    try:
        p = Path(source).resolve()
    except (OSError, ValueError):
        return False
    for s in scanned:
        if p == s or s in p.parents:
            return True
    return False


def _same_source(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b)):
        return True
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def source_clashes(docs: list[Document], old_docs: dict, scanned: list[Path], unreadable: set[str],
                   replace: "bool | Collection[str]") -> dict[str, str]:
    """Files to refuse whole: {source: reason} for each file giving an id another source owns.

    A document belongs to the file it was indexed from. A run may update documents from the
    files it reads, and may move an id between files it scans (the old file no longer gives it);
    it may not take an id whose indexed source lies outside what it scanned (or could not be read
    this time), because that would silently replace someone else's document: an upload reusing a
    seed's ``doc_id`` would overwrite the seed and make a rebuild from the sources fail on the
    duplicate. Only ``replace`` (True, or the ids allowed) takes such an id over. The whole file
    is refused, not just the line: a file left half-indexed could not be rebuilt from.
    """
    out: dict[str, str] = {}
    for doc in docs:
        prev = old_docs.get(doc.doc_id)
        if prev is None:
            continue
        source, owner = os.path.abspath(doc.source) if doc.source else "", prev.get("source", "")
        if _same_source(owner, source) or replace is True or (replace and doc.doc_id in replace):
            continue
        moved = owner and _covered(owner, scanned) and os.path.abspath(owner) not in unreadable
        if moved or source in out:
            continue
        title = prev.get("title") or doc.doc_id
        out[source] = (f"document id {doc.doc_id!r} is already in the index as 《{title}》 from {owner or 'an unknown source'}; "
                       f"nothing from this file was indexed. Give the document another id, or replace it explicitly "
                       f"(`rag index --replace`) (文档编号 {doc.doc_id} 已被《{title}》使用，本文件未入库)")
    return out



def refuse_clashes(docs: list[Document], old_docs: dict, scanned: list[Path], skipped: list, replace,
                   summary: "IndexSummary", log: Callable[[str], None]) -> tuple[list[Document], list]:
    """Drop the files :func:`source_clashes` refuses, recording them as skipped and refused.

    Shared by every index backend's writer, so ownership holds the same way whichever engine
    stores the chunks.
    """
    clashes = source_clashes(docs, old_docs, scanned, {os.path.abspath(p) for p, _ in skipped}, replace)
    if not clashes:
        return docs, skipped
    docs = [d for d in docs if (os.path.abspath(d.source) if d.source else "") not in clashes]
    summary.skipped.extend(clashes.items())
    summary.refused = list(clashes.items())
    for path, reason in clashes.items():
        log(f"skipped {path}: {reason}")
    return docs, list(skipped) + list(clashes.items())

def _open_live(index_dir: Path):
    """(generation dir, manifest) of the live index, or (None, None) when there is none."""
    try:
        gen = store.current_generation(index_dir)
    except IndexMissingError:
        return None, None
    return gen, store.read_manifest(gen)


def _check_schema(manifest: dict, index_dir: Path) -> None:
    if manifest.get("schema_version") != store.SCHEMA_VERSION:
        raise IndexMismatchError(
            f"index {index_dir} has schema {manifest.get('schema_version')}, this version needs {store.SCHEMA_VERSION}; "
            f"run `rag index --rebuild --index {index_dir}`"
        )


def _check_embedder(manifest: dict, model_id: str, index_dir: Path) -> None:
    if manifest.get("embedder") != model_id:
        raise IndexMismatchError(
            f"index {index_dir} was built with embedding model {manifest.get('embedder')!r}, "
            f"but the settings select {model_id!r}; run `rag index --rebuild --index {index_dir}`"
        )


def _check_compatible(manifest: dict, embedder: "Embedder", chunking: dict, index_dir: Path) -> None:
    _check_schema(manifest, index_dir)
    _check_embedder(manifest, embedder.model_id, index_dir)
    if manifest.get("chunking") != chunking:
        raise IndexMismatchError(
            f"index {index_dir} was built with chunking {manifest.get('chunking')}, settings say {chunking}; "
            f"run `rag index --rebuild --index {index_dir}`"
        )


def _carry_vectors(old_vectors: np.ndarray, rows: list[int], total: int, dim: int) -> np.ndarray:
    """A (total, dim) array whose first rows are the kept chunks' old vectors, in ``rows`` order."""
    vectors = np.zeros((total, dim), dtype=np.float32)
    if rows:
        vectors[: len(rows)] = old_vectors[np.asarray(rows, dtype=np.int64)]
    return vectors


def _write_generation(index_dir: Path, settings: "Settings", embedder: "Embedder", documents: dict,
                      rows: list[tuple[Chunk, list[str]]], vectors: np.ndarray,
                      signatures: "dict[str, np.ndarray] | None" = None) -> Path:
    """Write a complete generation and publish it (with the documents' MinHash signatures, if given)."""
    from .dense import FaissIndex, choose_kind

    try:
        tmp = store.new_generation_dir(index_dir)
    except OSError as e:
        raise (store.write_failure(e, index_dir) or e) from e
    try:
        db = store.ChunkStore(tmp / "chunks.sqlite", create=True)
        db.add([(i, c, t) for i, (c, t) in enumerate(rows)])
        db.commit()
        db.close()
        np.save(tmp / "vectors.npy", vectors.astype(np.float32, copy=False))
        kind = choose_kind(settings.retrieval.faiss, len(rows), settings.retrieval.approx_threshold)
        FaissIndex.build(vectors, kind).save(tmp / "dense.faiss")
        Bm25Index().build(t for _, t in rows).save(tmp)
        if signatures:
            _save_signatures(tmp, signatures)
        manifest = {
            "schema_version": store.SCHEMA_VERSION,
            "embedder": embedder.model_id,
            "dim": int(vectors.shape[1]) if vectors.ndim == 2 else embedder.dim,
            "chunking": chunk_settings(settings),
            "faiss": kind,
            "chunks": len(rows),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "documents": documents,
            "files": store.describe_files(tmp),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        return store.publish_generation(index_dir, tmp)
    except BaseException as e:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        failure = store.write_failure(e, index_dir)  # disk full, read-only...: one clear line
        if failure is not None:
            raise failure from e
        raise


DEDUP_FILE = "dedup.npz"
# Document fields set from the text or by the user rather than by the content hash: a change to
# them alone still writes a new generation (no chunk is re-embedded).
_META_FIELDS = ("date", "time", "date_source", "collection", "duplicate_group")


def _save_signatures(gen_dir: Path, signatures: "dict[str, np.ndarray]") -> None:
    ids = sorted(signatures)
    np.savez(gen_dir / DEDUP_FILE, ids=np.asarray(ids, dtype=object).astype(str),
             sigs=np.stack([signatures[i] for i in ids]).astype(np.uint64))


def _load_signatures(gen_dir: Path | None) -> "dict[str, np.ndarray]":
    """The MinHash signatures stored with a generation (none for an index built before them)."""
    if gen_dir is None or not (gen_dir / DEDUP_FILE).exists():
        return {}
    from .dedup import PERMUTATIONS

    with np.load(gen_dir / DEDUP_FILE, allow_pickle=False) as z:
        if z["sigs"].ndim != 2 or z["sigs"].shape[1] != PERMUTATIONS:
            return {}  # made with another signature length: computed again
        return {str(i): s for i, s in zip(z["ids"], z["sigs"])}


def _default_years(docs: list[Document]) -> dict[str, int | None]:
    """Per source file, the year most of its dated documents state: what a header or dateline
    without a year (``07-25 11:02``, ``8月2日电``) means. Each file stands alone: one JSONL of 2023
    news says nothing about the year of a newspaper page next to it."""
    from .dates import header_year, majority_year

    by_source: dict[str, list[int | None]] = {}
    for d in docs:
        by_source.setdefault(d.source, []).append(header_year(d.text))
    return {src: majority_year(ys) for src, ys in by_source.items()}


def _date_fields(doc: Document, default_year: int | None, prev: dict | None) -> dict:
    """``date``/``time``/``date_source`` for a document's manifest entry; a user's date stays."""
    from .dates import publication_date

    if prev and prev.get("date_source") == "user":
        return {"date": prev.get("date"), "time": prev.get("time"), "date_source": "user"}
    # A JSONL record's own "date" is the publication date its producer states: it wins.
    is_field = doc.date_source == "field" or (doc.kind == "jsonl" and doc.date_source is None)
    found = publication_date(doc.text, field=doc.date if is_field else None,
                             metadata=doc.date if doc.date_source == "metadata" else None,
                             default_year=default_year)
    if found is None and doc.date and doc.date_source is None:  # a reader's date of unknown origin
        from .dates import parse_datetime

        parsed = parse_datetime(doc.date, default_year)
        if parsed:
            return {"date": parsed[0], "time": parsed[1], "date_source": "field"}
    if found is None:
        return {"date": None, "time": None, "date_source": None}
    return {"date": found.date, "time": found.time, "date_source": found.source}


def _mark_duplicates(documents: dict, signatures: "dict[str, np.ndarray]", threshold: float) -> None:
    """Set each entry's ``duplicate_group`` (None when the document has no near-duplicate)."""
    from .dedup import groups

    group_of = groups({d: s for d, s in signatures.items() if d in documents}, threshold,
                      {d: e.get("date") for d, e in documents.items()})
    for doc_id, entry in documents.items():
        entry["duplicate_group"] = group_of.get(doc_id)


def update_index(paths: Iterable[str | Path], settings: "Settings", embedder: "Embedder", *,
                 index_dir: Path | None = None, rebuild: bool = False, log: Callable[[str], None] = lambda m: None,
                 progress: Callable[[int, int], None] | None = None,
                 replace: "bool | Collection[str]" = False, collection: str | None = None) -> IndexSummary:
    """Index the sources under ``paths`` into ``index_dir`` (incrementally unless ``rebuild``).

    ``collection`` names the knowledge base the documents belong to (a JSONL record's own
    ``collection`` wins; without either, a document keeps the collection it had).

    A file giving a ``doc_id`` that the index holds from another source is skipped whole (see
    :func:`source_clashes`) unless ``replace`` is True or names that id; what was replaced is
    listed in ``summary.replaced``.
    """
    if settings.index.backend == "milvus":  # the one place the index engine is chosen (with the two below)
        from . import milvus_index

        return milvus_index.update_index(paths, settings, embedder, index_dir=index_dir, rebuild=rebuild, log=log,
                                         progress=progress, replace=replace, collection=collection)
    t0 = time.perf_counter()
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    paths = existing_paths(paths)
    summary = IndexSummary()
    chunking = chunk_settings(settings)
    with store.write_lock(index_dir, on_wait=log):
        docs, skipped = read_valid_sources(paths, settings)
        summary.skipped = list(skipped)
        for path, reason in skipped:
            log(f"skipped {path}: {reason}")
        old_gen, old_manifest = (None, None) if rebuild else _open_live(index_dir)
        old_db = None
        old_vectors = None
        if old_manifest is not None:
            _check_compatible(old_manifest, embedder, chunking, index_dir)
            store.verify_files(old_gen, old_manifest.get("files", {}))
            old_db = store.ChunkStore(old_gen / "chunks.sqlite")
            old_vectors = np.load(old_gen / "vectors.npy", mmap_mode="r")
        old_docs: dict = dict(old_manifest["documents"]) if old_manifest else {}
        scanned = [p.resolve() for p in paths]
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        docs, skipped = refuse_clashes(docs, old_docs, scanned, skipped, replace, summary, log)

        documents: dict = {}
        kept: list[tuple[int, Chunk, list[str]]] = []  # (old row, chunk, tokens)
        fresh: list[tuple[Chunk, list[str]]] = []
        seen = set()
        years = _default_years(docs)
        from .dedup import signature

        old_signatures = _load_signatures(old_gen)
        signatures: dict[str, np.ndarray] = {}
        meta_changed = False
        for doc in docs:
            seen.add(doc.doc_id)
            h = content_hash(doc, chunking)
            prev = old_docs.get(doc.doc_id)
            # Absolute: a later run from another working directory must still see the file as covered.
            source = os.path.abspath(doc.source) if doc.source else ""
            entry = {"title": doc.title, "source": source, "kind": doc.kind, "date": doc.date,
                     "url": doc.url, "hash": h}
            entry.update(_date_fields(doc, years.get(doc.source), prev))
            entry["collection"] = doc.collection or collection or (prev.get("collection") if prev else None)
            if prev and any(prev.get(f) != entry.get(f) for f in _META_FIELDS if f != "duplicate_group"):
                meta_changed = True
            if doc.date != entry["date"]:
                # Chunks of a record carry the publication date found in its text (shown with each hit).
                doc = dataclasses.replace(doc, date=entry["date"])
            same = prev and prev["hash"] == h
            signatures[doc.doc_id] = (old_signatures[doc.doc_id] if same and doc.doc_id in old_signatures
                                      else signature(doc.text))
            if prev and prev["hash"] == h and old_db is not None:
                kept.extend(old_db.rows_of(doc.doc_id))
                entry.update(title=prev.get("title", doc.title), added=prev.get("added", now),
                             chunks=prev.get("chunks", 0))
                summary.unchanged.append(doc.doc_id)
            else:
                chunks = prepare_document(doc, chunking["size"], chunking["overlap"])
                if doc.kind in LAYOUT_KINDS and chunks:
                    entry["title"] = chunks[0].title  # the first headline, not the first wrapped line
                # Interned: a corpus repeats a few ten thousand distinct tokens millions of times, and one
                # shared str per token instead of a new one per occurrence cuts peak memory ~40%.
                fresh.extend((c, [sys.intern(t) for t in tokenize(indexed_text(c), settings.retrieval.user_dict)])
                             for c in chunks)
                entry.update(added=prev.get("added", now) if prev else now, chunks=len(chunks))
                if prev:
                    entry["updated"] = now
                (summary.updated if prev else summary.added).append(doc.doc_id)
            if prev and not _same_source(prev.get("source", ""), source) and not _covered(prev.get("source", ""), scanned):
                summary.replaced.append((doc.doc_id, prev.get("source", "")))
            documents[doc.doc_id] = entry
        # A file that exists but cannot be read now (truncated, locked, a bad save) did not go away:
        # dropping what was indexed from it would lose the document to a transient fault.
        unreadable = {os.path.abspath(path) for path, _ in skipped}
        for doc_id, prev in old_docs.items():
            if doc_id in seen:
                continue
            if prev.get("source") and os.path.abspath(prev["source"]) in unreadable:
                kept.extend(old_db.rows_of(doc_id))
                documents[doc_id] = prev
                if doc_id in old_signatures:
                    signatures[doc_id] = old_signatures[doc_id]
                summary.kept.append(doc_id)
                log(f"kept the indexed version of {doc_id}: {prev['source']} could not be read this time")
            elif _covered(prev.get("source", ""), scanned):
                summary.removed.append(doc_id)
            else:  # indexed from elsewhere in an earlier run: keep it
                rows_of = old_db.rows_of(doc_id)
                kept.extend(rows_of)
                documents[doc_id] = prev
                signatures[doc_id] = old_signatures.get(doc_id)
                if signatures[doc_id] is None:  # an index from before signatures: from its chunks
                    signatures[doc_id] = signature("".join(c.text for _, c, _ in rows_of))
        documents = {d: dict(e) for d, e in documents.items()}
        _mark_duplicates(documents, signatures, settings.retrieval.duplicate_threshold)
        if any(old_docs.get(d, {}).get("duplicate_group") != e.get("duplicate_group") for d, e in documents.items()):
            meta_changed = True
        if (not summary.added and not summary.updated and not summary.removed and not meta_changed
                and old_manifest is not None and (old_gen / DEDUP_FILE).exists()):
            summary.chunks = old_manifest["chunks"]
            summary.unchanged.sort()
            summary.seconds = time.perf_counter() - t0
            old_db.close()
            store.cleanup(index_dir)  # what a killed writer left behind goes even when nothing changed
            return summary

        total = len(kept) + len(fresh)
        dim = embedder.dim
        vectors = _carry_vectors(old_vectors, [r for r, _, _ in kept], total, dim)
        te = time.perf_counter()
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(fresh))

        if fresh:
            vectors[len(kept):] = embedder.embed_chunks([indexed_text(c) for c, _ in fresh], progress=tick)
        summary.embed_seconds = time.perf_counter() - te
        summary.embedded = len(fresh)
        rows = [(c, t) for _, c, t in kept] + fresh
        if old_db is not None:
            old_db.close()
        _write_generation(index_dir, settings, embedder, documents, rows, vectors, signatures)
        summary.chunks = total
        summary.seconds = time.perf_counter() - t0
        return summary


def index_sources(settings: "Settings") -> list[Path]:
    """Everything the index is built from: the configured sources and the page's uploads."""
    uploads = settings.paths.resolved_uploads_dir()
    return [Path(p) for p in settings.paths.sources] + ([uploads] if uploads.is_dir() else [])


def remove_documents(doc_ids: Iterable[str], settings: "Settings", *, index_dir: Path | None = None) -> list[str]:
    """Drop documents from the index (no embedding needed); returns the ids removed."""
    if settings.index.backend == "milvus":
        from . import milvus_index

        return milvus_index.remove_documents(doc_ids, settings, index_dir=index_dir)
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    wanted = list(doc_ids)
    with store.write_lock(index_dir):
        gen = store.current_generation(index_dir)
        manifest = store.read_manifest(gen)
        store.verify_files(gen, manifest.get("files", {}))
        missing = [d for d in wanted if d not in manifest["documents"]]
        if missing:
            raise InputError(f"document {missing[0]!r} is not in the index {index_dir}; `rag docs` lists them")
        db = store.ChunkStore(gen / "chunks.sqlite")
        old_vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        documents = {k: dict(v) for k, v in manifest["documents"].items() if k not in wanted}
        kept = [r for d in documents for r in db.rows_of(d)]
        vectors = _carry_vectors(old_vectors, [r for r, _, _ in kept], len(kept), manifest["dim"])
        db.close()
        signatures = {d: s for d, s in _load_signatures(gen).items() if d in documents}
        _mark_duplicates(documents, signatures, settings.retrieval.duplicate_threshold)

        class _Id:  # the manifest's embedder id is carried over unchanged
            model_id = manifest["embedder"]
            dim = manifest["dim"]

        _write_generation(index_dir, settings, _Id(), documents, [(c, t) for _, c, t in kept], vectors, signatures)
    return wanted


def set_document_fields(changes: dict[str, dict], settings: "Settings", *, index_dir: Path | None = None) -> list[str]:
    """Set documents' publication date (``{"date": "YYYY-MM-DD"}``, recorded as the user's, kept
    across re-indexing; ``None`` goes back to the date found in the text at the next indexing) or
    collection (``{"collection": name}``). Nothing is re-embedded; returns the ids changed."""
    from .dates import parse_datetime

    if settings.index.backend == "milvus":
        raise InputError("changing a document's date or collection needs index.backend = faiss for now")
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    with store.write_lock(index_dir):
        gen = store.current_generation(index_dir)
        manifest = store.read_manifest(gen)
        store.verify_files(gen, manifest.get("files", {}))
        documents = {k: dict(v) for k, v in manifest["documents"].items()}
        for doc_id, fields in changes.items():
            if doc_id not in documents:
                raise InputError(f"document {doc_id!r} is not in the index {index_dir}; `rag docs` lists them")
            entry = documents[doc_id]
            if "date" in fields:
                if fields["date"] is None:
                    entry.update(date_source=None)  # found again in the text at the next `rag index`
                else:
                    parsed = parse_datetime(str(fields["date"]))
                    if parsed is None:
                        raise InputError(f"date {fields['date']!r} for {doc_id} is not a date; use YYYY-MM-DD")
                    entry.update(date=parsed[0], time=parsed[1], date_source="user")
            if "collection" in fields:
                entry["collection"] = fields["collection"] or None
        db = store.ChunkStore(gen / "chunks.sqlite")
        kept = [r for d in documents for r in db.rows_of(d)]
        old_vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        vectors = _carry_vectors(old_vectors, [r for r, _, _ in kept], len(kept), manifest["dim"])
        db.close()

        class _Id:  # the manifest's embedder id is carried over unchanged
            model_id = manifest["embedder"]
            dim = manifest["dim"]

        _write_generation(index_dir, settings, _Id(), documents, [(c, t) for _, c, t in kept], vectors,
                          _load_signatures(gen))
    return list(changes)


@dataclass
class Retrieval:
    """Fused hits plus what the refusal gate needs (best dense cosine) and timings."""

    hits: list[Hit]
    dense_top: float
    timings: dict[str, float]


class ManifestDocuments:
    """What every index backend reads from its manifest alone (documents, size, dates, duplicates)."""

    manifest: dict

    def __len__(self) -> int:
        return int(self.manifest["chunks"])

    def documents(self) -> list[dict]:
        """Documents with title, chunk count and date added, sorted by id."""
        return [{"doc_id": k, **v} for k, v in sorted(self.manifest["documents"].items())]

    def newest_date(self) -> str | None:
        """The newest publication date among the documents (the reference day of an archive)."""
        return max((e["date"] for e in self.manifest["documents"].values() if e.get("date")), default=None)

    def term_chunks(self, word: str) -> int:
        """How many chunks write ``word`` (0 for a backend that keeps no term counts: every word reads as rare)."""
        return 0

    def duplicate_groups(self) -> dict[str, str]:
        """``{doc_id: group}`` for documents with a near-duplicate (see ``rag.dedup``)."""
        return {d: e["duplicate_group"] for d, e in self.manifest["documents"].items() if e.get("duplicate_group")}


class Index(ManifestDocuments):
    """A loaded index: search with ``search(question, k)``; list documents with ``documents()``."""

    def __init__(self, index_dir: Path, gen_dir: Path, manifest: dict, settings: "Settings",
                 embedder: "Embedder | None" = None) -> None:
        from .dense import FaissIndex

        self.index_dir = index_dir
        self.gen_dir = gen_dir
        self.manifest = manifest
        self.settings = settings
        self._embedder = embedder
        try:
            self.db = store.ChunkStore(gen_dir / "chunks.sqlite")
            self.dense = FaissIndex.load(gen_dir / "dense.faiss")
            self.sparse = Bm25Index.load(gen_dir)
        except RagError:
            raise
        except Exception as e:  # noqa: BLE001 - any reader failure means a damaged file
            raise IndexCorruptError(f"index {index_dir} cannot be read ({e}); run `rag index --rebuild`") from None
        n = manifest["chunks"]
        if self.db.count() != n or self.dense.ntotal != n or self.sparse.n != n:
            raise IndexCorruptError(f"index {index_dir} is inconsistent (chunk counts differ); run `rag index --rebuild`")

    @property
    def embedder(self) -> "Embedder":
        if self._embedder is None:
            from .embedders import make_embedder

            self._embedder = make_embedder(self.settings)
        _check_embedder(self.manifest, self._embedder.model_id, self.index_dir)
        return self._embedder


    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self.db.chunks_of(doc_id)

    def term_chunks(self, word: str) -> int:
        """How many chunks write ``word``, from the BM25 index's term counts (Latin words are lower-cased there)."""
        return self.sparse.chunk_count(word.lower())

    def document_chars(self, chunk: Chunk) -> int:
        """How long the document ``chunk`` comes from is, in cleaned characters."""
        return self.db.document_chars(chunk.doc_id)

    def article_opening(self, chunk: Chunk, chars: int) -> str:
        """The opening of the article ``chunk`` belongs to: where a news story says where and when."""
        return self.db.article_opening(chunk.doc_id, chunk.title, chars)


    def allowed_rows(self, filters: "SearchFilter | None") -> np.ndarray | None:
        """Boolean mask over chunk rows that pass ``filters`` (None: no restriction)."""
        if filters is None or filters.is_empty():
            return None
        if getattr(self, "_row_docs", None) is None:
            # Built once per loaded generation: which document each row belongs to.
            ids = self.db.doc_ids()
            self._doc_list = sorted(set(ids))
            pos = {d: i for i, d in enumerate(self._doc_list)}
            self._row_docs = np.fromiter((pos[d] for d in ids), dtype=np.int64, count=len(ids))
        docs = self.manifest["documents"]
        passing = np.fromiter((filters.allows(d, docs.get(d, {}).get("date"), docs.get(d, {}).get("collection"))
                               for d in self._doc_list), dtype=bool, count=len(self._doc_list))
        return passing[self._row_docs] if len(self._row_docs) else np.zeros(0, dtype=bool)

    def retrieve(self, question: str, k: int | None = None, *, query_vector: np.ndarray | None = None,
                 filters: "SearchFilter | None" = None) -> Retrieval:
        """Dense and BM25 rankings fused by weighted RRF (weights per question unless ``retrieval.fusion``
        is ``fixed``); top-k hits with each retriever's rank.
        ``filters`` restricts both retrievers to the rows it allows before fusion."""
        cfg = self.settings.retrieval
        k = k or cfg.k
        if k < 1:
            raise InputError("k must be at least 1")
        allowed = self.allowed_rows(filters)
        if allowed is not None and not allowed.any():
            return Retrieval(hits=[], dense_top=0.0, timings={"retrieve_ms": 0.0})
        # The articles are simplified Chinese: fold a traditional question before both retrievers.
        question = to_simplified(question)
        t0 = time.perf_counter()
        qv = query_vector if query_vector is not None else self.embedder.embed_queries([question])[0]
        t1 = time.perf_counter()
        dense = self.dense.search(qv, cfg.candidates, allowed=allowed)
        t2 = time.perf_counter()
        tokens = tokenize(question, cfg.user_dict)
        sparse = self.sparse.search(tokens, cfg.candidates, allowed=allowed)
        t3 = time.perf_counter()
        fused = fuse_retrievers(question, dense, sparse, cfg, coverage=lambda rows: self.sparse.coverage(tokens, rows),
                                titles=self.db.titles)
        fused = fused[:k]
        chunks = self.db.get([i for i, *_ in fused])
        hits = [Hit(chunk=chunks[i], score=s, rank=r, ranks=ranks, scores=scores)
                for r, (i, s, ranks, scores) in enumerate(fused, start=1)]
        t4 = time.perf_counter()
        timings = {"embed_ms": (t1 - t0) * 1e3, "dense_ms": (t2 - t1) * 1e3, "bm25_ms": (t3 - t2) * 1e3,
                   "fusion_ms": (t4 - t3) * 1e3, "retrieve_ms": (t4 - t0) * 1e3}
        return Retrieval(hits=hits, dense_top=dense[0][1] if dense else 0.0, timings=timings)

    def search(self, question: str, k: int | None = None, *, filters: "SearchFilter | None" = None) -> list[Hit]:
        """Top-k fused hits for a question."""
        return self.retrieve(question, k, filters=filters).hits


def open_index(index_dir: str | Path | None = None, settings: "Settings | None" = None,
               embedder: "Embedder | None" = None) -> Index:
    """Open the live generation of an index (checks schema, files and, on first search, the model)."""
    from .config import load_settings

    settings = settings or load_settings()
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    if settings.index.backend == "milvus":
        from . import milvus_index

        return milvus_index.open_index(index_dir, settings, embedder)  # same interface as Index
    gen = store.current_generation(index_dir)
    manifest = store.read_manifest(gen)
    _check_schema(manifest, index_dir)
    store.verify_files(gen, manifest.get("files", {}))
    index = Index(index_dir, gen, manifest, settings, embedder)
    if embedder is not None:
        index.embedder  # noqa: B018 - raises IndexMismatchError early
    return index
