"""Run folders: ``<output_root>/<dataset>/<run name>/`` (team brief, run folder contract).

    config.yaml        the resolved config
    run.json           run_id, model, dataset, dataset_root, mode, split, protocol, seed,
                       git_commit, checkpoint (relative path), train_seconds, created
    checkpoints/*.pth  the trainer's checkpoints (model_final.pth at the end)
    predictions.h5     test-split predictions
    result.json        the result record (sgg_bench.leaderboard.records)
    log.txt            everything logged under the ``sgg_bench`` logger
Only rank 0 writes any of these.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from sgg_bench.utils.atomic import atomic_write_json
from sgg_bench.utils.hashing import sha256_file

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def run_name(cfg: Mapping, *, model: str, mode: str) -> str:
    """``cfg.run.name`` or ``<model>-<mode>``."""
    return str(cfg["run"].get("name") or f"{model}-{mode}")


def run_directory(cfg: Mapping, *, dataset: str, model: str, mode: str) -> Path:
    return Path(cfg["run"]["output_root"]) / dataset / run_name(cfg, model=model, mode=mode)


def run_id(dataset: str, name: str) -> str:
    return f"{dataset}-{name}"


def git_commit(directory: str | os.PathLike = REPO_ROOT) -> str | None:
    """The checkout's HEAD commit (with ``-dirty`` when files changed), or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=directory,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


def attach_log_file(run_dir: str | os.PathLike, *, console: bool = True) -> list[logging.Handler]:
    """Send the ``sgg_bench`` logger (INFO and up) to ``<run_dir>/log.txt`` (appending, so a
    resumed run keeps its history) and, with ``console``, to stderr. Returns the handlers for
    ``detach_log``."""
    root = logging.getLogger("sgg_bench")
    root.setLevel(logging.INFO)
    path = Path(run_dir) / "log.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S"))
        root.addHandler(handler)
    return handlers


def detach_log(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger("sgg_bench")
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()


def write_run_json(run_dir: str | os.PathLike, *, run_id: str, model: str, dataset: str, dataset_root: str,
                   mode: str, split: str, protocol: str, seed: int, checkpoint: str | os.PathLike | None,
                   train_seconds: float, extra: Mapping[str, Any] | None = None) -> dict:
    """Write ``run.json``; ``checkpoint`` is stored relative to ``run_dir``."""
    run_dir = Path(run_dir)
    relative = None
    if checkpoint:
        checkpoint = Path(checkpoint)
        relative = os.path.relpath(checkpoint, run_dir) if checkpoint.is_absolute() or checkpoint.exists() \
            else str(checkpoint)
    content = {"run_id": run_id, "model": model, "dataset": dataset, "dataset_root": str(dataset_root),
               "mode": mode, "split": split, "protocol": protocol, "seed": int(seed), "git_commit": git_commit(),
               "checkpoint": relative, "train_seconds": round(float(train_seconds), 3),
               "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
    content.update(extra or {})
    atomic_write_json(run_dir / "run.json", content)
    return content


def write_result(run_dir: str | os.PathLike, *, run: Mapping[str, Any], evaluation: Mapping[str, Any],
                 config: Mapping, checkpoint: str | os.PathLike | None, predictions: str | os.PathLike | None,
                 device: str, train_seconds: float, eval_seconds: float,
                 dataset_fingerprint: str | None = None) -> dict:
    """Build and write ``result.json`` (the result record) from an evaluation dict
    (``{"metrics", "per_predicate", "info"}``) and the run's provenance."""
    from sgg_bench.leaderboard.records import build_record, write_record

    info = dict(evaluation.get("info") or {})
    provenance = {
        "config": json.loads(json.dumps(config)),
        "git_commit": run.get("git_commit"),
        "seed": run.get("seed"),
        "checkpoint_sha256": sha256_file(checkpoint) if checkpoint and Path(checkpoint).is_file() else None,
        "predictions_sha256": sha256_file(predictions) if predictions and Path(predictions).is_file() else None,
        "dataset_fingerprint": dataset_fingerprint or info.get("dataset_fingerprint"),
        "device": device,
        "train_seconds": round(float(train_seconds), 3),
        "eval_seconds": round(float(eval_seconds), 3),
        "evaluator_version": info.get("evaluator_version"),
    }
    record = build_record(run_id=run["run_id"], model=run["model"], dataset=run["dataset"], split=run["split"],
                          mode=run["mode"], protocol=run["protocol"], metrics=evaluation["metrics"],
                          per_predicate=evaluation.get("per_predicate") or {}, provenance=provenance, info=info)
    write_record(Path(run_dir) / "result.json", record)
    return record
