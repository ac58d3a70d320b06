"""The reference point for bench_bert.py: fine-tuning and prediction the way a plain transformers script does it.

Per batch: the tokenizer pads and truncates (``padding=True, truncation=True, max_length=L``), the model computes
its own loss (``labels=``), AdamW with a linear schedule steps after gradient clipping. Nothing of tlbench is
used, so the ratio tlbench / plain measures tlbench's overhead (or gain) with the same model, batch and length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def load(model_dir: str, num_labels: int = 2):
    """(tokenizer, model) from a local directory, safetensors only."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=num_labels, local_files_only=True, use_safetensors=True)
    return tokenizer, model


def train_epoch(tokenizer, model, texts: Sequence[str], labels: np.ndarray, *, batch_size: int, max_length: int,
                lr: float = 5e-5, seed: int = 0) -> int:
    """One epoch in random order; returns the number of (non-padding) tokens processed."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(seed)
    order = np.random.default_rng(seed).permutation(len(texts))
    steps = (len(texts) + batch_size - 1) // batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    model.train()
    tokens = 0
    for start in range(0, len(texts), batch_size):
        idx = order[start:start + batch_size]
        batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_length,
                          return_tensors="pt")
        tokens += int(batch["attention_mask"].sum())
        out = model(**batch, labels=torch.as_tensor(labels[idx], dtype=torch.long))
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return tokens


def predict(tokenizer, model, texts: Sequence[str], *, batch_size: int, max_length: int) -> tuple[np.ndarray, int]:
    """(probabilities, tokens processed) in input order."""
    import torch

    model.eval()
    out, tokens = [], 0
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            tokens += int(batch["attention_mask"].sum())
            out.append(torch.softmax(model(**batch).logits, dim=-1).numpy())
    return np.concatenate(out), tokens
