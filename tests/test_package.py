import subprocess
import sys


def test_import_rag_is_light():
    code = ("import sys, rag, rag.cli, rag.config, rag.pipeline, rag.indexing; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'llama_cpp', 'gradio') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_help_works():
    out = subprocess.run([sys.executable, "-m", "rag", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "index" in out.stdout and "ask" in out.stdout
