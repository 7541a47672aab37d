"""Learning-rate schedules and the optimizer.

``WarmupMultiStepLR``: linear warmup, then step decay at fixed iterations.
``WarmupPlateauLR``: linear warmup, then decay when a validation metric stops improving, and the
signal to stop training after the last allowed decay (KT's ``WarmupReduceLROnPlateau`` recipe).
"""
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


class WarmupPlateauLR(WarmupMultiStepLR):
    """``lr = base_lr * warmup(it) * gamma ** decays``; ``report(metric)`` after each validation.

    A reported value counts as an improvement when it exceeds the best so far by more than
    ``threshold`` (absolute, as KT); after ``patience`` reports without one the rate decays by
    ``gamma``. ``finished`` turns true at the ``max_decays``-th decay: the trainer then stops.
    The decay count, best value and patience count are part of the state, so resume continues them.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, *, gamma: float = 0.1, warmup_iters: int = 0,
                 warmup_factor: float = 0.1, patience: int = 2, threshold: float = 0.001, max_decays: int = 3,
                 last_epoch: int = -1):
        self.patience, self.threshold, self.max_decays = int(patience), float(threshold), int(max_decays)
        self.decays, self.bad_reports, self.best = 0, 0, None
        super().__init__(optimizer, milestones=(), gamma=gamma, warmup_iters=warmup_iters,
                         warmup_factor=warmup_factor, last_epoch=last_epoch)

    def factor(self, iteration: int) -> float:
        return super().factor(iteration) * self.gamma ** self.decays

    @property
    def finished(self) -> bool:
        return self.max_decays > 0 and self.decays >= self.max_decays

    def report(self, metric: float | None) -> None:
        """Record one validation value (None: the metric was unavailable, counts as no improvement)."""
        if metric is not None and (self.best is None or metric > self.best + self.threshold):
            self.best, self.bad_reports = float(metric), 0
            return
        self.bad_reports += 1
        if self.bad_reports >= self.patience:
            self.decays, self.bad_reports = self.decays + 1, 0
            for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
                group["lr"] = lr

    def state_dict(self) -> dict:
        state = super().state_dict()
        return {k: v for k, v in state.items() if k not in ("patience", "threshold", "max_decays")}


def parameter_groups(model: torch.nn.Module, *, weight_decay: float, weight_decay_bias: float | None) -> list[dict]:
    """Trainable parameters in two groups: those whose name contains "bias" (KT's substring rule,
    which also covers the frequency-bias table) get ``weight_decay_bias``, the rest
    ``weight_decay``; ``weight_decay_bias`` None puts everything in one group."""
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if weight_decay_bias is None:
        return [{"params": [p for _, p in named], "weight_decay": weight_decay}]
    return [group for group in (
        {"params": [p for name, p in named if "bias" not in name], "weight_decay": weight_decay},
        {"params": [p for name, p in named if "bias" in name], "weight_decay": float(weight_decay_bias)},
    ) if group["params"]]


def build_optimizer(params, *, name: str = "sgd", base_lr: float, momentum: float = 0.9,
                    weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """SGD (with momentum) or AdamW over the trainable ``params`` (tensors, or the groups of
    ``parameter_groups``)."""
    params = list(params)
    if params and isinstance(params[0], dict):
        params = [g for g in params if any(p.requires_grad for p in g["params"])]
    else:
        params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    if name == "sgd":
        return torch.optim.SGD(params, lr=base_lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=base_lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; expected sgd or adamw")
