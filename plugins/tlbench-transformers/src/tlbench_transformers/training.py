"""The fine-tuning loop: AdamW with linear warm-up and decay, gradient accumulation, autocast on GPUs, early
stopping on the validation part, per-step progress to the core.

A plain loop rather than ``transformers.Trainer``: it keeps length-bucketed batches, tlbench's progress events
and the best-epoch restore in one page, and bench/bench_bert.py measures it against a plain transformers loop
(Trainer itself was not timed; see docs/bert.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tlbench.system import Context
from tlbench_transformers.batching import Encoded, iterate


@dataclass(frozen=True)
class TrainOptions:
    lr: float = 5e-5
    epochs: int = 3
    batch_size: int = 16
    eval_batch_size: int = 64
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    grad_accum: int = 1
    patience: int = 1
    max_steps: int | None = None
    max_grad_norm: float = 1.0


def predict_logits(model, encoded: Encoded, batch_size: int, device, precision: str | None) -> np.ndarray:
    """Logits for every text, in the input order (batches run shortest first)."""
    import torch

    from tlbench.torch_kit import autocast

    out = np.zeros((len(encoded), model.config.num_labels), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for index, ids, mask in iterate(encoded, batch_size):
            with autocast(device, precision):
                logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            out[index] = logits.float().cpu().numpy()
    return out


def accuracy(model, encoded: Encoded, labels: np.ndarray, opts: TrainOptions, device, precision) -> float:
    logits = predict_logits(model, encoded, opts.eval_batch_size, device, precision)
    return float((logits.argmax(axis=1) == labels).mean())


def _optimizer(model, opts: TrainOptions):
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # Biases and LayerNorm weights are not decayed (the usual BERT recipe).
        (no_decay if p.ndim < 2 else decay).append(p)
    groups = [{"params": decay, "weight_decay": opts.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=opts.lr)


def train_model(model, train_enc: Encoded, train_labels: np.ndarray, valid_enc: Encoded | None,
                valid_labels: np.ndarray | None, opts: TrainOptions, ctx: Context, device, precision: str | None) -> dict:
    """Fine-tune ``model`` in place; with a validation part, keep the epoch with the best validation accuracy and
    stop after ``patience`` epochs without improvement. Returns facts for the cell's record."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    from tlbench.torch_kit import EarlyStopping, autocast, backward, optimizer_step

    rng = np.random.default_rng(ctx.seed)
    batches_per_epoch = math.ceil(len(train_enc) / opts.batch_size)
    total = math.ceil(batches_per_epoch / opts.grad_accum) * opts.epochs
    if opts.max_steps:
        total = min(total, opts.max_steps)
    optimizer = _optimizer(model, opts)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(opts.warmup_ratio * total), total)
    scaler = torch.amp.GradScaler(device.type) if precision in ("float16", "fp16") else None
    labels_t = torch.as_tensor(train_labels, dtype=torch.long)
    has_valid = valid_enc is not None and len(valid_enc) > 0
    stopper = EarlyStopping([model], opts.patience)
    step, losses = 0, []
    for epoch in range(1, opts.epochs + 1):
        model.train()
        optimizer.zero_grad(set_to_none=True)
        for b, (index, ids, mask) in enumerate(iterate(train_enc, opts.batch_size, rng), 1):
            with autocast(device, precision):
                logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), labels_t[index].to(device))
            backward(loss / opts.grad_accum, scaler)
            losses.append(float(loss.detach()))
            if b % opts.grad_accum and b != batches_per_epoch:
                continue  # accumulate gradients over grad_accum batches
            optimizer_step(optimizer, model.parameters(), opts.max_grad_norm, scheduler, scaler)
            step += 1
            ctx.report("step", step, total, loss=float(np.mean(losses[-opts.grad_accum:])), epoch=epoch)
            if step >= total:
                break
        metrics = {"train_loss": float(np.mean(losses[-batches_per_epoch:]))}
        if has_valid:
            metrics["valid_accuracy"] = accuracy(model, valid_enc, valid_labels, opts, device, precision)
            stopper.update(metrics["valid_accuracy"], epoch)
        ctx.report("epoch", epoch, opts.epochs, **metrics)
        if step >= total or (has_valid and stopper.stop):
            break
    info = {"epochs_run": epoch, "steps": step, "train_loss": metrics["train_loss"]}
    if has_valid:
        stopper.restore()
        info.update(best_epoch=stopper.best_epoch, valid_accuracy=stopper.best_score)
    model.eval()
    return info
