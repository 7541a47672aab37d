"""`sgg-bench train`: train a detector or a relation model end to end into a run folder.

    sgg-bench train --model motifs --dataset synth [--mode predcls] [--config FILE] [--resume]
                    [--output-root DIR] [KEY=VALUE ...]

Config: ``configs/<model>/<dataset>_<mode>.yaml`` (detector: ``configs/detector/<dataset>.yaml``)
unless ``--config`` names one; ``KEY=VALUE`` overrides come last. Relation models need a trained
detector: ``detector.weights`` empty means ``<output_root>/<dataset>/detector-<name>/checkpoints/
model_final.pth``, trained first (with ``configs/detector/<dataset>.yaml``) when absent. The
synthetic dataset is generated when its folder is missing. Multi-process:
``torchrun --nproc_per_node N -m sgg_bench train ...``.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sgg_bench.config import configs_root, load_config
from sgg_bench.errors import ConfigError

MODELS = ("detector", "frequency", "imp", "motifs")
DATASETS = ("synth", "vg", "openimages")
MODES = ("predcls", "sgcls", "sgdet")
SYNTH_DIR = Path("datasets/synth")

logger = logging.getLogger("sgg_bench.engine")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a detector or relation model, predict the test split, evaluate",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=MODELS, help="relation head, or 'detector'")
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--mode", choices=MODES, default=None, help="relation models only (default predcls)")
    parser.add_argument("--config", default=None, help="config file (default: configs/<model>/<dataset>_<mode>.yaml)")
    parser.add_argument("--resume", action="store_true", help="continue from the run folder's newest checkpoint")
    parser.add_argument("--output-root", default=None, help="runs go to DIR/<dataset>/<run name>/ (default outputs)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. solver.max_iter=100")
    parser.set_defaults(func=_run)


def default_config_path(model: str, dataset: str, mode: str) -> Path:
    if model == "detector":
        return configs_root() / "detector" / f"{dataset}.yaml"
    return configs_root() / model / f"{dataset}_{mode}.yaml"


def resolve_config(*, model: str, dataset: str, mode: str | None, config: str | None, overrides=(),
                   output_root: str | None = None):
    """The resolved config; checks that file, ``--model``, ``--dataset`` and ``--mode`` agree."""
    if model == "detector" and mode not in (None, "sgdet"):
        raise ConfigError(f"--mode {mode}: a detector run has no relation mode")
    mode = mode or "predcls"
    path = Path(config) if config else default_config_path(model, dataset, mode)
    extra = list(overrides)
    if output_root:
        extra.append(f"run.output_root={output_root}")
    cfg = load_config(path, extra)
    if cfg.dataset.name != dataset:
        raise ConfigError(f"{path}: dataset.name is {cfg.dataset.name!r} but --dataset is {dataset!r}")
    if model != "detector":
        if cfg.model.head != model:
            raise ConfigError(f"{path}: model.head is {cfg.model.head!r} but --model is {model!r}")
        if cfg.model.mode != mode:
            raise ConfigError(f"{path}: model.mode is {cfg.model.mode!r} but --mode is {mode!r}")
        if cfg.model.mode not in MODES:
            raise ConfigError(f"{path}: model.mode: expected one of {', '.join(MODES)}, found {cfg.model.mode!r}")
    return cfg


def ensure_synthetic(cfg) -> None:
    """Generate ``datasets/synth`` (size "default", seed 0) when the synthetic root is missing."""
    root = Path(cfg.dataset.root)
    if cfg.dataset.name != "synth" or root.exists():
        return
    from sgg_bench.data.synthetic import generate_synthetic

    out_dir = root.parent if root.name in ("vg", "openimages") else SYNTH_DIR
    logger.info("synthetic dataset %s is missing: generating %s (size default, seed 0)", root, out_dir)
    generate_synthetic(str(out_dir), size="default", seed=0)
    if not root.exists():
        raise ConfigError(f"dataset.root {root} still missing after generating the synthetic data in {out_dir}")


def ensure_detector(cfg, *, dataset: str, resume: bool) -> None:
    """Fill ``cfg.detector.weights`` with this dataset's trained detector, training it if needed."""
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine import pipeline, run as run_folder

    if cfg.detector.weights:
        if not Path(cfg.detector.weights).is_file():
            raise ConfigError(f"detector.weights: file {cfg.detector.weights} does not exist")
        return
    name = f"detector-{cfg.detector.name}"
    run_dir = Path(cfg.run.output_root) / dataset / name
    weights = run_dir / "checkpoints" / "model_final.pth"
    if not weights.is_file():
        detector_cfg = resolve_config(model="detector", dataset=dataset, mode=None, config=None,
                                      overrides=[f"dataset.root={cfg.dataset.root}",
                                                 f"run.output_root={cfg.run.output_root}",
                                                 f"run.device={cfg.run.device}"])
        if detector_cfg.detector.name != cfg.detector.name or detector_cfg.detector.args != cfg.detector.args:
            raise ConfigError(f"detector.weights is empty and configs/detector/{dataset}.yaml builds detector "
                              f"{detector_cfg.detector.name!r} with args {dict(detector_cfg.detector.args)}, not "
                              f"{cfg.detector.name!r} with {dict(cfg.detector.args)}: set detector.weights")
        logger.info("no trained detector at %s: training it first", weights)
        if dist_utils.is_main_process():
            handlers = run_folder.attach_log_file(run_dir, console=False)
            try:
                pipeline.detector_run(detector_cfg, run_dir, dataset_name=dataset, resume=resume)
            finally:
                run_folder.detach_log(handlers)
        dist_utils.barrier()
    cfg.detector.weights = str(weights)


def _run(args: argparse.Namespace) -> int:
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine import pipeline, run as run_folder

    cfg = resolve_config(model=args.model, dataset=args.dataset, mode=args.mode, config=args.config,
                         overrides=args.overrides, output_root=args.output_root)
    if int(cfg.run.num_threads) > 0:
        import torch
        torch.set_num_threads(int(cfg.run.num_threads))
    dist_utils.init_from_environment()
    try:
        if dist_utils.is_main_process():
            ensure_synthetic(cfg)
        dist_utils.barrier()
        if args.model == "detector":
            run_dir = run_folder.run_directory(cfg, dataset=args.dataset, model="detector",
                                               mode=cfg.detector.name)
            if dist_utils.get_world_size() > 1:
                raise ConfigError("detector training runs in one process; launch it without torchrun")
        else:
            run_dir = run_folder.run_directory(cfg, dataset=args.dataset, model=args.model, mode=cfg.model.mode)
        handlers = run_folder.attach_log_file(run_dir, console=True) if dist_utils.is_main_process() else []
        try:
            if args.model == "detector":
                pipeline.detector_run(cfg, run_dir, dataset_name=args.dataset, resume=args.resume)
            else:
                ensure_detector(cfg, dataset=args.dataset, resume=args.resume)
                pipeline.relation_run(cfg, run_dir, model_name=args.model, dataset_name=args.dataset,
                                      resume=args.resume)
        finally:
            run_folder.detach_log(handlers)
        if dist_utils.is_main_process():
            print(f"run folder: {run_dir}")
    finally:
        dist_utils.shutdown()
    return 0
