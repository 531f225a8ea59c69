"""Milvus as the index engine: the same interface as ``indexing.Index``, the index in a server.

FAISS + our BM25 files serve one machine. With ``index.backend = "milvus"`` the chunks, their
vectors and their BM25 terms live in Milvus instead: the embedded edition (milvus-lite, a ``.db``
folder, one process at a time) or a server/cluster that several app instances share. Everything
above the index (fusion weights, title ranking, the refusal gate, citations, the page, evaluation)
is unchanged because ``retrieve`` returns the same ``Retrieval``.

Decisions, and why:

- **One Milvus collection per index, knowledge-base collections as a partition key.** A filter on
  collections (``SearchFilter.collections``) is one search whose expression Milvus prunes to the
  matching partitions, and BM25 statistics (idf, average length) are those of the whole index, as
  with FAISS. One Milvus collection per knowledge-base collection would need a search per
  collection and a merge of BM25 scores computed under different idfs, and a server caps the number
  of collections. A second small collection holds the per-document manifest entries and a third the
  term counts (Milvus needs a vector field in every collection, so they have a 2-d dummy one);
  index-wide facts (embedder, chunking, schema, term-table state) are properties of the chunk
  collection.
- **BM25 over our own tokens.** The server's jieba analyzer is not our tokenizer (no character
  bigrams, no number rules, other stop-words) and lite lacks some analyzers, so each chunk's tokens
  from ``sparse.tokenize`` are stored as short alphanumeric codes (a 48-bit hash in base 36) that
  Milvus's ``standard`` tokenizer keeps whole: the embedded edition and any server index exactly the
  tokens the FAISS backend does, and Milvus computes BM25 (k1 1.2, b 0.75, Lucene idf, as ours).
  Cost: ~11 bytes a token occurrence in the ``tokens`` field.
- **Our weighted RRF, not Milvus's ranker.** ``RRFRanker`` has no per-retriever weights and
  ``WeightedRanker`` mixes raw scores, so neither is our fusion. The dense and BM25 searches run
  separately (each with the filter pushed down) and ``fusion.fuse_retrievers`` fuses them, so
  title ranking and the gate see what they see with FAISS.
- **A term table for the per-question weights.** ``retrieval.fusion = "lexical"`` (the default)
  weighs the retrievers by the idf-weighted share of the question's terms in each one's best
  chunk (``MilvusIndex.coverage``, as ``sparse.Bm25Index.coverage``), which needs each query
  term's document frequency. Milvus keeps it inside its BM25 index but does not expose it, and
  counting it with a search per term materialises every matching row (20-100 s a question in the
  embedded edition). So a third small collection, ``<name>_terms``, holds each token code's
  document frequency, the codes hashed into 4,096 rows (``{code: df}`` each: a row per code
  cost more to write than the chunks, ``TERM_BUCKETS``): a question reads one row per term by
  key, and both backends fuse identically (tested). The writer counts the codes of the chunks it inserts and
  deletes and read-modify-upserts the touched ones when it finishes (``begin_terms`` /
  ``commit_terms``); meanwhile the chunk collection's ``rag.terms`` property says ``stale``, so
  a write killed midway leaves a table marked stale, never silently wrong. An index opened
  with a stale or missing table (one made before the table existed) falls back to the fixed
  weights and says so once; the next ``rag index`` or ``rag migrate-milvus`` recounts it from
  the stored tokens. The idf's chunk count is ``count(*)``, read when the index opens. A chunk
  of over ~5,900 tokens is counted with the tokens stored (cut at the field limit), where the
  FAISS backend counts them all. An app that opened the index before a write keeps reading the
  table while it changes: for that moment its weights may be slightly off, as its searches may
  miss a document being rewritten.
- **Dense index by size.** ``retrieval.faiss`` and ``retrieval.approx_threshold`` choose as for
  FAISS: FLAT (exact) below the threshold, IVF_FLAT (≈2·√n lists, nprobe 64) above, HNSW on request.
  Vectors are unit length, so inner product is cosine and the gate's threshold carries over.
- **Writes.** Incremental like ``indexing.update_index``: an unchanged document (same content
  hash) embeds and writes nothing. A new or changed document's old chunks are deleted, its new
  chunks embedded and inserted in batches of many documents (``WRITE_BATCH``), and its manifest
  entry written only once all its chunks are in, so a run killed midway is repaired by the next
  run (the entry still names the old hash).
  Unlike FAISS generations this is not one atomic swap: while a document is rewritten, searches may
  miss it for a moment. One writer at a time (the index directory's lock; across machines that is
  up to the operator).

Importing pymilvus costs ~1.5 s, so it happens inside ``_client``; a missing package raises
``MissingDependencyError`` with the install command. This module imports ``indexing`` for the
shared steps (reading, chunking, hashing); ``indexing`` imports this module only inside the three
dispatch points, so the one choice of backend stays there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Iterator

import numpy as np

from . import store
from .errors import (IndexAuthError, IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError,
                     IndexUnreachableError, InputError, MissingDependencyError, RagError)
from .fusion import fuse_retrievers
from .indexing import (LAYOUT_KINDS, IndexSummary, ManifestDocuments, Retrieval, _covered, chunk_settings, content_hash,
                       existing_paths, indexed_text, prepare_document, read_valid_sources)
from .sparse import tokenize
from .textnorm import to_simplified
from .types import Chunk, Hit

if TYPE_CHECKING:
    from .config import Settings
    from .embedders import Embedder
    from .types import SearchFilter

INSTALL_HINT = 'pip install -e ".[milvus]"'
# Bumped when the collections' fields change; an older layout asks for `rag index --rebuild`.
MILVUS_SCHEMA_VERSION = 1
META_KEY = "rag.meta"
DENSE_KEY = "rag.dense"  # the vector index kind and parameters, set when (re)built
# TERMS_OK while the term table holds every token code's document frequency; "stale" while a
# writer changes chunks (or after it was killed midway). Absent on indexes made before the term
# table; another value (another bucket count) is recounted like a stale one.
TERMS_KEY = "rag.terms"
# The term table's rows: codes hashed into this many buckets, each row one bucket's {code: df}.
# Rows cost more than codes: one row per code cost more to write than the chunks themselves (300
# CMRC chunks hold 32,895 distinct codes: 1.4 s CPU against 0.39 s for the chunks). For 555 CMRC
# chunks (53,928 codes), writing the table fresh took 0.78 s CPU in 16,384 buckets, 0.29 s in
# 4,096 and 0.22 s in 1,024; reading a question's 20 codes 3.0, 3.8 and 5.0 ms; a one-document
# update ~0.04 s each. At 1M chunks (~3M codes) a bucket holds ~700 codes (~15 KB).
TERM_BUCKETS = 4096
TERMS_BATCH = 2048  # bucket rows per read or upsert
TERMS_OK = f"ok/{TERM_BUCKETS}"
# Token codes whose document-frequency change the writer holds in memory before applying them
# (~100 bytes each): 300k codes for 10k news chunks.
TERM_DELTA_LIMIT = 2_000_000
# Chunks per embedding call (progress moves every few seconds on a CPU) and ids per delete.
BATCH = 512
# Chunk rows per write: the writer gathers many documents' chunks into one insert (and one
# upsert of their manifest entries), since every call pays a fixed cost (a round trip; in the
# embedded edition a WAL record per partition bucket). One insert is also cut at INSERT_BYTES
# (~3,000 ordinary chunks at 384 dimensions), far below the 256 MB message limit of both editions.
WRITE_BATCH = 4096
INSERT_BYTES = 16 * 2**20
# Milvus VARCHAR limits are in bytes.
MAX_TEXT_BYTES = 65535
MAX_TITLE_BYTES = 4096
MAX_ID_BYTES = 1024
QUERY_LIMIT = 16384  # Milvus's cap on one query's offset + limit
OUTPUT_FIELDS = ["chunk_id", "doc_id", "title", "date", "start", "end", "text"]
# Search-side parameters match dense.py's FAISS choices so both backends trade recall the same way.
IVF_NPROBE = 64
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
BM25_K1 = 1.2
BM25_B = 0.75
BM25_PARAMS = {"metric_type": "BM25"}
_KIND_TO_MILVUS = {"flat": "FLAT", "ivf": "IVF_FLAT", "hnsw": "HNSW"}


# ---------------------------------------------------------------------------------------------
# Tokens as codes the server's standard tokenizer keeps whole

_code_cache: dict[str, str] = {}
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def token_code(token: str) -> str:
    """A stable lowercase alphanumeric code for one BM25 token (``t`` + 48-bit hash in base 36).

    48 bits: a corpus of a million distinct tokens expects ~0.002 colliding pairs.
    """
    code = _code_cache.get(token)
    if code is None:
        n = int.from_bytes(hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=6).digest(), "big")
        digits = []
        while True:
            n, r = divmod(n, 36)
            digits.append(_DIGITS[r])
            if not n:
                break
        code = "t" + "".join(reversed(digits))
        if len(_code_cache) < 1_000_000:
            _code_cache[token] = code
    return code


def term_bucket(code: str) -> int:
    """The term-table row holding a token code's document frequency."""
    return int(code[1:], 36) % TERM_BUCKETS


def encode_tokens(tokens: Iterable[str], max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The ``tokens`` field: codes joined by spaces (cut at the field limit, which ~5,900 tokens reach)."""
    text = " ".join(token_code(t) for t in tokens)
    if len(text) > max_bytes:
        text = text[: text.rfind(" ", 0, max_bytes)]
    return text


# ---------------------------------------------------------------------------------------------
# Errors: every pymilvus failure becomes one line that names the fix


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def translate_error(exc: BaseException, uri: str) -> RagError | None:
    """The RagError a pymilvus/gRPC/milvus-lite failure stands for, or None if it is none of ours."""
    texts = []
    grpc_codes = set()
    for e in _chain(exc):
        name = type(e).__name__
        if name == "DataDirLockedError" or "holds the lock" in str(e):
            return IndexLockedError(
                f"the embedded Milvus database {uri} is open in another process (the chat page or another rag "
                f"command); stop that process, or run a Milvus server and point index.uri at it")
        code = getattr(e, "code", None)
        if callable(code):  # grpc.RpcError
            try:
                grpc_codes.add(getattr(code(), "name", str(code())))
            except Exception:  # noqa: BLE001 - a half-built RpcError has no code
                pass
        elif isinstance(code, int) and code in (1800, 1801, 1802):  # Milvus: not authenticated / bad credential
            grpc_codes.add("UNAUTHENTICATED")
        texts.append(f"{getattr(e, 'message', '') or ''} {e}".lower())
        if name in ("MilvusUnavailableException", "ConnectError"):
            grpc_codes.add("UNAVAILABLE")
    text = " ".join(texts)
    if grpc_codes & {"UNAUTHENTICATED", "PERMISSION_DENIED"} or any(
            w in text for w in ("auth check fail", "unauthenticated", "incorrect username or password",
                                "invalid token", "credential", "permission denied", "api key")):
        return IndexAuthError(
            f"Milvus at {uri} refused the credentials; set index.token (or RAG_INDEX_TOKEN) to a valid "
            f"'user:password' or API key")
    if grpc_codes & {"UNAVAILABLE", "DEADLINE_EXCEEDED"} or any(
            w in text for w in ("fail connecting", "failed to connect", "connection refused", "server unavailable",
                                "illegal connection params", "deadline exceeded", "open local milvus failed")):
        detail = next((t.strip() for t in texts if t.strip()), "no answer")
        return IndexUnreachableError(
            f"Milvus at {uri} cannot be reached ({detail[:160]}); start the server or fix index.uri "
            f"(RAG_INDEX_URI)")
    if type(exc).__module__.startswith(("pymilvus", "grpc", "milvus_lite")):
        msg = getattr(exc, "message", "") or str(exc)
        return RagError(f"Milvus at {uri} failed: {msg[:300]}")
    return None


class _Guarded:
    """A MilvusClient whose calls raise RagErrors (unreachable, token refused, ...), never raw gRPC."""

    def __init__(self, client: Any, uri: str) -> None:
        self._client = client
        self._uri = uri

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._client, name)
        if not callable(fn):
            return fn

        def call(*a: Any, **kw: Any) -> Any:
            try:
                return fn(*a, **kw)
            except RagError:
                raise
            except Exception as e:  # noqa: BLE001 - translated or re-raised
                mapped = translate_error(e, self._uri)
                if mapped is None:
                    raise
                raise mapped from e

        return call


def is_local_uri(uri: str) -> bool:
    """Whether ``uri`` names the embedded edition's ``.db`` folder rather than a server."""
    return "://" not in uri and not uri.startswith("unix:")


def resolve_uri(settings: "Settings", index_dir: Path | None = None) -> str:
    """``index.uri``, or the embedded database inside the index directory when it is empty."""
    if settings.index.uri:
        return settings.index.uri
    return str(Path(index_dir or settings.paths.resolved_index_dir()) / "milvus.db")


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def _client(uri: str, token: str, timeout_s: float) -> _Guarded:
    """A (cached) client: the embedded edition runs one server per ``.db`` per process."""
    key = (os.path.abspath(uri) if is_local_uri(uri) else uri, token)
    with _clients_lock:
        if key in _clients:
            return _Guarded(_clients[key], uri)
        try:
            # pymilvus pulls in grpc, pandas and protobuf (~1.5 s): only an index on Milvus pays it.
            from pymilvus import MilvusClient

            # pymilvus logs every failed call at ERROR before raising; the error we raise says it once.
            logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
        except ImportError as e:
            raise MissingDependencyError(
                f"index.backend = \"milvus\" needs the pymilvus and milvus-lite packages ({e.name or e}); "
                f"install them with `{INSTALL_HINT}`") from None
        if is_local_uri(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            client = MilvusClient(uri=key[0] if is_local_uri(uri) else uri, token=token, timeout=timeout_s)
        except Exception as e:  # noqa: BLE001 - translated or re-raised
            mapped = translate_error(e, uri)
            if mapped is None:
                raise
            raise mapped from e
        _clients[key] = client
        return _Guarded(client, uri)


def close_clients() -> None:
    """Close every cached client and stop the embedded servers this process started (frees their ``.db``)."""
    with _clients_lock:
        items = list(_clients.items())
        _clients.clear()
    for (uri, _), client in items:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        if is_local_uri(uri):
            try:
                from milvus_lite.server_manager import server_manager_instance
            except ImportError:
                continue
            server_manager_instance.release_server(uri)


# ---------------------------------------------------------------------------------------------
# The two collections


def filter_expression(filters: "SearchFilter | None") -> str | None:
    """The Milvus boolean expression for a SearchFilter ("" = everything, None = nothing can match)."""
    if filters is None or filters.is_empty():
        return ""
    lit = lambda s: json.dumps(str(s), ensure_ascii=False)  # noqa: E731 - Milvus reads JSON string escapes
    parts = []
    if filters.doc_ids is not None:
        if not filters.doc_ids:
            return None
        parts.append(f"doc_id in [{', '.join(lit(d) for d in sorted(filters.doc_ids))}]")
    if filters.collections is not None:
        if not filters.collections:
            return None
        parts.append(f"collection in [{', '.join(lit(c) for c in sorted(filters.collections))}]")
    if filters.since or filters.until:
        bounds = []
        if filters.since:
            bounds.append(f"doc_date >= {lit(filters.since)}")
        if filters.until:
            # Inclusive of the whole day even when a stored date carries a time ("2024-03-05T08:00").
            bounds.append(f"doc_date <= {lit(filters.until + chr(0xFFFF))}")
        # An undated chunk passes only a range read from the question (SearchFilter.keep_undated).
        if getattr(filters, "keep_undated", False):
            parts.append(f'(doc_date == "" or ({" and ".join(bounds)}))')
        else:
            parts.append(" and ".join(['doc_date != ""', *bounds]))
    return " and ".join(parts)


def _chunk(entity: dict) -> Chunk:
    return Chunk(chunk_id=entity["chunk_id"], doc_id=entity["doc_id"], text=entity["text"], start=int(entity["start"]),
                 end=int(entity["end"]), title=entity["title"], date=entity.get("date") or None)


def _cut_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8", "replace")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def row_key(chunk: Chunk) -> int:
    """The chunk's primary key: a positive int64 hash of its content-hash id (rebuilds give the same keys)."""
    digest = hashlib.blake2b(f"{chunk.doc_id}\x00{chunk.chunk_id}".encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") & 0x7FFF_FFFF_FFFF_FFFF


class MilvusCollections:
    """The chunk and document collections of one index on one Milvus: create, write, read, search."""

    def __init__(self, settings: "Settings", index_dir: Path | None = None, uri: str | None = None) -> None:
        self.settings = settings
        self.uri = uri or resolve_uri(settings, index_dir)
        self.client = _client(self.uri, settings.index.token, settings.index.timeout_s)
        self.chunks = f"{settings.index.name}_chunks"
        self.docs = f"{settings.index.name}_documents"
        self.terms = f"{settings.index.name}_terms"
        self._loaded = False
        # Document-frequency changes not yet in the term table; None while no write tracks them
        # (no write begun, or the table is recounted from the chunks at the end of this one).
        self._term_delta: dict[str, int] | None = None
        self._terms_empty = False

    # -- life cycle

    def exists(self) -> bool:
        return bool(self.client.has_collection(self.chunks)) and bool(self.client.has_collection(self.docs))

    def drop(self) -> None:
        for name in (self.chunks, self.docs, self.terms):
            if self.client.has_collection(name):
                self.client.drop_collection(name)
        self._loaded = False

    def meta(self) -> dict | None:
        """Index-wide facts (schema, embedder, dim, chunking), or None when there is no index yet."""
        if not self.exists():
            return None
        props = self.client.describe_collection(self.chunks).get("properties") or {}
        try:
            return json.loads(props[META_KEY])
        except (KeyError, TypeError, json.JSONDecodeError):
            raise IndexCorruptError(
                f"Milvus collection {self.chunks} at {self.uri} was not made by rag (no {META_KEY}); "
                f"set index.name to another name or run `rag index --rebuild`") from None

    def create(self, model_id: str, dim: int, chunking: dict) -> dict:
        """Create both collections (empty) and record what the index is built with."""
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        s = c.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("pk", DataType.INT64, is_primary=True)
        s.add_field("chunk_id", DataType.VARCHAR, max_length=64)
        s.add_field("doc_id", DataType.VARCHAR, max_length=MAX_ID_BYTES)
        s.add_field("collection", DataType.VARCHAR, max_length=256, is_partition_key=True)
        s.add_field("title", DataType.VARCHAR, max_length=MAX_TITLE_BYTES)
        s.add_field("date", DataType.VARCHAR, max_length=64)
        # The document's publication date: what filters compare, as the FAISS backend's manifest does.
        s.add_field("doc_date", DataType.VARCHAR, max_length=64)
        s.add_field("start", DataType.INT64)
        s.add_field("end", DataType.INT64)
        s.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT_BYTES)
        s.add_field("tokens", DataType.VARCHAR, max_length=MAX_TEXT_BYTES, enable_analyzer=True,
                    analyzer_params={"tokenizer": "standard"})
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=int(dim))
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["tokens"],
                                output_field_names=["sparse"]))
        ip = c.prepare_index_params()
        ip.add_index("vector", index_type="FLAT", metric_type="IP")
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"inverted_index_algo": "DAAT_MAXSCORE", "bm25_k1": BM25_K1, "bm25_b": BM25_B})
        meta = {"schema_version": MILVUS_SCHEMA_VERSION, "embedder": model_id, "dim": int(dim), "chunking": chunking,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        # Strong consistency: a question asked right after an upload must see the new chunks.
        c.create_collection(self.chunks, schema=s, index_params=ip, consistency_level="Strong")
        c.alter_collection_properties(self.chunks, properties={META_KEY: json.dumps(meta, ensure_ascii=False)})
        d = c.create_schema(auto_id=False, enable_dynamic_field=False)
        d.add_field("doc_id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID_BYTES)
        d.add_field("entry", DataType.JSON)
        d.add_field("sig", DataType.VARCHAR, max_length=8192)  # MinHash signature (hex) for near-duplicates
        d.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field; unused
        dp = c.prepare_index_params()
        dp.add_index("v", index_type="FLAT", metric_type="L2")
        c.create_collection(self.docs, schema=d, index_params=dp, consistency_level="Strong")
        self._create_terms()
        self._loaded = True
        return meta

    # -- the term table: each token code's document frequency, for the per-question fusion weights

    def _create_terms(self) -> None:
        from pymilvus import DataType

        c = self.client
        if c.has_collection(self.terms):
            c.drop_collection(self.terms)
        t = c.create_schema(auto_id=False, enable_dynamic_field=False)
        t.add_field("bucket", DataType.INT64, is_primary=True)
        t.add_field("df", DataType.JSON)  # {code: number of chunks holding it}
        t.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field; unused
        tp = c.prepare_index_params()
        tp.add_index("v", index_type="FLAT", metric_type="L2")
        c.create_collection(self.terms, schema=t, index_params=tp, consistency_level="Strong")
        self._terms_empty = True
        self._set_terms_state(TERMS_OK)

    def _set_terms_state(self, state: str) -> None:
        self.client.alter_collection_properties(self.chunks, properties={TERMS_KEY: state})

    def terms_state(self) -> str | None:
        """TERMS_OK when the term table matches the chunks, "stale" mid-write, None when the index has none."""
        if not self.client.has_collection(self.terms):
            return None
        props = self.client.describe_collection(self.chunks).get("properties") or {}
        return props.get(TERMS_KEY)

    def begin_terms(self) -> None:
        """Before a writer changes chunks: count what changes, and mark the table stale until ``commit_terms``."""
        self._term_delta = {} if self.terms_state() == TERMS_OK else None
        self._set_terms_state("stale")

    def commit_terms(self, log: Callable[[str], None] = lambda m: None) -> None:
        """Apply the counted changes (or recount every chunk when the table was not ok) and mark it ok."""
        if self._term_delta is None:
            log(f"Milvus: counting term document frequencies into {self.terms}")
            self.load()
            self._create_terms()
            self._set_terms_state("stale")
            delta: dict[str, int] = {}
            for r in self._query_all(self.chunks, "", ["tokens"]):
                for code in set(r["tokens"].split()):
                    delta[code] = delta.get(code, 0) + 1
            self._term_delta = delta
        self._apply_terms()
        self.client.flush(self.terms)
        self._term_delta = None
        self._set_terms_state(TERMS_OK)

    def _count_terms(self, token_fields: Iterable[str], sign: int) -> None:
        delta = self._term_delta
        if delta is None:
            return
        for field in token_fields:
            for code in set(field.split()):
                delta[code] = delta.get(code, 0) + sign
        if len(delta) > TERM_DELTA_LIMIT:
            self._apply_terms()

    def _apply_terms(self) -> None:
        """Read-modify-upsert the buckets of the touched codes (a code whose count reaches 0 is dropped)."""
        by_bucket: dict[int, dict[str, int]] = {}
        for code, d in (self._term_delta or {}).items():
            if d:
                by_bucket.setdefault(term_bucket(code), {})[code] = d
        buckets = list(by_bucket)
        for i in range(0, len(buckets), TERMS_BATCH):
            part = buckets[i:i + TERMS_BATCH]
            old = {} if self._terms_empty else {
                int(r["bucket"]): r["df"] for r in self.client.get(self.terms, ids=part, output_fields=["df"])}
            rows, gone = [], []
            for b in part:
                counts = dict(old.get(b) or {})
                for code, d in by_bucket[b].items():
                    n = counts.get(code, 0) + d
                    if n > 0:
                        counts[code] = n
                    else:
                        counts.pop(code, None)
                if counts:
                    rows.append({"bucket": b, "df": counts, "v": [0.0, 0.0]})
                elif b in old:
                    gone.append(b)
            if rows:
                (self.client.insert if self._terms_empty else self.client.upsert)(self.terms, rows)
            if gone:
                self.client.delete(self.terms, ids=gone)
        if self._term_delta is not None:
            self._term_delta.clear()
        self._terms_empty = False

    def document_frequencies(self, codes: list[str]) -> dict[str, int]:
        """``{code: number of chunks holding it}`` for the codes the index holds."""
        buckets = sorted({term_bucket(c) for c in codes})
        held: dict[str, int] = {}
        for i in range(0, len(buckets), TERMS_BATCH):
            for r in self.client.get(self.terms, ids=buckets[i:i + TERMS_BATCH], output_fields=["df"]):
                held.update(r["df"])
        return {c: int(held[c]) for c in codes if c in held}

    def load(self) -> None:
        # The embedded edition starts every process with collections released; a server keeps them
        # loaded, where this is a cheap no-op.
        if not self._loaded:
            self.client.load_collection(self.chunks)
            self.client.load_collection(self.docs)
            if self.client.has_collection(self.terms):
                self.client.load_collection(self.terms)
            self._loaded = True

    # -- documents (the manifest's entries)

    def documents(self, signatures: dict | None = None) -> dict[str, dict]:
        """The manifest's document entries; fills ``signatures`` (doc id -> MinHash) when given."""
        self.load()
        out = {}
        for r in self._query_all(self.docs, "", ["doc_id", "entry"] + (["sig"] if signatures is not None else [])):
            out[r["doc_id"]] = dict(r["entry"])
            if signatures is not None and r.get("sig"):
                signatures[r["doc_id"]] = np.frombuffer(bytes.fromhex(r["sig"]), dtype=np.uint64).copy()
        return out

    def put_documents(self, entries: dict[str, dict], signatures: dict | None = None) -> None:
        items = list(entries.items())
        sigs = signatures or {}
        for i in range(0, len(items), WRITE_BATCH):
            self.client.upsert(self.docs, [
                {"doc_id": d, "entry": e, "v": [0.0, 0.0],
                 "sig": np.asarray(sigs[d], dtype=np.uint64).tobytes().hex() if sigs.get(d) is not None else ""}
                for d, e in items[i:i + WRITE_BATCH]])

    def restamp(self, doc_ids: list[str], documents: dict[str, dict]) -> None:
        """Rewrite the chunk rows of documents whose date or collection changed (nothing re-embedded)."""
        fields = ["pk", "chunk_id", "doc_id", "collection", "title", "date", "doc_date", "start", "end", "text",
                  "tokens", "vector"]
        for doc_id in doc_ids:
            rows = list(self._query_all(self.chunks, filter_expression_docs([doc_id]), fields))
            e = documents[doc_id]
            for r in rows:
                r["doc_date"], r["collection"] = e.get("date") or "", e.get("collection") or ""
            for i in range(0, len(rows), BATCH):
                self.client.upsert(self.chunks, rows[i:i + BATCH])

    def delete_documents(self, doc_ids: list[str]) -> None:
        """Drop documents' entries and chunks."""
        for i in range(0, len(doc_ids), BATCH):
            part = doc_ids[i:i + BATCH]
            self.delete_chunks_of(part)
            self.client.delete(self.docs, ids=part)

    # -- chunks

    def delete_chunks_of(self, doc_ids: list[str]) -> None:
        for i in range(0, len(doc_ids), BATCH):
            expr = filter_expression_docs(doc_ids[i:i + BATCH])
            if self._term_delta is not None:
                self.load()
                self._count_terms((r["tokens"] for r in self._query_all(self.chunks, expr, ["tokens"])), -1)
            self.client.delete(self.chunks, filter=expr)

    def insert_chunks(self, rows: list[tuple[Chunk, list[str], tuple]], vectors: np.ndarray) -> None:
        """Insert (chunk, tokens, (document date, collection)) rows with their vectors."""
        data: list[dict] = []
        size = 0
        for (c, tokens, (doc_date, collection)), v in zip(rows, vectors):
            if len(c.text.encode("utf-8", "replace")) > MAX_TEXT_BYTES:
                raise InputError(f"chunk {c.chunk_id} of {c.doc_id} is over {MAX_TEXT_BYTES} bytes, Milvus's text limit; "
                                 f"lower chunking.size")
            data.append({"pk": row_key(c), "chunk_id": c.chunk_id, "doc_id": c.doc_id, "collection": collection or "",
                         "title": _cut_bytes(c.title or "", MAX_TITLE_BYTES), "date": c.date or "", "doc_date": doc_date or "",
                         "start": int(c.start), "end": int(c.end), "text": c.text, "tokens": encode_tokens(tokens),
                         "vector": np.asarray(v, dtype=np.float32).tolist()})
            size += 3 * len(c.text) + len(data[-1]["tokens"]) + 4 * len(data[-1]["vector"]) + 300
            if size >= INSERT_BYTES:
                self._insert(data)
                data, size = [], 0
        self._insert(data)

    def _insert(self, data: list[dict]) -> None:
        if data:
            self.client.insert(self.chunks, data)
            self._count_terms((r["tokens"] for r in data), +1)

    def count(self) -> int:
        self.load()
        r = self.client.query(self.chunks, filter="", output_fields=["count(*)"])
        return int(r[0]["count(*)"]) if r else 0

    def _query_all(self, collection: str, expr: str, fields: list[str]) -> Iterator[dict]:
        # query() caps offset+limit at 16,384 rows; past that the iterator pages through any number.
        rows = self.client.query(collection, filter=expr, output_fields=fields, limit=QUERY_LIMIT)
        if len(rows) < QUERY_LIMIT:
            yield from rows
            return
        it = self.client.query_iterator(collection, batch_size=1000, filter=expr, output_fields=fields)
        try:
            while True:
                batch = it.next()
                if not batch:
                    break
                yield from batch
        finally:
            it.close()

    def chunks_where(self, expr: str) -> list[Chunk]:
        self.load()
        rows = list(self._query_all(self.chunks, expr, OUTPUT_FIELDS))
        return [_chunk(r) for r in sorted(rows, key=lambda r: (int(r["start"]), int(r["end"])))]

    def dense_kind(self) -> tuple[str, dict]:
        """(flat | ivf | hnsw, its parameters), as recorded when the vector index was (re)built."""
        props = self.client.describe_collection(self.chunks).get("properties") or {}
        try:
            info = json.loads(props[DENSE_KEY])
            return info["kind"], info.get("params", {})
        except (KeyError, TypeError, json.JSONDecodeError):
            return "flat", {}

    def tune_dense_index(self, n: int, log: Callable[[str], None] = lambda m: None) -> str:
        """Rebuild the vector index when the chunk count calls for another kind (FLAT -> IVF_FLAT ...)."""
        from .dense import choose_kind, ivf_lists

        want = choose_kind(self.settings.retrieval.faiss, n, self.settings.retrieval.approx_threshold)
        if want == "ivf" and ivf_lists(n) == 1:
            want = "flat"  # too few vectors to train more than one list
        have, old = self.dense_kind()
        if want == have and want != "ivf":
            return have
        if want == "ivf" and have == "ivf" and 0.5 <= ivf_lists(n) / max(1, int(old.get("nlist", 1))) <= 2:
            return have  # rebuilding for a small drift in the list count is not worth a reload
        params: dict[str, Any] = {}
        if want == "ivf":
            params = {"nlist": ivf_lists(n)}
        elif want == "hnsw":
            params = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
        log(f"Milvus: building the vector index as {_KIND_TO_MILVUS[want]} for {n} chunks")
        c = self.client
        c.release_collection(self.chunks)
        c.drop_index(self.chunks, "vector")
        ip = c.prepare_index_params()
        ip.add_index("vector", index_type=_KIND_TO_MILVUS[want], metric_type="IP", params=params)
        c.create_index(self.chunks, ip)
        c.alter_collection_properties(self.chunks, properties={DENSE_KEY: json.dumps({"kind": want, "params": params})})
        c.load_collection(self.chunks)
        return want

    def search_params(self) -> dict:
        kind, params = self.dense_kind()
        if kind == "ivf":
            return {"metric_type": "IP", "params": {"nprobe": min(IVF_NPROBE, int(params.get("nlist", IVF_NPROBE)))}}
        if kind == "hnsw":
            return {"metric_type": "IP", "params": {"ef": HNSW_EF_SEARCH}}
        return {"metric_type": "IP", "params": {}}


def filter_expression_docs(doc_ids: list[str]) -> str:
    return f"doc_id in [{', '.join(json.dumps(d, ensure_ascii=False) for d in doc_ids)}]"


def _check_meta(meta: dict, model_id: str | None, chunking: dict | None, where: str) -> None:
    if meta.get("schema_version") != MILVUS_SCHEMA_VERSION:
        raise IndexMismatchError(f"Milvus index {where} has layout {meta.get('schema_version')}, this version needs "
                                 f"{MILVUS_SCHEMA_VERSION}; run `rag index --rebuild`")
    if model_id is not None and meta.get("embedder") != model_id:
        raise IndexMismatchError(
            f"Milvus index {where} was built with embedding model {meta.get('embedder')!r}, but the settings select "
            f"{model_id!r}; run `rag index --rebuild` (or point index.name at an index built with this model)")
    if chunking is not None and meta.get("chunking") != chunking:
        raise IndexMismatchError(f"Milvus index {where} was built with chunking {meta.get('chunking')}, settings say "
                                 f"{chunking}; run `rag index --rebuild`")


# ---------------------------------------------------------------------------------------------
# Reading: the Index interface


class MilvusIndex(ManifestDocuments):
    """An index held by Milvus, with ``indexing.Index``'s interface (retrieve, search, documents ...)."""

    def __init__(self, index_dir: Path, settings: "Settings", embedder: "Embedder | None" = None) -> None:
        self.index_dir = index_dir
        self.gen_dir = None  # no generation folders: Milvus keeps the versions
        self.settings = settings
        self._embedder = embedder
        self.engine = MilvusCollections(settings, index_dir)
        meta = self.engine.meta()
        where = f"{self.engine.chunks} at {self.engine.uri}"
        if meta is None:
            raise IndexMissingError(f"no Milvus index {where}; build one with `rag index PATH...` "
                                    f"or copy a FAISS index with `rag migrate-milvus`")
        _check_meta(meta, None, None, where)
        self.engine.load()
        documents = self.engine.documents()
        self.manifest = {**meta, "backend": "milvus", "uri": self.engine.uri, "collection": self.engine.chunks,
                         "faiss": self.engine.dense_kind()[0], "chunks": self.engine.count(), "documents": documents}
        self._search_params = self.engine.search_params()
        self.terms_ok = self.engine.terms_state() == TERMS_OK
        if not self.terms_ok:
            _warn_once(where, f"Milvus index {where} has no up-to-date term counts (made before they were kept, or "
                              f"a write was stopped midway): retrieval uses the fixed fusion weights until the next "
                              f"`rag index` (or `rag migrate-milvus`) recounts them")

    @property
    def embedder(self) -> "Embedder":
        if self._embedder is None:
            from .embedders import make_embedder

            self._embedder = make_embedder(self.settings)
        _check_meta(self.manifest, self._embedder.model_id, None, f"{self.engine.chunks} at {self.engine.uri}")
        return self._embedder


    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return self.engine.chunks_where(filter_expression_docs([doc_id]))

    def document_chars(self, chunk: Chunk) -> int:
        """How long the document ``chunk`` comes from is: where its last chunk ends."""
        return max((c.end for c in self.chunks_of(chunk.doc_id)), default=chunk.end)


    def allowed_rows(self, filters: "SearchFilter | None") -> np.ndarray | None:
        """Which *documents* pass ``filters`` (None: no restriction), in id order.

        The FAISS index answers per chunk row; Milvus applies the filter itself, so callers only
        learn here whether anything passes (``.any()``), which is the same per document.
        """
        if filters is None or filters.is_empty():
            return None
        docs = self.manifest["documents"]
        return np.fromiter((filters.allows(d, e.get("date"), e.get("collection")) for d, e in sorted(docs.items())),
                           dtype=bool, count=len(docs))

    def article_opening(self, chunk: Chunk, chars: int) -> str:
        """The opening of the article ``chunk`` belongs to: where a news story says where and when."""
        lit = lambda s: json.dumps(s, ensure_ascii=False)  # noqa: E731
        out, size = [], 0
        for c in self.engine.chunks_where(f"doc_id == {lit(chunk.doc_id)} and title == {lit(chunk.title)}"):
            out.append(c.text)
            size += len(c.text)
            if size >= chars:
                break
        return "\n".join(out)[:chars]

    def _search(self, field: str, data: Any, limit: int, expr: str, params: dict) -> list[dict]:
        res = self.engine.client.search(self.engine.chunks, data=[data], anns_field=field, limit=limit, filter=expr,
                                       output_fields=OUTPUT_FIELDS, search_params=params)
        return list(res[0]) if res else []

    def coverage(self, query_tokens: list[str], rows: list[int]) -> list[float]:
        """Share of the query's idf mass (its distinct terms the index holds) present in each row,
        as ``sparse.Bm25Index.coverage`` computes it, from the term table's document frequencies."""
        codes = list(dict.fromkeys(token_code(t) for t in query_tokens))
        if not codes or not rows:
            return [0.0] * len(rows)
        client, name = self.engine.client, self.engine.chunks
        n = len(self)
        idf = {c: math.log(1.0 + (n - df + 0.5) / (df + 0.5))
               for c, df in self.engine.document_frequencies(codes).items() if df > 0}
        total = sum(idf.values())
        if not total:
            return [0.0] * len(rows)
        held = {int(r["pk"]): set(r["tokens"].split()) for r in client.get(name, ids=list(rows), output_fields=["tokens"])}
        return [sum(w for c, w in idf.items() if c in held.get(int(row), ())) / total for row in rows]

    def retrieve(self, question: str, k: int | None = None, *, query_vector: np.ndarray | None = None,
                 filters: "SearchFilter | None" = None) -> Retrieval:
        """Dense and BM25 rankings (filter applied in Milvus) fused by our weighted RRF; top-k hits."""
        cfg = self.settings.retrieval
        k = k or cfg.k
        if k < 1:
            raise InputError("k must be at least 1")
        question = to_simplified(question)
        t0 = time.perf_counter()
        qv = query_vector if query_vector is not None else self.embedder.embed_queries([question])[0]
        t1 = time.perf_counter()
        expr = filter_expression(filters)
        entities: dict[int, dict] = {}
        dense: list[tuple[int, float]] = []
        sparse: list[tuple[int, float]] = []
        if expr is not None:
            for r in self._search("vector", np.asarray(qv, dtype=np.float32).tolist(), cfg.candidates, expr,
                                  self._search_params):
                entities[int(r["pk"])] = r["entity"]
                dense.append((int(r["pk"]), float(r["distance"])))
        t2 = time.perf_counter()
        # A repeated query term counts once, as in sparse.Bm25Index.scores.
        tokens = list(dict.fromkeys(tokenize(question, cfg.user_dict)))
        if expr is not None and tokens:
            for r in self._search("sparse", encode_tokens(tokens), cfg.candidates, expr, BM25_PARAMS):
                entities.setdefault(int(r["pk"]), r["entity"])
                # The embedded edition reports BM25 as a negative distance (best first); the score is its size.
                sparse.append((int(r["pk"]), abs(float(r["distance"]))))
        t3 = time.perf_counter()
        # Without an up-to-date term table the fixed weights apply (said once when the index opened).
        coverage = (lambda rows: self.coverage(tokens, rows)) if self.terms_ok else None
        fused = fuse_retrievers(question, dense, sparse, cfg, coverage=coverage,
                                titles=lambda rows: {i: entities[i]["title"] for i in rows})
        fused = fused[:k]
        hits = [Hit(chunk=_chunk(entities[i]), score=s, rank=r, ranks=ranks, scores=scores)
                for r, (i, s, ranks, scores) in enumerate(fused, start=1)]
        t4 = time.perf_counter()
        timings = {"embed_ms": (t1 - t0) * 1e3, "dense_ms": (t2 - t1) * 1e3, "bm25_ms": (t3 - t2) * 1e3,
                   "fusion_ms": (t4 - t3) * 1e3, "retrieve_ms": (t4 - t0) * 1e3}
        return Retrieval(hits=hits, dense_top=dense[0][1] if dense else 0.0, timings=timings)

    def search(self, question: str, k: int | None = None, *, filters: "SearchFilter | None" = None) -> list[Hit]:
        """Top-k fused hits for a question."""
        return self.retrieve(question, k, filters=filters).hits


_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        logging.getLogger(__name__).warning(message)


def open_index(index_dir: Path, settings: "Settings", embedder: "Embedder | None" = None) -> MilvusIndex:
    """Open the Milvus index named by the settings (checks layout and, with an embedder, the model)."""
    index = MilvusIndex(Path(index_dir), settings, embedder)
    if embedder is not None:
        index.embedder  # noqa: B018 - raises IndexMismatchError early
    return index


# ---------------------------------------------------------------------------------------------
# Writing


class _Writer:
    """Inserts chunk rows in batches and writes each document's entry once all its chunks are in."""

    def __init__(self, coll: MilvusCollections, total: int, progress: Callable[[int, int], None] | None,
                 log: Callable[[str], None], signatures: dict | None = None) -> None:
        self.coll = coll
        self.signatures = signatures
        self.total = total
        self.progress = progress
        self.log = log
        self.done = 0
        self.rows: list[tuple[Chunk, list[str], tuple]] = []
        self.vectors: list[np.ndarray] = []
        self.pending: dict[str, tuple[dict, int]] = {}  # doc id -> (entry, chunks still to write)
        self.ready: dict[str, dict] = {}  # entries of documents without chunks, written with the next batch
        self.t0 = time.perf_counter()
        self.last_log = 0.0

    def expect(self, doc_id: str, entry: dict, n_chunks: int) -> None:
        if n_chunks == 0:
            self.ready[doc_id] = entry
        else:
            self.pending[doc_id] = (entry, n_chunks)

    def add(self, rows: list[tuple[Chunk, list[str], tuple]], vectors: np.ndarray) -> None:
        self.rows.extend(rows)
        self.vectors.extend(vectors)
        while len(self.rows) >= WRITE_BATCH:
            self._flush(WRITE_BATCH)

    def finish(self) -> None:
        while self.rows:
            self._flush(WRITE_BATCH)
        if self.ready:
            self.coll.put_documents(self.ready, self.signatures)
            self.ready = {}
        if self.pending:  # cannot happen unless a document's chunk count was miscounted
            raise RagError(f"Milvus write incomplete for {sorted(self.pending)[:3]}; run the command again")

    def _flush(self, n: int) -> None:
        rows, vecs = self.rows[:n], self.vectors[:n]
        del self.rows[:n], self.vectors[:n]
        self.coll.insert_chunks(rows, np.asarray(vecs, dtype=np.float32))
        finished, self.ready = self.ready, {}
        for c, _, _ in rows:
            entry, left = self.pending[c.doc_id]
            left -= 1
            if left:
                self.pending[c.doc_id] = (entry, left)
            else:
                finished[c.doc_id] = entry
                del self.pending[c.doc_id]
        if finished:
            self.coll.put_documents(finished, self.signatures)
        self.done += len(rows)
        now = time.perf_counter()
        if now - self.last_log > 5 or self.done >= self.total:
            self.last_log = now
            self.log(f"Milvus: {self.done}/{self.total} chunks written ({self.done / max(now - self.t0, 1e-9):.0f}/s)")


def update_index(paths: Iterable[str | Path], settings: "Settings", embedder: "Embedder", *,
                 index_dir: Path | None = None, rebuild: bool = False, log: Callable[[str], None] = lambda m: None,
                 progress: Callable[[int, int], None] | None = None,
                 replace: "bool | Collection[str]" = False, collection: str | None = None) -> IndexSummary:
    """``indexing.update_index`` on Milvus: same manifest semantics (source ownership, kept unreadable
    files, removal of what a scanned path no longer gives, publication dates, collections,
    near-duplicate groups), unchanged documents embed nothing."""
    import dataclasses

    from .dedup import signature
    from .indexing import _META_FIELDS, _date_fields, _default_years, _mark_duplicates, _same_source, refuse_clashes

    t0 = time.perf_counter()
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    paths = existing_paths(paths)
    summary = IndexSummary()
    chunking = chunk_settings(settings)
    with store.write_lock(index_dir, on_wait=log):
        coll = MilvusCollections(settings, index_dir)
        docs, skipped = read_valid_sources(paths, settings)
        summary.skipped = list(skipped)
        for path, reason in skipped:
            log(f"skipped {path}: {reason}")
        if rebuild:
            coll.drop()
        meta = coll.meta()
        where = f"{coll.chunks} at {coll.uri}"
        if meta is None:
            coll.create(embedder.model_id, embedder.dim, chunking)
        else:
            _check_meta(meta, embedder.model_id, chunking, where)
        old_signatures: dict = {}
        old_docs = coll.documents(old_signatures)
        scanned = [p.resolve() for p in paths]
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        docs, skipped = refuse_clashes(docs, old_docs, scanned, skipped, replace, summary, log)

        documents: dict[str, dict] = {}
        restamp: list[str] = []  # unchanged text, another date or collection: rows rewritten, not embedded
        fresh: list[tuple[str, dict, list[tuple[Chunk, list[str], tuple]]]] = []  # (doc id, entry, rows)
        seen = set()
        years = _default_years(docs)
        signatures: dict = {}
        for doc in docs:
            seen.add(doc.doc_id)
            h = content_hash(doc, chunking)
            prev = old_docs.get(doc.doc_id)
            source = os.path.abspath(doc.source) if doc.source else ""
            entry = {"title": doc.title, "source": source, "kind": doc.kind, "date": doc.date, "url": doc.url, "hash": h}
            entry.update(_date_fields(doc, years.get(doc.source), prev))
            entry["collection"] = doc.collection or collection or (prev.get("collection") if prev else None)
            if doc.date != entry["date"]:
                doc = dataclasses.replace(doc, date=entry["date"])
            if prev and not _same_source(prev.get("source", ""), source) and not _covered(prev.get("source", ""), scanned):
                summary.replaced.append((doc.doc_id, prev.get("source", "")))
            same = bool(prev) and prev["hash"] == h
            signatures[doc.doc_id] = (old_signatures[doc.doc_id] if same and doc.doc_id in old_signatures
                                      else signature(doc.text))
            documents[doc.doc_id] = entry
            if same:
                entry.update(title=prev.get("title", doc.title), added=prev.get("added", now), chunks=prev.get("chunks", 0))
                if any(prev.get(f) != entry.get(f) for f in ("date", "collection")):
                    restamp.append(doc.doc_id)
                summary.unchanged.append(doc.doc_id)
                continue
            chunks = prepare_document(doc, chunking["size"], chunking["overlap"])
            if doc.kind in LAYOUT_KINDS and chunks:
                entry["title"] = chunks[0].title
            doc_meta = (entry.get("date") or "", entry.get("collection") or "")
            rows = [(c, [sys.intern(t) for t in tokenize(indexed_text(c), settings.retrieval.user_dict)], doc_meta)
                    for c in chunks]
            entry.update(added=prev.get("added", now) if prev else now, chunks=len(chunks))
            if prev:
                entry["updated"] = now
            (summary.updated if prev else summary.added).append(doc.doc_id)
            fresh.append((doc.doc_id, entry, rows))
        unreadable = {os.path.abspath(path) for path, _ in skipped}
        for doc_id, prev in old_docs.items():
            if doc_id in seen:
                continue
            if prev.get("source") and os.path.abspath(prev["source"]) in unreadable:
                summary.kept.append(doc_id)
                log(f"kept the indexed version of {doc_id}: {prev['source']} could not be read this time")
            elif _covered(prev.get("source", ""), scanned):
                summary.removed.append(doc_id)
                continue
            documents[doc_id] = dict(prev)
            signatures[doc_id] = old_signatures.get(doc_id)
            if signatures[doc_id] is None:  # indexed before signatures were kept: from its chunks
                signatures[doc_id] = signature("".join(c.text for c in coll.chunks_where(filter_expression_docs([doc_id]))))
        _mark_duplicates(documents, signatures, settings.retrieval.duplicate_threshold)
        fresh_ids = {d for d, _, _ in fresh}
        # Entries of unchanged documents whose date, collection or duplicate group moved; new and
        # changed documents get theirs once their chunks are in.
        moved = {d: e for d, e in documents.items() if d not in fresh_ids
                 and any(old_docs.get(d, {}).get(f) != e.get(f) for f in _META_FIELDS + ("source", "kind", "url", "hash"))}
        if restamp:
            coll.restamp(restamp, documents)
        if moved:
            coll.put_documents(moved, signatures)
        if not summary.added and not summary.updated and not summary.removed and meta is not None:
            if coll.terms_state() != TERMS_OK:  # an index made before the term table, or a write stopped midway
                coll.begin_terms()
                coll.commit_terms(log)
            summary.chunks = coll.count()
            summary.unchanged.sort()
            summary.seconds = time.perf_counter() - t0
            return summary

        coll.begin_terms()
        if summary.removed:
            coll.delete_documents(summary.removed)
        # Old chunks of new-or-changed documents go first; a document whose entry is not yet
        # rewritten is redone by the next run if this one is killed.
        if meta is not None:
            coll.delete_chunks_of([d for d, _, _ in fresh])
        total = sum(len(rows) for _, _, rows in fresh)
        writer = _Writer(coll, total, None, log, signatures)
        for doc_id, _, rows in fresh:
            writer.expect(doc_id, documents[doc_id], len(rows))
        te = time.perf_counter()
        done = 0
        flat = [r for _, _, rows in fresh for r in rows]
        for i in range(0, len(flat), BATCH):
            part = flat[i:i + BATCH]

            def tick(n: int) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(done, total)

            vectors = embedder.embed_chunks([indexed_text(c) for c, _, _ in part], progress=tick)
            writer.add(part, vectors)
        writer.finish()
        summary.embed_seconds = time.perf_counter() - te
        coll.commit_terms(log)
        summary.embedded = total
        coll.client.flush(coll.chunks)
        summary.chunks = coll.count()
        coll.tune_dense_index(summary.chunks, log)
        summary.seconds = time.perf_counter() - t0
        return summary


def remove_documents(doc_ids: Iterable[str], settings: "Settings", *, index_dir: Path | None = None) -> list[str]:
    """Drop documents from the Milvus index; returns the ids removed."""
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    wanted = list(doc_ids)
    with store.write_lock(index_dir):
        coll = MilvusCollections(settings, index_dir)
        meta = coll.meta()
        if meta is None:
            raise IndexMissingError(f"no Milvus index {coll.chunks} at {coll.uri}; build one with `rag index PATH...`")
        docs = coll.documents()
        missing = [d for d in wanted if d not in docs]
        if missing:
            raise InputError(f"document {missing[0]!r} is not in the index {coll.chunks}; `rag docs` lists them")
        coll.begin_terms()
        coll.delete_documents(wanted)
        coll.commit_terms()
        coll.client.flush(coll.chunks)
    return wanted


@dataclass
class MigrationSummary:
    """What ``migrate_from_faiss`` copied."""

    documents: int
    chunks: int
    seconds: float
    uri: str
    collection: str

    def line(self) -> str:
        return (f"copied {self.documents} documents, {self.chunks} chunks into Milvus {self.collection} at {self.uri} "
                f"in {self.seconds:.1f}s (nothing embedded)")


def migrate_from_faiss(settings: "Settings", index_dir: Path | None = None, *, uri: str | None = None,
                       log: Callable[[str], None] = lambda m: None,
                       progress: Callable[[int, int], None] | None = None) -> MigrationSummary:
    """Copy the live FAISS generation (vectors.npy, chunk store, manifest) into Milvus, embedding nothing.

    The Milvus collections named by ``index.name`` are replaced. BM25 tokens come from the chunk
    store, so both backends rank with the same tokens.
    """
    from .indexing import _check_schema, _load_signatures

    t0 = time.perf_counter()
    index_dir = Path(index_dir or settings.paths.resolved_index_dir())
    with store.write_lock(index_dir, on_wait=log):
        gen = store.current_generation(index_dir)
        manifest = store.read_manifest(gen)
        _check_schema(manifest, index_dir)
        store.verify_files(gen, manifest.get("files", {}))
        db = store.ChunkStore(gen / "chunks.sqlite")
        vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        coll = MilvusCollections(settings, index_dir, uri=uri)
        if coll.exists():
            log(f"Milvus: replacing {coll.chunks} at {coll.uri}")
            coll.drop()
        coll.create(manifest["embedder"], int(manifest["dim"]), manifest["chunking"])
        coll.begin_terms()
        total = int(manifest["chunks"])
        writer = _Writer(coll, total, progress, log, _load_signatures(gen))
        for doc_id, entry in manifest["documents"].items():
            rows = db.rows_of(doc_id)
            writer.expect(doc_id, entry, len(rows))
            doc_meta = (entry.get("date") or "", entry.get("collection") or "")
            writer.add([(c, t, doc_meta) for _, c, t in rows], vectors[[r for r, _, _ in rows]] if rows else
                       np.zeros((0, int(manifest["dim"])), np.float32))
            if progress:
                progress(writer.done, total)
        writer.finish()
        coll.commit_terms(log)
        db.close()
        coll.client.flush(coll.chunks)
        n = coll.count()
        if n != total:
            raise IndexCorruptError(f"Milvus holds {n} chunks after copying {total}; run `rag migrate-milvus` again")
        coll.tune_dense_index(n, log)
    return MigrationSummary(documents=len(manifest["documents"]), chunks=n, seconds=time.perf_counter() - t0,
                            uri=coll.uri, collection=coll.chunks)
