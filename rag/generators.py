"""Answer generators: llama-cpp-python (default), any OpenAI-compatible server, and a scripted fake.

Each satisfies ``Generator``: ``stream(messages, ...)`` yields text deltas and ``count_tokens``
measures text in the model's own tokens (the prompt budget depends on it). One model instance is
shared by every thread; generation is serialised by a lock, so a second caller waits its turn
instead of failing, and a caller that arrives while the model loads waits for the load.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator, Protocol, Sequence

from .errors import ConfigError, ModelError, ModelNotFoundError, RagError

if TYPE_CHECKING:
    from .config import Settings

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


class Generator(Protocol):
    """Streams a chat answer."""

    model_id: str
    n_ctx: int

    def stream(self, messages: Sequence[Message], *, max_tokens: int) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...

    # Optional: ``refusal_prob(messages, refusal)``, the model's probability of answering the
    # prompt with the refusal sentence (0-1), or None when the generator cannot tell (a server);
    # ``continuation_logprobs(messages, text)``, the log-probability of each token of ``text`` as
    # the reply (the confidence gate's question fit), or None likewise.


class FakeGenerator:
    """Replays scripted replies and records the messages it received.

    ``script`` is a list of replies used in order, or a function of the messages. With no script
    it answers with the sentence of source 1 that shares most characters with the question,
    followed by ``[1]`` (or the refusal sentence when the prompt holds no sources), which is
    enough to drive the page and the CLI in tests.
    """

    model_id = "fake-generator"
    KEEP_CALLS = 1000

    def __init__(self, script: Sequence[str] | Callable[[Sequence[Message]], str] | None = None,
                 n_ctx: int = 4096, delay_s: float = 0.0,
                 doubt: float | Callable[[Sequence[Message]], float] | None = None,
                 likelihood: Sequence[float] | Callable[[Sequence[Message], str], list[float] | None] | None = None,
                 ) -> None:
        self.script = list(script) if isinstance(script, (list, tuple)) else script
        self.n_ctx = n_ctx
        self.delay_s = delay_s
        # What refusal_prob reports: a fixed value, a function of the messages, or None (no signal).
        self.doubt = doubt
        # What continuation_logprobs reports: fixed scores, a function of the messages and the text,
        # or None (no scores).
        self.likelihood = likelihood
        self.calls: list[list[Message]] = []
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        # Roughly what a BPE tokenizer does: one token per CJK character, one per Latin word.
        return len(re.findall(r"[\u3400-\u9fff]|[A-Za-z]+|\d+|\S", text))

    def _reply(self, messages: Sequence[Message]) -> str:
        if callable(self.script):
            return self.script(messages)
        if self.script:
            return self.script.pop(0)
        user = messages[-1]["content"]
        m = re.search(r'编号="1"[^>]*>\n(.*?)\n</资料>', user, re.S)
        if not m:
            from .prompting import load_prompts

            return load_prompts().refusal("zh")
        # A tiny extractive reader: the sentence of source 1 sharing most characters with the question.
        q = re.search(r"^(?:问题：|Question: )(.*)$", user, re.M)
        asked = set(q.group(1)) if q else set()
        from .chunking import split_sentences  # the package's one splitter, as the checks use it

        body = m.group(1)
        sentences = [body[a:b].strip() for a, b in split_sentences(body) if body[a:b].strip()]
        best = max(sentences, key=lambda x: (len(asked & set(x)), -sentences.index(x)))
        return best.rstrip("。！？!?") + "。[1]"

    def refusal_prob(self, messages: Sequence[Message], refusal: str) -> float | None:
        return self.doubt(messages) if callable(self.doubt) else self.doubt

    def continuation_logprobs(self, messages: Sequence[Message], text: str) -> list[float] | None:
        if callable(self.likelihood):
            return self.likelihood(messages, text)
        return None if self.likelihood is None else list(self.likelihood)

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 256) -> Iterator[str]:
        with self._lock:
            self.calls.append([dict(m) for m in messages])
            if len(self.calls) > self.KEEP_CALLS:  # a demo server runs for days: keep the recent ones
                del self.calls[0]
            reply = self._reply(messages)
            for i in range(0, len(reply), 4):
                if self.delay_s:
                    time.sleep(self.delay_s)
                yield reply[i : i + 4]


# A question containing this word makes a fault-injecting fake fail; every other question is answered.
FAULT_MARKER = "FAULT"


class FaultyGenerator(FakeGenerator):
    """Test facility: a ``FakeGenerator`` whose process crashes or hangs mid-answer.

    When the last message contains ``marker`` it yields ``after`` deltas, then ``fault``:
    ``crash`` (SIGSEGV, as a fault in native code), ``abort`` (``os.abort()``, SIGABRT) or
    ``hang`` (sleeps forever). It only runs inside a model worker process (``rag.worker``): inline it
    would take the caller down, which is what the worker exists to prevent.
    """

    model_id = "fake-faulty-generator"

    def __init__(self, fault: str = "crash", *, after: int = 2, marker: str = FAULT_MARKER, **kw) -> None:
        from .worker import CHILD_ENV

        if fault not in ("crash", "abort", "hang"):
            raise ConfigError(f"unknown fault {fault!r}; use crash, abort or hang")
        super().__init__(**kw)
        self.fault, self.after, self.marker = fault, after, marker
        self._armed_here = os.environ.get(CHILD_ENV) == "1"

    def _fail(self) -> None:
        if not self._armed_here:
            raise ConfigError("fault-injecting generators run only in a model worker process "
                              "(generator.isolation = process)")
        if self.fault == "crash":
            import signal

            os.kill(os.getpid(), signal.SIGSEGV)
        elif self.fault == "abort":
            os.abort()
        while True:
            time.sleep(3600)

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 256) -> Iterator[str]:
        armed = bool(messages) and self.marker in messages[-1]["content"]
        n = 0
        for n, delta in enumerate(super().stream(messages, max_tokens=max_tokens), start=1):
            yield delta
            if armed and n >= self.after:
                self._fail()
        if armed:  # a reply shorter than `after` deltas
            self._fail()


class LlamaCppGenerator:
    """A GGUF chat model run in-process by llama-cpp-python.

    Messages go to ``create_chat_completion`` so the chat template inside the GGUF formats them.
    llama-cpp-python keeps the KV cache of the previous prompt and reuses its longest common
    prefix, so a fixed system prompt at the start of every conversation is computed only once.
    """

    def __init__(self, path: str, *, n_ctx: int = 4096, threads: int = 2, temperature: float = 0.0,
                 seed: int = 0) -> None:
        self.path = str(path)
        self.n_ctx = n_ctx
        self.threads = threads
        self.temperature = temperature
        self.seed = seed
        self.model_id = os.path.basename(self.path)
        self._llm = None
        self._formatter = None  # the GGUF's chat template, for refusal_prob
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    def load(self):
        """Load the model once; concurrent callers wait for the same load."""
        with self._load_lock:
            if self._llm is None:
                if not os.path.isfile(self.path):
                    raise ModelNotFoundError("GGUF model file", self.path)
                with open(self.path, "rb") as f:
                    if f.read(4) != b"GGUF":
                        raise ModelError(f"{self.path} is not a GGUF file (corrupt or wrong format); "
                                         f"reinstall it with `rag models install` or see models/README.md")
                try:
                    # Imported here: llama_cpp loads a native library and would slow `import rag`.
                    from llama_cpp import Llama
                except ImportError as e:
                    raise ModelError("llama-cpp-python is not installed: pip install llama-cpp-python") from e
                try:
                    llm = Llama(model_path=self.path, n_ctx=self.n_ctx, n_threads=self.threads,
                                n_threads_batch=self.threads, seed=self.seed, verbose=False)
                except Exception as e:  # noqa: BLE001 - llama.cpp reports a bad file as ValueError
                    raise ModelError(f"cannot load GGUF model {self.path}: {e}; the file may be corrupt "
                                     f"(see models/README.md)") from e
                train = llm.metadata.get(f"{llm.metadata.get('general.architecture', '')}.context_length")
                if train and self.n_ctx > int(train):
                    raise ConfigError(f"setting generator.n_ctx={self.n_ctx} exceeds what {self.model_id} was "
                                      f"trained for ({train}); lower generator.n_ctx")
                self._llm = llm
        return self._llm

    def count_tokens(self, text: str) -> int:
        llm = self.load()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 256) -> Iterator[str]:
        llm = self.load()
        with self._run_lock:
            chunks = llm.create_chat_completion(messages=list(messages), max_tokens=max_tokens,
                                                temperature=self.temperature, seed=self.seed, stream=True)
            for part in chunks:
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta


    def refusal_prob(self, messages: Sequence[Message], refusal: str) -> float | None:
        """The model's probability of answering ``messages`` with the ``refusal`` sentence.

        Called right after ``stream`` on the same messages, so the prompt is still in the KV cache:
        only the refusal's own tokens (about 8) are evaluated, in one batch with a logit row for
        each, which costs about one decode step instead of a second prefill. It is the product of
        the refusal tokens' probabilities given the prompt, a cheap measure of how near the model
        was to refusing when it answered (issue 13: a signal that does not depend on patterns).
        """
        import math

        logp = self.continuation_logprobs(messages, refusal)
        return None if logp is None else math.exp(sum(logp))

    def continuation_logprobs(self, messages: Sequence[Message], text: str) -> list[float] | None:
        """The log-probability of each token of ``text`` as the assistant's reply to ``messages``.

        The prompt is rendered with the GGUF's own chat template, as ``create_chat_completion``
        does, and evaluated only from the first token that differs from the KV cache; the reply's
        tokens go in one batch with a logit row for each. llama-cpp-python 0.3 keeps logits only
        with ``logits_all`` (which would allocate a row per context token on every call), so this
        uses its context and batch objects directly. None when the template or the text is empty.
        """
        import numpy as np

        llm = self.load()
        with self._run_lock:
            prompt = self._prompt_tokens(llm, messages)
            target = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            if not prompt or not target:
                return None
            n = len(prompt)
            cached = 0
            limit = min(llm.n_tokens, n - 1)
            ids = llm.input_ids
            while cached < limit and ids[cached] == prompt[cached]:
                cached += 1
            llm.n_tokens = cached
            if cached < n - 1:
                llm.eval(prompt[cached : n - 1])  # not cached (a direct call): evaluate the prompt
            batch = [prompt[-1]] + target[:-1]
            llm._ctx.kv_cache_seq_rm(-1, n - 1, -1)
            llm._batch.set_batch(batch=batch, n_past=n - 1, logits_all=True)
            llm._ctx.decode(llm._batch)
            rows = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(len(batch) * llm.n_vocab(),))
            logits = rows.reshape(len(batch), -1).astype(np.float64)
            llm.input_ids[n - 1 : n - 1 + len(batch)] = batch
            llm.n_tokens = n - 1 + len(batch)
        top = logits.max(axis=1, keepdims=True)
        logp = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        return [float(logp[i, t]) for i, t in enumerate(target)]

    def _prompt_tokens(self, llm, messages: Sequence[Message]) -> list[int]:
        if self._formatter is None:  # compiling the Jinja template once, not on every answer
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                return []
            eos, bos = llm.token_eos(), llm.token_bos()
            self._formatter = Jinja2ChatFormatter(template=template, stop_token_ids=[eos],
                                                  eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                                                  bos_token=llm._model.token_get_text(bos) if bos != -1 else "")
        r = self._formatter(messages=list(messages))
        return llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)


class OpenAIGenerator:
    """Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama, a hosted endpoint).

    Uses the standard library so the default install needs no HTTP client. Token counts are
    estimated (the server's tokenizer is not available here), with a safety margin in budgeting.
    """

    def __init__(self, base_url: str, model: str, *, api_key: str = "", n_ctx: int = 4096,
                 temperature: float = 0.0, seed: int = 0, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_id = model
        self.api_key = api_key
        self.n_ctx = n_ctx
        self.temperature = temperature
        self.seed = seed
        self.timeout_s = timeout_s

    def count_tokens(self, text: str) -> int:
        # Qwen-style BPE: about one token per CJK character and per short Latin word; overestimate.
        return int(len(re.findall(r"[\u3400-\u9fff]|[A-Za-z]+|\d{1,3}|\S", text)) * 1.1) + 1

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 256) -> Iterator[str]:
        import urllib.error
        import urllib.request

        body = json.dumps({"model": self.model_id, "messages": list(messages), "max_tokens": max_tokens,
                           "temperature": self.temperature, "seed": self.seed, "stream": True}).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(f"{self.base_url}/chat/completions", data=body, headers=headers)
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout_s)  # noqa: S310 - URL from settings
        except (urllib.error.URLError, OSError) as e:
            raise RagError(f"cannot reach the generator server at {self.base_url} ({e}); check generator.base_url "
                           f"and that the server is running") from None
        with resp:
            for raw in resp:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                except (json.JSONDecodeError, KeyError, IndexError):
                    continue
                if delta:
                    yield delta


def make_generator(settings: "Settings", log: Callable[[str], None] = lambda m: None) -> Generator:
    """The generator the settings ask for (the only place generator backends are chosen).

    With ``generator.isolation = process`` (``auto``: for llama-cpp and the fault fakes) the
    generator runs in a supervised child process (``rag.worker.WorkerGenerator``): a crash or hang
    in native code becomes a ``ModelCrashedError`` for one question instead of the end of the
    program. The fault fakes always run there.
    """
    from functools import partial

    cfg = settings.generator
    factory: Callable[[], Generator]
    match cfg.backend:
        case "fake":
            factory = partial(FakeGenerator, n_ctx=cfg.n_ctx)
        case "fake-crash" | "fake-hang":
            factory = partial(FaultyGenerator, cfg.backend.removeprefix("fake-"), n_ctx=cfg.n_ctx)
        case "openai":
            factory = partial(OpenAIGenerator, cfg.base_url, cfg.model, api_key=cfg.api_key, n_ctx=cfg.n_ctx,
                              temperature=cfg.temperature, seed=cfg.seed, timeout_s=cfg.timeout_s)
        case "llama-cpp":
            from .models import ensure_generator

            path = ensure_generator(settings, log=log)  # here, once: the child only opens the file
            factory = partial(LlamaCppGenerator, str(path), n_ctx=cfg.n_ctx, threads=cfg.threads,
                              temperature=cfg.temperature, seed=cfg.seed)
        case _:
            raise ConfigError(f"unknown generator backend {cfg.backend!r}")
    # The worker passes a socket to its child (POSIX only); on Windows `auto` stays in-process.
    isolated = cfg.isolation == "process" or cfg.backend.startswith("fake-") or (
        cfg.isolation == "auto" and cfg.backend == "llama-cpp" and os.name == "posix")
    if not isolated:
        return factory()
    from .worker import WorkerGenerator

    return WorkerGenerator(factory, timeout_s=cfg.worker_timeout_s)
