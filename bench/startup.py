"""Start-up benchmark: seconds from ``python app.py`` to a page that answers.

Starts the real app as a subprocess (models installed, index built: run ``rag index`` first),
then drives the page in headless Chromium: t_page is when the page first loads, t_answer when a
seed question typed into it has a complete answer with a citation. Target: t_answer <= 15 s
(this includes loading both models, which the app starts in the background at launch).

    python bench/startup.py [--quick]      # --quick: fake backends (checks the script)
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import machine_info, write_result  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--question", default="市委十五届十二次全会听取和讨论市委常委会工作报告是在几月几日？")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(os.environ)
    cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    if args.quick:
        env["RAG_DATA_DIR"] = tempfile.mkdtemp()
        cmd += ["--backend", "fake"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            deadline = time.monotonic() + 300
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                    page.wait_for_selector("#rag-question textarea", timeout=10000)
                    break
                except Exception:  # noqa: BLE001 - server not up yet
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("app did not start")
                    time.sleep(0.2)
            t_page = time.perf_counter() - t0
            page.fill("#rag-question textarea", args.question)
            page.press("#rag-question textarea", "Enter")
            page.wait_for_selector("#rag-chat [data-testid=bot] a.rag-cite", timeout=300000)
            page.wait_for_selector("#rag-chat [data-testid=bot] .rag-meta", timeout=300000)
            t_answer = time.perf_counter() - t0
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    write_result("startup" + ("_quick" if args.quick else ""),
                 {"benchmark": "startup", "machine": machine_info(), "backend": "fake" if args.quick else "default",
                  "page_s": round(t_page, 2), "first_answer_s": round(t_answer, 2), "target_s": 15})


if __name__ == "__main__":
    main()
