"""The real generator's ``continuation_logprobs``, kept on disk: re-judging saved runs without the model.

The confidence gate's question fit (``rag.confidence.question_fit``) asks the generator to score text,
so a saved run re-judged with a plain ``FakeGenerator`` would see no fit. ``ScoreCache`` serves
``continuation_logprobs`` from a JSON cache keyed by the messages and the text (give it to the fake as
``FakeGenerator(likelihood=cache.continuation_logprobs)``); a miss loads the real default generator (once)
and scores it, so the first re-judge of an archive costs model time (about 3.6 s per shown answer on 2
cores) and every later one costs none. Scores are deterministic for one GGUF,
so the cache names the model file it was filled with and refuses to mix two.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Sequence

# The scores of r30's re-judging, kept in git (gzipped, about 140 kB): ``runs/`` is not kept, and without
# them every new machine paid the model again for the same texts (r30: 248 answers, about 15 minutes).
ARCHIVED = Path(__file__).resolve().parents[1] / "eval" / "runs" / "model_scores.json.gz"


class ScoreCache:
    """``continuation_logprobs`` of the configured generator, memoised in ``path`` (JSON)."""

    def __init__(self, path: Path, settings=None, generator=None, archived: Path | None = ARCHIVED) -> None:
        self.path = Path(path)
        self.settings = settings
        self._gen = generator  # None: the configured one, made at the first miss
        self._dirty = 0
        # A new machine has no ``runs/``: a missing cache starts from the scores kept in git (``archived``).
        if self.path.exists():
            data = json.loads(self.path.read_text(encoding="utf-8"))
        elif archived is not None and Path(archived).exists():
            data = json.loads(gzip.decompress(Path(archived).read_bytes()).decode("utf-8"))
        else:
            data = {}
        self.model = data.get("model")
        self.scores: dict[str, list[float] | None] = data.get("scores", {})

    def _generator(self):
        if self._gen is None:
            from rag.config import load_settings
            from rag.generators import make_generator

            self._gen = make_generator(self.settings or load_settings(None))
        model = getattr(self._gen, "model_id", None)
        if self.model and model and model != self.model:
            raise SystemExit(f"{self.path} holds scores of {self.model}, not of {model}: use another cache")
        self.model = model
        return self._gen

    def continuation_logprobs(self, messages: Sequence[dict], text: str) -> list[float] | None:
        key = hashlib.sha1(json.dumps([list(map(dict, messages)), text], ensure_ascii=False,
                                      sort_keys=True).encode("utf-8")).hexdigest()
        if key not in self.scores:
            self.scores[key] = self._generator().continuation_logprobs(messages, text)
            self._dirty += 1
            if self._dirty % 50 == 0:
                self.save()
        return self.scores[key]

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"model": self.model, "scores": self.scores}), encoding="utf-8")

