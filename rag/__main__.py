"""``python -m rag`` is the same as ``rag``."""

from .cli import main

raise SystemExit(main())
