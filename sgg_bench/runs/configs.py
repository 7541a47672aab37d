"""Which YAML layers make a run's config, in order:

    configs/datasets/<dataset>.yaml             the dataset: paths, detector, solver defaults
    configs/models/<model>.yaml                 the head (or ``detector``) at its published size
    configs/overrides/<dataset>/<model>.yaml    only where a value really differs (optional)
    --config FILE                               the user's file (optional)
    KEY=VALUE ...                               command-line overrides
The mode comes from ``--mode`` (``model.mode``), the head from ``--model`` (``model.head``).
A head registered with ``config=PATH`` metadata reads that file instead of configs/models/.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from sgg_bench.config import Config, compose, configs_root
from sgg_bench.errors import ConfigError

DETECTOR = "detector"


def dataset_names() -> list[str]:
    """Datasets with a config in ``configs/datasets`` (no import needed)."""
    return sorted(p.stem for p in (configs_root() / "datasets").glob("*.yaml"))


def dataset_config_path(dataset: str) -> Path:
    path = configs_root() / "datasets" / f"{dataset}.yaml"
    if not path.is_file():
        raise ConfigError(f"--dataset {dataset}: no {path}; known datasets: {', '.join(dataset_names())}")
    return path


def model_config_path(model: str) -> Path:
    """``configs/models/<model>.yaml``, or the file a registered head names in its metadata."""
    if model != DETECTOR:
        from sgg_bench.modeling import heads as _heads  # noqa: F401  (registers the heads)
        from sgg_bench.registry import RELATION_HEADS

        if model not in RELATION_HEADS:
            raise ConfigError(f"--model {model}: not a registered relation head; known: "
                              f"{', '.join([DETECTOR] + RELATION_HEADS.names())}")
        given = RELATION_HEADS.info(model).get("config")
        if given:
            return Path(given)
    path = configs_root() / "models" / f"{model}.yaml"
    if not path.is_file():
        raise ConfigError(f"--model {model}: its config {path} is missing (one YAML per head)")
    return path


def override_path(dataset: str, model: str) -> Path | None:
    path = configs_root() / "overrides" / dataset / f"{model}.yaml"
    return path if path.is_file() else None


def resolve_run_config(*, model: str, dataset: str, mode: str | None = None, config: str | None = None,
                       overrides: Iterable[str] = (), output_root: str | None = None) -> Config:
    """The run's resolved, type-checked config (nothing is written)."""
    overrides = list(overrides)
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key in ("model.head", "model.mode", "dataset.name"):
            flag = {"model.head": "--model", "model.mode": "--mode", "dataset.name": "--dataset"}[key]
            raise ConfigError(f"command line: {key} comes from {flag}; give {flag} instead of {text!r}")
    if model == DETECTOR and mode not in (None, "sgdet"):
        raise ConfigError(f"--mode {mode}: a detector run has no relation mode")
    flags = [f"dataset.name={dataset}"]
    if model != DETECTOR:
        flags += [f"model.head={model}", f"model.mode={mode or 'predcls'}"]
    if output_root:
        flags.append(f"run.output_root={output_root}")
    layers = [dataset_config_path(dataset), model_config_path(model), override_path(dataset, model), config]
    return compose(layers, overrides + flags)
