"""``setfit`` and ``minilm-lr``: a sentence-transformer body and a logistic-regression head.

``setfit`` first fine-tunes the body contrastively on pairs of training texts (same label: similar; different
labels: dissimilar) with the ``setfit`` package's Trainer, then fits the head on the body's embeddings with C
chosen on the validation part. ``pairs`` bounds the contrastive training (steps = pairs / batch_size), so a CPU
run stays bounded. ``minilm-lr`` is the same system with no contrastive training: frozen embeddings + LR.

Capabilities: ``init_from`` (start from a fitted system's body, head optional, body optionally frozen: fine-tune,
weight-transfer, frozen-features) and ``save``/``load`` (the body as a sentence-transformers directory with
safetensors weights, the head as safetensors arrays + JSON; no pickle).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tlbench.configurable import Configurable
from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.errors import ConfigError, DataError
from tlbench.system import Context
from tlbench_setfit.body import encode, for_inference, load_body, quiet, resolve_precision
from tlbench_setfit.head import Head, fit_head

#: Frozen embeddings of texts already encoded in this process, per untouched model (minilm-lr cells share them).
_FROZEN: dict[tuple[str, int], dict[str, np.ndarray]] = {}
_FROZEN_MAX = 150_000


class SetFitSystem(Configurable):
    """SetFit on ``model`` (a sentence-transformers directory or hub id; default: MiniLM-L6, offline).

    :param pairs: contrastive pairs to train the body on (0: no body training); sampled by setfit's
        oversampling strategy, so both labels-agree and labels-differ pairs are seen.
    :param max_length: word pieces per text when encoding (longer texts are truncated).
    :param train_max_length: word pieces per text in contrastive training (cheaper than ``max_length``).
    :param precision: how texts are encoded: ``float32``, ``bfloat16`` or ``int8`` (CPU only: a bfloat16 copy or
        a dynamically quantized copy of the trained body); ``auto`` is bfloat16 on a CPU with native bfloat16,
        float32 elsewhere. Training is always float32.
    """

    name = "setfit"

    def __init__(self, model: str | None = None, pairs: int = 4000, batch_size: int = 16, max_length: int = 256,
                 train_max_length: int = 128, precision: str = "auto", body_learning_rate: float = 2e-5,
                 C: float | None = None, C_grid: Sequence[float] = (0.0625, 0.25, 1.0, 4.0, 16.0, 64.0),
                 encode_batch_size: int = 64) -> None:
        self.model = model
        self.pairs = pairs
        self.batch_size = batch_size
        self.max_length = max_length
        self.train_max_length = train_max_length
        self.precision = precision
        self.body_learning_rate = body_learning_rate
        self.C = C
        self.C_grid = tuple(C_grid)
        self.encode_batch_size = encode_batch_size

    # -- training --------------------------------------------------------------------------------------------
    def _body(self, device: str):
        if getattr(self, "body_", None) is None:
            self.body_ = load_body(self.model, device, self.max_length)
            self.touched_ = False
            self.frozen_ = getattr(self, "frozen_", False)
        elif str(self.body_.device) != device:
            self.body_.to(device)
            self.encoder_ = None
        return self.body_

    def fit(self, train: Split, valid: Split | None, ctx: Context) -> SetFitSystem:
        if len(train.label_names) < 2 or len(set(np.asarray(train.labels).tolist())) < 2:
            raise DataError("setfit needs training texts of at least two labels")
        if self.pairs < 0:
            raise ConfigError(f"{self.name}.pairs={self.pairs} is negative: give 0 (no body training) or more")
        body = self._body(str(ctx.device))
        self._precision()  # a bad precision is reported before any training
        steps = math.ceil(self.pairs / self.batch_size) if not self.frozen_ else 0
        if steps:
            self._train_body(body, train, steps, ctx)
            self.touched_ = True
        X, Xv = self._encode(train.texts), self._encode(valid.texts) if valid is not None and len(valid) else None
        grid = [self.C] if self.C is not None else self.C_grid
        self.head_, valid_accuracy = fit_head(X, np.asarray(train.labels), len(train.label_names), Xv,
                                              None if Xv is None else np.asarray(valid.labels), grid, ctx.seed)
        self.label_names_ = tuple(train.label_names)
        ctx.info.update({"contrastive_steps": steps, "contrastive_pairs": steps * self.batch_size,
                         "C": self.head_.C, "head_valid_accuracy": valid_accuracy})
        return self

    def _train_body(self, body, train: Split, steps: int, ctx: Context) -> None:
        from setfit import SetFitModel, Trainer, TrainingArguments
        from transformers import TrainerCallback
        from transformers.trainer_callback import PrinterCallback

        class Progress(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                ctx.report("step", state.global_step, steps)

        workdir = Path(ctx.workdir or ".") / "setfit-checkpoints"
        args = TrainingArguments(output_dir=str(workdir), batch_size=self.batch_size, num_epochs=1, max_steps=steps,
                                 body_learning_rate=self.body_learning_rate, max_length=self.train_max_length,
                                 seed=ctx.seed, show_progress_bar=False, report_to="none", save_strategy="no",
                                 logging_strategy="no", use_amp=ctx.device.mixed_precision is not None)
        model = SetFitModel(model_body=body, labels=list(train.label_names))
        # setfit's own max_length only reaches its end-to-end head; the contrastive step reads the body's
        body.max_seq_length = int(self.train_max_length or self.max_length)
        try:
            with quiet():
                trainer = Trainer(model=model, args=args, callbacks=[Progress()])
                trainer.st_trainer.remove_callback(PrinterCallback)  # it prints every log dict to stdout
                trainer.train_embeddings([str(t) for t in train.texts], [int(y) for y in train.labels])
        finally:
            body.max_seq_length = int(self.max_length)
        self.encoder_ = None  # the body changed: a bfloat16/int8 copy is made again when encoding

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.touched_:
            return encode(self._encoder(), texts, self.encode_batch_size)
        memo = _FROZEN.setdefault((str(self.model), int(self.max_length), self._precision()), {})
        missing = list(dict.fromkeys(t for t in texts if t not in memo))
        if missing:
            vectors = encode(self._encoder(), missing, self.encode_batch_size)
            if len(memo) + len(missing) <= _FROZEN_MAX:
                memo.update(zip(missing, vectors))
            else:  # too many to keep: answer from what was just encoded
                fresh = dict(zip(missing, vectors))
                return np.stack([memo[t] if t in memo else fresh[t] for t in texts])
        return np.stack([memo[t] for t in texts]) if len(texts) else encode(self.body_, texts, 1)

    def _precision(self) -> str:
        return resolve_precision(self.precision, str(self.body_.device))

    def _encoder(self):
        """The body that encodes: the float32 body itself, or its bfloat16/int8 copy (made once per body)."""
        if getattr(self, "encoder_", None) is None:
            self.encoder_ = for_inference(self.body_, self._precision())
        return self.encoder_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.head_.predict_proba(self._encode(list(texts)))

    # -- capabilities ----------------------------------------------------------------------------------------
    def init_from(self, other: SetFitSystem, *, include_head: bool, freeze_encoder: bool) -> int:
        """Start from ``other``'s fitted body (and head); with ``freeze_encoder`` the body is not trained again."""
        body = self._body(str(other.body_.device))
        state = other.body_.state_dict()
        body.load_state_dict(state)
        self.encoder_ = None
        self.touched_ = other.touched_
        self.frozen_ = bool(freeze_encoder)
        if include_head:
            self.head_ = other.head_
        return len(state) + (1 if include_head else 0)

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        path = Path(path)
        self.body_.save(str(path / "body"), create_model_card=False, safe_serialization=True)
        save_file({"coef": self.head_.coef, "intercept": self.head_.intercept}, str(path / "head.safetensors"))
        (path / "setfit.json").write_text(json.dumps({
            "config": self.get_config(), "labels": list(self.label_names_), "C": self.head_.C,
            "touched": self.touched_}), encoding="utf-8")

    def to_device(self, device: Device) -> SetFitSystem:
        """Encode texts on ``device`` from now on (the body moves there; the head is NumPy)."""
        from tlbench.torch_kit import torch_device

        if getattr(self, "body_", None) is None:
            raise ConfigError(f"{self.name} has not been trained or loaded: nothing to move")
        self.body_.to(torch_device(device))
        self.encoder_ = None
        return self

    def load(self, path: Path) -> SetFitSystem:
        from safetensors.numpy import load_file

        path = Path(path)
        try:
            state = json.loads((path / "setfit.json").read_text(encoding="utf-8"))
            arrays = load_file(str(path / "head.safetensors"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path} is not a saved {self.name} model ({exc}); train one with tlbench") from None
        self.body_ = load_body(str(path / "body"), "cpu", self.max_length)
        self.encoder_ = None
        self.touched_, self.frozen_ = bool(state["touched"]), False
        self.label_names_ = tuple(state["labels"])
        self.head_ = Head(arrays["coef"], arrays["intercept"], len(self.label_names_), float(state["C"]))
        return self


class SentenceEmbeddingLR(SetFitSystem):
    """``minilm-lr``: frozen sentence embeddings (mean-pooled, normalised MiniLM-L6 by default) + logistic
    regression with C chosen on validation. A SetFit system with no contrastive training (``pairs=0``)."""

    name = "minilm-lr"

    def __init__(self, model: str | None = None, pairs: int = 0, batch_size: int = 16, max_length: int = 256,
                 train_max_length: int = 128, precision: str = "auto", body_learning_rate: float = 2e-5,
                 C: float | None = None, C_grid: Sequence[float] = (0.0625, 0.25, 1.0, 4.0, 16.0, 64.0),
                 encode_batch_size: int = 64) -> None:
        super().__init__(model, pairs, batch_size, max_length, train_max_length, precision, body_learning_rate, C,
                         C_grid, encode_batch_size)
