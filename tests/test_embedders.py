"""One contract over every embedder (fake, and the real model on each runtime), plus the ONNX export rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rag.embedders import FakeEmbedder

QUESTION = "西宁空气质量优良天数比例是多少？"
RELEVANT = "西宁坚持生态优先，完成国土绿化面积12万亩，空气质量优良天数比例达到92.3%。"
IRRELEVANT = "青海省篮球联赛在西宁体育馆开幕，共有16支球队参赛，比赛将持续三个月。"
TEXTS = [
    "2024年西宁地区生产总值增长5.5%左右，城镇居民人均可支配收入达到43269元。全市接待游客3161.8万人次。",
    RELEVANT,
    IRRELEVANT,
    "《战国无双3》是由光荣和ω-force开发的战国无双系列的正统第三续作。本作以三大故事为主轴。" * 3,
    "短句。",
]
REAL_RUNTIMES = ["torch", "onnx", "onnx-int8"]


def _real(real_settings, runtime: str, **embedder):
    import copy

    from rag.embedders import make_embedder

    s = copy.deepcopy(real_settings)
    s.embedder.runtime = runtime
    for k, v in embedder.items():
        setattr(s.embedder, k, v)
    return make_embedder(s)


@pytest.fixture(scope="session")
def real_embedders(real_settings):
    """One loaded embedder per runtime, shared by the session (the ONNX exports happen once)."""
    cache: dict = {}

    def get(runtime: str):
        if runtime not in cache:
            cache[runtime] = _real(real_settings, runtime)
        return cache[runtime]

    return get


@pytest.fixture(params=["fake"] + [pytest.param(r, marks=pytest.mark.model) for r in REAL_RUNTIMES])
def embedder(request):
    if request.param == "fake":
        return FakeEmbedder()
    return request.getfixturevalue("real_embedders")(request.param)


def test_unit_norm_dim_dtype(embedder):
    v = embedder.embed_chunks(TEXTS)
    assert v.shape == (len(TEXTS), embedder.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    q = embedder.embed_queries([QUESTION])
    assert q.shape == (1, embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)


def test_empty_input(embedder):
    assert embedder.embed_chunks([]).shape == (0, embedder.dim)
    assert embedder.embed_queries([]).shape == (0, embedder.dim)


def test_deterministic(embedder):
    a = embedder.embed_chunks(TEXTS)
    b = embedder.embed_chunks(TEXTS)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_order_of_inputs_does_not_matter(embedder):
    # Length-sorted batching must put every vector back in its row.
    a = embedder.embed_chunks(TEXTS)
    b = embedder.embed_chunks(TEXTS[::-1])[::-1]
    assert float(np.min(np.sum(a * b, axis=1))) > 0.999


def test_progress_counts_every_chunk(embedder):
    seen = []
    embedder.embed_chunks(TEXTS, progress=seen.append)
    assert sum(seen) == len(TEXTS)


def test_relevant_chunk_ranks_first(embedder):
    q = embedder.embed_queries([QUESTION])[0]
    v = embedder.embed_chunks([IRRELEVANT, RELEVANT])
    assert v[1] @ q > v[0] @ q


def test_model_id_is_stable(embedder):
    assert isinstance(embedder.model_id, str) and embedder.model_id


@pytest.mark.model
@pytest.mark.parametrize("runtime", REAL_RUNTIMES)
def test_query_and_passage_prompts_are_applied(real_settings, real_embedders, runtime):
    emb = real_embedders(runtime)
    q = emb.embed_queries([QUESTION])
    p = emb.embed_chunks([QUESTION])
    assert float(q[0] @ p[0]) < 0.999  # "query: " and "passage: " give different vectors
    # An embedder whose passage prompt is the query prompt reproduces the query vector.
    same = _real(real_settings, runtime, passage_prompt=emb.query_prompt)
    assert float(same.embed_chunks([QUESTION])[0] @ q[0]) > 0.9999


@pytest.mark.model
def test_onnx_vectors_agree_with_torch(real_embedders):
    ref = real_embedders("torch").embed_chunks(TEXTS)
    fp32 = real_embedders("onnx").embed_chunks(TEXTS)
    int8 = real_embedders("onnx-int8").embed_chunks(TEXTS)
    # Measured: fp32 ONNX 0.99999+, int8 >= 0.996 on 300 CMRC chunks (bench/README.md).
    assert float(np.min(np.sum(ref * fp32, axis=1))) > 0.9999
    assert float(np.min(np.sum(ref * int8, axis=1))) > 0.98


@pytest.mark.model
def test_runtime_model_ids(real_embedders):
    base = real_embedders("torch").model_id
    assert real_embedders("onnx").model_id == base  # same vectors, same index
    assert real_embedders("onnx-int8").model_id == f"{base}@onnx-int8"  # an fp32 index is refused


@pytest.mark.model
def test_export_is_recorded_and_reused(real_settings, real_embedders):
    from rag.models import ensure_embedder
    from rag.onnx_embedder import ensure_onnx, export_is_current, onnx_file

    real_embedders("onnx-int8").embed_queries(["x"])
    folder = ensure_embedder(real_settings)
    assert export_is_current(folder, "onnx-int8")
    marker = json.loads(onnx_file(folder, "onnx-int8").with_suffix(".json").read_text(encoding="utf-8"))
    assert marker["agreement_min_cosine"] >= 0.98
    messages = []
    assert ensure_onnx(folder, "onnx-int8", log=messages.append) == onnx_file(folder, "onnx-int8")
    assert messages == []  # nothing exported the second time


# ------------------------------------------------------------------ without the real model


def test_int8_has_its_own_model_id(tmp_path):
    from rag.onnx_embedder import OnnxEmbedder

    folder = tmp_path / "multilingual-e5-small"
    assert OnnxEmbedder(folder, runtime="onnx-int8").model_id == "multilingual-e5-small@onnx-int8"
    assert OnnxEmbedder(folder, runtime="onnx").model_id == "multilingual-e5-small"


def test_unknown_runtime_is_a_config_error(settings, monkeypatch):
    import rag.models
    from rag.embedders import make_embedder
    from rag.errors import ConfigError

    monkeypatch.setattr(rag.models, "ensure_embedder", lambda s, log=None: "/nonexistent/model")
    settings.embedder.backend = "sentence-transformers"
    settings.embedder.runtime = "tensorrt"
    with pytest.raises(ConfigError, match="embedder.runtime"):
        make_embedder(settings)
    settings.embedder.runtime = "onnx-int8"
    settings.embedder.device = "cuda"
    with pytest.raises(ConfigError, match="CPU"):
        make_embedder(settings)


def test_missing_model_folder_is_reported(tmp_path):
    from rag.errors import ModelNotFoundError
    from rag.onnx_embedder import OnnxEmbedder

    with pytest.raises(ModelNotFoundError):
        OnnxEmbedder(tmp_path / "absent").embed_queries(["x"])


def test_export_marker_tracks_the_source_folder(tmp_path):
    from rag.onnx_embedder import EXPORT_VERSION, _fingerprint, export_is_current, onnx_file

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    target = onnx_file(folder, "onnx-int8")
    target.parent.mkdir()
    target.write_bytes(b"onnx")
    assert not export_is_current(folder, "onnx-int8")  # no marker: never used
    marker = {"export_version": EXPORT_VERSION, "runtime": "onnx-int8", "source": _fingerprint(folder), "size": 4}
    target.with_suffix(".json").write_text(json.dumps(marker), encoding="utf-8")
    assert export_is_current(folder, "onnx-int8")
    target.write_bytes(b"onnx, truncated or replaced")
    assert not export_is_current(folder, "onnx-int8")
    target.write_bytes(b"onnx")
    (folder / "config.json").write_text('{"changed": 1}', encoding="utf-8")
    assert not export_is_current(folder, "onnx-int8")  # the model changed: export again


def test_unsupported_layout_names_the_fix(tmp_path):
    from rag.errors import ModelError
    from rag.onnx_embedder import _model_layout

    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Dense", "type": "sentence_transformers.models.Dense"},
    ]), encoding="utf-8")
    with pytest.raises(ModelError, match='runtime = "torch"'):
        _model_layout(tmp_path)


def test_importing_embedders_stays_light():
    code = ("import sys, rag.embedders, rag.onnx_embedder, rag.dense; "
            "print(','.join(m for m in ('torch', 'onnxruntime', 'onnx', 'faiss', 'sentence_transformers', 'tokenizers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
