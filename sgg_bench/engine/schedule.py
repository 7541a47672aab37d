"""Learning-rate schedule: linear warmup, then step decay at fixed iterations."""
from __future__ import annotations

import bisect

import torch


class WarmupMultiStepLR(torch.optim.lr_scheduler.LRScheduler):
    """``lr = base_lr * warmup(it) * gamma ** (number of milestones <= it)``.

    ``warmup(it)`` rises linearly from ``warmup_factor`` at iteration 0 to 1 at
    ``warmup_iters`` (maskrcnn-benchmark's linear warmup). Step once per iteration. Its state
    holds only numbers, so it survives ``torch.load(weights_only=True)``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, *, milestones=(), gamma: float = 0.1,
                 warmup_iters: int = 0, warmup_factor: float = 0.1, last_epoch: int = -1):
        milestones = [int(m) for m in milestones]
        if milestones != sorted(milestones):
            raise ValueError(f"milestones must be increasing, got {milestones}")
        self.milestones = milestones
        self.gamma = float(gamma)
        self.warmup_iters = int(warmup_iters)
        self.warmup_factor = float(warmup_factor)
        super().__init__(optimizer, last_epoch)

    def factor(self, iteration: int) -> float:
        scale = self.gamma ** bisect.bisect_right(self.milestones, iteration)
        if iteration < self.warmup_iters:
            alpha = iteration / self.warmup_iters
            scale *= self.warmup_factor * (1 - alpha) + alpha
        return scale

    def state_dict(self) -> dict:
        """Progress only (iteration, base and last learning rates): the schedule's shape comes
        from the constructor, so a run resumed with new ``steps`` follows the new ones."""
        shape = {"milestones", "gamma", "warmup_iters", "warmup_factor"}
        return {k: v for k, v in super().state_dict().items() if k not in shape}

    def get_lr(self) -> list[float]:
        return [base * self.factor(self.last_epoch) for base in self.base_lrs]


def build_optimizer(params, *, name: str = "sgd", base_lr: float, momentum: float = 0.9,
                    weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """SGD (with momentum) or AdamW over the trainable ``params``."""
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    if name == "sgd":
        return torch.optim.SGD(params, lr=base_lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=base_lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; expected sgd or adamw")
