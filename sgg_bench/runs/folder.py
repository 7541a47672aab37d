"""Run folders: ``<output_root>/<dataset>/<run name>/``.

    config.yaml        the resolved config (written by the run it describes, before training)
    run.json           run_id, model, dataset, dataset_root, mode, split, protocol, seed,
                       git_commit, checkpoint (relative path), train_seconds, device, created,
                       config_sha256 (of config.yaml as the run used it);
                       written last: a folder with run.json is a *finished* run
    checkpoints/*.pth  the trainer's checkpoints (the last ``run.keep_checkpoints`` + model_final.pth)
    predictions.h5     test-split predictions
    result.json        the result record
    log.txt            everything logged under the ``sgg_bench`` logger
Only rank 0 writes any of these. Folders whose name starts with "." (such as ``.replaced/``,
where ``--force`` moves an old run) are never runs. A folder holding only ``config.yaml`` and
``log.txt`` (a run that failed before training wrote anything) holds no work: the next run with
the same name reuses it. ``config.yaml`` edited after the run finished no longer matches
``run.json``'s ``config_sha256``: the folder is refused, so no record pairs predictions with a
config they did not come from.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any, Mapping

from sgg_bench.config_schema import MODES, PLAIN_NAME
from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.runs.provenance import git_commit
from sgg_bench.utils.atomic import atomic_write_json
from sgg_bench.utils.hashing import sha256_file

_TEXT_FIELDS = ("run_id", "model", "dataset", "dataset_root", "mode", "split", "protocol")
REPLACED_DIR = ".replaced"
_NO_WORK = {"config.yaml", "log.txt"}  # what a run that failed before training leaves


def run_name(cfg: Mapping, *, model: str) -> str:
    """``run.name`` or ``<model>-<mode>`` (detectors: ``detector-<name>``)."""
    name = str(cfg["run"].get("name") or "")
    if not name:
        name = f"detector-{cfg['detector']['name']}" if model == "detector" else f"{model}-{cfg['model']['mode']}"
        language = cfg.get("language") or {}
        if model != "detector" and language.get("supervision"):
            name += f"-{language['supervision']}" + ("-open" if language.get("vocabulary") == "open" else "")
    if not PLAIN_NAME.fullmatch(name):
        raise ConfigError(f"run.name: expected a plain name (letters, digits, . _ + -; no path), found {name!r}")
    return name


def run_directory(cfg: Mapping, *, model: str) -> Path:
    return Path(cfg["run"]["output_root"]) / cfg["dataset"]["name"] / run_name(cfg, model=model)


def run_id(dataset: str, name: str) -> str:
    return f"{dataset}-{name}"


def is_finished(run_dir: str | os.PathLike) -> bool:
    return (Path(run_dir) / "run.json").is_file()


def holds_work(run_dir: str | os.PathLike) -> bool:
    """True when ``run_dir`` holds anything beyond what a run that failed early leaves (its config,
    its log and an empty checkpoints folder)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return False
    for entry in run_dir.iterdir():
        if entry.name in _NO_WORK and entry.is_file():
            continue
        if entry.name == "checkpoints" and entry.is_dir() and not any(entry.iterdir()):
            continue
        return True
    return False


def prepare_run_folder(run_dir: str | os.PathLike, *, resume: bool, force: bool) -> Path | None:
    """Make ``run_dir`` ready for a run. Returns where an old run was moved (``--force``), or None.

    * empty or missing: created;
    * holding a run (finished, or checkpoints of an unfinished one) without ``resume``/``force``:
      an error naming both flags, because training would replace its checkpoints and record;
    * ``force``: the old folder is moved to ``<parent>/.replaced/<name>-<UTC time>``, never deleted;
    * ``resume``: kept as it is (the trainer continues from its newest checkpoint).
    """
    run_dir = Path(run_dir)
    if resume and force:
        raise ConfigError("--resume and --force exclude each other: continue the run, or replace it")
    occupied = holds_work(run_dir)
    moved = None
    if occupied and not resume:
        if not force:
            state = "a finished run" if is_finished(run_dir) else "an unfinished run"
            raise ConfigError(f"{run_dir}: holds {state}; pass --resume to continue it, --force to move it aside "
                              f"and start again, or set run.name to use another folder")
        moved = move_aside(run_dir)
    if resume and is_finished(run_dir):
        (run_dir / "run.json").unlink()  # the continued run is unfinished until it writes run.json again
    run_dir.mkdir(parents=True, exist_ok=True)
    return moved


def move_aside(run_dir: str | os.PathLike) -> Path:
    """Move ``run_dir`` to ``<parent>/.replaced/<name>-<UTC time>`` (never deleted); returns the new path."""
    run_dir = Path(run_dir)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    moved = run_dir.parent / REPLACED_DIR / f"{run_dir.name}-{stamp}"
    moved.parent.mkdir(parents=True, exist_ok=True)
    os.replace(run_dir, moved)
    return moved


def write_run_json(run_dir: str | os.PathLike, *, run_id: str, model: str, dataset: str, dataset_root: str,
                   mode: str, split: str, protocol: str, seed: int, checkpoint: str | os.PathLike | None,
                   train_seconds: float, extra: Mapping[str, Any] | None = None) -> dict:
    """Write ``run.json`` (last, so its presence means finished); ``checkpoint`` relative to ``run_dir``."""
    run_dir = Path(run_dir)
    relative = os.path.relpath(Path(checkpoint), run_dir) if checkpoint else None
    content = {"run_id": run_id, "model": model, "dataset": dataset, "dataset_root": str(dataset_root),
               "mode": mode, "split": split, "protocol": protocol, "seed": int(seed), "git_commit": git_commit(),
               "checkpoint": relative, "train_seconds": round(float(train_seconds), 3),
               "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
    content.update(extra or {})
    config_path = run_dir / "config.yaml"
    content["config_sha256"] = sha256_file(config_path) if config_path.is_file() else None
    atomic_write_json(run_dir / "run.json", content)
    return content


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

    @property
    def is_detector(self) -> bool:
        return str(self.model).startswith("detector")


def discover_run_dirs(outputs_dir: str | os.PathLike) -> list[Path]:
    """Folders two levels below ``outputs_dir`` holding ``run.json`` or ``predictions.h5``, sorted.

    A folder with predictions but no run.json is returned too, so it is reported, not ignored.
    Hidden folders (``.replaced``, caches) are skipped.
    """
    outputs_dir = Path(outputs_dir)
    if not outputs_dir.is_dir():
        return []
    found = {p.parent for name in ("run.json", "predictions.h5") for p in outputs_dir.glob(f"*/*/{name}")}
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(outputs_dir).parts))


def read_run_folder(run_dir: str | os.PathLike) -> RunFolder:
    """Read and check ``run.json`` and ``config.yaml``; raise ``DataFormatError`` naming the field."""
    run_dir = Path(run_dir)
    run_path = run_dir / "run.json"
    if not run_path.is_file():
        raise DataFormatError(run_path, "(file)", "a run.json written by training", "no such file")
    try:
        run = json.loads(run_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: bad JSON, 5000-digit ints
        raise DataFormatError(run_path, "(file)", "valid JSON (UTF-8, numbers of ordinary size, not nested deeply)",
                              " ".join(str(exc).split())[:160] or type(exc).__name__) from None
    if not isinstance(run, dict):
        raise DataFormatError(run_path, "(top level)", "a JSON object", type(run).__name__)
    for field in _TEXT_FIELDS:
        if not isinstance(run.get(field), str) or not run[field]:
            raise DataFormatError(run_path, field, "a non-empty string", repr(run.get(field)))
    if not PLAIN_NAME.fullmatch(run["run_id"]):
        raise DataFormatError(run_path, "run_id", "letters, digits and . _ + - only (it names a file)",
                              repr(run["run_id"]))
    if run["mode"] not in MODES:
        raise DataFormatError(run_path, "mode", " | ".join(MODES), repr(run["mode"]))
    checkpoint = run.get("checkpoint")
    checkpoint_path = None
    if checkpoint not in (None, ""):
        if not isinstance(checkpoint, str):
            raise DataFormatError(run_path, "checkpoint", "a path relative to the run folder", repr(checkpoint))
        checkpoint_path = run_dir / checkpoint
        if not _checkpoint_path_allowed(run_dir, Path(checkpoint)):
            raise DataFormatError(run_path, "checkpoint", "a path inside the run folder (an effect folder "
                                  "<run>+E: inside <run>)", repr(checkpoint))
        if not checkpoint_path.is_file():
            raise DataFormatError(run_path, "checkpoint", "an existing file", f"{checkpoint_path} is missing")
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise DataFormatError(config_path, "(file)", "the resolved config of the run", "no such file")
    from sgg_bench.config import load_config
    # Read and checked like any config (UTF-8, bounded aliases, every key typed); errors name the file.
    config = load_config(config_path).to_dict()
    expected_sha = run.get("config_sha256")
    if expected_sha is not None and expected_sha != sha256_file(config_path):
        raise DataFormatError(config_path, "(contents)", "the config the run's predictions came from "
                              "(config_sha256 in run.json)", "a file edited after the run finished")
    return RunFolder(path=run_dir, run=run, config=config, checkpoint_path=checkpoint_path)


def _checkpoint_path_allowed(run_dir: Path, checkpoint: Path) -> bool:
    """A relative path inside the run folder; an effect folder ``<run>+E`` (runs/effects.py) shares
    the checkpoint of ``<run>``, so it may point into that sibling and nowhere else."""
    if checkpoint.is_absolute():
        return False
    if ".." not in checkpoint.parts:
        return True
    from sgg_bench.runs.effects import EFFECT_SEPARATOR
    base = run_dir.name.rpartition(EFFECT_SEPARATOR)[0]
    parts = checkpoint.parts
    return bool(base) and parts[:2] == ("..", base) and ".." not in parts[2:] and len(parts) > 2

