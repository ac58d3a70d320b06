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

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from tlbench.corpora.base import Split
from tlbench.errors import ConfigError, DataError, Incompatible
from tlbench.system import Context
from tlbench.text import tokenize
from tlbench_elmo.classifier import DocClassifier
from tlbench_elmo.presets import resolve
from tlbench_elmo.pretrain import Pretrained, pretrained_bilm
from tlbench_elmo.runtime import autocast, generator, torch_device
from tlbench_elmo.vocab import EOS, PAD

SYSTEM_FILE = "elmo.json"
CLASSIFIER_FILE = "classifier.safetensors"


class ElmoSystem:
    """An ELMo-style classifier. Options: ``size`` (``tiny``/``small``/``base``, see :mod:`tlbench_elmo.presets`)
    and any preset option to override (``finetune_bilm``, ``encoder``, ``max_tokens``, ``max_minutes``...)."""

    def __init__(self, size: str = "small", **options: Any) -> None:
        self.size = size
        self.options = resolve(size, options)
        self.name = "-".join(["elmo", *([size] if size != "small" else []),
                              *(["chars"] if self.options["tokens"] == "chars" else [])])
        self.pretrained_: Pretrained | None = None
        self.model_: DocClassifier | None = None

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, **self.options}

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
        from safetensors.torch import save_file

        if self.pretrained_ is None or self.model_ is None:
            raise ConfigError("elmo: fit the system before saving it")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.pretrained_.save(path)
        save_file({k: v.detach().cpu().contiguous() for k, v in self.model_.state_dict().items()},
                  str(path / CLASSIFIER_FILE))
        (path / SYSTEM_FILE).write_text(json.dumps(
            {"config": self.get_config(), "label_names": list(self.label_names_),
             "frozen_encoder": self.frozen_encoder_}, indent=1))

    def load(self, path: Path) -> ElmoSystem:
        """Restore a state written by :meth:`save` into this system (its options come from the saved config)."""
        from safetensors.torch import load_file

        path = Path(path)
        if not (path / SYSTEM_FILE).exists():
            raise DataError(f"elmo: {path} holds no saved elmo system ({SYSTEM_FILE} is missing)")
        state = json.loads((path / SYSTEM_FILE).read_text())
        config = {k: v for k, v in state["config"].items() if k not in ("name", "size")}
        self.__init__(state["config"].get("size", "small"), **config)
        self.label_names_ = tuple(state["label_names"])
        self.frozen_encoder_ = bool(state.get("frozen_encoder", False))
        self.pretrained_ = Pretrained.load(path)
        self.model_ = self._new_classifier()
        self.model_.load_state_dict(load_file(str(path / CLASSIFIER_FILE)))
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
        bilm, model = self.pretrained_.bilm.to(device), self.model_.to(device)
        tune_bilm = bool(self.options["finetune_bilm"]) and not self.frozen_encoder_
        bilm.requires_grad_(tune_bilm)
        for module in model.encoder_modules():
            module.requires_grad_(not self.frozen_encoder_)
        groups = [{"params": [p for p in model.parameters() if p.requires_grad]}]
        if tune_bilm:
            groups.append({"params": list(bilm.parameters()), "lr": float(self.options["lr"]) * 0.2})
        opt = torch.optim.Adam(groups, lr=float(self.options["lr"]))

        x_train = self._encode(train.texts)
        y_train = torch.as_tensor(train.labels, dtype=torch.long)
        has_valid = valid is not None and len(valid) > 0
        if has_valid:
            _check_labelled(valid, "validation")
            x_valid, y_valid = self._encode(valid.texts), np.asarray(valid.labels)
        # A frozen biLM gives the same vectors every epoch: compute them once when they fit the memory budget.
        budget = feature_cache_budget(self.options["feature_cache_mb"])
        need = 5 * self.pretrained_.bilm.config.dim * 2 * sum(map(len, x_train + (x_valid if has_valid else [])))
        cache_features = not tune_bilm and need <= budget
        f_train = self._features(x_train, device, ctx) if cache_features else None
        f_valid = self._features(x_valid, device, ctx) if cache_features and has_valid else None
        ctx.info["elmo_feature_cache"] = bool(cache_features)
        gen = generator(ctx.seed)
        # Small training sets give few batches per epoch: train for at least ``min_steps`` updates, and wait a
        # third of them before stopping early (a 10-review validation part is noisy).
        n_batches = -(-len(x_train) // int(self.options["batch_size"]))
        min_steps = int(self.options["min_steps"])
        epochs = max(int(self.options["epochs"]), -(-min_steps // n_batches))
        patience = max(int(self.options["patience"]), -(-min_steps // (3 * n_batches)))
        best = (-1.0, float("inf"), 0, None)
        waited = 0
        for epoch in range(1, epochs + 1):
            model.train()
            bilm.train(tune_bilm)
            total, count = 0.0, 0
            for idx in _batches(x_train, int(self.options["batch_size"]), gen, shuffle=True):
                with autocast(ctx):
                    if f_train is not None:
                        layers, mask = _unpack([f_train[i] for i in idx], device)
                    else:
                        ids, lengths, mask = _pad([x_train[i] for i in idx], device)
                        layers = self._layers(ids, lengths, tune_bilm)
                    logits = model(layers, mask)
                    loss = F.cross_entropy(logits.float(), y_train[idx].to(device))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 5.0)
                opt.step()
                total += loss.item() * len(idx)
                count += len(idx)
            metrics = {"loss": total / max(count, 1)}
            if has_valid:
                proba = self._proba(x_valid, device, ctx, features=f_valid)
                acc = float((proba.argmax(1) == y_valid).mean())
                vloss = float(-np.log(np.clip(proba[np.arange(len(y_valid)), y_valid], 1e-12, 1)).mean())
                metrics.update(valid_accuracy=acc, valid_loss=vloss)
                if (acc, -vloss) > (best[0], -best[1]):
                    best = (acc, vloss, epoch, _state(model, bilm if tune_bilm else None))
                    waited = 0
                else:
                    waited += 1
            ctx.report("epoch", epoch, epochs, **metrics)
            if has_valid and waited >= patience:
                break
        if best[3] is not None:
            model.load_state_dict(best[3][0])
            if best[3][1] is not None:
                bilm.load_state_dict(best[3][1])
        ctx.info["elmo_best_epoch"] = best[2] if has_valid else epochs
        ctx.info["elmo_scalar_mix"] = [round(w, 4) for w in model.mix.weights()]
        ctx.info["elmo_gamma"] = round(model.mix.gamma.item(), 4)
        self.device_ = device
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.model_ is None or self.pretrained_ is None:
            raise ConfigError("elmo: fit (or load) the system before predict_proba")
        device = getattr(self, "device_", torch.device("cpu"))
        return self._proba(self._encode(texts), device, None)

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
    def _proba(self, encoded: list[list[int]], device: torch.device, ctx: Context | None,
               features: list[torch.Tensor] | None = None) -> np.ndarray:
        self.pretrained_.bilm.to(device).eval()
        model = self.model_.to(device).eval()
        out = np.zeros((len(encoded), len(self.label_names_)), dtype=np.float64)
        for idx in _batches(encoded, 64, None, shuffle=False):
            with autocast(ctx) if ctx is not None else _cuda_autocast(device):
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
            with autocast(ctx):
                layers = self.pretrained_.layers(ids, lengths)
            dim = layers[0].shape[-1] // 2
            packed = torch.cat([layers[0][..., :dim], layers[1], layers[2]], -1).to("cpu", torch.float16)
            for row, i in enumerate(idx):
                out[i] = packed[row, : len(encoded[i])].clone()
        return out  # type: ignore[return-value]


def feature_cache_budget(megabytes: float | None) -> float:
    """Bytes the frozen biLM's training-set features may take in memory: ``megabytes``, or (None) a third of the
    machine's physical memory (768 MB where that cannot be read)."""
    if megabytes is not None:
        return float(megabytes) * 2**20
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 3
    except (AttributeError, ValueError, OSError):
        return 768.0 * 2**20


def _cuda_autocast(device: torch.device):
    import contextlib

    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16)
    return contextlib.nullcontext()


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


def _state(model: torch.nn.Module, bilm: torch.nn.Module | None):
    copy = lambda m: {k: v.detach().clone() for k, v in m.state_dict().items()}  # noqa: E731
    return copy(model), (copy(bilm) if bilm is not None else None)


def load_system(path: str | Path) -> ElmoSystem:
    """An elmo system restored from a folder written by ``ElmoSystem.save``."""
    return ElmoSystem(size="tiny").load(Path(path))
