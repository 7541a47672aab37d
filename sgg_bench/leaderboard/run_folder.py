"""Read a run folder (``outputs/<dataset>/<run name>/``) as written by training.

Contract (team brief): ``run.json`` {run_id, model, dataset, dataset_root, mode, split, protocol,
seed, git_commit, checkpoint (path relative to the run folder), train_seconds, created},
``config.yaml`` (the resolved config), ``checkpoints/*.pth``, ``predictions.h5``.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from sgg_bench.errors import DataFormatError

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_TEXT_FIELDS = ("run_id", "model", "dataset", "dataset_root", "mode", "split", "protocol")
_MODES = ("predcls", "sgcls", "sgdet")


@dataclasses.dataclass(frozen=True)
class RunFolder:
    path: Path
    run: dict[str, Any]       # run.json
    config: dict[str, Any]    # config.yaml (resolved)
    checkpoint_path: Path | None

    run_id = property(lambda self: self.run["run_id"])
    model = property(lambda self: self.run["model"])
    dataset = property(lambda self: self.run["dataset"])
    mode = property(lambda self: self.run["mode"])
    split = property(lambda self: self.run["split"])
    protocol = property(lambda self: self.run["protocol"])

    @property
    def dataset_root(self) -> Path:
        return Path(self.run["dataset_root"]).expanduser()

    @property
    def predictions_path(self) -> Path:
        return self.path / "predictions.h5"


def discover_run_dirs(outputs_dir: str | os.PathLike) -> list[Path]:
    """Folders two levels below ``outputs_dir`` holding ``run.json`` or ``predictions.h5``, sorted.

    A folder with predictions but no run.json is returned too, so it is reported, not ignored.
    """
    outputs_dir = Path(outputs_dir)
    if not outputs_dir.is_dir():
        return []
    found = {p.parent for name in ("run.json", "predictions.h5") for p in outputs_dir.glob(f"*/*/{name}")}
    return sorted(found)


def read_run_folder(run_dir: str | os.PathLike) -> RunFolder:
    """Read and check ``run.json`` and ``config.yaml``; raise ``DataFormatError`` naming the field."""
    run_dir = Path(run_dir)
    run_path = run_dir / "run.json"
    if not run_path.is_file():
        raise DataFormatError(run_path, "(file)", "a run.json written by training", "no such file")
    try:
        run = json.loads(run_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(run_path, "(file)", "valid JSON", str(exc)) from None
    if not isinstance(run, dict):
        raise DataFormatError(run_path, "(top level)", "a JSON object", type(run).__name__)
    for field in _TEXT_FIELDS:
        if not isinstance(run.get(field), str) or not run[field]:
            raise DataFormatError(run_path, field, "a non-empty string", repr(run.get(field)))
    if not _RUN_ID.fullmatch(run["run_id"]):
        raise DataFormatError(run_path, "run_id", "letters, digits and . _ + - only (it names a file)",
                              repr(run["run_id"]))
    if run["mode"] not in _MODES:
        raise DataFormatError(run_path, "mode", " | ".join(_MODES), repr(run["mode"]))
    checkpoint = run.get("checkpoint")
    checkpoint_path = None
    if checkpoint not in (None, ""):
        if not isinstance(checkpoint, str):
            raise DataFormatError(run_path, "checkpoint", "a path relative to the run folder", repr(checkpoint))
        checkpoint_path = run_dir / checkpoint
        if not checkpoint_path.is_file():
            raise DataFormatError(run_path, "checkpoint", "an existing file", f"{checkpoint_path} is missing")
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise DataFormatError(config_path, "(file)", "the resolved config of the run", "no such file")
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataFormatError(config_path, "(file)", "valid YAML", str(exc).splitlines()[0]) from None
    if not isinstance(config, dict):
        raise DataFormatError(config_path, "(top level)", "a mapping", type(config).__name__)
    return RunFolder(path=run_dir, run=run, config=config, checkpoint_path=checkpoint_path)
