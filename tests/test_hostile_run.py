"""The hostile-use probes stay alive: ``eval/hostile/run.py --quick`` runs every probe and finds nothing.

The quick run starts the real page twice (``app.py --backend fake`` without login, ``rag.webapp``
with one), tries a few of each probe (traversal, hostile names, bad files, XSS in Chromium, 16
concurrent questions, 100 MB bodies, origins, quotas, routes without login, wrong passwords) and
SIGKILLs ``rag index`` three times. The full round's figures are in eval/results/hostile.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_quick_hostile_round_finds_no_failure(tmp_path):
    out = tmp_path / "hostile.json"
    run = subprocess.run([sys.executable, str(ROOT / "eval" / "hostile" / "run.py"), "--quick", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.exists(), run.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    failures = {name: p["failure_examples"] for name, p in result["probes"].items() if p["failed"]}
    assert failures == {} and run.returncode == 0, (failures, run.stderr[-2000:])
    expected = {"path_traversal", "hostile_file_names", "bad_files", "xss", "concurrent_questions",
                "large_bodies_no_login_page", "foreign_origins", "upload_quota_files", "upload_quota_bytes",
                "routes_without_login", "large_bodies_login_page", "wrong_passwords", "kill_9_indexing"}
    assert set(result["probes"]) == expected
    # Every probe tried something (the XSS probe only where Chromium is installed).
    assert all(p["tried"] > 0 for name, p in result["probes"].items() if not p.get("skipped"))
