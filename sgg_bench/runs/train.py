"""``sgg-bench train`` end to end: validate, prepare data, create the run folder, train, predict
the test split, evaluate (``evaluate_run``, as ``eval --all`` does) and write the record.

Nothing is written before the whole config is valid. A relation run whose ``detector.weights``
is empty uses ``<output_root>/<dataset>/detector-<name>/checkpoints/model_final.pth``, training
that detector run first when it is missing (only possible for datasets it can be trained on here).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sgg_bench.errors import ConfigError
from sgg_bench.runs.configs import DETECTOR, resolve_run_config

logger = logging.getLogger("sgg_bench.engine")
SYNTH_DIR = Path("datasets/synth")
SYNTHETIC_DATASETS = ("synth", "synth-det")  # generated on first use (synth-det = its det/ folder)
REAL_DATA_DOC = "datasets/README.md"


@dataclass
class TrainRequest:
    model: str
    dataset: str
    mode: str | None = None
    config: str | None = None
    overrides: list[str] = field(default_factory=list)
    output_root: str | None = None
    resume: bool = False
    force: bool = False
    effects: list[str] = field(default_factory=list)   # test-time effects to add (``runs/effects.py``)
    supervision: str | None = None   # language | weak | full | none ("" in the config); None = the config's
    vocabulary: str | None = None    # closed | open; None = the config's


def _language_overrides(request: TrainRequest) -> list[str]:
    extra = []
    if request.supervision is not None:
        extra.append(f"language.supervision={'' if request.supervision == 'none' else request.supervision}")
    if request.vocabulary is not None:
        extra.append(f"language.vocabulary={request.vocabulary}")
    return extra


def is_grounded(cfg, model: str) -> bool:
    """A relation run trained on grounded pseudo labels (``sgg_bench.runs.grounded``)."""
    return model != DETECTOR and bool(cfg.language.supervision)


def check_dataset_present(cfg) -> None:
    """A missing real dataset is an error that says where the data comes from."""
    root = Path(cfg.dataset.root)
    if cfg.dataset.name in SYNTHETIC_DATASETS or root.exists():
        return
    raise ConfigError(f"dataset.root {root}: no such folder. The {cfg.dataset.name} files are not shipped; "
                      f"{REAL_DATA_DOC} lists each file, where it is published and how to check it "
                      f"(or set dataset.root=DIR)")


def ensure_synthetic(cfg) -> None:
    """Generate ``datasets/synth`` (size "default", seed 0) when the synthetic root is missing; for
    ``synth-det`` an existing synthetic folder only gains its detection set."""
    root = Path(cfg.dataset.root)
    if cfg.dataset.name not in SYNTHETIC_DATASETS or root.exists():
        return
    from sgg_bench.data.synthetic import generate_synthetic

    out_dir = root.parent if root.name in ("vg", "openimages", "det") else SYNTH_DIR
    size, seed = "default", 0
    try:  # an existing folder keeps its size and seed (and gains what is missing)
        meta = json.loads((out_dir / "vg" / "sgg-bench.json").read_text(encoding="utf-8"))
        size, seed = meta.get("size", size), meta.get("seed", seed)
    except (OSError, ValueError):
        pass
    logger.info("synthetic dataset %s is missing: generating %s (size %s, seed %s)", root, out_dir, size, seed)
    generate_synthetic(str(out_dir), size=size, seed=seed)
    if not root.exists():
        raise ConfigError(f"dataset.root {root} still missing after generating the synthetic data in {out_dir}")


def validate(request: TrainRequest):
    """The resolved config, fully checked; raises ``ConfigError`` before anything is written."""
    from sgg_bench.runs.folder import run_directory
    from sgg_bench.runs.validate import validate_detector_config, validate_relation_config

    overrides = list(request.overrides) + _language_overrides(request)
    if request.model == DETECTOR and (request.supervision or request.vocabulary):
        raise ConfigError("--supervision / --vocabulary: relation models only")
    cfg = resolve_run_config(model=request.model, dataset=request.dataset, mode=request.mode, config=request.config,
                             overrides=overrides, output_root=request.output_root)
    if is_grounded(cfg, request.model) and cfg.model.mode != "sgdet":
        if request.mode is not None:
            raise ConfigError(f"--mode {request.mode}: runs on grounded pseudo labels (--supervision "
                              f"{cfg.language.supervision}) are SGDet only")
        cfg = resolve_run_config(model=request.model, dataset=request.dataset, mode="sgdet", config=request.config,
                                 overrides=overrides, output_root=request.output_root)
    if request.model == DETECTOR:
        validate_detector_config(cfg)
        if cfg.solver.schedule != "multistep":
            raise ConfigError(f"solver.schedule: detector training uses the multistep schedule, found "
                              f"{cfg.solver.schedule!r} (set it in configs/models/detector.yaml)")
    else:
        validate_relation_config(cfg)
    from sgg_bench.runs.effects import requested_effects
    requested_effects(request.model, cfg.model.head_args if request.model != DETECTOR else {}, request.effects)
    if cfg.detector.weights and not Path(cfg.detector.weights).is_file():
        raise ConfigError(f"detector.weights: file {cfg.detector.weights} does not exist")
    run_directory(cfg, model=request.model)  # checks run.name
    check_dataset_present(cfg)
    return cfg


def _detector_weights(cfg, *, resume: bool) -> None:
    """Fill ``cfg.detector.weights`` with this dataset's trained detector, training it if needed."""
    from sgg_bench.engine import distributed as dist_utils

    if cfg.detector.weights:
        return
    detector_dir = Path(cfg.run.output_root) / cfg.dataset.name / f"detector-{cfg.detector.name}"
    weights = detector_dir / "checkpoints" / "model_final.pth"
    if not weights.is_file():
        if cfg.dataset.name != "synth":
            raise ConfigError(f"detector.weights is empty and {weights} does not exist: convert the reference "
                              f"X-101-FPN detector ({REAL_DATA_DOC}) and set detector.weights=FILE")
        detector_request = TrainRequest(model=DETECTOR, dataset=cfg.dataset.name, output_root=cfg.run.output_root,
                                        overrides=[f"dataset.root={cfg.dataset.root}", f"run.device={cfg.run.device}"],
                                        resume=resume or detector_dir.exists())
        detector_cfg = validate(detector_request)
        if detector_cfg.detector.name != cfg.detector.name or detector_cfg.detector.args != cfg.detector.args:
            raise ConfigError(f"detector.weights is empty and the {cfg.dataset.name} detector config builds "
                              f"{detector_cfg.detector.name!r} with args {dict(detector_cfg.detector.args)}, not "
                              f"{cfg.detector.name!r} with {dict(cfg.detector.args)}: set detector.weights")
        logger.info("no trained detector at %s: training it first", weights)
        if dist_utils.is_main_process():
            _run(detector_request, detector_cfg, console=False)
        dist_utils.barrier()
    cfg.detector.weights = str(weights)


def train(request: TrainRequest) -> Path:
    """Run ``request`` to the end; returns the run folder."""
    from sgg_bench.engine import distributed as dist_utils

    cfg = validate(request)
    if int(cfg.run.num_threads) > 0:
        import torch
        torch.set_num_threads(int(cfg.run.num_threads))
    dist_utils.init_from_environment()
    try:
        if request.model == DETECTOR and dist_utils.get_world_size() > 1:
            raise ConfigError("detector training runs in one process; launch it without torchrun")
        if dist_utils.is_main_process():
            ensure_synthetic(cfg)
        dist_utils.barrier()
        if request.model != DETECTOR and not is_grounded(cfg, request.model):
            _detector_weights(cfg, resume=False)
        return _run(request, cfg, console=True)
    finally:
        dist_utils.shutdown()


def _run(request: TrainRequest, cfg, *, console: bool) -> Path:
    from sgg_bench.config import save_config
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.runs.folder import prepare_run_folder, run_directory
    from sgg_bench.utils import logs

    run_dir = run_directory(cfg, model=request.model)
    moved = None
    if dist_utils.is_main_process():
        moved = prepare_run_folder(run_dir, resume=request.resume, force=request.force)
        save_config(cfg, run_dir / "config.yaml")
    dist_utils.barrier()
    handlers = logs.attach_log_file(run_dir, console=console) if dist_utils.is_main_process() else []
    try:
        if dist_utils.is_main_process() and moved is not None:
            logger.info("--force: the earlier run was moved to %s", moved)
        if request.model == DETECTOR:
            from sgg_bench.runs.detector import detector_run
            detector_run(cfg, run_dir, resume=request.resume)
        elif is_grounded(cfg, request.model):
            from sgg_bench.runs.grounded import grounded_run
            grounded_run(cfg, run_dir, model=request.model, resume=request.resume)
        else:
            from sgg_bench.runs.effects import retire_effect_runs
            if dist_utils.is_main_process() and not request.resume:
                for path in retire_effect_runs(run_dir):
                    logger.info("a new training run: its earlier effect folder was moved to %s", path)
            _relation_run(cfg, run_dir, model=request.model, resume=request.resume, effects=request.effects)
    finally:
        logs.detach_log(handlers)
    return run_dir


def _relation_run(cfg, run_dir: Path, *, model: str, resume: bool, effects: list[str]) -> None:
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine.inference import write_predictions
    from sgg_bench.runs import folder as run_folder
    from sgg_bench.runs.effects import head_setting, requested_effects, retire_effect_runs, write_effect_runs
    from sgg_bench.runs.evaluate import evaluate_run
    from sgg_bench.runs.relation import train_relation_model
    from sgg_bench.utils.hashing import sha256_file
    from sgg_bench.runs.splits import open_split

    device = dist_utils.default_device(str(cfg.run.device))
    network, checkpoint, train_seconds = train_relation_model(cfg, run_dir, resume=resume, device=device)
    speed = write_predictions(network, open_split(cfg, "test"), run_dir / "predictions.h5",
                              dataset_name=cfg.dataset.name, mode=cfg.model.mode,
                              batch_size=int(cfg.test.ims_per_batch), cache_images=False)
    if dist_utils.is_main_process():
        setting = head_setting(model, cfg.model.head_args)
        run_folder.write_run_json(
            run_dir, run_id=run_folder.run_id(cfg.dataset.name, run_dir.name), model=model, dataset=cfg.dataset.name,
            dataset_root=str(cfg.dataset.root), mode=cfg.model.mode, split="test", protocol=cfg.eval.protocol,
            seed=int(cfg.run.seed), checkpoint=checkpoint, train_seconds=train_seconds,
            extra={"inference_images_per_second": speed["images_per_second"], "device": str(device),
                   "setting": setting})
        evaluate_run(run_dir)
        for path in retire_effect_runs(run_dir, checkpoint_sha256=sha256_file(checkpoint) if checkpoint else None):
            logger.info("effect folder of an earlier checkpoint moved to %s", path)
    dist_utils.barrier()
    extra = requested_effects(model, cfg.model.head_args, effects)
    if extra:
        write_effect_runs(cfg, run_dir, network, model=model, effects=extra, checkpoint=checkpoint,
                          train_seconds=train_seconds, device=device)
