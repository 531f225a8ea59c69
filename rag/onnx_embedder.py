"""ONNX Runtime embedder: the sentence-transformers folder exported once to ONNX, optionally int8.

Why: on our 2-core CPUs, ONNX Runtime with BERT-fused operators (Attention, SkipLayerNorm,
BiasGelu) and dynamically quantised int8 weights embeds chunks 2.5-6x faster than
sentence-transformers on torch fp32 (the spread is CPU contention), and its vectors keep a cosine
of >= 0.995 with the fp32 ones (``bench/index.py``, ``tests/test_embedders.py``). Retrieval on
CMRC moved by less than half a point; on the seeds one question of 86 moved up (``bench/README.md``).

The export runs once per model folder, on first use, under a file lock, into
``<model folder>/onnx/``: torch.onnx export of transformer + pooling + L2 normalisation ->
onnxruntime's BERT fusion -> (int8) dynamic quantisation with per-channel weight scales (per-tensor
scales cost about a point of cosine). Each file is written beside its final name and renamed into
place, with a marker recording the source folder's fingerprint, so a half-written or outdated
export is never used. The export needs torch and transformers (installed with
sentence-transformers); embedding needs only onnxruntime and tokenizers, so a process that only
searches never imports torch.

Dynamic int8 quantises activations per batch, so a chunk's vector depends slightly on the other
chunks in its batch (cosine >= 0.997 between a chunk embedded alone and in a batch of 32); the same
inputs give the same vectors.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .errors import ModelError, ModelNotFoundError

# Bumped whenever the export recipe changes, so older exports are redone on next use.
EXPORT_VERSION = 1
RUNTIMES = ("onnx", "onnx-int8")
# An export whose vectors disagree more than this with sentence-transformers' own (torch fp32)
# is refused: it means the architecture is not one the fused export handles (fp32 measured
# 0.99999, int8 0.995 on multilingual-e5-small).
MIN_AGREEMENT = {"onnx": 0.999, "onnx-int8": 0.98}
# Texts for the agreement check: Chinese news-like sentences, one long enough to exercise padding.
_CHECK_TEXTS = [
    "2024年西宁地区生产总值增长5.5%左右，城镇居民人均可支配收入达到43269元。",
    "青海省篮球联赛在西宁体育馆开幕，共有16支球队参赛，比赛将持续三个月。",
    "西宁坚持生态优先，完成国土绿化面积12万亩，空气质量优良天数比例达到92.3%。" * 6,
    "What is the capital of France?",
]

Log = Callable[[str], None]


def _no_log(message: str) -> None:
    pass


def onnx_file(model_dir: str | Path, runtime: str) -> Path:
    """Where the export for ``runtime`` lives inside the sentence-transformers folder."""
    name = {"onnx": "rag-fused.onnx", "onnx-int8": "rag-fused-qint8.onnx"}[runtime]
    return Path(model_dir) / "onnx" / name


def _marker(path: Path) -> Path:
    return path.with_suffix(".json")


def _fingerprint(model_dir: Path) -> dict[str, list[int]]:
    """(size, mtime) of the files an export is made from; a change means the export is stale."""
    out = {}
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json", "modules.json",
                 "sentence_bert_config.json", "1_Pooling/config.json"):
        p = model_dir / name
        if p.is_file():
            st = p.stat()
            out[name] = [st.st_size, st.st_mtime_ns]
    return out


def export_is_current(model_dir: str | Path, runtime: str) -> bool:
    """Whether a finished export for ``runtime`` matches the model folder as it is now."""
    path = onnx_file(model_dir, runtime)
    try:
        marker = json.loads(_marker(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (marker.get("export_version") == EXPORT_VERSION and marker.get("runtime") == runtime
            and marker.get("source") == _fingerprint(Path(model_dir))
            and path.is_file() and path.stat().st_size == marker.get("size"))


@contextmanager
def _export_lock(folder: Path) -> Iterator[None]:
    # A second process asking for the same export waits, then finds it done.
    with open(folder / ".export.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read_json(path: Path, default: object = None):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _model_layout(model_dir: Path) -> dict:
    """Pooling, normalisation and sequence length of a Transformer+Pooling(+Normalize) folder."""
    modules = _read_json(model_dir / "modules.json", [])
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or any(k not in ("Pooling", "Normalize") for k in kinds[1:]):
        raise ModelError(
            f"{model_dir} has modules {kinds}; the ONNX runtime handles Transformer + Pooling (+ Normalize) "
            f"models only. Set embedder.runtime = \"torch\"."
        )
    pooling = "mean"
    for m in modules:
        if m.get("type", "").endswith("Pooling"):
            cfg = _read_json(model_dir / m.get("path", "") / "config.json", {})
            if cfg.get("pooling_mode_cls_token"):
                pooling = "cls"
            elif not cfg.get("pooling_mode_mean_tokens", True):
                raise ModelError(f"{model_dir}: only mean or CLS pooling can be exported; set embedder.runtime = \"torch\".")
    config = _read_json(model_dir / "config.json", {})
    st_cfg = _read_json(model_dir / "sentence_bert_config.json", {})
    max_len = int(st_cfg.get("max_seq_length") or config.get("max_position_embeddings", 512))
    return {"pooling": pooling, "max_seq_length": min(max_len, int(config.get("max_position_embeddings", max_len))),
            "num_heads": int(config.get("num_attention_heads", 0)), "hidden_size": int(config.get("hidden_size", 0)),
            "model_type": config.get("model_type", "")}


def _export_fp32(model_dir: Path, out: Path, layout: dict) -> None:
    """torch.onnx export (transformer + pooling + L2 norm), then onnxruntime's BERT fusion."""
    # torch and transformers are needed for the export only, hence imported here.
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, the pattern onnxruntime fuses into Attention.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()
    cls_pooling = layout["pooling"] == "cls"

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            h = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if cls_pooling:
                v = h[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(h.dtype)
                v = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=1)

    raw = out.with_name(out.stem + "-raw.onnx")
    ids = torch.ones(2, 16, dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        # The TorchScript exporter (dynamo=False) yields the op pattern the BERT fusion recognises.
        torch.onnx.export(
            Pooled(model), (ids, torch.ones_like(ids)), str(raw), input_names=["input_ids", "attention_mask"],
            output_names=["embedding"], opset_version=17, do_constant_folding=True, dynamo=False,
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "embedding": {0: "batch"}},
        )
    del model
    from onnxruntime.transformers import optimizer

    if layout["model_type"] == "bert" and layout["num_heads"] and layout["hidden_size"]:
        fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=layout["num_heads"],
                                         hidden_size=layout["hidden_size"], opt_level=1)
        fused.save_model_to_file(str(out))
        raw.unlink()
    else:  # other architectures run unfused (still correct, less fast)
        os.replace(raw, out)


def _quantize_int8(src: Path, dst: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False,
                     # the fused ops (from the com.microsoft domain) defeat ONNX shape inference
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _agreement(model_dir: Path, path: Path, layout: dict, threads: int) -> float:
    """Smallest cosine between this export's vectors and sentence-transformers' on the check texts."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    ref = st.encode(_CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    del st
    emb = OnnxEmbedder(model_dir, runtime="onnx", onnx_path=path, query_prompt="", passage_prompt="", threads=threads,
                       max_seq_length=layout["max_seq_length"])
    got = emb.embed_chunks(_CHECK_TEXTS)
    return float(np.min(np.sum(ref * got, axis=1)))


def ensure_onnx(model_dir: str | Path, runtime: str, log: Log = _no_log, threads: int = 1) -> Path:
    """The ONNX file for ``runtime`` (``onnx`` or ``onnx-int8``), exported on first use (idempotent)."""
    model_dir = Path(model_dir)
    if runtime not in RUNTIMES:
        raise ModelError(f"unknown ONNX runtime {runtime!r}; use one of {', '.join(RUNTIMES)}")
    target = onnx_file(model_dir, runtime)
    if export_is_current(model_dir, runtime):
        return target
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise ModelError(
            f"embedder.runtime = \"{runtime}\" needs onnxruntime and onnx: `pip install onnxruntime onnx`, "
            f"or set embedder.runtime = \"torch\""
        ) from None
    layout = _model_layout(model_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        (target.parent / ".export.lock").touch()
    except OSError as e:
        raise ModelError(f"cannot write the ONNX export into {target.parent} ({e}); make the model folder writable "
                         f"or set embedder.runtime = \"torch\"") from None
    with _export_lock(target.parent):
        if export_is_current(model_dir, runtime):  # another process finished it while we waited
            return target
        log(f"First use of embedder.runtime={runtime}: exporting {model_dir.name} to {target} "
            f"(a minute or two, once).")
        t0 = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
        try:
            fp32 = tmp / "fused.onnx"
            _export_fp32(model_dir, fp32, layout)
            made = fp32
            if runtime == "onnx-int8":
                made = tmp / "fused-qint8.onnx"
                _quantize_int8(fp32, made)
            agreement = _agreement(model_dir, made, layout, threads)
            if agreement < MIN_AGREEMENT[runtime]:
                raise ModelError(
                    f"the {runtime} export of {model_dir} disagrees with the original model (cosine {agreement:.3f} "
                    f"< {MIN_AGREEMENT[runtime]}); this architecture is not supported by the ONNX runtime. "
                    f"Set embedder.runtime = \"torch\"."
                )
            os.chmod(made, 0o644)
            os.replace(made, target)
            marker = {"export_version": EXPORT_VERSION, "runtime": runtime, "source": _fingerprint(model_dir),
                      "size": target.stat().st_size, "agreement_min_cosine": round(agreement, 5),
                      "layout": layout, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            tmp_marker = tmp / "marker.json"
            tmp_marker.write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
            os.chmod(tmp_marker, 0o644)
            # The marker goes last: a model file without a matching marker is never used.
            os.replace(tmp_marker, _marker(target))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"Exported {target.name} in {time.perf_counter() - t0:.0f} s (cosine to fp32 >= {agreement:.3f}).")
    return target


class OnnxEmbedder:
    """A sentence-transformers folder run through ONNX Runtime (``onnx`` fp32 or ``onnx-int8``).

    The constructor only stores settings; the export (first time) and the session load on first
    use. Texts are tokenised with the folder's ``tokenizer.json``, sorted by length and batched, so
    padding (wasted compute) stays low.
    """

    def __init__(self, path: str | Path, *, runtime: str = "onnx-int8", query_prompt: str = "query: ",
                 passage_prompt: str = "passage: ", batch_size: int = 32, threads: int = 2,
                 model_id: str | None = None, max_seq_length: int | None = None, log: Log = _no_log,
                 onnx_path: str | Path | None = None) -> None:
        if runtime not in RUNTIMES:
            raise ModelError(f"unknown ONNX runtime {runtime!r}; use one of {', '.join(RUNTIMES)}")
        self.path = Path(path)
        self.runtime = runtime
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.threads = threads
        self.max_seq_length = max_seq_length
        base = os.path.basename(str(path).rstrip("/"))
        # int8 vectors are a (slightly) different space: an index built with them must not be
        # searched with fp32 queries or the other way round. ONNX fp32 matches torch to 1e-6.
        self.model_id = model_id or (f"{base}@{runtime}" if runtime == "onnx-int8" else base)
        self._onnx_path = Path(onnx_path) if onnx_path else None
        self._log = log
        self._session = None
        self._tokenizer = None
        self._pad_id = 0
        self._lock = threading.Lock()

    def load(self):
        """Export if needed, then open the session and tokenizer (idempotent, thread-safe)."""
        with self._lock:
            if self._session is None:
                if not self.path.is_dir():
                    raise ModelNotFoundError("embedding model folder", self.path)
                onnx_path = self._onnx_path or ensure_onnx(self.path, self.runtime, self._log, self.threads)
                import onnxruntime as ort
                from tokenizers import Tokenizer

                opts = ort.SessionOptions()
                opts.intra_op_num_threads = max(1, int(self.threads))
                opts.inter_op_num_threads = 1
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.log_severity_level = 3
                # No busy-waiting between operators: on 2 shared cores spinning threads steal the
                # CPU from each other and from llama.cpp (bench: 11.2 vs 9.9 chunks/s under load).
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                try:
                    session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
                except Exception as e:  # noqa: BLE001 - any failure here means a damaged export
                    raise ModelError(f"cannot load {onnx_path} ({e}); delete it to export it again") from None
                max_len = self.max_seq_length or _model_layout(self.path)["max_seq_length"]
                tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
                tok.no_padding()
                tok.enable_truncation(max_len)
                config = _read_json(self.path / "config.json", {})
                self._pad_id = int(config.get("pad_token_id") or 0)
                self._tokenizer = tok
                self._session = session
        return self._session

    @property
    def dim(self) -> int:
        return int(self.load().get_outputs()[0].shape[-1])

    def _encode(self, texts: Sequence[str], prompt: str, progress: Callable[[int], None] | None) -> np.ndarray:
        session = self.load()
        dim = self.dim
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([prompt + t for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        # Longest first, so the first batch shows at once whether memory suffices.
        order = np.argsort(-lengths, kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = lengths[i]
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if progress:
                progress(len(rows))
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt, None)

    def embed_chunks(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, progress)
