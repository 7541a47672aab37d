"""A post-norm Transformer encoder over per-image box sequences (KT ``model_transformer.py``:
``MultiHeadAttention``, ``PositionwiseFeedForward``, ``EncoderLayer``, ``TransformerEncoder``).

One layer, on a padded batch x (B, L, d_model) of boxes:
  attention: q, k, v = x W_q (H heads of d_k), x W_k (d_k), x W_v (d_v), each with a bias;
             a = softmax(q k^T / sqrt(d_k)) over the image's own boxes (padding keys masked),
             dropout on a; x = LayerNorm(x + dropout(fc(concat_heads(a v))))
  feed-forward: x = LayerNorm(x + dropout(W_2 relu(W_1 x)))  (d_model -> d_inner -> d_model)
Padded rows are zeroed after each sub-layer, as KT. ``W_1``/``W_2`` are linear layers: KT's
1x1 ``Conv1d`` has the same weights, bias and default initialisation.
The same layer with ``activation="gelu"`` and ``norm_eps=1e-12`` is a BERT/UNITER layer
(``BertLayer``: the same tensors; SGNLS's masked-token Transformer re-initialises them BERT's way).
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with residual and LayerNorm; KT's initialisation (normal for the
    projections, Xavier normal for the output layer)."""

    def __init__(self, d_model: int, num_heads: int, key_dim: int, value_dim: int, dropout: float,
                 norm_eps: float = 1e-5):
        super().__init__()
        self.num_heads, self.key_dim, self.value_dim = int(num_heads), int(key_dim), int(value_dim)
        self.query = nn.Linear(d_model, num_heads * key_dim)
        self.key = nn.Linear(d_model, num_heads * key_dim)
        self.value = nn.Linear(d_model, num_heads * value_dim)
        nn.init.normal_(self.query.weight, std=math.sqrt(2.0 / (d_model + key_dim)))
        nn.init.normal_(self.key.weight, std=math.sqrt(2.0 / (d_model + key_dim)))
        nn.init.normal_(self.value.weight, std=math.sqrt(2.0 / (d_model + value_dim)))
        self.out = nn.Linear(num_heads * value_dim, d_model)
        nn.init.xavier_normal_(self.out.weight)
        self.attention_dropout = nn.Dropout(dropout)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model, eps=norm_eps)

    def forward(self, x: Tensor, padding: Tensor) -> Tensor:
        """x: (B, L, d_model); padding: (B, L) bool, True at padded positions -> (B, L, d_model)."""
        batch, length, _ = x.shape
        heads = lambda t, d: t.view(batch, length, self.num_heads, d).transpose(1, 2)  # noqa: E731  (B, H, L, d)
        q = heads(self.query(x), self.key_dim)
        k = heads(self.key(x), self.key_dim)
        v = heads(self.value(x), self.value_dim)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.key_dim)             # (B, H, L, L)
        scores = scores.masked_fill(padding[:, None, None, :], float("-inf"))
        weights = self.attention_dropout(torch.softmax(scores, dim=-1))
        attended = (weights @ v).transpose(1, 2).reshape(batch, length, self.num_heads * self.value_dim)
        return self.norm(x + self.dropout(self.out(attended)))


ACTIVATIONS = {"relu": torch.relu, "gelu": nn.functional.gelu}   # gelu: the exact erf form, as BERT


class FeedForward(nn.Module):
    def __init__(self, d_model: int, inner_dim: int, dropout: float, activation: str = "relu",
                 norm_eps: float = 1e-5):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"FeedForward: activation: expected one of {sorted(ACTIVATIONS)}, found {activation!r}")
        self.inner = nn.Linear(d_model, inner_dim)
        self.outer = nn.Linear(inner_dim, d_model)
        self.activation = ACTIVATIONS[activation]
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model, eps=norm_eps)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, L, d_model) -> (B, L, d_model)."""
        return self.norm(x + self.dropout(self.outer(self.activation(self.inner(x)))))


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, num_heads: int, key_dim: int, value_dim: int, inner_dim: int, dropout: float,
                 activation: str = "relu", norm_eps: float = 1e-5):
        super().__init__()
        self.attention = MultiHeadSelfAttention(d_model, num_heads, key_dim, value_dim, dropout, norm_eps=norm_eps)
        self.feed_forward = FeedForward(d_model, inner_dim, dropout, activation=activation, norm_eps=norm_eps)

    def forward(self, x: Tensor, padding: Tensor) -> Tensor:
        keep = (~padding).unsqueeze(-1).to(x.dtype)
        x = self.attention(x, padding) * keep
        return self.feed_forward(x) * keep


class TransformerEncoder(nn.Module):
    """``num_layers`` encoder layers run on each image's boxes separately (attention never
    crosses images)."""

    def __init__(self, *, num_layers: int, d_model: int, num_heads: int, key_dim: int, value_dim: int,
                 inner_dim: int, dropout: float, activation: str = "relu", norm_eps: float = 1e-5):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"TransformerEncoder: num_layers: expected >= 1, found {num_layers}")
        self.layers = nn.ModuleList(EncoderLayer(d_model, num_heads, key_dim, value_dim, inner_dim, dropout,
                                                 activation=activation, norm_eps=norm_eps)
                                    for _ in range(num_layers))

    def forward(self, sequences: list[Tensor]) -> list[Tensor]:
        """sequences: list of (N_i, d_model), one per image (N_i may be 0) -> list of (N_i, d_model)."""
        lengths = [int(s.shape[0]) for s in sequences]
        non_empty = [i for i, n in enumerate(lengths) if n > 0]
        outputs = [s.new_zeros((0, s.shape[1])) for s in sequences]
        if not non_empty:
            # Keep the layers in the graph so backward works without any box.
            anchor = sum(p.sum() for p in self.parameters()) * 0.0
            return [o + anchor for o in outputs]
        longest = max(lengths)
        x = nn.utils.rnn.pad_sequence([sequences[i] for i in non_empty], batch_first=True)  # (B, L, d)
        steps = torch.arange(longest, device=x.device)
        padding = steps[None, :] >= torch.tensor([lengths[i] for i in non_empty], device=x.device)[:, None]
        for layer in self.layers:
            x = layer(x, padding)
        for row, index in enumerate(non_empty):
            outputs[index] = x[row, : lengths[index]]
        return outputs

    def encode_padded(self, x: Tensor, padding: Tensor) -> Tensor:
        """x: (B, L, d_model) already padded; padding: (B, L) bool, True at padded positions."""
        for layer in self.layers:
            x = layer(x, padding)
        return x
