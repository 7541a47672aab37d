"""GPS-Net's direction-aware message passing between objects (Lin et al., CVPR 2020), with the
layout of PySGG's ``GatingModel`` and ``MessageGenerator`` (``model_gpsnet.py``).

For every candidate pair (s, o) with pair feature u, the **triplet gate** is one scalar
    g_so = mean over ``filter_dim`` outputs of ReLU(W·(ReLU(W_s x_s) ⊙ ReLU(W_o x_o) ⊙ ReLU(W_u u))).
The **attention** of subject s on object o is a softmax over s's objects,
    A[s, o] = exp(g_so − c) / (Σ_o' exp(g_so' − c) + 1e-6),  c = max(0, max g over the batch),
(the reference fills a dense batch matrix with the gates, zeros elsewhere, and subtracts its max).
Each object i then receives both directions of A, from the messages m = message_fc(x) (P/2 each):
    [Σ_o A[i, o] m_o,  Σ_s A[s, i] m_s]   (i as subject of its pairs; i as their object, A transposed)
and the (P,) concatenation goes through ``output_fc`` (Linear P -> P/4, LayerNorm, ReLU,
Linear -> H, ReLU). An object that is no pair's subject (no attention row) gets a zero message, as
the reference pads it. Pairs are indices into the batch's objects and must be unique (candidate
pairs are); the reference's dense matrix would keep only the last of two equal pairs.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.layer_init import kaiming_linear

ATTENTION_EPS = 1e-6


class TripletGate(nn.Module):
    """(M, D) subject and object features, (M, D_u) pair features -> (M,) gates >= 0
    (PySGG ``GatingModel``; its linear layers are ``make_fc``: Kaiming-uniform, zero bias)."""

    def __init__(self, entity_dim: int, union_dim: int, hidden_dim: int, filter_dim: int = 32):
        super().__init__()
        self.subject = kaiming_linear(entity_dim, hidden_dim)
        self.object = kaiming_linear(entity_dim, hidden_dim)
        self.union = kaiming_linear(union_dim, hidden_dim)
        self.filter = kaiming_linear(hidden_dim, filter_dim)

    def forward(self, subjects: Tensor, objects: Tensor, unions: Tensor) -> Tensor:
        triplet = torch.relu(self.subject(subjects)) * torch.relu(self.object(objects)) * torch.relu(self.union(unions))
        return torch.relu(self.filter(triplet)).mean(dim=1)


def subject_softmax(gates: Tensor, subjects: Tensor, num_nodes: int) -> Tensor:
    """(M,) gates, (M,) subject rows -> (M,) attention A[s, o]: the softmax of each subject's gates
    with the reference's shift and 1e-6 in the denominator."""
    if gates.numel() == 0:
        return gates
    shift = gates.max().clamp(min=0)  # the dense matrix's max also sees its zero entries
    weights = (gates - shift).exp()
    totals = weights.new_zeros(num_nodes).index_add(0, subjects, weights)
    return weights / (totals[subjects] + ATTENTION_EPS)


class DirectionAwareMessages(nn.Module):
    """(N, P) objects, (M,) gates, (M, 2) pairs -> (N, H) messages (PySGG ``MessageGenerator``)."""

    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        if dim < 4 or dim % 2:
            raise ValueError(f"direction-aware messages: dim: expected an even size >= 4, found {dim}")
        self.message_fc = nn.Linear(dim, dim // 2)
        self.output_fc = nn.Sequential(nn.Linear(dim, dim // 4), nn.LayerNorm(dim // 4), nn.ReLU(),
                                       nn.Linear(dim // 4, hidden_dim), nn.ReLU())
        self.hidden_dim = int(hidden_dim)

    def forward(self, nodes: Tensor, gates: Tensor, pairs: Tensor) -> Tensor:
        num_nodes = nodes.shape[0]
        subj, obj = pairs[:, 0], pairs[:, 1]
        attention = subject_softmax(gates, subj, num_nodes).unsqueeze(1)
        messages = self.message_fc(nodes)
        as_subject = messages.new_zeros(messages.shape).index_add(0, subj, attention * messages[obj])
        as_object = messages.new_zeros(messages.shape).index_add(0, obj, attention * messages[subj])
        row_mass = attention.new_zeros(num_nodes).index_add(0, subj, attention.squeeze(1))
        active = torch.nonzero(row_mass > 0).squeeze(1)
        out = nodes.new_zeros((num_nodes, self.hidden_dim))
        if active.numel():
            combined = torch.cat([as_subject[active], as_object[active]], dim=1)
            out = out.index_copy(0, active, self.output_fc(combined))
        return out
