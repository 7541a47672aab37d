"""The causal predictor's running means of training inputs (KT's ``moving_average``): the
"untreated" values its counterfactual inference substitutes for the real ones.

    mean <- mean * (1 - ratio) + ratio * rows.mean(0)

once per training forward (KT: ``average_ratio`` 0.0005, from zero, no bias correction).
"""
from __future__ import annotations

import torch
from torch import Tensor


@torch.no_grad()
def update_running_mean(mean: Tensor, rows: Tensor, ratio: float) -> None:
    """In place: ``mean`` (D,) moves towards the mean of ``rows`` (K, D). No rows, no change (KT's
    mean of an empty batch would be NaN)."""
    if rows.shape[0] == 0:
        return
    mean.mul_(1.0 - ratio).add_(rows.detach().mean(dim=0).to(mean.dtype), alpha=ratio)


def expand_mean(mean: Tensor, count: int) -> Tensor:
    """(D,) -> (count, D), the same row for every box or pair."""
    return mean.view(1, -1).expand(count, -1)
