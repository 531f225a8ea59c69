"""The answering model in a supervised child process, so a crash in native code cannot take the caller down.

``WorkerGenerator`` satisfies ``Generator`` and forwards every call to a child Python process
that builds the real generator once (from a picklable factory, for example
``functools.partial(LlamaCppGenerator, path, ...)``) and keeps it: consecutive questions go to the
same process, so llama-cpp-python's KV-cache prefix reuse (the system prompt computed once) still
works.

Why a plain subprocess (``python -c``) speaking ``multiprocessing.connection`` over a socketpair,
rather than ``multiprocessing``'s spawn context or llama.cpp's own HTTP server:

* spawn re-imports the parent's ``__main__`` script in the child (a script without a
  ``__name__`` guard would start again there); a ``-c`` child imports only ``rag``;
* the exit status of a ``Popen`` names the signal that killed the child (SIGSEGV, SIGABRT,
  SIGKILL from the OOM killer), which goes into the message;
* ``Connection`` gives framed, pickled messages and ``poll(timeout)``, which is all the
  supervision needs; no HTTP server, port or extra binary to build and keep in step.

Supervision: a child that dies, or sends nothing for ``timeout_s`` (a hang), is killed and the
caller gets ``ModelCrashedError``; a new child is started and loaded in the background, and the
next call waits for it. One call at a time (a lock): others wait their turn. A consumer that stops
iterating a stream (``GeneratorExit``: a person left or pressed stop) tells the child to stop; the
lock passes to the next caller as soon as the child confirms, or after ``cancel_grace_s`` the
child is killed and restarted.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .errors import ModelCrashedError, ModelError, RagError

log = logging.getLogger(__name__)

# The child notices a cancel between two tokens (~0.1 s at 10 tokens/s); only a long prompt still
# being read (prefill, ~18 ms a token on 2 cores) keeps it busy longer. Past 5 s a restart (~4 s to
# load the 1.1 GB GGUF) frees the model sooner than waiting for the rest of the prefill.
CANCEL_GRACE_S = 5.0
# Starting the interpreter and loading the model file (cold disk: tens of seconds) is not a hang.
MIN_LOAD_TIMEOUT_S = 120.0
# Token counts of repeated texts (system prompt, template, popular chunks) without a round trip.
COUNT_CACHE = 4096
# Set in the child's environment: fault-injecting fakes refuse to fault anywhere else.
CHILD_ENV = "RAG_WORKER_CHILD"

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)
_live: "weakref.WeakSet[WorkerGenerator]" = weakref.WeakSet()
_spawn_lock = threading.Lock()
_shutting_down = False


@atexit.register
def _stop_all() -> None:
    # Registered at import, so it runs before interpreter teardown; a restart thread caught
    # mid-spawn finishes under the lock and its child is killed here with the others.
    global _shutting_down
    with _spawn_lock:
        _shutting_down = True
    for worker in list(_live):
        proc = worker._proc  # no lock: a restart thread may hold it; it sees the EOF and stops quietly
        if proc is not None and proc.poll() is None:
            proc.kill()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    return f"exit status {code}"


def _crash_message(what: str) -> str:
    return f"the model process {what} and was restarted; ask again. 模型进程意外退出，已自动重启，请重试"


def _error_to_wire(e: BaseException) -> tuple[str, str, str]:
    return (type(e).__module__, type(e).__name__, str(e))


def _error_from_wire(wire: tuple[str, str, str]) -> Exception:
    """The child's exception as the same ``RagError`` class (message intact), or a ``ModelError``."""
    module, name, message = wire
    if module == "rag.errors":
        from . import errors

        cls = getattr(errors, name, None)
        if isinstance(cls, type) and issubclass(cls, RagError):
            e = cls.__new__(cls)  # some classes take other constructor arguments; keep the text only
            Exception.__init__(e, message)
            return e
    return ModelError(f"the model failed: {name}: {message}")


class WorkerGenerator:
    """Runs the generator built by ``factory`` in a supervised child process (see the module doc)."""

    def __init__(self, factory: Callable[[], Any], *, timeout_s: float = 300.0,
                 cancel_grace_s: float = CANCEL_GRACE_S) -> None:
        probe = factory()  # constructors only store settings: cheap, and gives model_id and n_ctx here
        self.factory = factory
        self.model_id: str = probe.model_id
        self.n_ctx: int = probe.n_ctx
        self.timeout_s = timeout_s
        self.cancel_grace_s = cancel_grace_s
        self.starts = 0
        self._restarting = False
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        _live.add(self)

    # ---------------------------------------------------------------- the Generator protocol

    def load(self) -> None:
        """Start the child and load the model now (a warm-up), instead of on the first question."""
        with self._lock:
            self._ready()

    def count_tokens(self, text: str) -> int:
        n = self._counts.get(text)
        if n is None:
            with self._lock:
                self._ready()
                self._send(("count", text))
                kind, value = self._recv(self.timeout_s)
            if kind == "error":
                raise _error_from_wire(value)
            n = int(value)
            if len(self._counts) >= COUNT_CACHE:
                self._counts.pop(next(iter(self._counts)))
            self._counts[text] = n
        return n

    def refusal_prob(self, messages: Sequence[dict], refusal: str) -> float | None:
        return self._score("refusal", messages, refusal)

    def continuation_logprobs(self, messages: Sequence[dict], text: str) -> list[float] | None:
        return self._score("logprobs", messages, text)

    def _score(self, kind: str, messages: Sequence[dict], text: str):
        """One scoring call of the child's generator (None when it has no such method)."""
        with self._lock:
            self._ready()
            self._send((kind, [dict(m) for m in messages], text))
            kind, value = self._recv(self.timeout_s)
        if kind == "error":
            raise _error_from_wire(value)
        return value

    def stream(self, messages: Sequence[dict], *, max_tokens: int = 256) -> Iterator[str]:
        self._lock.acquire()
        holding = True
        try:
            self._ready()
            self._send(("stream", [dict(m) for m in messages], max_tokens))
            while True:
                kind, value = self._recv(self.timeout_s)
                if kind == "delta":
                    try:
                        yield value
                    except BaseException:  # GeneratorExit: the consumer stopped listening
                        holding = False
                        self._cancel()  # hands the lock to a thread that releases it when the child is free
                        raise
                elif kind == "end":
                    return
                elif kind == "error":
                    raise _error_from_wire(value)
                else:
                    raise ModelError(f"the model process sent an unexpected {kind!r} message")
        finally:
            if holding:
                self._lock.release()

    # ---------------------------------------------------------------- supervision

    @property
    def restarts(self) -> int:
        """Children started after the first (each crash, hang or unanswered cancel starts one)."""
        return max(self.starts - 1, 0)

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it starts); tests kill it to simulate a crash."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def close(self) -> None:
        """Stop the child (it is restarted on the next call)."""
        self._discard(kill=True)

    def _ready(self) -> Connection:
        """The live child's connection, starting and loading one first if needed (lock held)."""
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            return self._conn
        self._discard(kill=True)
        with _spawn_lock:
            if _shutting_down:
                raise ModelError("the model process cannot start while the program exits")
            parent_end, child_end = socket.socketpair()
            env = dict(os.environ, **{CHILD_ENV: "1"})
            env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH")) if p)
            try:
                # stdout=2: anything native code prints must not mix into the caller's stdout (rag ask --json).
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", "import sys; from rag.worker import serve; serve(int(sys.argv[1]))",
                     str(child_end.fileno())],
                    pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL, stdout=2, env=env)
            finally:
                child_end.close()
            self._conn = Connection(parent_end.detach())
            self.starts += 1
        load_timeout = max(self.timeout_s, MIN_LOAD_TIMEOUT_S)
        for request in (("init", list(sys.path), self.factory), ("load",)):
            self._send(request)
            kind, value = self._recv(load_timeout)
            if kind == "error":  # a missing or corrupt model file, a bad setting: not a crash
                self._discard(kill=True)
                raise _error_from_wire(value)
        return self._conn

    def _send(self, msg: tuple) -> None:
        conn = self._conn
        if conn is None:
            self._crashed(self._exit_description())
        try:
            payload = pickle.dumps(msg)
        except (pickle.PicklingError, AttributeError, TypeError) as e:
            self._discard(kill=True)
            raise ModelError(f"cannot send {msg[0]!r} to the model process: {e} (a generator factory must be "
                             f"picklable: a module-level class or function with plain arguments)") from None
        try:
            conn.send_bytes(payload)
        except (OSError, ValueError):
            self._crashed(self._exit_description())

    def _recv(self, timeout_s: float) -> tuple[str, Any]:
        conn = self._conn
        try:
            if conn is None:
                raise EOFError
            if not conn.poll(timeout_s):
                self._crashed(f"sent nothing for {timeout_s:g} s (hung)")
            return conn.recv()
        except (EOFError, OSError):
            self._crashed(self._exit_description())
            raise  # not reached: _crashed raises

    def _exit_description(self) -> str:
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(5)
            except subprocess.TimeoutExpired:
                code = None
        return f"exited unexpectedly ({_describe_exit(code)})" if code is not None else "stopped answering"

    def _crashed(self, what: str) -> None:
        self._discard(kill=True)
        # Info, not warning: the error raised below carries the same text to whoever shows it.
        log.info("model process %s; restarting it", what)
        if not self._restarting:  # a restart that crashes too is not retried in a loop
            self._restart_soon()
        raise ModelCrashedError(_crash_message(what))

    def _discard(self, kill: bool) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if kill and proc.poll() is None:
                proc.kill()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                log.warning("model process %s did not exit after SIGKILL", proc.pid)

    def _restart_soon(self) -> None:
        """Start and load a new child in the background; the next caller waits for it on the lock."""

        def restart() -> None:
            with self._lock:
                if self._proc is not None or _shutting_down:
                    return
                self._restarting = True
                try:
                    self._ready()
                except Exception as e:  # noqa: BLE001 - the next call starts one itself and reports why
                    if not _shutting_down:
                        log.warning("restarting the model process failed: %s", e)
                finally:
                    self._restarting = False

        try:
            threading.Thread(target=restart, name="model-worker-restart", daemon=True).start()
        except RuntimeError:  # interpreter shutting down: nobody will ask again
            pass

    def _cancel(self) -> None:
        """Tell the child to stop streaming; release the lock once it has (the caller holds it)."""
        conn, proc = self._conn, self._proc

        def drain() -> None:
            restart = False
            try:
                deadline = time.monotonic() + self.cancel_grace_s
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0 or not conn.poll(left):
                        log.warning("model process did not stop within %.1f s of a cancel; restarting it",
                                    self.cancel_grace_s)
                        restart = True
                        break
                    if conn.recv()[0] in ("end", "cancelled", "error"):
                        break
            except (EOFError, OSError):
                restart = True
            finally:
                if restart and self._proc is proc:
                    self._discard(kill=True)
                self._lock.release()
            if restart:
                self._restart_soon()

        try:
            conn.send(("cancel",))
            threading.Thread(target=drain, name="model-worker-cancel", daemon=True).start()
        except (OSError, ValueError, AttributeError, RuntimeError):
            # A dead child, or no threads at interpreter exit: stop it here instead.
            self._discard(kill=True)
            self._lock.release()


# -------------------------------------------------------------------- the child process


def serve(fd: int) -> None:
    """The child's loop: build the generator, then answer load / count / stream requests in order."""
    # Ctrl-C in a terminal reaches the whole process group: the parent decides, the child stays quiet.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a native crash must not leave GBs of core files
    except (ImportError, ValueError, OSError):
        pass
    conn = Connection(fd)
    generator: Any = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        kind = msg[0]
        try:
            if kind == "init":
                sys.path[:] = msg[1] + [p for p in sys.path if p not in msg[1]]
                generator = msg[2]()
                conn.send(("ok", None))
            elif kind == "load":
                load = getattr(generator, "load", None)
                if callable(load):
                    load()
                conn.send(("ok", None))
            elif kind == "count":
                conn.send(("ok", generator.count_tokens(msg[1])))
            elif kind == "stream":
                _stream(conn, generator, msg[1], msg[2])
            elif kind in ("refusal", "logprobs"):
                score = getattr(generator, "refusal_prob" if kind == "refusal" else "continuation_logprobs", None)
                conn.send(("ok", score(msg[1], msg[2]) if callable(score) else None))
            # a "cancel" that arrives after its stream ended needs no answer
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as e:  # noqa: BLE001 - every failure goes back to the caller, typed
            try:
                conn.send(("error", _error_to_wire(e)))
            except OSError:
                return


def _stream(conn: Connection, generator: Any, messages: list[dict], max_tokens: int) -> None:
    parts = generator.stream(messages, max_tokens=max_tokens)
    try:
        for delta in parts:
            # Between two tokens: has the caller stopped listening? (poll is one cheap syscall)
            if conn.poll() and conn.recv()[0] == "cancel":
                conn.send(("cancelled", None))
                return
            conn.send(("delta", delta))
        conn.send(("end", None))
    finally:
        close = getattr(parts, "close", None)
        if callable(close):
            close()  # stops llama.cpp's generation and releases the inner generator's lock
