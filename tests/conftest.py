"""Shared fixtures: a tiny Chinese corpus, settings under tmp_path, fake backends, real models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

CORPUS = {
    "econ.txt": "西宁经济稳步增长\n\n2024年西宁地区生产总值增长5.5%左右，城镇居民人均可支配收入达到43269元。\n全市接待游客3161.8万人次。",
    "eco.txt": "生态保护取得新成效\n\n西宁坚持生态优先，完成国土绿化面积12万亩，空气质量优良天数比例达到92.3%。",
    "sport.md": "# 篮球联赛开幕\n\n青海省篮球联赛在西宁体育馆开幕，共有16支球队参赛，比赛将持续三个月。",
}


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    for name, text in CORPUS.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture
def settings(tmp_path: Path):
    from rag.config import load_settings

    return load_settings(env={}, overrides={
        "paths": {"data_dir": str(tmp_path / "data"), "index_dir": str(tmp_path / "data" / "index")},
        "embedder": {"backend": "fake"},
        "generator": {"backend": "fake"},
        "answer": {"min_relevance": 0.0},
    })


@pytest.fixture
def fake_embedder():
    from rag.embedders import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture
def fake_index(corpus_dir, settings, fake_embedder):
    from rag.indexing import open_index, update_index

    update_index([corpus_dir], settings, fake_embedder)
    return open_index(settings=settings, embedder=fake_embedder)


@pytest.fixture
def make_pipeline(fake_index, settings):
    from rag.generators import FakeGenerator
    from rag.pipeline import Pipeline

    def make(script=None, **kw):
        return Pipeline(fake_index, FakeGenerator(script, **kw), settings)

    return make


# Real default models: loaded once per session, only by tests marked `model`.

@pytest.fixture
def verified_draft():
    """A check's input from an answer verified against one chunk: ``(question, answer, text) -> Draft``."""
    from rag.citations import check_answer
    from rag.grounding import Draft
    from rag.types import Chunk

    def make(question: str, answer: str, text: str) -> "Draft":
        chunk = Chunk(chunk_id="c1", doc_id="d1", text=text, start=0, end=len(text), title="t")
        return Draft(question, check_answer(answer, [chunk], 0.45, question=question).verified)

    return make


@pytest.fixture
def held_draft():
    """A check's input whose one sentence, ``answer``, holds a citation of the whole chunk ``text``
    (for checks that read the supporting chunks, whatever the support score would be)."""
    from rag.grounding import Draft
    from rag.types import Chunk, Citation, Sentence

    def make(question: str, answer: str, text: str, title: str = "t") -> "Draft":
        chunk = Chunk(chunk_id="c1", doc_id="d1", text=text, start=0, end=len(text), title=title)
        held = Citation(n=1, chunk=chunk, span=(0, len(text)), support=0.8, holds=True)
        sentence = Sentence(text=answer, cited=(1,), support=0.8, verdict="supported", citations=(held,))
        return Draft(question, (sentence,), opening=lambda c: "", preceding=lambda c: "")

    return make


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    from rag.config import load_settings

    data = tmp_path_factory.mktemp("real")
    models = os.environ.get("RAG_TEST_MODELS_DIR", str(ROOT / "data" / "models"))
    return load_settings(env={}, overrides={"paths": {"data_dir": str(data), "index_dir": str(data / "index"),
                                                      "models_dir": models}})


@pytest.fixture(scope="session")
def real_embedder(real_settings):
    from rag.embedders import make_embedder

    return make_embedder(real_settings)


@pytest.fixture(scope="session")
def real_index(real_settings, real_embedder):
    from rag.indexing import open_index, update_index

    update_index([SEEDS], real_settings, real_embedder)
    return open_index(settings=real_settings, embedder=real_embedder)


@pytest.fixture(scope="session")
def real_pipeline(real_settings, real_index):
    from rag.generators import make_generator
    from rag.pipeline import Pipeline

    return Pipeline(real_index, make_generator(real_settings), real_settings)
