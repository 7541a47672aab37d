"""Linear layers with the reference's initialisations (KT ``utils_relation.layer_init``, ``make_fc``)."""
from __future__ import annotations

from torch import nn


def xavier_linear(in_dim: int, out_dim: int) -> nn.Linear:
    """``layer_init(..., xavier=True)``: Xavier-normal weights, zero bias."""
    layer = nn.Linear(in_dim, out_dim)
    nn.init.xavier_normal_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def normal_linear(in_dim: int, out_dim: int, std: float) -> nn.Linear:
    """``layer_init(..., std, normal=True)``: normal(0, std) weights, zero bias."""
    layer = nn.Linear(in_dim, out_dim)
    nn.init.normal_(layer.weight, std=std)
    nn.init.zeros_(layer.bias)
    return layer


def kaiming_linear(in_dim: int, out_dim: int) -> nn.Linear:
    """``make_fc``: Kaiming-uniform (a=1) weights, zero bias."""
    layer = nn.Linear(in_dim, out_dim)
    nn.init.kaiming_uniform_(layer.weight, a=1)
    nn.init.zeros_(layer.bias)
    return layer
