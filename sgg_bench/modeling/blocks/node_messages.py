"""Message aggregation and the residual node update of the MSDN family (MSDN, BGNN).

``mean_by_target`` averages the messages that arrive at each node (zero for a node that gets
none); ``ResidualUpdate`` is Microsoft's / PySGG's ``x + W_i·ReLU(message) + W_h·ReLU(x)``
(``Gated_Recurrent_Unit`` / ``MessageFusion`` plus the residual both add).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


def mean_by_target(messages: Tensor, targets: Tensor, num_targets: int) -> Tensor:
    """(E, d) messages and (E,) target rows -> (num_targets, d) means; zero rows without messages."""
    total = messages.new_zeros((num_targets, messages.shape[1])).index_add(0, targets, messages)
    count = torch.zeros(num_targets, device=messages.device).index_add(0, targets, torch.ones_like(targets,
                                                                                                    dtype=torch.float))
    return total / count.clamp(min=1).unsqueeze(1)


class ResidualUpdate(nn.Module):
    """x + W_i·ReLU(message) + W_h·ReLU(x)."""

    def __init__(self, dim: int):
        super().__init__()
        self.wih = nn.Linear(dim, dim)
        self.whh = nn.Linear(dim, dim)

    def forward(self, message: Tensor, state: Tensor) -> Tensor:
        return state + self.wih(torch.relu(message)) + self.whh(torch.relu(state))
