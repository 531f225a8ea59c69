"""Thumbs up/down from the chat page, appended to a JSONL file that doubles as a question file.

Each line holds the question (and the conversation before it, as ``history``) in the shape
``rag eval`` reads, plus what the user judged: the answer, its citations, the rating, an
optional comment and the time. Feeding the file back to ``rag eval`` replays the questions
users rated, which is how a bad answer becomes a regression test.
"""

from __future__ import annotations

import fcntl
import json
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .types import Answer

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000

# One lock per process for threads; flock on the file for several processes sharing it.
_LOCK = threading.Lock()


def feedback_record(answer: "Answer", rating: str, comment: str = "", *, history: Sequence[dict] | None = None,
                    user: str | None = None) -> dict[str, Any]:
    """The JSON object stored for one rating of one answer."""
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
    record: dict[str, Any] = {
        "id": f"fb-{time.strftime('%Y%m%d')}-{uuid.uuid4().hex[:10]}",
        "question": answer.question,
    }
    if history:
        record["history"] = [{"role": m["role"], "content": m["content"]} for m in history]
    record.update({
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {"n": c.n, "doc_id": c.chunk.doc_id, "chunk_id": c.chunk.chunk_id, "title": c.chunk.title,
             "span": list(c.span), "quote": c.chunk.text[c.span[0]:c.span[1]], "support": round(c.support, 4),
             "inferred": c.inferred}
            for c in answer.citations
        ],
        "rating": rating,
        "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    })
    if user:
        record["user"] = user
    return record


def append_feedback(path: str | Path, record: dict[str, Any]) -> None:
    """Append one record as a JSON line (UTF-8, readable Chinese), creating the file if needed."""
    if not isinstance(record, dict) or not str(record.get("question", "")).strip():
        raise ValueError("a feedback record needs a non-empty 'question'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    with _LOCK, open(path, "a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(line)
            f.flush()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read_feedback(path: str | Path) -> list[dict[str, Any]]:
    """All records of a feedback file, in order (blank lines ignored)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out
