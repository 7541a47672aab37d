"""The plain training loop: ``model(batch) -> dict of losses``, summed, one optimizer step.

No trainer hierarchy: extra behaviour (logging, validation, TensorBoard) comes in as hooks
(``sgg_bench.engine.hooks``). Checkpointing is built in because exact resume depends on it.

Iteration counting: ``trainer.iteration`` is the number of finished steps. ``before_step``
hooks see the index of the step about to run; ``after_step`` hooks see it plus one.
"""
from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch

from sgg_bench.engine import checkpoint as ckpt
from sgg_bench.engine import distributed as dist_utils
from sgg_bench.utils import logs as run_logs
from sgg_bench.engine.hooks import Hook, PeriodicCheckpointer
from sgg_bench.errors import DataFormatError

logger = logging.getLogger("sgg_bench.engine")


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Tensors inside nested lists/dicts moved to ``device``; other values untouched."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to_device(v, device) for v in batch)
    return batch


class Trainer:
    """Runs ``max_iter`` optimizer steps over ``batches.batch_at(i)``.

    Args:
        model: ``model(batch) -> dict[str, Tensor]`` of scalar losses (may be DDP-wrapped).
        optimizer: over the trainable parameters; may be None only when ``max_iter == 0``.
        batches: has ``batch_at(iteration) -> batch`` that is a pure function of the iteration
            (``SceneGraphBatches``), so resuming needs no sampler state.
        max_iter: total steps.
        run_dir: checkpoints go to ``run_dir/checkpoints``.
        scheduler: stepped once per iteration.
        hooks: ``Hook`` objects, called in order.
        grad_clip: max global gradient norm; None or <= 0 disables clipping.
        amp: mixed precision; honoured only on CUDA (ignored on CPU).
        checkpoint_period: save every N steps (0 = only at the end).
        keep_checkpoints: periodic checkpoints kept besides ``model_final.pth`` (older ones are
            deleted after each save; while training the newest is always kept for resuming).
        seed: a fresh run seeds python/numpy/torch with ``seed + rank`` before the first step.
        device: where batches go; default: the device of the model's first parameter.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None, batches: Any, *,
                 max_iter: int, run_dir: str | Path, scheduler: Any = None, hooks: Iterable[Hook] = (),
                 grad_clip: float | None = None, amp: bool = False, checkpoint_period: int, seed: int,
                 keep_checkpoints: int | None = None,
                 device: torch.device | None = None):
        if max_iter < 0:
            raise ValueError(f"max_iter must be >= 0, got {max_iter}")
        if optimizer is None and max_iter > 0:
            raise ValueError("an optimizer is required when max_iter > 0")
        self.model = model
        self.optimizer = optimizer
        self.batches = batches
        self.max_iter = int(max_iter)
        self.run_dir = Path(run_dir)
        self.checkpoint_dir = self.run_dir / "checkpoints"
        self.scheduler = scheduler
        self.grad_clip = grad_clip if grad_clip and grad_clip > 0 else None
        if device is None:
            first = next(iter(model.parameters()), None)
            device = first.device if first is not None else torch.device("cpu")
        self.device = torch.device(device)
        self.amp = bool(amp) and self.device.type == "cuda"
        self.grad_scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.seed = int(seed)
        self.keep_checkpoints = None if keep_checkpoints is None else int(keep_checkpoints)
        self.rank = dist_utils.get_rank()
        self.hooks: list[Hook] = [*hooks, PeriodicCheckpointer(period=checkpoint_period)]
        self.iteration = 0
        self.start_iteration = 0
        self.latest_losses: dict[str, float] = {}
        self.train_seconds = 0.0  # wall time of the training steps and hooks, all sessions together
        self._clock = 0.0
        self.final_checkpoint: Path | None = None

    # ------------------------------------------------------------------ main loop
    def train(self, resume: bool = False) -> Path:
        """Train to ``max_iter`` (continuing from the newest checkpoint when ``resume``).
        Returns the final checkpoint's path."""
        handlers = []
        if dist_utils.is_main_process():
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            handlers = self._ensure_log_file()
        try:
            return self._train(resume)
        finally:
            run_logs.detach_log(handlers)

    def _ensure_log_file(self) -> list[logging.Handler]:
        """Log to ``<run_dir>/log.txt`` unless a handler already does (the CLI attaches one)."""
        target = os.path.abspath(self.run_dir / "log.txt")  # as FileHandler stores it
        for handler in logging.getLogger("sgg_bench").handlers:
            if isinstance(handler, logging.FileHandler) and handler.baseFilename == target:
                return []
        return run_logs.attach_log_file(self.run_dir, console=False)

    def _train(self, resume: bool) -> Path:
        if not (resume and self.resume()):
            self._clear_old_checkpoints()
            seed_everything(self.seed + self.rank)
            self.iteration = 0
        self.start_iteration = self.iteration
        self.model.train()
        for hook in self.hooks:
            hook.before_train(self)
        try:
            self._clock = time.perf_counter()
            while self.iteration < self.max_iter and not self.schedule_finished:
                for hook in self.hooks:
                    hook.before_step(self)
                self.run_step()
                self.iteration += 1
                self._tick()
                for hook in self.hooks:
                    hook.after_step(self)
            final = self.checkpoint_dir / ckpt.FINAL_NAME
            done_before = self.start_iteration == self.max_iter and final.exists()
            self.final_checkpoint = final if done_before else self.save_checkpoint(ckpt.FINAL_NAME)
        finally:  # also after a failed step: hooks close their bars and writers
            for hook in self.hooks:
                hook.after_train(self)
        return self.final_checkpoint

    @property
    def schedule_finished(self) -> bool:
        """True once a validation-driven schedule has made its last decay: training stops there."""
        return bool(getattr(self.scheduler, "finished", False))

    def _tick(self) -> None:
        """Add the wall time since the last tick to ``train_seconds`` (kept in checkpoints, so a
        resumed run reports the time of all its sessions)."""
        now = time.perf_counter()
        self.train_seconds += now - self._clock
        self._clock = now

    def run_step(self) -> None:
        """One optimizer step on ``batches.batch_at(self.iteration)``."""
        batch = move_to_device(self.batches.batch_at(self.iteration), self.device)
        autocast = torch.autocast("cuda") if self.amp else contextlib.nullcontext()
        with autocast:
            losses = self.model(batch)
        if not isinstance(losses, dict) or not losses:
            raise TypeError(f"model(batch) must return a non-empty dict of losses, got {type(losses).__name__}")
        total = sum(losses.values())
        if not torch.isfinite(total.detach()).all():
            detail = {k: float(v.detach()) for k, v in losses.items()}
            raise FloatingPointError(f"loss is not finite at iteration {self.iteration}: {detail}")
        self.optimizer.zero_grad(set_to_none=True)
        if self.grad_scaler is not None:
            self.grad_scaler.scale(total).backward()
            self.grad_scaler.unscale_(self.optimizer)
            self._clip()
            self.grad_scaler.step(self.optimizer)
            self.grad_scaler.update()
        else:
            total.backward()
            self._clip()
            self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        self.latest_losses = {k: float(v.detach()) for k, v in losses.items()}
        self.latest_losses["total_loss"] = float(total.detach())

    def _clip(self) -> None:
        if self.grad_clip is None:
            return
        params = [p for group in self.optimizer.param_groups for p in group["params"] if p.grad is not None]
        if params:
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip)

    @property
    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else 0.0

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, name: str) -> Path:
        """Save (rank 0 writes; every rank contributes its RNG state) and move ``last.pth``."""
        rng_states = dist_utils.all_gather_objects(ckpt.capture_rng())
        path = self.checkpoint_dir / name
        if dist_utils.is_main_process():
            ckpt.save_checkpoint(path, model=self.model, optimizer=self.optimizer, scheduler=self.scheduler,
                                 grad_scaler=self.grad_scaler, iteration=self.iteration, rng=rng_states,
                                 extra={"train_seconds": round(self.train_seconds, 3)})
            ckpt.point_last(path)
            logger.info("saved checkpoint %s (iteration %d)", path, self.iteration)
            self._prune_checkpoints()
        dist_utils.barrier()
        return path

    def _prune_checkpoints(self) -> None:
        """Delete periodic checkpoints beyond the newest ``keep_checkpoints`` (None keeps all)."""
        if self.keep_checkpoints is None:
            return
        saved = ckpt.list_checkpoints(self.checkpoint_dir)
        finished = any(p.name == ckpt.FINAL_NAME for p in saved)
        periodic = [p for p in saved if p.name != ckpt.FINAL_NAME]
        keep = self.keep_checkpoints if finished else max(1, self.keep_checkpoints)
        for path in periodic[: max(0, len(periodic) - keep)]:
            path.unlink()

    def _clear_old_checkpoints(self) -> None:
        """A fresh run owns its checkpoint folder: a later ``--resume`` must never pick up a
        checkpoint left by an earlier, different run in the same folder."""
        if dist_utils.is_main_process():
            old = ckpt.list_checkpoints(self.checkpoint_dir) + [self.checkpoint_dir / ckpt.LAST_NAME]
            for path in old:
                if path.exists() or path.is_symlink():
                    path.unlink()
                    logger.warning("fresh start: removed %s from an earlier run", path)
            ckpt.remove_stale_temporaries(self.checkpoint_dir)
        dist_utils.barrier()

    def resume(self) -> bool:
        """Load the newest checkpoint (model, optimizer, scheduler, scaler, iteration, RNG).
        Returns False when there is none."""
        if dist_utils.is_main_process():
            for stale in ckpt.remove_stale_temporaries(self.checkpoint_dir):
                logger.info("removed unfinished checkpoint file %s", stale)
        dist_utils.barrier()
        path = ckpt.latest_checkpoint(self.checkpoint_dir)
        if path is None:
            logger.info("no checkpoint in %s; starting from iteration 0", self.checkpoint_dir)
            return False
        state = ckpt.load_checkpoint(path)
        ckpt.check_resumable(path, state, needs_optimizer=self.optimizer is not None)
        try:
            ckpt.unwrap(self.model).load_state_dict(state["model"])
        except RuntimeError as exc:  # the config changed since the checkpoint was written
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataFormatError(path, "model", "weights of the model the current config builds",
                                  first_line) from None
        if self.optimizer is not None:
            try:
                self.optimizer.load_state_dict(state["optimizer"])
            except (ValueError, KeyError, TypeError) as exc:
                raise DataFormatError(path, "optimizer", "the optimizer state of the model the current config "
                                      "builds", " ".join(str(exc).split())[:200]) from None
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.grad_scaler is not None and state.get("grad_scaler") is not None:
            self.grad_scaler.load_state_dict(state["grad_scaler"])
        self.iteration = int(state["iteration"])
        self.train_seconds = float((state.get("extra") or {}).get("train_seconds", 0.0))
        try:
            ckpt.restore_rng(ckpt.rng_for_rank(state["rng"], self.rank))
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise DataFormatError(path, "rng", "the python / numpy / torch generator states this code saves",
                                  f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None
        if path.name == ckpt.FINAL_NAME and self.iteration < self.max_iter:
            # Training goes on past an earlier end (max_iter raised): the old final checkpoint
            # becomes an ordinary periodic one, so it never outranks the newer ones.
            if dist_utils.is_main_process():
                renamed = self.checkpoint_dir / ckpt.periodic_name(self.iteration)
                os.replace(path, renamed)
                ckpt.point_last(renamed)
            dist_utils.barrier()
        logger.info("resumed from %s at iteration %d", path, self.iteration)
        return True
