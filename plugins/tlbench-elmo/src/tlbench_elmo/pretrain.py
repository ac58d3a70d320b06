"""Pretraining the biLM on text with the language-model objective, cached by content.

The cache key is ``content_key(fingerprint of the texts, the biLM/budget options, the base biLM's key)``; it does
**not** include the cell's seed: the biLM is pretrained once with ``pretrain_seed`` and shared by every cell and
seed that trains on the same text, as ELMo is used in practice (one pretrained biLM, many downstream runs). The
spread across seeds therefore measures the downstream training only. A ``max_minutes`` stop makes a run depend on
the machine's speed; the tokens actually trained are recorded with the biLM.

Held-out text: ``heldout_fraction`` of the documents (at least one, at most 50k tokens), chosen with
``pretrain_seed``, are never trained on; their full-softmax perplexity is the reported ``lm_perplexity``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tlbench.cache import content_key
from tlbench.errors import DataError
from tlbench.system import Context
from tlbench.text import text_fingerprint, tokenize_all
from tlbench.torch_kit import autocast, device_precision, load_weights, save_weights, torch_device, train_step
from tlbench_elmo.bilm import BiLM, BiLMConfig
from tlbench_elmo.presets import BILM_KEYS
from tlbench_elmo.vocab import EOS, Vocab, glove_init, random_init

CACHE_KIND = "elmo-bilm"
HELDOUT_MAX_TOKENS = 50_000
_MEMO: OrderedDict[str, Pretrained] = OrderedDict()  # same-process reuse when ctx.cache is None
_MEMO_SIZE = 4


@dataclass
class Pretrained:
    """A pretrained biLM with its vocabulary and facts about its training (``info``: perplexity, tokens...)."""

    bilm: BiLM
    vocab: Vocab
    key: str
    info: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Pretrained:
        return Pretrained(copy.deepcopy(self.bilm), self.vocab, self.key, dict(self.info))

    def ids(self, tokens: Sequence[str]) -> list[int]:
        """Input ids of ``tokens``: vocabulary ids (``<unk>`` outside it), or open ids for a char-CNN biLM (every
        word keeps its spelling)."""
        return self.vocab.open_ids(tokens) if self.bilm.uses_chars else self.vocab.ids(tokens)

    def spell(self, ids: np.ndarray) -> np.ndarray:
        return self.vocab.spellings(ids, self.bilm.config.max_chars)

    def layers(self, ids: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
        return self.bilm.layers(ids, lengths, self.spell if self.bilm.uses_chars else None)

    def save(self, path: Path) -> None:
        save_weights(path, "bilm", self.bilm.state_dict(), {
            "config": self.bilm.config.to_dict(), "vocab": list(self.vocab.words), "key": self.key,
            "info": self.info})

    @classmethod
    def load(cls, path: Path) -> Pretrained:
        """A biLM saved by :meth:`save` (the folder holds ``bilm.safetensors`` and ``bilm.json``)."""
        state, meta = load_weights(path, "bilm", what="biLM")
        bilm = BiLM(BiLMConfig(**meta["config"]))
        bilm.load_state_dict(state)
        return cls(bilm, Vocab(tuple(meta["vocab"])), meta["key"], meta.get("info", {}))


def bilm_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options[k] for k in BILM_KEYS}


def pretrained_bilm(texts: Sequence[str], options: dict[str, Any], ctx: Context,
                    base: Pretrained | None = None, budget_scale: float = 1.0) -> Pretrained:
    """A biLM pretrained on ``texts`` (continuing ``base`` when given, for ``budget_scale`` × the token budget),
    from ``ctx.cache`` when it was trained before. Always a private copy the caller may fine-tune."""
    key = content_key(CACHE_KIND, text_fingerprint(texts), bilm_options(options),
                      base.key if base else None, budget_scale)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        reused = _MEMO[key].copy()
        reused.info["from_cache"] = True
        return reused
    cached = ctx.cache.get(CACHE_KIND, key) if ctx.cache is not None else None
    if cached is not None:
        result = Pretrained.load(cached)
        result.info["from_cache"] = True
    else:
        result = _train(texts, options, ctx, base, budget_scale, key)
        if ctx.cache is not None:
            ctx.cache.put(CACHE_KIND, key, result.save)
    _MEMO[key] = result
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return result.copy()


def _split_docs(texts: Sequence[str], options: dict[str, Any]) -> tuple[list[list[str]], list[list[str]]]:
    docs = [d for d in tokenize_all(texts) if d]
    if not docs:
        raise DataError(f"elmo: none of the {len(texts)} pretraining texts has a word token; "
                        "the biLM needs text (check the corpus or pass unlabeled text)")
    order = np.random.default_rng(int(options["pretrain_seed"])).permutation(len(docs))
    n_held = max(1, round(float(options["heldout_fraction"]) * len(docs))) if len(docs) >= 2 else 0
    held, budget = [], HELDOUT_MAX_TOKENS
    for i in order[:n_held]:
        if budget <= 0:
            break
        held.append(docs[i])
        budget -= len(docs[i])
    held_set = set(order[:len(held)].tolist())
    train = [docs[i] for i in order if i not in held_set]
    return train, held


def _windows(docs: list[list[str]], vocab: Vocab, seq_len: int, open_ids: bool = False) -> torch.Tensor:
    """The documents as one id stream (``</s>`` between them) cut into overlapping windows (N, seq_len + 1);
    ``open_ids``: words outside the vocabulary keep ids of their own (a char-CNN biLM reads their spelling)."""
    encode = vocab.open_ids if open_ids else vocab.ids
    stream = [EOS]
    for d in docs:
        stream.extend(encode(d))
        stream.append(EOS)
    ids = torch.tensor(stream, dtype=torch.long)
    seq_len = min(seq_len, len(ids) - 1)
    n = (len(ids) - 1) // seq_len
    return ids[: n * seq_len + 1].unfold(0, seq_len + 1, seq_len) if n > 0 else ids.new_zeros((0, 2))


def _new_bilm(vocab: Vocab, options: dict[str, Any], rng: np.random.Generator) -> tuple[BiLM, dict]:
    bilm = BiLM(BiLMConfig(len(vocab), int(options["dim"]), int(options["hidden"]), float(options["lm_dropout"]),
                           tokens=str(options["tokens"]), max_chars=int(options["max_chars"])))
    if options["glove"]:
        matrix, found = glove_init(vocab, rng)
    else:
        matrix, found = random_init(len(vocab), rng), 0
    with torch.no_grad():
        bilm.embed.weight.copy_(torch.from_numpy(matrix))
    return bilm, {"glove_words": int(found)}


def _extended(base: Pretrained, docs: list[list[str]], options: dict[str, Any],
              rng: np.random.Generator) -> tuple[BiLM, Vocab, dict]:
    """``base`` with the most frequent new words of ``docs`` added (a quarter of ``vocab_size`` at most), so the
    adapted biLM learns vectors for the target domain's own words."""
    bilm, vocab = copy.deepcopy(base.bilm), base.vocab
    fresh = Vocab.build(docs, int(options["vocab_size"]))
    known = set(vocab.words)
    new = [w for w in fresh.words if w not in known][: max(0, int(options["vocab_size"]) // 4)]
    if not new:
        return bilm, vocab, {"words_added": 0}
    extended = Vocab((*vocab.words, *new))
    if options["glove"]:
        rows, found = glove_init(Vocab(("<pad>", "<unk>", "</s>", *new)), rng)
        rows = rows[3:]
    else:
        rows, found = random_init(len(new) + 1, rng)[1:], 0
    old = bilm.embed.weight.detach()
    grown = BiLM(dataclasses.replace(bilm.config, vocab_size=len(extended)))
    state = bilm.state_dict()
    state["embed.weight"] = torch.cat([old, torch.from_numpy(rows).to(old.dtype)])
    bias = state["out_bias"]
    state["out_bias"] = torch.cat([bias, bias.new_full((len(new),), float(bias[3:].min()))])
    grown.load_state_dict(state)
    return grown, extended, {"words_added": len(new), "glove_words_added": int(found)}


def _train(texts: Sequence[str], options: dict[str, Any], ctx: Context, base: Pretrained | None,
           budget_scale: float, key: str) -> Pretrained:
    device = torch_device(ctx, options.get("cpu_threads"))
    seed = int(options["pretrain_seed"])
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_docs, held_docs = _split_docs(texts, options)
    if base is None:
        vocab = Vocab.build(train_docs, int(options["vocab_size"]))
        bilm, info = _new_bilm(vocab, options, rng)
    else:
        bilm, vocab, info = _extended(base, train_docs, options, rng)
        info["continued_from"] = base.key
    seq_len = int(options["seq_len"])
    chars = bilm.uses_chars
    spell = Pretrained(bilm, vocab, key).spell if chars else None
    windows = _windows(train_docs, vocab, seq_len, open_ids=chars)
    if len(windows) == 0:
        raise DataError(f"elmo: the pretraining text has too few tokens ({sum(map(len, train_docs))}) "
                        "for a language model; give it more text")
    held = _windows(held_docs, vocab, seq_len, open_ids=chars) if held_docs else windows[:0]
    bilm.to(device).train()
    budget_tokens = float(options["max_tokens"]) * budget_scale
    per_step = int(options["lm_batch_size"]) * windows.shape[1] - int(options["lm_batch_size"])
    total_steps = max(1, math.ceil(budget_tokens / max(per_step, 1)))
    if options["max_steps"]:
        total_steps = min(total_steps, int(options["max_steps"]))
    max_seconds = float(options["max_minutes"]) * 60 * max(budget_scale, 0.0)
    step, tokens, seconds = _lm_steps(bilm, windows, options, ctx, device, spell, total_steps, max_seconds)
    bilm.eval()
    nll = bilm.heldout_nll(held.to(device), batch_size=8, spell=spell) if len(held) else float("nan")
    bilm.cpu()
    info.update({
        "lm_perplexity": math.exp(nll) if math.isfinite(nll) else None,
        "lm_heldout_tokens": int(held[:, 1:].numel()) if len(held) else 0,
        "lm_tokens_trained": int(tokens), "lm_steps": int(step), "lm_seconds": round(seconds, 2),
        "lm_tokens_per_s": round(tokens / max(seconds, 1e-9), 1), "lm_vocab": len(vocab),
        "lm_train_texts": len(train_docs), "lm_stopped_by_time": bool(seconds > max_seconds),
    })
    return Pretrained(bilm, vocab, key, info)


def _lm_steps(bilm: BiLM, windows: torch.Tensor, options: dict[str, Any], ctx: Context, device: torch.device,
              spell, total_steps: int, max_seconds: float) -> tuple[int, int, float]:
    """Train ``bilm`` on shuffled ``windows`` for ``total_steps`` updates or ``max_seconds``, whichever comes
    first (warm-up, then linear decay to a tenth); returns steps, tokens trained and seconds."""
    opt = torch.optim.Adam(bilm.parameters(), lr=float(options["lm_lr"]))
    warmup = min(100, max(1, total_steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.1, 1.0 - s / total_steps))
    gen = torch.Generator().manual_seed(int(options["pretrain_seed"]))
    batch, k, precision = int(options["lm_batch_size"]), int(options["num_samples"]), device_precision(device)
    step, tokens, start, loss_avg = 0, 0, time.perf_counter(), None
    while step < total_steps:
        order = torch.randperm(len(windows), generator=gen)
        for b in range(0, len(order), batch):
            ids = windows[order[b:b + batch]].to(device)
            with autocast(device, precision):
                loss = bilm.lm_loss(ids, num_samples=k, spell=spell)
            value = train_step(loss, opt, bilm.parameters(), 1.0, sched)
            step += 1
            tokens += ids[:, 1:].numel()
            loss_avg = value if loss_avg is None else 0.95 * loss_avg + 0.05 * value
            elapsed = time.perf_counter() - start
            if step % 25 == 0 or step == total_steps:
                ctx.report("pretrain", step, total_steps, loss=loss_avg, tokens_per_s=tokens / max(elapsed, 1e-9))
            if step >= total_steps or elapsed > max_seconds:
                break
        if time.perf_counter() - start > max_seconds:
            break
    return step, tokens, time.perf_counter() - start
