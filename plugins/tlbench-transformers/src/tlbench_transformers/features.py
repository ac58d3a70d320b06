"""Frozen features: with the encoder frozen, the only trainable part is the final linear layer (the *head*), so
the encoder runs once per text and its output (the head's input) is cached.

Features are keyed by a fingerprint of the frozen weights and the tokenisation settings, so every fraction and
seed of a study reuses them: in process per text, and on disk (``ctx.cache``) per list of texts.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from tlbench.cache import ContentCache, content_key
from tlbench.errors import ConfigError
from tlbench.text import text_fingerprint
from tlbench_transformers.batching import Encoded, iterate

#: fingerprint -> {text hash -> feature row}; a few models at most are kept.
_MEMORY: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()
_MEMORY_MODELS = 3


def head_module(model):
    """The final linear layer that maps pooled features to labels (``classifier`` in BERT/DistilBERT,
    ``classifier.out_proj`` in RoBERTa-style heads)."""
    import torch

    head = getattr(model, "classifier", None)
    if isinstance(head, torch.nn.Linear):
        return head
    inner = getattr(head, "out_proj", None)
    if isinstance(inner, torch.nn.Linear):
        return inner
    raise ConfigError(f"{type(model).__name__} has no linear classifier head; frozen features need BERT-like models")


def head_names(model) -> set[str]:
    """State-dict names of the head's parameters."""
    head = head_module(model)
    ids = {id(p) for p in head.parameters()}
    return {name for name, p in model.named_parameters() if id(p) in ids}


def weights_fingerprint(model, skip: set[str]) -> str:
    """A content hash of every weight outside ``skip`` (cheap: ~0.2 s for 90 MB)."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        if name in skip:
            continue
        h.update(name.encode())
        h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


def _text_key(text: str) -> str:
    return text_fingerprint([text])


def compute(model, encoded: Encoded, batch_size: int, device, precision: str | None) -> np.ndarray:
    """The head's input for each text (the encoder in eval mode, no gradients)."""
    import torch

    from tlbench.torch_kit import autocast

    head = head_module(model)
    captured: list = []
    hook = head.register_forward_pre_hook(lambda module, args: captured.append(args[0].detach()))
    out = np.zeros((len(encoded), head.in_features), dtype=np.float32)
    model.eval()
    try:
        with torch.inference_mode():
            for index, ids, mask in iterate(encoded, batch_size):
                captured.clear()
                with autocast(device, precision):
                    model(input_ids=ids.to(device), attention_mask=mask.to(device))
                out[index] = captured[-1].float().cpu().numpy()
    finally:
        hook.remove()
    return out


def cached_features(model, fingerprint: str, texts: Sequence[str], encode, batch_size: int, device,
                    precision: str | None, cache: ContentCache | None) -> np.ndarray:
    """Features of ``texts``, computing only those not cached. ``encode(texts) -> Encoded``."""
    memory = _MEMORY.setdefault(fingerprint, {})
    _MEMORY.move_to_end(fingerprint)
    while len(_MEMORY) > _MEMORY_MODELS:
        _MEMORY.popitem(last=False)
    keys = [_text_key(t) for t in texts]
    disk_key = content_key("bert-features", fingerprint, keys)
    missing = [i for i, k in enumerate(keys) if k not in memory]
    if cache is not None and missing:
        hit = cache.get("bert-features", disk_key)
        if hit is not None:
            feats = np.load(hit / "features.npy", allow_pickle=False)
            memory.update(zip(keys, feats))
            return feats
    seen: dict[str, int] = {}
    todo = [i for i in missing if seen.setdefault(keys[i], i) == i]
    if todo:
        feats = compute(model, encode([texts[i] for i in todo]), batch_size, device, precision)
        for i, row in zip(todo, feats):
            memory[keys[i]] = row
    feats = np.stack([memory[k] for k in keys]) if keys else np.zeros((0, head_module(model).in_features),
                                                                       dtype=np.float32)
    if cache is not None and todo:
        cache.put("bert-features", disk_key, lambda d: np.save(d / "features.npy", feats))
    return feats


def train_head(head, x: np.ndarray, y: np.ndarray, xv: np.ndarray | None, yv: np.ndarray | None, *, lr: float,
               epochs: int, batch_size: int, weight_decay: float, seed: int, ctx) -> dict:
    """Train the linear ``head`` on fixed features (AdamW, cross-entropy); keep the epoch with the best
    validation accuracy when there is a validation part."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    device = head.weight.device
    xt, yt = torch.as_tensor(x, device=device), torch.as_tensor(y, dtype=torch.long, device=device)
    has_valid = xv is not None and len(xv) > 0
    if has_valid:
        xvt = torch.as_tensor(xv, device=device)
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=weight_decay)
    best = (-1.0, 0, None)
    for epoch in range(1, epochs + 1):
        head.train()
        order = torch.randperm(len(xt), generator=gen).to(device)
        total = 0.0
        for start in range(0, len(xt), batch_size):
            idx = order[start:start + batch_size]
            loss = torch.nn.functional.cross_entropy(head(xt[idx]), yt[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
        metrics = {"train_loss": total / max(1, len(xt))}
        if has_valid:
            with torch.no_grad():
                metrics["valid_accuracy"] = float((head(xvt).argmax(1).cpu().numpy() == yv).mean())
            if metrics["valid_accuracy"] > best[0]:
                best = (metrics["valid_accuracy"], epoch, {k: v.clone() for k, v in head.state_dict().items()})
        ctx.report("epoch", epoch, epochs, **metrics)
    info = {"head_epochs": epochs, "train_loss": metrics["train_loss"]}
    if best[2] is not None:
        head.load_state_dict(best[2])
        info.update(best_epoch=best[1], valid_accuracy=best[0])
    head.eval()
    return info
