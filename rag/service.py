"""The service under the page and the CLI: one object that holds the pipeline and answers for it.

``RagService`` prepares the pipeline (``Pipeline.from_settings``, the construction evaluation
uses too), warms the model in the background, reports readiness and progress, adds, removes and
lists documents, answers, and records feedback. It returns data (dataclasses, dicts, ``Answer``),
never HTML: ``render.py`` turns that into markup and ``webapp.py`` wires it to Gradio events.

Uploads are a chain of small functions (``check_upload`` → ``save_upload`` → ``index_files``
→ ``drop_unreadable``) so that each rule (names, sizes, clashes, quotas) has one place to live.

Thread safety: the page calls the service from many threads. Readiness fields change under one
lock and are read as a frozen ``Readiness`` snapshot; knowledge-base changes run one at a time
(``_kb_lock``, on top of the index's own cross-process write lock); the switch to a new index
goes through ``Pipeline.reload_index``, under the pipeline's lock.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from .errors import IndexMissingError, InputError, ModelCrashedError, RagError

if TYPE_CHECKING:
    from .config import Settings
    from .indexing import Index, IndexSummary
    from .limits import UploadQuota
    from .pipeline import Pipeline
    from .types import Answer

log = logging.getLogger(__name__)

_MB = 1024 * 1024
# What the page says instead of a traceback; the traceback goes to the server log.
INTERNAL_ERROR = "内部错误，回答失败。请重试；如果问题持续，请查看服务器日志。"
# The warm-up's one question: any short text will do; it only has to follow the system prompt.
_WARM_UP_QUESTION = "你好"


# --------------------------------------------------------------------------------------------
# Data the service returns


@dataclass(frozen=True)
class Readiness:
    """A snapshot of preparation: done or not, what is happening, how far, what failed."""

    ready: bool
    status: str
    fraction: float | None = None
    error: str | None = None
    note: str = ""  # something to tell the user once ready (an empty knowledge base)

    def describe(self) -> str:
        """The status with its progress as a percentage when known (``正在建立索引 40%``)."""
        pct = f" {self.fraction:.0%}" if self.fraction and self.fraction < 1 else ""
        return f"{self.status}{pct}"


@dataclass(frozen=True)
class Status:
    """A chat event: the answer is not started yet (waiting for preparation, retrieving)."""

    message: str


@dataclass(frozen=True)
class Failure:
    """A chat event: answering failed; ``message`` is for the person asking (a ``RagError``'s text)."""

    message: str
    internal: bool = False  # an unexpected exception: details are in the log, not in the message


@dataclass(frozen=True)
class UploadReport:
    """What an upload did: document ids by outcome, the problems (Chinese, one per file or line)."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    chunks: int = 0  # chunks in the index afterwards
    seconds: float = 0.0
    indexed: bool = False  # whether any file reached the indexer
    replaced: tuple[str, ...] = ()  # documents the upload replaced because the user asked it to

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.replaced)


@dataclass(frozen=True)
class Removal:
    """One removed document, and whether its uploaded file was deleted with it."""

    doc_id: str
    title: str
    deleted_file: bool = False


# --------------------------------------------------------------------------------------------
# Uploads: small steps, each with one rule


def uploads_dir(settings: "Settings", user: str = "") -> Path:
    """Where uploaded files are kept (inside the data directory); a logged-in user's in their own folder.

    A document belongs to the file it came from (``indexing.source_clashes``), so one folder per
    user makes "an upload never replaces a document it did not create" hold between users too:
    re-uploading one's own file updates it; another user's file of the same name is a new file.
    """
    root = settings.paths.resolved_uploads_dir()
    if not user:
        return root
    from .sources import safe_filename

    # safe_filename keeps letters (Chinese too), digits and -_. ; the prefix keeps it a visible folder.
    return root / ("user-" + safe_filename(f"{user}.txt")[: -len(".txt")])


def gradio_cache_dir() -> Path:
    """Gradio's upload cache (GRADIO_TEMP_DIR, else the system temp folder's ``gradio``), as Gradio computes it."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def discard_cached(path: str | Path) -> None:
    """Delete Gradio's cached copy of an upload (and its folder when empty) once it is saved or refused.

    Gradio keeps every upload in its cache, downloadable through ``/gradio_api/file=`` for a day;
    the copy under ``DATA_DIR/uploads`` is the only one the app should keep. Paths outside the
    cache (the CLI, tests, the HTTP API with a server-side path) are never touched.
    """
    try:
        p = Path(path).resolve()
        if gradio_cache_dir() not in p.parents:
            return
        p.unlink(missing_ok=True)
        if p.parent != gradio_cache_dir() and not any(p.parent.iterdir()):
            p.parent.rmdir()
    except OSError:
        pass


def drop_records(path: str | Path, doc_ids: Sequence[str]) -> None:
    """Rewrite an uploaded JSONL file without the records of ``doc_ids`` (so a rebuild does not bring them back)."""
    import json

    p = Path(path)
    if p.suffix.lower() != ".jsonl" or not p.exists():
        return
    gone = set(doc_ids)
    kept = []
    for line in p.read_bytes().splitlines(keepends=True):
        try:
            record = json.loads(line)
            doc_id = str(record.get("doc_id", "")).strip() if isinstance(record, dict) else ""
        except ValueError:
            doc_id = ""
        if doc_id not in gone:
            kept.append(line)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".upload-", suffix=".jsonl")
    with os.fdopen(fd, "wb") as f:
        f.writelines(kept)
    os.replace(tmp, p)


def upload_source(f: Any) -> tuple[str, str]:
    """(path on disk, name the user gave) of one uploaded file: a path, or Gradio's file object."""
    path = f if isinstance(f, (str, Path)) else getattr(f, "name", None) or getattr(f, "path", "")
    original = getattr(f, "orig_name", None) or Path(str(path)).name
    return str(path), str(original)


def check_upload(path: str | Path, original_name: str, max_mb: int) -> str:
    """The storage name for an upload, or InputError in Chinese saying what is wrong with it."""
    from .sources import SUPPORTED, safe_filename

    shown = Path(str(original_name).replace("\\", "/")).name or str(original_name)
    # rpartition, not Path.suffix: a file named ".txt" is a text file without a name (stored as
    # upload.txt), not a hidden file without a type.
    _, dot, ext = shown.rpartition(".")
    suffix = "." + ext.strip().lower() if dot else ""
    if suffix not in SUPPORTED:
        raise InputError(f"{shown}：不支持的文件类型 {suffix or '（无扩展名）'}；"
                         f"支持的格式：{'、'.join(SUPPORTED)}")
    try:
        size = os.path.getsize(path)
    except OSError:
        raise InputError(f"{shown}：上传的文件无法读取，请重新上传") from None
    if size > max_mb * _MB:
        raise InputError(f"{shown}：文件大小 {size / _MB:.1f} MB，超过上限 {max_mb} MB（设置项 app.max_upload_mb）")
    if size == 0:
        raise InputError(f"{shown}：文件是空的")
    return safe_filename(str(original_name))


def save_upload(path: str | Path, original_name: str, settings: "Settings",
                taken: dict[str, str] | None = None, user: str = "") -> Path:
    """Copy an uploaded file into ``DATA_DIR/uploads`` (the user's folder) under a safe name; return where it is.

    ``taken`` maps document ids already in the index to their source: a name whose stem is the
    id of a document from elsewhere gets a ``-2``, ``-3``… suffix so that it cannot replace it.
    Re-uploading a file of the same name into the same folder replaces the earlier upload (an
    update of one's own document). Ids inside a JSONL file are checked by the indexer.
    """
    name = check_upload(path, original_name, settings.app.max_upload_mb)
    folder = uploads_dir(settings, user)
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
    taken = taken or {}
    i = 1
    dest = root / name
    while True:
        owner = taken.get(dest.stem)
        if owner is None or _same_path(owner, dest):
            break
        i += 1
        dest = root / f"{stem}-{i}{suffix}"
    if dest.parent != root:  # safe_filename never yields separators; refuse anything else anyway
        raise InputError(f"{original_name}：文件名无效")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=suffix)
    os.close(fd)
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)  # replaces a link itself, never what it points at
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def drop_unreadable(summary: "IndexSummary", saved: Sequence[Path], indexed_sources: Sequence[str] = ()) -> list[str]:
    """Chinese lines for what the indexer skipped; a saved upload it skipped whole is deleted.

    A file refused for reusing another document's id (``summary.refused``) goes too: left in
    the uploads folder it would make a rebuild from the sources fail on the duplicate id. So does
    a JSONL file whose every line was skipped (no document of ``indexed_sources`` comes from it):
    nothing of it is in the index, so nothing of it may stay.
    """
    problems = []
    refused = dict(getattr(summary, "refused", ()))
    for where, reason in summary.skipped:
        line = re.fullmatch(r"(.*):(\d+)", where)  # "file.jsonl:7": one bad line, the file stays
        path = Path(line.group(1) if line else where)
        if where in refused:
            zh = re.search(r"\((文档编号[^()]*)\)$", reason)
            problems.append(f"{path.name}：{zh.group(1) if zh else reason}；如需替换，请先删除原文档或选择替换")
        else:
            problems.append(f"{path.name}{f' 第 {line.group(2)} 行' if line else ''}：无法读取（{reason}）")
        if path in saved and (not line or not any(_same_path(src, path) for src in indexed_sources)):
            path.unlink(missing_ok=True)
    return problems


def is_upload(source: str, settings: "Settings") -> bool:
    """Whether a document's source file lies in the uploads folder (so removing it deletes the file)."""
    if not source:
        return False
    try:
        return uploads_dir(settings).resolve() in Path(source).resolve().parents
    except (OSError, ValueError):
        return False


def _in_folder(source: str, folder: Path) -> bool:
    try:
        return bool(source) and folder in Path(source).resolve().parents
    except (OSError, ValueError):
        return False


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


def example_questions(index: "Index | None", limit: int = 4) -> list[str]:
    """A few starter questions built from article titles in the index, one per document first."""
    if index is None:
        return []
    titles: list[str] = []
    per_doc: list[list[str]] = []
    try:
        for d in index.documents()[:20]:
            seen = []
            for c in index.chunks_of(d["doc_id"]):
                t = " ".join((c.title or "").split())
                if 4 <= len(t) <= 30 and not re.search(r"[<>&\"'`]", t) and t not in seen:
                    seen.append(t)
            per_doc.append(seen)
    except RagError:
        return []
    depth = 0
    while len(titles) < limit and any(len(p) > depth for p in per_doc):
        for p in per_doc:
            if len(p) > depth and p[depth] not in titles and len(titles) < limit:
                titles.append(p[depth])
        depth += 1
    return [f"「{t}」讲了什么？" for t in titles]


def warm_up_messages(system: str) -> list[dict]:
    """The warm-up's chat: the real system prompt, so its tokens stay in the model's prompt cache."""
    return [{"role": "system", "content": system}, {"role": "user", "content": _WARM_UP_QUESTION}]


# --------------------------------------------------------------------------------------------
# The service


class RagService:
    """Prepares and holds the pipeline; answers, manages documents, records feedback.

    ``RagService(settings).start()`` prepares in a background thread (installing models, indexing
    ``paths.sources`` on a first run, loading, warming up) while ``readiness()`` says how far it
    got. Given a ready ``pipeline`` the service is ready at once; ``warm_up`` (default: only when
    the service builds the pipeline itself) runs one short generation over the system prompt at
    ``start()``, so the first question does not pay for loading the model and prefilling it.
    """

    def __init__(self, settings: "Settings", pipeline: "Pipeline | None" = None, *, warm_up: bool | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.warm_up = pipeline is None if warm_up is None else warm_up
        self._log = log or log_info
        self._lock = threading.Lock()  # guards the readiness fields below
        self._ready = threading.Event()
        self._status, self._fraction, self._error, self._note = "启动中", None, None, ""
        self._kb_lock = threading.Lock()  # one knowledge-base change at a time in this process
        self._thread: threading.Thread | None = None
        self._index_only: "Index | None" = None
        self._embedder = None
        self.warm_ups = 0  # how many warm-up generations ran (tests and the log read it)
        if pipeline is not None and not self.warm_up:
            self._set("就绪", 1.0)
            self._ready.set()

    @classmethod
    def open(cls, settings: "Settings", log: Callable[[str], None] | None = None, *,
             model: bool = True) -> "RagService":
        """A ready service over the existing index (the CLI): errors (no index, no model) raise at once.

        ``model=False`` opens only the index, for commands that list or remove documents.
        """
        if model:
            from .pipeline import Pipeline

            return cls(settings, Pipeline.from_settings(settings, log=log or log_info), warm_up=False, log=log)
        from .indexing import open_index

        service = cls(settings, log=log)
        service._index_only = open_index(settings=settings)
        service._set("就绪", 1.0)
        service._ready.set()
        return service

    # ---- readiness ----------------------------------------------------------------------

    def start(self) -> None:
        """Begin preparing and warming up in the background (once; later calls do nothing)."""
        with self._lock:
            if self._thread is not None or self._ready.is_set():
                return
            self._thread = threading.Thread(target=self._prepare, name="rag-prepare", daemon=True)
        self._thread.start()

    def readiness(self) -> Readiness:
        """What the service is doing now (a consistent snapshot)."""
        with self._lock:
            return Readiness(self._ready.is_set(), self._status, self._fraction, self._error,
                             self._note if self.index is None else "")

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def error(self) -> str | None:
        with self._lock:
            return self._error

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until preparation has finished (well or not); False on timeout."""
        return self._ready.wait(timeout)

    def _set(self, status: str, fraction: float | None = None) -> None:
        with self._lock:
            self._status, self._fraction = status, fraction

    def _progress(self, label: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self._set(label, done / total if total else None)

        return report

    def _prepare(self) -> None:
        try:
            if self.pipeline is None:
                self.pipeline = self._build_pipeline()
            if self.warm_up:
                self._warm()
            self._set("就绪", 1.0)
        except RagError as e:
            with self._lock:
                self._error = str(e)
        except Exception as e:  # noqa: BLE001 - shown on the page; the traceback goes to the log
            log.exception("preparing the pipeline failed")
            with self._lock:
                self._error = f"{type(e).__name__}: {e}"
        finally:
            self._ready.set()

    def _build_pipeline(self) -> "Pipeline":
        """Install missing models, index the sources on a first run, open the pipeline."""
        from .embedders import make_embedder
        from .pipeline import Pipeline

        s = self.settings
        if s.embedder.backend == "sentence-transformers":
            from .models import ensure_embedder

            self._set("正在准备嵌入模型（首次运行需要安装，约一分钟）")
            ensure_embedder(s, log=self._log)
        if s.generator.backend == "llama-cpp":
            from .models import ensure_generator

            self._set("正在准备生成模型（首次运行需要组装模型文件，约一分钟）")
            ensure_generator(s, log=self._log, progress=self._progress("正在组装生成模型文件"))
        self._set("正在准备向量模型（首次运行需要转换为 ONNX，约一分钟）")
        embedder = self._embedder = make_embedder(s, log=self._log)
        try:
            pipeline = Pipeline.from_settings(s, log=self._log, embedder=embedder)
        except IndexMissingError:
            sources = [p for p in s.paths.sources if Path(p).exists()]
            if sources:
                self._set("正在建立索引（首次运行）", 0.0)
                self._update(sources, embedder, progress=self._progress("正在建立索引（首次运行）"))
            else:
                with self._lock:
                    self._note = "知识库还是空的：请在「知识库」页上传文档。"
            pipeline = Pipeline.from_settings(s, log=self._log, embedder=embedder, missing_index_ok=True)
        self._set("正在加载检索模型")
        if pipeline.index is not None:  # the first search loads the tokenizer's dictionary: do it now
            pipeline.index.retrieve("预热", 1)
        else:
            embedder.embed_queries(["预热"])
        return pipeline

    def _warm(self) -> None:
        """One short generation over the system prompt: loads the model and fills its prompt cache."""
        pipeline = self.pipeline
        assert pipeline is not None
        self._set("正在预热生成模型，让第一个问题也能很快回答")
        messages = warm_up_messages(pipeline.prompts.system("zh"))
        try:
            # 16, the smallest max_tokens the settings allow: the generation path every answer takes
            # (a 1-token call through llama-cpp-python was not seen to finish on a loaded machine).
            for _ in pipeline.generator.stream(messages, max_tokens=16):
                pass
        except ModelCrashedError as e:
            # The model process died and was restarted: the model itself is fine, only this warm-up
            # is lost, so the page opens and the first question pays for loading. Any other error
            # (a corrupt model file) fails preparation and is shown on the page.
            log.warning("the warm-up's model process crashed; continuing without a warm-up: %s", e)
            return
        self.warm_ups += 1

    # ---- documents ----------------------------------------------------------------------

    @property
    def index(self) -> "Index | None":
        """The live index (None while preparing, or while the knowledge base is empty)."""
        if self.pipeline is not None:
            return self.pipeline.index
        return self._index_only

    def index_dir(self) -> Path:
        index = self.index
        return Path(index.index_dir) if index is not None else self.settings.paths.resolved_index_dir()

    def embedder(self):
        """The embedder of the live index (or one made from the settings when there is none yet)."""
        index = self.index
        if index is not None:
            return index.embedder
        if self._embedder is None:
            from .embedders import make_embedder

            self._embedder = make_embedder(self.settings, log=self._log)
        return self._embedder

    def documents(self) -> list[dict]:
        """The documents in the index (as ``Index.documents``), each with ``uploaded``: True/False."""
        index = self.index
        if index is None:
            return []
        return [{**d, "uploaded": is_upload(d.get("source", ""), self.settings)} for d in index.documents()]

    def example_questions(self, limit: int = 4) -> list[str]:
        """Starter questions from the titles in the index."""
        return example_questions(self.index, limit)

    def index_files(self, paths: Sequence[str | Path], *, log: Callable[[str], None] | None = None,
                    **kw: Any) -> "IndexSummary":
        """Index files and folders into the live index (``update_index``'s options), then answer from it."""
        with self._kb_lock:
            summary = self._update(paths, self.embedder(), log=log or self._log, **kw)
            self._reload()
        return summary

    def _update(self, paths, embedder, **kw) -> "IndexSummary":
        from .indexing import update_index

        return update_index(paths, self.settings, embedder, index_dir=self.index_dir(), **kw)

    def _reload(self) -> None:
        """Answer from the newest generation of the index at once (under the pipeline's lock)."""
        if self.pipeline is not None:
            self.pipeline.reload_index(self.index_dir(), embedder=self.embedder())
        elif self._index_only is not None:
            from .indexing import open_index

            self._index_only = open_index(self._index_only.index_dir, self.settings)

    def add_documents(self, files: Sequence[Any], progress: Callable[..., Any] | None = None, *,
                      user: str = "", client: str = "", quota: "UploadQuota | None" = None,
                      replace: Sequence[str] = ()) -> UploadReport:
        """Save uploaded files into the uploads folder and index them; say what happened.

        ``progress(fraction_or_(done, total), desc=..., unit=...)`` is Gradio's progress shape.
        ``user`` (the login name, '' without login) picks the user's upload folder; ``quota``
        counts the files against ``user`` (or ``client``, the address) per hour. ``replace`` names
        documents (the user's own uploads) that these files replace: the only way an upload takes
        an id over. Raises InputError (Chinese) when nothing can be uploaded now (not ready, quota,
        a document that may not be replaced); per-file problems are in the report. Whatever
        fails, no file of this upload stays behind, in the uploads folder or in Gradio's cache.
        """
        self._check_ready_for_changes("上传")
        files = [f for f in (files or []) if f]
        sources = [upload_source(f) for f in files]
        try:
            if not files:
                raise InputError("请先选择要上传的文件")
            if quota is not None:
                quota.charge_files(f"user:{user}" if user else f"addr:{client or 'unknown'}", len(files))
            docs = self.documents()
            own = uploads_dir(self.settings, user).resolve()
            for doc_id in replace:
                d = next((d for d in docs if d["doc_id"] == doc_id), None)
                if d is None:
                    raise InputError(f"文档 {doc_id} 不在知识库中（可能已被删除），无法替换")
                if not _in_folder(d.get("source", ""), own):
                    raise InputError(f"《{d.get('title') or doc_id}》不是你上传的文档，不能被替换")
            taken = {d["doc_id"]: d.get("source", "") for d in docs}
            saved: list[Path] = []
            problems: list[str] = []
            for path, original in sources:
                try:
                    saved.append(save_upload(path, original, self.settings, taken, user=user))
                except InputError as e:
                    problems.append(str(e))
        finally:
            for path, _ in sources:
                discard_cached(path)
        if not saved:
            return UploadReport(problems=tuple(problems))
        if progress:
            progress(0.0, desc="正在读取和切分文档…")
        tick = None
        if progress:
            def tick(done: int, total: int) -> None:
                progress((done, total), desc="正在计算向量…", unit="块")
        try:
            summary = self.index_files(saved, progress=tick, replace=set(replace))
        except RagError as e:
            # Two records with one id, a full disk...: nothing was indexed, so nothing may stay.
            for p in saved:
                p.unlink(missing_ok=True)
            return UploadReport(problems=tuple(problems) + (f"上传失败，文件未保存：{e}",))
        problems += drop_unreadable(summary, saved, [d.get("source", "") for d in self.documents()])
        replaced = self._retire(replace, saved, docs) if replace else ()
        if progress:
            progress(1.0, desc="已切换到新索引")
        return UploadReport(tuple(summary.added), tuple(d for d in summary.updated if d not in replaced),
                            tuple(summary.unchanged), tuple(problems), summary.chunks, summary.seconds, indexed=True,
                            replaced=replaced)

    def _retire(self, doc_ids: Sequence[str], saved: Sequence[Path], before: list[dict]) -> tuple[str, ...]:
        """After a replacing upload: drop the replaced documents the new files did not give again,
        and their old files (or, in a JSONL file still in use, their records)."""
        from .indexing import remove_documents

        def new(source: str) -> bool:
            return any(_same_path(source, p) for p in saved)

        with self._kb_lock:
            old = {d["doc_id"]: d.get("source", "") for d in before if d["doc_id"] in doc_ids}
            now = {d["doc_id"]: d.get("source", "") for d in self.documents()}
            stale = [d for d in doc_ids if d in now and not new(now[d])]
            if stale:
                remove_documents(stale, self.settings, index_dir=self.index_dir())
                self._reload()
            left = {d.get("source") for d in self.documents()}
            for doc_id, source in old.items():
                if not source or new(source):
                    continue  # the same file uploaded again: it is the new version
                if source not in left:
                    Path(source).unlink(missing_ok=True)
                else:
                    drop_records(source, [doc_id])
        return tuple(doc_ids)

    def remove_document(self, doc_id: str) -> Removal:
        """Remove one document chosen on the page; InputError (Chinese) when it is not there."""
        self._check_ready_for_changes("删除")
        if not doc_id:
            raise InputError("请先选择要删除的文档")
        if doc_id not in {d["doc_id"] for d in self.documents()}:
            raise InputError(f"文档 {doc_id} 不在知识库中（可能已被删除）")
        return self.remove_documents([doc_id])[0]

    def remove_documents(self, doc_ids: Sequence[str]) -> list[Removal]:
        """Remove documents from the index, and their uploaded files when no document uses them any more."""
        from .indexing import remove_documents

        with self._kb_lock:
            docs = {d["doc_id"]: d for d in self.documents()}
            remove_documents(doc_ids, self.settings, index_dir=self.index_dir())
            self._reload()
            left = {d.get("source") for d in self.documents()}
            removals = []
            for doc_id in doc_ids:
                d = docs.get(doc_id, {})
                source = d.get("source", "")
                deleted = bool(d.get("uploaded")) and source not in left
                if deleted:
                    Path(source).unlink(missing_ok=True)
                elif d.get("uploaded"):  # one record of an uploaded JSONL: a rebuild must not bring it back
                    drop_records(source, [doc_id])
                removals.append(Removal(doc_id, d.get("title") or doc_id, deleted))
        return removals

    def _check_ready_for_changes(self, action: str) -> None:
        r = self.readiness()
        if not r.ready:
            raise InputError(f"模型/索引仍在准备中，请稍后再{action}")
        if r.error:
            raise InputError(f"模型/索引准备失败，无法{action}：{r.error}")

    # ---- answering ----------------------------------------------------------------------

    def _answering_pipeline(self) -> "Pipeline":
        r = self.readiness()
        if not r.ready:
            raise RagError(f"the models and index are still being prepared ({r.describe()}); try again later")
        if r.error or self.pipeline is None:
            raise RagError(f"the models or index failed to load: {r.error or 'no model was opened'}")
        return self.pipeline

    def stream(self, question: str, history: Sequence[dict] | None = None, **kw: Any) -> Iterator[str | "Answer"]:
        """Text deltas, then the final ``Answer`` (``Pipeline.stream``); library errors raise."""
        return self._answering_pipeline().stream(question, history, **kw)

    def ask(self, question: str, history: Sequence[dict] | None = None, **kw: Any) -> "Answer":
        """The final ``Answer`` for a question; library errors raise."""
        return self._answering_pipeline().ask(question, history, **kw)

    def answer(self, question: str, history: Sequence[dict] | None = None, *,
               poll_s: float = 0.5, **scope: Any) -> Iterator["Status | str | Answer | Failure"]:
        """The chat's events for one question: statuses while waiting, deltas, then an Answer or a Failure.

        ``scope`` goes to ``Pipeline.stream`` (``collections=[...]`` from the page's selector).

        Never raises for a failed answer: a ``RagError`` (a bad question, a model process that
        crashed and was restarted) becomes a ``Failure`` with its message, anything else a
        ``Failure`` saying so with the traceback in the log, and the service keeps serving.
        """
        if not self._ready.is_set():
            while not self._ready.wait(poll_s):
                yield Status(f"正在准备模型/索引…（{self.readiness().describe()}），准备好后会自动回答。")
        error = self.error
        if error or self.pipeline is None:
            yield Failure(f"模型/索引准备失败：{error or '模型未能加载'}")
            return
        yield Status("正在检索资料…")
        try:
            yield from self.pipeline.stream(question, history, **scope)
        except RagError as e:
            yield Failure(str(e))
        except Exception:  # noqa: BLE001 - never a traceback in the chat; it goes to the log
            log.exception("answering failed")
            yield Failure(INTERNAL_ERROR, internal=True)

    # ---- feedback -----------------------------------------------------------------------

    def feedback_path(self) -> Path:
        return Path(self.settings.app.feedback_file or Path(self.settings.paths.data_dir) / "feedback.jsonl")

    def record_feedback(self, answer: "Answer", rating: str, comment: str = "", *,
                        history: Sequence[dict] | None = None, user: str | None = None) -> dict:
        """Append a rating of an answer to the feedback file (``rag eval`` reads it); returns the record."""
        from .feedback import append_feedback, feedback_record

        record = feedback_record(answer, rating, comment, history=history, user=user)
        append_feedback(self.feedback_path(), record)
        return record


def log_info(message: str) -> None:
    """The default progress log: the ``rag.service`` logger (the page's server log)."""
    log.info(message)
