"""The on-disk index: generation folders, the manifest, the SQLite chunk store, and the lock.

Layout of an index directory::

    INDEX_DIR/CURRENT          name of the live generation (replaced atomically)
    INDEX_DIR/gen-<stamp>/     manifest.json, chunks.sqlite, vectors.npy, dense.faiss, bm25_*
    INDEX_DIR/.lock            held by the one process that writes

A writer builds a complete new generation beside the live one and then swaps ``CURRENT`` with
``os.replace``, which is atomic on POSIX. A kill at any point leaves either the old or the new
generation live, never a mix; leftovers are removed by the next writer.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import IndexCorruptError, IndexLockedError, IndexMissingError, RagError
from .types import Chunk

# 2: a JSONL record without a title no longer gets its doc id as title (the id was prefixed to
# every chunk's embedded text and BM25 tokens), so indexes of version 1 must be rebuilt.
SCHEMA_VERSION = 2
# Files up to this size are verified by sha256 on open; larger ones by size only, because hashing
# gigabytes of vectors on every start would cost more than it protects.
HASH_LIMIT = 64 * 1024 * 1024


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe_files(gen_dir: Path) -> dict[str, dict[str, Any]]:
    """Size (and hash for small files) of every data file, recorded in the manifest."""
    out = {}
    for p in sorted(gen_dir.iterdir()):
        if p.name == "manifest.json" or not p.is_file():
            continue
        size = p.stat().st_size
        entry: dict[str, Any] = {"size": size}
        if size <= HASH_LIMIT:
            entry["sha256"] = file_digest(p)
        out[p.name] = entry
    return out


def verify_files(gen_dir: Path, files: dict[str, dict[str, Any]]) -> None:
    """Raise IndexCorruptError if any data file is missing, truncated or altered."""
    for name, entry in files.items():
        p = gen_dir / name
        if not p.exists():
            raise IndexCorruptError(f"index file {p} is missing; run `rag index --rebuild`")
        if p.stat().st_size != entry["size"]:
            raise IndexCorruptError(f"index file {p} is truncated or changed; run `rag index --rebuild`")
        if "sha256" in entry and file_digest(p) != entry["sha256"]:
            raise IndexCorruptError(f"index file {p} is corrupted (checksum mismatch); run `rag index --rebuild`")


def current_generation(index_dir: Path) -> Path:
    """The live generation folder, or IndexMissingError."""
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        raise IndexMissingError(f"no index at {index_dir}; build one with `rag index PATH... --index {index_dir}`")
    name = pointer.read_text(encoding="utf-8").strip()
    gen = index_dir / name
    if not name or "/" in name or not gen.is_dir():
        raise IndexCorruptError(f"index at {index_dir} points at a missing generation {name!r}; run `rag index --rebuild`")
    return gen


def live_name(index_dir: Path) -> str | None:
    """The name ``CURRENT`` points at now, or None: one small read, cheap enough before every question."""
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def read_manifest(gen_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"index manifest {gen_dir / 'manifest.json'} is missing; run `rag index --rebuild`") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IndexCorruptError(f"index manifest {gen_dir / 'manifest.json'} is damaged; run `rag index --rebuild`") from None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


_WRITE_FIXES = {
    errno.ENOSPC: ("disk full", "free some space and run the command again"),
    errno.EDQUOT: ("disk full (quota exceeded)", "free some space and run the command again"),
    errno.EROFS: ("read-only file system", "point --index, RAG_INDEX_DIR or paths.index_dir at a writable folder"),
    errno.EACCES: ("permission denied", "fix the folder's permissions or point --index at a writable folder"),
    errno.EPERM: ("permission denied", "fix the folder's permissions or point --index at a writable folder"),
}


def write_failure(exc: BaseException, index_dir: Path) -> RagError | None:
    """A one-line error for a failed index write (disk full, read-only...), or None for other errors.

    OSError carries an errno; SQLite and FAISS report the same conditions as text only.
    """
    code = exc.errno if isinstance(exc, OSError) else None
    if isinstance(exc, (sqlite3.OperationalError, RuntimeError)):
        text = str(exc).lower()
        if "disk is full" in text or os.strerror(errno.ENOSPC).lower() in text:
            code = errno.ENOSPC
        elif "readonly" in text or os.strerror(errno.EROFS).lower() in text:
            code = errno.EROFS
        elif os.strerror(errno.EACCES).lower() in text:
            code = errno.EACCES
        else:
            return None
    elif not isinstance(exc, OSError):
        return None
    what, fix = _WRITE_FIXES.get(code, (getattr(exc, "strerror", None) or str(exc),
                                        "check the disk and run the command again"))
    return RagError(f"cannot write the index in {index_dir}: {what}; {fix}. The previous index is unchanged.")


def new_generation_dir(index_dir: Path) -> Path:
    """A fresh, empty temporary folder for a generation under construction."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    tmp = index_dir / f".tmp-gen-{stamp}"
    tmp.mkdir()
    return tmp


def publish_generation(index_dir: Path, tmp_dir: Path) -> Path:
    """Make a complete generation live: fsync, rename into place, swap CURRENT, drop old ones."""
    for p in tmp_dir.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(tmp_dir)
    final = index_dir / tmp_dir.name.replace(".tmp-", "", 1)
    os.rename(tmp_dir, final)
    pointer_tmp = index_dir / "CURRENT.tmp"
    try:
        with open(pointer_tmp, "w", encoding="utf-8") as f:
            f.write(final.name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer_tmp, index_dir / "CURRENT")
    except BaseException:
        # CURRENT still names the old generation: the new one is an orphan, drop it now.
        shutil.rmtree(final, ignore_errors=True)
        pointer_tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(index_dir)
    cleanup(index_dir)
    return final


def cleanup(index_dir: Path) -> None:
    """Remove unfinished and superseded generations (only called while holding the lock)."""
    try:
        live = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        live = ""
    for p in index_dir.iterdir():
        if p.is_dir() and (p.name.startswith(".tmp-gen-") or (p.name.startswith("gen-") and p.name != live)):
            shutil.rmtree(p, ignore_errors=True)
    (index_dir / "CURRENT.tmp").unlink(missing_ok=True)  # a writer killed before its swap


@contextmanager
def write_lock(index_dir: Path, timeout_s: float = 600.0, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index's write lock; a second writer waits up to ``timeout_s`` and then refuses."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        f = open(index_dir / ".lock", "a+")
    except OSError as e:
        raise (write_failure(e, index_dir) or e) from e
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait(f"another process is writing to {index_dir}; waiting for it to finish")
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexLockedError(
                            f"index {index_dir} is locked by another indexing process; try again when it finishes"
                        ) from None
                    time.sleep(0.2)
        yield
    finally:
        try:
            fcntl.flock(f, fcntl.LOCK_UN)
        finally:
            f.close()


class ChunkStore:
    """Chunks and their BM25 tokens in SQLite, addressed by row number (= FAISS id)."""

    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise IndexCorruptError(f"chunk store {path} is missing; run `rag index --rebuild`")
        uri = f"file:{path}?mode={'rwc' if create else 'ro'}"
        # check_same_thread=False: the chat page searches from worker threads; reads only.
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        if create:
            self._db.execute("PRAGMA journal_mode=OFF")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute(
                "CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT, doc_id TEXT, title TEXT, date TEXT,"
                " start INTEGER, end INTEGER, text TEXT, tokens TEXT)"
            )

    def add(self, rows: list[tuple[int, Chunk, list[str]]]) -> None:
        self._db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
            [(r, c.chunk_id, c.doc_id, c.title, c.date, c.start, c.end, c.text, "\t".join(t)) for r, c, t in rows],
        )

    def commit(self) -> None:
        self._db.execute("CREATE INDEX IF NOT EXISTS by_doc ON chunks(doc_id)")
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def count(self) -> int:
        try:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        except sqlite3.DatabaseError as e:
            raise IndexCorruptError(f"chunk store {self.path} is damaged ({e}); run `rag index --rebuild`") from None

    @staticmethod
    def _chunk(r: tuple) -> Chunk:
        return Chunk(chunk_id=r[0], doc_id=r[1], title=r[2], date=r[3], start=r[4], end=r[5], text=r[6])

    def get(self, rows: list[int]) -> dict[int, Chunk]:
        if not rows:
            return {}
        q = ",".join("?" * len(rows))
        cur = self._db.execute(
            f"SELECT row, chunk_id, doc_id, title, date, start, end, text FROM chunks WHERE row IN ({q})", rows
        )
        return {r[0]: self._chunk(r[1:]) for r in cur}

    def titles(self, rows: list[int]) -> dict[int, str]:
        if not rows:
            return {}
        q = ",".join("?" * len(rows))
        return dict(self._db.execute(f"SELECT row, title FROM chunks WHERE row IN ({q})", rows).fetchall())

    def rows_of(self, doc_id: str) -> list[tuple[int, Chunk, list[str]]]:
        cur = self._db.execute(
            "SELECT row, chunk_id, doc_id, title, date, start, end, text, tokens FROM chunks WHERE doc_id=? ORDER BY row",
            (doc_id,),
        )
        return [(r[0], self._chunk(r[1:8]), r[8].split("\t") if r[8] else []) for r in cur]

    def doc_ids(self) -> list[str]:
        """The document id of every row, in row order (what a SearchFilter mask is built from)."""
        return [d for (d,) in self._db.execute("SELECT doc_id FROM chunks ORDER BY row")]

    def iter_tokens(self) -> Iterator[list[str]]:
        for (t,) in self._db.execute("SELECT tokens FROM chunks ORDER BY row"):
            yield t.split("\t") if t else []

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [c for _, c, _ in self.rows_of(doc_id)]

    def document_chars(self, doc_id: str) -> int:
        """How long a document's cleaned text is: where its last chunk ends (0 when unknown)."""
        (end,) = self._db.execute("SELECT MAX(end) FROM chunks WHERE doc_id=?", (doc_id,)).fetchone()
        return int(end or 0)

    def article_opening(self, doc_id: str, title: str, chars: int) -> str:
        """The first ``chars`` characters of an article (its chunks in order, overlaps included)."""
        out: list[str] = []
        size = 0
        for (text,) in self._db.execute("SELECT text FROM chunks WHERE doc_id=? AND title=? ORDER BY start",
                                        (doc_id, title)):
            out.append(text)
            size += len(text)
            if size >= chars:
                break
        return "\n".join(out)[:chars]
