"""The downstream model ELMo describes (Peters et al. 2018, section 3.3): a learned scalar mix of the biLM's
layers, ``gamma * sum_j softmax(s)_j * h_j``, fed to an encoder and a classification head.

Encoders: ``attention`` (attentive pooling concatenated with masked max pooling; cheap on CPU) or ``bilstm``
(a one-layer BiLSTM over the mixed vectors, then the same pooling).
"""

from __future__ import annotations

import torch
from torch import nn


class ScalarMix(nn.Module):
    def __init__(self, n_layers: int) -> None:
        super().__init__()
        self.scalars = nn.Parameter(torch.zeros(n_layers))
        self.gamma = nn.Parameter(torch.ones(1))

    def forward(self, layers: list[torch.Tensor]) -> torch.Tensor:
        weights = torch.softmax(self.scalars, 0)
        return self.gamma * sum(w * h for w, h in zip(weights, layers))

    def weights(self) -> list[float]:
        return torch.softmax(self.scalars.detach(), 0).tolist()


class DocClassifier(nn.Module):
    """Scalar mix -> (BiLSTM) -> attention + max pooling -> dropout -> linear head."""

    def __init__(self, in_dim: int, n_labels: int, encoder: str = "attention", hidden: int = 64,
                 dropout: float = 0.3, n_layers: int = 3) -> None:
        super().__init__()
        self.mix = ScalarMix(n_layers)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(in_dim, hidden, batch_first=True, bidirectional=True) if encoder == "bilstm" else None
        width = 2 * hidden if self.lstm is not None else in_dim
        self.attn = nn.Sequential(nn.Linear(width, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.head = nn.Linear(2 * width, n_labels)

    def encoder_modules(self) -> list[nn.Module]:
        """Everything but the head (what ``freeze_encoder`` freezes)."""
        return [m for m in (self.mix, self.lstm, self.attn) if m is not None]

    def forward(self, layers: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.mix(layers))
        if self.lstm is not None:
            lengths = mask.sum(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=mask.shape[1])
        scores = self.attn(h).squeeze(-1).masked_fill(~mask, float("-inf"))
        attended = (torch.softmax(scores, 1).unsqueeze(-1) * h).sum(1)
        maxed = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values
        return self.head(self.drop(torch.cat([attended, maxed], -1)))
