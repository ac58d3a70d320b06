"""Domain-adaptive pretraining: continue masked-LM training of the encoder on unlabeled text of the target domain
(Gururangan et al. 2020, "Don't Stop Pretraining"), within a budget of steps so it fits on a CPU.

Masking follows BERT: 15% of the word pieces (never special tokens or padding) are chosen; of those 80% become
``[MASK]``, 10% a random piece, 10% stay. Only the encoder's weights are kept afterwards; the masked-LM head is
discarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tlbench.system import Context
from tlbench_transformers.batching import Encoded, collate, encode


@dataclass(frozen=True)
class AdaptOptions:
    steps: int = 200
    max_texts: int = 20_000
    batch_size: int = 16
    max_length: int = 128
    lr: float = 5e-5
    mlm_probability: float = 0.15
    source_share: float = 0.0


def mask_tokens(ids, special, tokenizer, probability: float, generator):
    """(masked input ids, labels with -100 where nothing is predicted)."""
    import torch

    labels = ids.clone()
    chance = torch.full(ids.shape, probability)
    chance.masked_fill_(special, 0.0)
    chosen = torch.bernoulli(chance, generator=generator).bool()
    labels[~chosen] = -100
    inputs = ids.clone()
    to_mask = torch.bernoulli(torch.full(ids.shape, 0.8), generator=generator).bool() & chosen
    inputs[to_mask] = tokenizer.mask_token_id
    to_random = torch.bernoulli(torch.full(ids.shape, 0.5), generator=generator).bool() & chosen & ~to_mask
    inputs[to_random] = torch.randint(len(tokenizer), ids.shape, generator=generator)[to_random]
    return inputs, labels


def _special_mask(ids, tokenizer):
    import torch

    specials = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=torch.long)
    return torch.isin(ids, specials)


def _stream(encoded: Encoded, batch_size: int, rng: np.random.Generator):
    """Endless random batches, each of texts of similar length."""
    lengths = encoded.lengths
    while True:
        order = rng.permutation(len(encoded))
        for start in range(0, len(order), batch_size * 50):
            window = order[start:start + batch_size * 50]
            window = window[np.argsort(lengths[window], kind="stable")]
            batches = [window[i:i + batch_size] for i in range(0, len(window), batch_size)]
            for j in rng.permutation(len(batches)):
                yield batches[j]


def pretrain(mlm_model, tokenizer, target_texts: Sequence[str], source_texts: Sequence[str],
             opts: AdaptOptions, ctx: Context, device, precision: str | None) -> dict:
    """Run ``opts.steps`` masked-LM steps (the first ``source_share`` of them on source text, where given) on
    ``mlm_model`` in place. Returns facts for the cell's record."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    from tlbench.torch_kit import autocast, train_step

    rng = np.random.default_rng(ctx.seed)
    gen = torch.Generator().manual_seed(ctx.seed)
    source_steps = int(round(opts.steps * opts.source_share)) if len(source_texts) else 0
    phases = [(source_texts, source_steps), (target_texts, opts.steps - source_steps)]
    optimizer = torch.optim.AdamW([p for p in mlm_model.parameters() if p.requires_grad], lr=opts.lr,
                                  weight_decay=0.01)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * opts.steps), opts.steps)
    mlm_model.train()
    step, losses = 0, []
    for texts, n_steps in phases:
        if n_steps <= 0 or not len(texts):
            continue
        pick = rng.choice(len(texts), size=min(len(texts), opts.max_texts), replace=False)
        sample = [texts[i] for i in pick if texts[i] and str(texts[i]).strip()]
        if not sample:
            continue
        encoded = encode(tokenizer, sample, opts.max_length, "head")
        batches = _stream(encoded, opts.batch_size, rng)
        for _ in range(n_steps):
            ids, attention = collate(encoded, next(batches))
            inputs, labels = mask_tokens(ids, _special_mask(ids, tokenizer), tokenizer, opts.mlm_probability, gen)
            with autocast(device, precision):
                out = mlm_model(input_ids=inputs.to(device), attention_mask=attention.to(device))
            loss = torch.nn.functional.cross_entropy(out.logits.float().view(-1, out.logits.shape[-1]),
                                                     labels.to(device).view(-1), ignore_index=-100)
            losses.append(train_step(loss, optimizer, mlm_model.parameters(), 1.0, scheduler))
            step += 1
            ctx.report("pretrain", step, opts.steps, loss=losses[-1])
    mlm_model.eval()
    first, last = losses[:10], losses[-10:]
    return {"adapt_steps": step, "adapt_source_steps": source_steps,
            "adapt_mlm_loss_first": float(np.mean(first)) if first else float("nan"),
            "adapt_mlm_loss_last": float(np.mean(last)) if last else float("nan")}
