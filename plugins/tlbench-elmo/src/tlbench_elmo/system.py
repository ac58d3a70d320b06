"""The ``elmo`` system: a pretrained biLM (:mod:`tlbench_elmo.pretrain`) + the scalar-mix classifier
(:mod:`tlbench_elmo.classifier`), with the capabilities tlbench's generic strategies use.

- ``fit``: pretrains the biLM on ``ctx.unlabeled`` (the training texts when that is empty) unless a biLM came
  from ``import_embedding``, ``adapt``, ``init_from`` or ``load``, then trains the classifier with early stopping
  on the validation part. The biLM is frozen (ELMo's feature mode) unless ``finetune_bilm=true``.
- ``import_embedding(other)`` (embedding-transfer): start from another fitted elmo's biLM.
- ``adapt(target_texts, ctx, source_texts)`` (domain-adaptive): the biLM pretrained on the source text, then
  ``adapt_fraction`` × the pretraining budget more on the target text, with the target's frequent new words added.
- ``init_from(other, include_head, freeze_encoder)``: copy the biLM and classifier weights of another fitted elmo.
- ``save(path)`` / ``load(path)``: safetensors + JSON; :func:`load_system` restores a system from a path alone.

Documents are tokenised with ``tlbench.text.tokenize``; words outside the biLM's vocabulary (any characters) map to
``<unk>`` (``tokens=words``) or keep their spelling for the char CNN (``tokens=chars``); a text without tokens
is just the boundary tokens. Documents longer than ``max_len`` tokens are truncated: ``head+tail`` (default)
keeps the first and last ``(max_len - 2) / 2`` tokens (reviews often state their verdict at the end), ``head``
the first ``max_len - 2``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from tlbench.configurable import Configurable
from tlbench.corpora.base import Split
from tlbench.device import Device
from tlbench.errors import ConfigError, DataError, Incompatible
from tlbench.system import Context
from tlbench.text import tokenize
from tlbench.torch_kit import (EarlyStopping, autocast, device_precision, generator, load_weights, save_weights,
                               torch_device, train_step)
from tlbench_elmo.classifier import DocClassifier
from tlbench_elmo.presets import resolve
from tlbench_elmo.pretrain import Pretrained, pretrained_bilm
from tlbench_elmo.vocab import EOS, PAD

#: The classifier's weights and the system's state: ``classifier.safetensors`` and ``classifier.json``.
CLASSIFIER = "classifier"


class ElmoSystem(Configurable):
    """An ELMo-style classifier. Options: ``size`` (``tiny``/``small``/``base``, see :mod:`tlbench_elmo.presets`)
    and any preset option to override (``finetune_bilm``, ``encoder``, ``max_tokens``, ``max_minutes``...)."""

    def __init__(self, size: str = "small", **options: Any) -> None:
        self.size = size
        self.options = resolve(size, options)
        self.name = "-".join(["elmo", *([size] if size != "small" else []),
                              *(["chars"] if self.options["tokens"] == "chars" else [])])
        self.pretrained_: Pretrained | None = None
        self.model_: DocClassifier | None = None

    # -- capabilities ------------------------------------------------------------------------------------
    def prepare(self, train: Split, ctx: Context) -> None:
        """Record the label set; the biLM is pretrained (or imported) later, so nothing heavy happens here."""
        _check_labelled(train, "training")
        self.label_names_ = tuple(train.label_names)
        self.model_ = None
        self.frozen_encoder_ = False

    def import_embedding(self, other: ElmoSystem) -> int:
        """Start from ``other``'s biLM (pretrained, adapted or fine-tuned); returns the tensors copied."""
        bilm = _fitted_bilm(other, "import_embedding")
        self._check_same_bilm(other)
        self.pretrained_ = bilm.copy()
        self.pretrained_.info["lm_text"] = f"imported ({bilm.info.get('lm_text', 'unknown')})"
        return len(self.pretrained_.bilm.state_dict())

    def adapt(self, target_texts: Sequence[str], ctx: Context, source_texts: Sequence[str] = ()) -> None:
        """Pretrain on ``source_texts`` (when given; else start from this system's biLM, if any), then continue
        LM training on the unlabeled ``target_texts``."""
        target_texts = list(target_texts)
        if not target_texts:
            raise DataError("elmo: domain-adaptive pretraining needs unlabeled target text and got none")
        base = pretrained_bilm(list(source_texts), self.options, ctx) if source_texts else self.pretrained_
        if base is None:
            self.pretrained_ = pretrained_bilm(target_texts, self.options, ctx)
        else:
            ctx.info["lm_source_perplexity"] = base.info.get("lm_perplexity")
            self.pretrained_ = pretrained_bilm(target_texts, self.options, ctx, base=base,
                                               budget_scale=float(self.options["adapt_fraction"]))
        self.pretrained_.info["lm_text"] = "source+target" if source_texts else "target"

    def init_from(self, other: ElmoSystem, *, include_head: bool, freeze_encoder: bool) -> int:
        """Copy ``other``'s biLM and classifier (the head too when ``include_head``); ``freeze_encoder`` trains
        only the head afterwards. Returns the tensors copied."""
        bilm = _fitted_bilm(other, "init_from")
        if other.model_ is None:
            raise Incompatible("elmo: init_from needs a fitted system (its classifier is not trained)")
        self._check_same_bilm(other)
        if not hasattr(self, "label_names_"):
            self.label_names_ = other.label_names_
        if include_head and len(self.label_names_) != len(other.label_names_):
            raise Incompatible(f"elmo: cannot copy a {len(other.label_names_)}-label head into a "
                               f"{len(self.label_names_)}-label system; use include_head=false")
        self.pretrained_ = bilm.copy()
        self.model_ = self._new_classifier()
        theirs = other.model_.state_dict()
        mine = {k: v for k, v in theirs.items() if include_head or not k.startswith("head.")}
        self.model_.load_state_dict(mine, strict=False)
        self.frozen_encoder_ = bool(freeze_encoder)
        return len(self.pretrained_.bilm.state_dict()) + len(mine)

    def save(self, path: Path) -> None:
        if self.pretrained_ is None or self.model_ is None:
            raise ConfigError("elmo: fit the system before saving it")
        self.pretrained_.save(path)
        save_weights(path, CLASSIFIER, self.model_.state_dict(), {
            "config": self.get_config(), "label_names": list(self.label_names_),
            "frozen_encoder": self.frozen_encoder_})

    def load(self, path: Path) -> ElmoSystem:
        """Restore a state written by :meth:`save` into this system (its options come from the saved config)."""
        path = Path(path)
        weights, state = load_weights(path, CLASSIFIER, what="elmo system")
        config = {k: v for k, v in state["config"].items() if k not in ("name", "size")}
        self.__init__(state["config"].get("size", "small"), **config)
        self.label_names_ = tuple(state["label_names"])
        self.frozen_encoder_ = bool(state.get("frozen_encoder", False))
        self.pretrained_ = Pretrained.load(path)
        self.model_ = self._new_classifier()
        self.model_.load_state_dict(weights)
        return self

    def to_device(self, device: Device) -> ElmoSystem:
        """Predict on ``device`` from now on (the biLM and classifier move there; autocast on CUDA)."""
        if self.model_ is None or self.pretrained_ is None:
            raise ConfigError("elmo: fit (or load) the system before moving it")
        self.device_ = torch_device(device, self.options["cpu_threads"])
        self.pretrained_.bilm.to(self.device_)
        self.model_.to(self.device_)
        return self

    # -- training and prediction -------------------------------------------------------------------------
    def fit(self, train: Split, valid: Split | None, ctx: Context) -> ElmoSystem:
        _check_labelled(train, "training")
        if not hasattr(self, "label_names_"):
            self.prepare(train, ctx)
        elif tuple(train.label_names) != self.label_names_:
            raise Incompatible(f"elmo: prepared for labels {list(self.label_names_)}, "
                               f"asked to fit {list(train.label_names)}")
        device = torch_device(ctx, self.options["cpu_threads"])
        if self.pretrained_ is None:
            texts = list(ctx.unlabeled) or list(train.texts)
            self.pretrained_ = pretrained_bilm(texts, self.options, ctx)
            self.pretrained_.info["lm_text"] = "unlabeled" if ctx.unlabeled else "train"
        self._record_lm(ctx)
        # Seed before the classifier is created: its initial weights must not depend on what ran before in this
        # process (pretraining, other cells).
        torch.manual_seed(ctx.seed)
        if self.model_ is None:
            self.model_ = self._new_classifier()
        has_valid = valid is not None and len(valid) > 0
        if has_valid:
            _check_labelled(valid, "validation")
        run = _Run(self, train, valid if has_valid else None, device, ctx)
        stopper = EarlyStopping([run.model, *([run.bilm] if run.tune_bilm else [])], run.patience)
        for epoch in range(1, run.epochs + 1):
            metrics = {"loss": run.epoch()}
            if has_valid:
                metrics.update(run.validate())
                stopper.update((metrics["valid_accuracy"], -metrics["valid_loss"]), epoch)
            ctx.report("epoch", epoch, run.epochs, **metrics)
            if has_valid and stopper.stop:
                break
        stopper.restore()
        ctx.info["elmo_best_epoch"] = stopper.best_epoch if has_valid else run.epochs
        ctx.info["elmo_scalar_mix"] = [round(w, 4) for w in run.model.mix.weights()]
        ctx.info["elmo_gamma"] = round(run.model.mix.gamma.item(), 4)
        self.device_ = device
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.model_ is None or self.pretrained_ is None:
            raise ConfigError("elmo: fit (or load) the system before predict_proba")
        device = getattr(self, "device_", torch.device("cpu"))
        return self._proba(self._encode(texts), device)

    # -- internals ---------------------------------------------------------------------------------------
    def _new_classifier(self) -> DocClassifier:
        dim = self.pretrained_.bilm.config.dim if self.pretrained_ else int(self.options["dim"])
        return DocClassifier(2 * dim, len(self.label_names_), encoder=self.options["encoder"],
                             hidden=int(self.options["encoder_hidden"]), dropout=float(self.options["dropout"]))

    def _check_same_bilm(self, other: ElmoSystem) -> None:
        theirs = other.pretrained_.bilm.config
        mine = (int(self.options["dim"]), int(self.options["hidden"]), self.options["tokens"])
        if mine != (theirs.dim, theirs.hidden, theirs.tokens):
            raise Incompatible(f"elmo: the other system's biLM is dim={theirs.dim}, hidden={theirs.hidden}, "
                               f"tokens={theirs.tokens}; this one is configured dim={mine[0]}, hidden={mine[1]}, "
                               f"tokens={mine[2]}")

    def _record_lm(self, ctx: Context) -> None:
        info = self.pretrained_.info
        for key in ("lm_perplexity", "lm_heldout_tokens", "lm_tokens_trained", "lm_seconds", "lm_tokens_per_s",
                    "lm_vocab", "lm_text", "lm_stopped_by_time", "words_added"):
            if key in info:
                ctx.info[key] = info[key]
        ctx.info["lm_from_cache"] = bool(info.get("from_cache", False))

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        keep = int(self.options["max_len"]) - 2
        out = []
        for text in texts:
            if not isinstance(text, str):
                raise DataError(f"elmo: texts must be strings, got {type(text).__name__}")
            ids = self.pretrained_.ids(tokenize(text))
            if len(ids) > keep:
                if self.options["truncate"] == "head+tail":
                    ids = ids[: (keep + 1) // 2] + ids[len(ids) - keep // 2:]
                else:
                    ids = ids[:keep]
            out.append([EOS, *ids, EOS])
        return out

    def _layers(self, ids: torch.Tensor, lengths: torch.Tensor, tune_bilm: bool) -> list[torch.Tensor]:
        if tune_bilm:
            return self.pretrained_.layers(ids, lengths)
        with torch.no_grad():
            return self.pretrained_.layers(ids, lengths)

    @torch.no_grad()
    def _proba(self, encoded: list[list[int]], device: torch.device,
               features: list[torch.Tensor] | None = None) -> np.ndarray:
        self.pretrained_.bilm.to(device).eval()
        model = self.model_.to(device).eval()
        out = np.zeros((len(encoded), len(self.label_names_)), dtype=np.float64)
        for idx in _batches(encoded, 64, None, shuffle=False):
            with autocast(device, device_precision(device)):
                if features is not None:
                    layers, mask = _unpack([features[i] for i in idx], device)
                else:
                    ids, lengths, mask = _pad([encoded[i] for i in idx], device)
                    layers = self.pretrained_.layers(ids, lengths)
                logits = model(layers, mask)
            out[idx] = torch.softmax(logits.float(), -1).cpu().numpy()
        return out

    @torch.no_grad()
    def _features(self, encoded: list[list[int]], device: torch.device, ctx: Context) -> list[torch.Tensor]:
        """Per document, the frozen biLM's [x, f1;b1, f2;b2] as one (length, 5*dim) float16 CPU tensor."""
        self.pretrained_.bilm.to(device).eval()
        out: list[torch.Tensor | None] = [None] * len(encoded)
        for idx in _batches(encoded, 64, None, shuffle=False):
            ids, lengths, _ = _pad([encoded[i] for i in idx], device)
            with autocast(device, device_precision(device)):
                layers = self.pretrained_.layers(ids, lengths)
            dim = layers[0].shape[-1] // 2
            packed = torch.cat([layers[0][..., :dim], layers[1], layers[2]], -1).to("cpu", torch.float16)
            for row, i in enumerate(idx):
                out[i] = packed[row, : len(encoded[i])].clone()
        return out  # type: ignore[return-value]


class _Run:
    """One ``fit``: the modules in training mode, the optimiser, the encoded (or cached) inputs and the epoch
    budget. Small training sets give few batches per epoch: training lasts at least ``min_steps`` updates, and
    waits a third of them before stopping early (a 10-review validation part is noisy)."""

    def __init__(self, system: ElmoSystem, train: Split, valid: Split | None, device: torch.device,
                 ctx: Context) -> None:
        options = system.options
        self.system, self.device, self.ctx = system, device, ctx
        self.precision = device_precision(device)
        self.bilm, self.model = system.pretrained_.bilm.to(device), system.model_.to(device)
        self.tune_bilm = bool(options["finetune_bilm"]) and not system.frozen_encoder_
        self.bilm.requires_grad_(self.tune_bilm)
        for module in self.model.encoder_modules():
            module.requires_grad_(not system.frozen_encoder_)
        groups = [{"params": [p for p in self.model.parameters() if p.requires_grad]}]
        if self.tune_bilm:
            groups.append({"params": list(self.bilm.parameters()), "lr": float(options["lr"]) * 0.2})
        self.params = [p for g in groups for p in g["params"]]
        self.opt = torch.optim.Adam(groups, lr=float(options["lr"]))
        self.x_train, self.y_train = system._encode(train.texts), torch.as_tensor(train.labels, dtype=torch.long)
        self.x_valid = system._encode(valid.texts) if valid is not None else []
        self.y_valid = np.asarray(valid.labels) if valid is not None else None
        # A frozen biLM gives the same vectors every epoch: compute them once when they fit the memory budget.
        need = 5 * system.pretrained_.bilm.config.dim * 2 * sum(map(len, self.x_train + self.x_valid))
        cache = not self.tune_bilm and need <= feature_cache_budget(options["feature_cache_mb"])
        self.f_train = system._features(self.x_train, device, ctx) if cache else None
        self.f_valid = system._features(self.x_valid, device, ctx) if cache and self.x_valid else None
        ctx.info["elmo_feature_cache"] = bool(cache)
        self.gen, self.batch_size = generator(ctx.seed), int(options["batch_size"])
        n_batches = -(-len(self.x_train) // self.batch_size)
        min_steps = int(options["min_steps"])
        self.epochs = max(int(options["epochs"]), -(-min_steps // n_batches))
        self.patience = max(int(options["patience"]), -(-min_steps // (3 * n_batches)))

    def epoch(self) -> float:
        """One pass over the training texts; returns the mean loss."""
        self.model.train()
        self.bilm.train(self.tune_bilm)
        total, count = 0.0, 0
        for idx in _batches(self.x_train, self.batch_size, self.gen, shuffle=True):
            with autocast(self.device, self.precision):
                if self.f_train is not None:
                    layers, mask = _unpack([self.f_train[i] for i in idx], self.device)
                else:
                    ids, lengths, mask = _pad([self.x_train[i] for i in idx], self.device)
                    layers = self.system._layers(ids, lengths, self.tune_bilm)
                loss = F.cross_entropy(self.model(layers, mask).float(), self.y_train[idx].to(self.device))
            total += train_step(loss, self.opt, self.params, 5.0) * len(idx)
            count += len(idx)
        return total / max(count, 1)

    def validate(self) -> dict[str, float]:
        proba = self.system._proba(self.x_valid, self.device, features=self.f_valid)
        y = self.y_valid
        loss = float(-np.log(np.clip(proba[np.arange(len(y)), y], 1e-12, 1)).mean())
        return {"valid_accuracy": float((proba.argmax(1) == y).mean()), "valid_loss": loss}


def feature_cache_budget(megabytes: float | None) -> float:
    """Bytes the frozen biLM's training-set features may take in memory: ``megabytes``, or (None) a third of the
    machine's physical memory (768 MB where that cannot be read)."""
    if megabytes is not None:
        return float(megabytes) * 2**20
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 3
    except (AttributeError, ValueError, OSError):
        return 768.0 * 2**20


def _fitted_bilm(other: object, what: str) -> Pretrained:
    bilm = getattr(other, "pretrained_", None)
    if not isinstance(other, ElmoSystem) or bilm is None:
        raise Incompatible(f"elmo: {what} needs a fitted elmo system, got {type(other).__name__}")
    return bilm


def _check_labelled(split: Split, what: str) -> None:
    if len(split) == 0:
        raise DataError(f"elmo: the {what} split is empty")
    labels = np.asarray(split.labels)
    if labels.min() < 0 or labels.max() >= len(split.label_names):
        raise DataError(f"elmo: the {what} split has labels outside 0..{len(split.label_names) - 1} "
                        "(unlabeled texts belong in ctx.unlabeled, not in a labelled split)")


def _batches(encoded: list[list[int]], size: int, gen: torch.Generator | None, shuffle: bool) -> list[np.ndarray]:
    """Batches of similar length (less padding); in shuffled order, with shuffled ties, when ``shuffle``."""
    lengths = np.array([len(e) for e in encoded])
    if shuffle:
        noise = torch.rand(len(encoded), generator=gen).numpy()
        order = np.lexsort((noise, lengths // 8))
    else:
        order = np.argsort(lengths, kind="stable")
    chunks = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        chunks = [chunks[i] for i in torch.randperm(len(chunks), generator=gen).tolist()]
    return chunks


def _pad(docs: list[list[int]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(d) for d in docs])
    ids = torch.full((len(docs), int(lengths.max())), PAD, dtype=torch.long)
    for i, d in enumerate(docs):
        ids[i, : len(d)] = torch.tensor(d)
    mask = torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    return ids.to(device), lengths.to(device), mask.to(device)


def _unpack(features: list[torch.Tensor], device: torch.device) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Cached features of a batch back to the three layers (B, T, 2*dim) and the mask."""
    lengths = torch.tensor([len(f) for f in features])
    packed = torch.nn.utils.rnn.pad_sequence(features, batch_first=True).to(device, torch.float32)
    dim = packed.shape[-1] // 5
    x = packed[..., :dim]
    layers = [torch.cat([x, x], -1), packed[..., dim:3 * dim], packed[..., 3 * dim:]]
    mask = torch.arange(packed.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    return layers, mask.to(device)


def load_system(path: str | Path) -> ElmoSystem:
    """An elmo system restored from a folder written by ``ElmoSystem.save``."""
    return ElmoSystem(size="tiny").load(Path(path))
