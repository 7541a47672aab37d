"""The optimizer and learning-rate schedule a config's ``solver`` section describes."""
from __future__ import annotations

from typing import Any, Mapping

import torch


def build_solver(solver: Mapping[str, Any], model: torch.nn.Module):
    """Optimizer and schedule of ``cfg.solver``: the learning rate optionally scaled by the images
    per batch and biases optionally without weight decay (both KT's recipe); step decay at
    ``steps`` or decay on validation plateaus."""
    from sgg_bench.engine.schedule import WarmupMultiStepLR, WarmupPlateauLR, build_optimizer, parameter_groups

    base_lr = float(solver["base_lr"]) * (int(solver["ims_per_batch"]) if solver["lr_scale_by_batch"] else 1)
    bias_decay = solver["weight_decay_bias"]
    groups = parameter_groups(model, weight_decay=float(solver["weight_decay"]),
                              weight_decay_bias=None if bias_decay is None else float(bias_decay))
    optimizer = build_optimizer(groups, name=solver["optimizer"], base_lr=base_lr,
                                momentum=float(solver["momentum"]), weight_decay=float(solver["weight_decay"]))
    if solver["schedule"] == "plateau":
        scheduler = WarmupPlateauLR(optimizer, gamma=float(solver["gamma"]), warmup_iters=int(solver["warmup_iters"]),
                                    patience=int(solver["plateau_patience"]),
                                    threshold=float(solver["plateau_threshold"]),
                                    max_decays=int(solver["plateau_max_decays"]))
    else:
        scheduler = WarmupMultiStepLR(optimizer, milestones=list(solver["steps"]), gamma=float(solver["gamma"]),
                                      warmup_iters=int(solver["warmup_iters"]))
    return optimizer, scheduler
