"""Atomic training checkpoints with everything needed for an exact resume.

Layout of ``<run>/checkpoints/``::

    model_0000200.pth   periodic checkpoint after 200 iterations
    model_final.pth     written when training finishes
    last.pth            symlink (or, where links are unavailable, a copy) to the newest one

Every file is written to a hidden ``.<name>.*.tmp`` beside its destination and renamed into
place (``sgg_bench.utils.atomic.atomic_path``), so a process killed at any moment leaves
either the previous complete checkpoint or the new complete one, plus at worst a ``.tmp``
file that ``latest_checkpoint`` never picks up.

A checkpoint is a plain dict loadable with ``torch.load(..., weights_only=True)``:
``model``, ``optimizer``, ``scheduler``, ``grad_scaler`` (state dicts or None),
``iteration`` (int: steps completed), ``rng`` (list, one entry per rank, see ``capture_rng``)
and ``extra`` (dict of plain values).
"""
from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sgg_bench.errors import DataFormatError
from sgg_bench.utils.atomic import atomic_path, remove_temporaries

LAST_NAME = "last.pth"
FINAL_NAME = "model_final.pth"
_PERIODIC = re.compile(r"^model_(\d+)\.pth$")


def periodic_name(iteration: int) -> str:
    return f"model_{iteration:07d}.pth"


# ----------------------------------------------------------------------------- RNG states
def capture_rng() -> dict:
    """This process's python, numpy, torch (and CUDA) generator states as plain values
    (lists and tensors only, so ``weights_only`` loading accepts them)."""
    py_version, py_state, py_gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state = {
        "python": [py_version, list(py_state), py_gauss],
        "numpy": [np_name, torch.from_numpy(np.asarray(np_keys, dtype=np.int64)), int(np_pos),
                  int(np_has_gauss), float(np_gauss)],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def restore_rng(state: dict) -> None:
    """Inverse of ``capture_rng``."""
    version, py_state, gauss = state["python"]
    random.setstate((int(version), tuple(int(v) for v in py_state), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached)))
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ----------------------------------------------------------------------------- save / load
def save_checkpoint(path: str | os.PathLike, *, model: torch.nn.Module, optimizer=None, scheduler=None,
                    grad_scaler=None, iteration: int, rng: list[dict] | None = None,
                    extra: dict | None = None) -> Path:
    """Write a checkpoint atomically; returns its path. ``model`` may be DDP-wrapped."""
    state = {
        "model": unwrap(model).state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "grad_scaler": grad_scaler.state_dict() if grad_scaler is not None else None,
        "iteration": int(iteration),
        "rng": rng if rng is not None else [capture_rng()],
        "extra": dict(extra or {}),
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def point_last(checkpoint: str | os.PathLike) -> Path:
    """Make ``last.pth`` beside ``checkpoint`` refer to it, atomically (a new link or copy is
    made under a temporary name and renamed over the old pointer)."""
    checkpoint = Path(checkpoint)
    last = checkpoint.parent / LAST_NAME
    with atomic_path(last) as tmp:
        tmp.unlink()
        try:
            os.symlink(checkpoint.name, tmp)
        except OSError:  # filesystems without symlinks: fall back to a full copy
            shutil.copyfile(checkpoint, tmp)
    return last


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint with ``weights_only=True``; a damaged file is a ``DataFormatError``."""
    path = Path(path)
    if path.name.endswith(".tmp"):
        raise DataFormatError(path, "file name", "a finished checkpoint (*.pth), not a temporary file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataFormatError(path, "file", "an existing checkpoint file") from None
    except Exception as exc:  # truncated zip, pickle error, ...
        # torch's messages run over many lines: the first 200 characters, on one line
        reason = " ".join(str(exc).split())[:200]
        raise DataFormatError(path, "contents", "a complete torch checkpoint", f"{type(exc).__name__}: {reason}") from None
    if not isinstance(state, dict) or "model" not in state:
        raise DataFormatError(path, "model", "a dict with a 'model' state dict")
    return state


def check_resumable(path: Path, state: dict, *, needs_optimizer: bool) -> None:
    """A checkpoint to resume from must hold the iteration, every rank's RNG states and (when the
    run trains) an optimizer state; anything else is a ``DataFormatError`` naming the entry."""
    iteration = state.get("iteration")
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0:
        raise DataFormatError(path, "iteration", "the number of finished steps (an integer >= 0)", repr(iteration))
    rng = state.get("rng")
    if not isinstance(rng, list) or not rng or not all(isinstance(r, dict) for r in rng):
        raise DataFormatError(path, "rng", "a list of per-rank random-generator states",
                              "missing" if rng is None else type(rng).__name__)
    optimizer = state.get("optimizer")
    if needs_optimizer and (not isinstance(optimizer, dict) or "state" not in optimizer
                            or "param_groups" not in optimizer):
        raise DataFormatError(path, "optimizer", "an optimizer state dict (state, param_groups)",
                              "missing" if optimizer is None else type(optimizer).__name__)


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """The newest finished checkpoint in ``directory``: the highest ``model_<iter>.pth``
    (``model_final.pth`` ranks highest), else whatever ``last.pth`` holds. The file names
    decide rather than ``last.pth`` because a kill between writing a checkpoint and moving
    the pointer leaves the pointer one checkpoint behind. Temporary files never count."""
    directory = Path(directory)
    if not directory.is_dir():
        return None
    candidates = list_checkpoints(directory)
    if candidates:
        return candidates[-1]
    last = directory / LAST_NAME
    return last if last.exists() else None


def list_checkpoints(directory: str | os.PathLike) -> list[Path]:
    """Finished checkpoints in ``directory``, oldest first (``model_final.pth`` last)."""
    found: list[tuple[float, Path]] = []
    for path in Path(directory).iterdir():
        match = _PERIODIC.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
        elif path.name == FINAL_NAME:
            found.append((float("inf"), path))
    return [path for _, path in sorted(found)]


def remove_stale_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Delete ``.*.tmp`` files left by a killed writer; returns what was removed."""
    return remove_temporaries(directory)


def load_model_weights(model: torch.nn.Module, path: str | os.PathLike, *, strict: bool = True) -> dict:
    """Load only the model weights of a checkpoint (for inference); returns the state."""
    state = load_checkpoint(path)
    unwrap(model).load_state_dict(state["model"], strict=strict)
    return state


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside a ``DistributedDataParallel`` wrapper (or the model itself)."""
    return model.module if hasattr(model, "module") and isinstance(model.module, torch.nn.Module) else model


def rng_for_rank(states: list[Any], rank: int) -> dict:
    """The saved RNG state of ``rank`` (rank 0's when the world size changed)."""
    return states[rank] if rank < len(states) else states[0]
