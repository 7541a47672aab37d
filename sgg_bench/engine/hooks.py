"""Hooks: small objects the trainer calls before/after training and each step.

Writing hooks act on rank 0 only. A hook that draws random numbers between steps must do
so inside ``preserved_rng()`` so that a resumed run stays identical to an uninterrupted one.
"""
from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from tqdm import tqdm

from sgg_bench.engine import checkpoint as ckpt
from sgg_bench.engine import distributed as dist_utils

if TYPE_CHECKING:  # pragma: no cover
    from sgg_bench.engine.trainer import Trainer

logger = logging.getLogger("sgg_bench.engine")


class Hook:
    """Base class; override any of the four calls. ``after_train`` also runs when training
    stops with an error (release resources there; do not assume the run finished)."""

    def before_train(self, trainer: "Trainer") -> None:
        pass

    def before_step(self, trainer: "Trainer") -> None:
        pass

    def after_step(self, trainer: "Trainer") -> None:
        pass

    def after_train(self, trainer: "Trainer") -> None:
        pass


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Run a block without disturbing the python/numpy/torch generators."""
    state = ckpt.capture_rng()
    try:
        yield
    finally:
        ckpt.restore_rng(state)


class PeriodicCheckpointer(Hook):
    """Save ``model_<iteration>.pth`` every ``period`` steps (the trainer adds this hook;
    the final checkpoint is written by the trainer itself)."""

    def __init__(self, *, period: int):
        self.period = int(period)

    def after_step(self, trainer: "Trainer") -> None:
        if self.period > 0 and trainer.iteration % self.period == 0 and trainer.iteration < trainer.max_iter:
            trainer.save_checkpoint(ckpt.periodic_name(trainer.iteration))


class ProgressLogger(Hook):
    """tqdm bar plus a log line every ``period`` steps (losses, lr, seconds/step, ETA)."""

    def __init__(self, *, period: int = 20, show_bar: bool = True):
        self.period = max(1, int(period))
        self.show_bar = show_bar
        self._bar = None
        self._window_start = 0.0
        self._window_iter = 0

    def before_train(self, trainer: "Trainer") -> None:
        if dist_utils.is_main_process() and self.show_bar and trainer.max_iter > 0:
            self._bar = tqdm(total=trainer.max_iter, initial=trainer.iteration, desc="train", unit="it",
                             dynamic_ncols=True)
        self._window_start = time.perf_counter()
        self._window_iter = trainer.iteration

    def after_step(self, trainer: "Trainer") -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(loss=f"{trainer.latest_losses.get('total_loss', float('nan')):.4f}", refresh=False)
        if trainer.iteration % self.period == 0 or trainer.iteration == trainer.max_iter:
            losses = dist_utils.reduce_mean(trainer.latest_losses)
            now = time.perf_counter()
            per_step = (now - self._window_start) / max(1, trainer.iteration - self._window_iter)
            self._window_start, self._window_iter = now, trainer.iteration
            if dist_utils.is_main_process():
                eta = per_step * (trainer.max_iter - trainer.iteration)
                text = "  ".join(f"{k}: {v:.4f}" for k, v in sorted(losses.items()))
                logger.info("iter %d/%d  %s  lr: %.3g  %.3f s/it  eta %ds", trainer.iteration, trainer.max_iter,
                            text, trainer.learning_rate, per_step, int(eta))

    def after_train(self, trainer: "Trainer") -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class TensorBoardLogger(Hook):
    """Scalars (losses, lr, validation metrics) for TensorBoard, when it is installed."""

    def __init__(self, *, log_dir: str | Path, period: int = 20):
        self.log_dir = Path(log_dir)
        self.period = max(1, int(period))
        self._writer = None

    @staticmethod
    def available() -> bool:
        try:
            import torch.utils.tensorboard  # noqa: F401
        except ImportError:
            return False
        return True

    def before_train(self, trainer: "Trainer") -> None:
        if dist_utils.is_main_process() and self.available():
            from torch.utils.tensorboard import SummaryWriter
            self._writer = SummaryWriter(log_dir=str(self.log_dir), purge_step=trainer.iteration or None)

    def after_step(self, trainer: "Trainer") -> None:
        if self._writer is None or trainer.iteration % self.period:
            return
        for key, value in trainer.latest_losses.items():
            self._writer.add_scalar(f"train/{key}", value, trainer.iteration)
        self._writer.add_scalar("train/lr", trainer.learning_rate, trainer.iteration)

    def add_metrics(self, metrics: dict, iteration: int, prefix: str = "val") -> None:
        if self._writer is None:
            return
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self._writer.add_scalar(f"{prefix}/{key}", value, iteration)

    def after_train(self, trainer: "Trainer") -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class PeriodicValidation(Hook):
    """Every ``period`` steps call ``evaluate(trainer) -> dict`` of flat metrics (all ranks
    call it; it decides who works), log the result and append it to ``<run>/validation.jsonl``.

    The model is put back in train mode and the random generators are restored afterwards,
    so validation does not change the training trajectory.
    """

    def __init__(self, *, period: int, evaluate: Callable[["Trainer"], dict],
                 tensorboard: TensorBoardLogger | None = None,
                 on_metrics: Callable[["Trainer", dict], None] | None = None):
        self.period = int(period)
        self.evaluate = evaluate
        self.tensorboard = tensorboard
        self.on_metrics = on_metrics  # e.g. a plateau schedule's report; called on every rank
        self.history: list[dict] = []

    def after_step(self, trainer: "Trainer") -> None:
        if self.period <= 0 or trainer.iteration % self.period or trainer.iteration == trainer.max_iter:
            return
        with preserved_rng():
            metrics = self.evaluate(trainer)
        trainer.model.train()
        entry = {"iteration": trainer.iteration, "metrics": metrics}
        self.history.append(entry)
        if dist_utils.is_main_process():
            shown = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and v is not None}
            logger.info("validation at iter %d: %s", trainer.iteration,
                        "  ".join(f"{k}: {v:.4f}" for k, v in sorted(shown.items())))
            with open(trainer.run_dir / "validation.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
            if self.tensorboard is not None:
                self.tensorboard.add_metrics(metrics, trainer.iteration)
        if self.on_metrics is not None:
            # Rank 0 computed the metrics; every rank must take the same schedule decision.
            self.on_metrics(trainer, dist_utils.all_gather_objects(metrics)[0])
