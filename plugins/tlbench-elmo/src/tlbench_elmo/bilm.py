"""The bidirectional LSTM language model (Peters et al. 2018, section 3.1), in PyTorch.

- token layer: context-independent vectors x_k, either a word embedding (50d, GloVe-initialised) projected to
  ``dim`` (``tokens="words"``), or ELMo's character CNN (``tokens="chars"``: UTF-8 byte embeddings, convolutions
  of widths 1-5 max-pooled over the word, two highway layers, a projection to ``dim``), computed once per distinct
  word of a batch;
- two LSTM layers per direction with a projection to ``dim`` (torch's ``proj_size``, ELMo's LSTMP), a residual
  connection from the first layer to the second, forward and backward directions with separate weights;
- the softmax is tied to the input embedding (the top layer is projected back to 50d and scored against the
  embedding table) and sampled during training (log-uniform negatives, Jean et al. 2015); held-out perplexity
  uses the full softmax. With the char CNN, the 50d table is the softmax's alone (still GloVe-initialised).

A char-CNN biLM needs the words' spellings: its methods take ``spell(ids) -> (U, L) character ids`` (the
vocabulary's :meth:`~tlbench_elmo.vocab.Vocab.spellings`); input ids may then be open ids (>= vocab_size, words
outside the vocabulary), which the softmax predicts as ``<unk>``.

``layers(ids, lengths)`` returns the three representations a downstream model mixes, each (B, T, 2*dim):
[x; x], [f1; b1], [f2; b2].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from tlbench_elmo.vocab import CHAR_PAD, GLOVE_DIM, N_CHARS, PAD, UNK

#: ``spell(ids)``: the character ids (U, L) of the distinct word ids ``ids`` (U,).
Spell = Callable[[np.ndarray], np.ndarray]

#: (width, filters) of the char CNN: ELMo's widths 1-7 with 2048 filters, cut to 1-5 and 512 for a CPU.
CHAR_FILTERS = ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256))
CHAR_DIM = 16
CHAR_BUCKET = 128


@dataclass(frozen=True)
class BiLMConfig:
    vocab_size: int
    dim: int
    hidden: int
    dropout: float = 0.1
    tokens: str = "words"  # or "chars"
    max_chars: int = 20

    def to_dict(self) -> dict:
        return asdict(self)


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence of (B, T, ...) within its own length; padding stays at the end."""
    T = x.shape[1]
    pos = torch.arange(T, device=x.device).unsqueeze(0)
    idx = torch.where(pos < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - pos, pos)
    if x.dim() == 2:
        return x.gather(1, idx)
    return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


class CharCNN(nn.Module):
    """ELMo's token layer (Peters et al. 2018; Kim et al. 2016): byte embeddings, max-pooled convolutions, two
    highway layers (gates biased to carry), a linear projection."""

    def __init__(self, out_dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(N_CHARS, CHAR_DIM, padding_idx=CHAR_PAD)
        self.convs = nn.ModuleList(nn.Conv1d(CHAR_DIM, n, w) for w, n in CHAR_FILTERS)
        width = sum(n for _, n in CHAR_FILTERS)
        self.highways = nn.ModuleList(nn.Linear(width, 2 * width) for _ in range(2))
        for layer in self.highways:
            nn.init.constant_(layer.bias[width:], 1.0)
        self.proj = nn.Linear(width, out_dim)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        x = self.embed(chars).transpose(1, 2)  # (U, CHAR_DIM, L)
        h = torch.relu(torch.cat([conv(x).max(-1).values for conv in self.convs], -1))
        for layer in self.highways:
            transform, gate = layer(h).chunk(2, -1)
            g = torch.sigmoid(gate)
            h = g * h + (1 - g) * torch.relu(transform)
        return self.proj(h)


class BiLM(nn.Module):
    def __init__(self, config: BiLMConfig) -> None:
        super().__init__()
        if config.tokens not in ("words", "chars"):
            raise ValueError(f"tokens must be 'words' or 'chars', not {config.tokens!r}")
        self.config = config
        d, h = config.dim, config.hidden
        self.embed = nn.Embedding(config.vocab_size, GLOVE_DIM, padding_idx=PAD)
        if config.tokens == "chars":
            self.char_cnn = CharCNN(d)
        else:
            self.token_proj = nn.Linear(GLOVE_DIM, d)
        self.forward_lstms = nn.ModuleList([self._lstm(d, h) for _ in range(2)])
        self.backward_lstms = nn.ModuleList([self._lstm(d, h) for _ in range(2)])
        self.out_proj = nn.Linear(d, GLOVE_DIM)
        self.out_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.drop = nn.Dropout(config.dropout)

    @staticmethod
    def _lstm(d: int, h: int) -> nn.LSTM:
        # A projection (LSTMP) only when the cell is wider than the output: torch's oneDNN kernels do not
        # support projections, which makes LSTMP ~4x slower per token on CPU (docs/elmo.md).
        return nn.LSTM(d, h, proj_size=d if h != d else 0, batch_first=True)

    # -- representations -----------------------------------------------------------------------------
    @property
    def uses_chars(self) -> bool:
        return self.config.tokens == "chars"

    def tokens(self, ids: torch.Tensor, spell: Spell | None = None) -> torch.Tensor:
        if not self.uses_chars:
            return self.token_proj(self.embed(ids))
        if spell is None:
            raise ValueError("a char-CNN biLM needs spell= (the vocabulary's spellings)")
        distinct, inverse = torch.unique(ids, return_inverse=True)
        chars = spell(distinct.cpu().numpy())
        # Rows padded to a multiple of CHAR_BUCKET: a new tensor shape at every step fragments the CPU heap
        # (RSS grew by megabytes per step without this).
        rows = -(-len(chars) // CHAR_BUCKET) * CHAR_BUCKET
        chars = np.pad(chars, ((0, rows - len(chars)), (0, 0)))
        return self.char_cnn(torch.from_numpy(chars).to(ids.device))[inverse]

    def _direction(self, x: torch.Tensor, lstms: nn.ModuleList) -> list[torch.Tensor]:
        outs, h = [], x
        for i, lstm in enumerate(lstms):
            y, _ = lstm(self.drop(h))
            if i > 0:
                y = y + h  # residual connection between the two LSTM layers
            outs.append(y)
            h = y
        return outs

    def directions(self, ids: torch.Tensor, lengths: torch.Tensor | None = None, spell: Spell | None = None):
        """Token vectors and the per-layer outputs of both directions, all in the original token order."""
        x = self.tokens(ids, spell)
        fwd = self._direction(x, self.forward_lstms)
        if lengths is None:
            bwd = [y.flip(1) for y in self._direction(x.flip(1), self.backward_lstms)]
        else:
            bwd = [reverse_padded(y, lengths)
                   for y in self._direction(reverse_padded(x, lengths), self.backward_lstms)]
        return x, fwd, bwd

    def layers(self, ids: torch.Tensor, lengths: torch.Tensor, spell: Spell | None = None) -> list[torch.Tensor]:
        """The three layers a downstream model mixes, each (B, T, 2*dim)."""
        x, fwd, bwd = self.directions(ids, lengths, spell)
        return [torch.cat([x, x], -1), *(torch.cat([f, b], -1) for f, b in zip(fwd, bwd))]

    # -- the language-model objective ----------------------------------------------------------------
    def _scores_input(self, h: torch.Tensor) -> torch.Tensor:
        return self.out_proj(self.drop(h))

    def full_logits(self, h: torch.Tensor) -> torch.Tensor:
        return self._scores_input(h) @ self.embed.weight.t() + self.out_bias

    def lm_loss(self, windows: torch.Tensor, num_samples: int = 0, spell: Spell | None = None) -> torch.Tensor:
        """Mean next-token (forward) and previous-token (backward) cross-entropy over windows (B, T+1) of ids.

        ``num_samples`` > 0 uses a sampled softmax with that many log-uniform negatives (ids are in descending
        frequency order); 0 uses the full softmax. Open ids (>= vocab_size) are predicted as ``<unk>``."""
        inputs = windows[:, :-1], windows[:, 1:]
        x_f = self.tokens(inputs[0], spell)
        top_f = self._direction(x_f, self.forward_lstms)[-1]
        x_b = self.tokens(inputs[1].flip(1), spell)
        top_b = self._direction(x_b, self.backward_lstms)[-1].flip(1)
        h = torch.cat([top_f.reshape(-1, top_f.shape[-1]), top_b.reshape(-1, top_b.shape[-1])])
        targets = torch.cat([windows[:, 1:].reshape(-1), windows[:, :-1].reshape(-1)])
        targets = targets.masked_fill(targets >= self.config.vocab_size, UNK)
        if num_samples and num_samples < self.config.vocab_size:
            return self._sampled_loss(h, targets, num_samples)
        return F.cross_entropy(self.full_logits(h), targets)

    def _sampled_loss(self, h: torch.Tensor, targets: torch.Tensor, k: int) -> torch.Tensor:
        V = self.config.vocab_size
        # Log-uniform (Zipf) proposal over ids 1..V: P(i) = log((i+2)/(i+1)) / log(V+1)
        u = torch.rand(k, device=h.device)
        sampled = (torch.exp(u * math.log(V + 1)) - 1).long().clamp_(0, V - 1)

        def log_q(ids: torch.Tensor) -> torch.Tensor:
            f = ids.float()
            p = torch.log((f + 2) / (f + 1)) / math.log(V + 1)
            return torch.log(-torch.expm1(k * torch.log1p(-p.clamp(max=1 - 1e-7))))  # P(sampled at least once)

        z = self._scores_input(h)
        w = self.embed.weight
        true_logit = (z * w[targets]).sum(-1) + self.out_bias[targets] - log_q(targets)
        neg_logits = z @ w[sampled].t() + self.out_bias[sampled] - log_q(sampled)
        neg_logits = neg_logits.masked_fill(targets.unsqueeze(1) == sampled.unsqueeze(0), float("-inf"))
        logits = torch.cat([true_logit.unsqueeze(1), neg_logits], 1)
        return F.cross_entropy(logits, torch.zeros_like(targets))

    @torch.no_grad()
    def heldout_nll(self, windows: torch.Tensor, batch_size: int = 64, spell: Spell | None = None) -> float:
        """Mean full-softmax cross-entropy (nats per token, both directions) on windows (N, T+1)."""
        was_training = self.training
        self.eval()
        total, count = 0.0, 0
        for start in range(0, len(windows), batch_size):
            batch = windows[start:start + batch_size]
            n = batch[:, 1:].numel() * 2
            total += float(self.lm_loss(batch, num_samples=0, spell=spell)) * n
            count += n
        self.train(was_training)
        return total / max(count, 1)
