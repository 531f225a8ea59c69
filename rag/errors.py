"""Error classes whose messages are shown to the user as they are.

The library never prints or exits; the CLI turns a ``RagError`` into one line on stderr and a
non-zero exit status, the chat page into a visible message. Every message names the next action.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: the message is meant for the user and names what to do next."""


class ConfigError(RagError):
    """A setting is unknown, has the wrong type, or has an impossible value."""


class ModelNotFoundError(RagError):
    """A model file or folder is missing or unreadable; points to models/README.md."""

    def __init__(self, what: str, path: object, hint: str = "") -> None:
        msg = (
            f"{what} not found at {path}. Run `rag models install` for the default models, "
            f"or see models/README.md to bring another one."
        )
        if hint:
            msg += f" {hint}"
        super().__init__(msg)
        self.path = path


class ModelError(RagError):
    """A model file exists but cannot be used (corrupt, wrong checksum, wrong format)."""


class ModelCrashedError(ModelError):
    """The model's process died or hung mid-answer; it was restarted, so asking again works."""


class IndexMissingError(RagError):
    """No index at the given directory."""


class IndexMismatchError(RagError):
    """The index was built with another embedding model or an older schema."""


class IndexCorruptError(RagError):
    """An index file is truncated or damaged."""


class IndexLockedError(RagError):
    """Another process is writing to the same index."""


class InputError(RagError):
    """Bad input: names the argument and the limit it broke."""


class SourceError(RagError):
    """A source file cannot be read; the indexer skips it with a warning."""


class DuplicateDocumentError(RagError):
    """Two sources produce the same document id."""


class ContextOverflowError(RagError):
    """The prompt cannot fit the model's context window even with no chunks."""


class IndexUnreachableError(RagError):
    """The index server (Milvus) cannot be reached: down, wrong address, or a network fault."""


class IndexAuthError(RagError):
    """The index server refused the credentials (index.token / RAG_INDEX_TOKEN)."""


class MissingDependencyError(RagError, ImportError):
    """An optional package is not installed; the message gives the exact install command."""
