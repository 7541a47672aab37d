"""Building and training a relation model (``sgg-bench train --model <head>``)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import torch

from sgg_bench.engine import distributed as dist_utils
from sgg_bench.errors import ConfigError
from sgg_bench.runs.splits import SMALL_DATASET, open_split

logger = logging.getLogger("sgg_bench.engine")


def feature_cache_for(cfg: Mapping[str, Any], detector_args: Mapping[str, Any]):
    """The ``FeatureCache`` of this config's detector, or None when the extractors train (or the
    cache is off). It lives in ``<output_root>/.cache/features/``, shared by every run."""
    from sgg_bench.modeling.feature_cache import FeatureCache, detector_key
    from sgg_bench.utils.hashing import sha256_file

    features = cfg["model"]["features"]
    if not (features["freeze"] and features["cache"]):
        return None
    weights = cfg["detector"]["weights"]
    settings = {"detector": cfg["detector"]["name"], "args": dict(detector_args), "freeze": True,
                "rect_masks": bool(features["rect_masks"]), "version": 3}
    return FeatureCache(Path(cfg["run"]["output_root"]) / ".cache" / "features",
                        detector_key(sha256_file(weights) if weights else "random-init", settings))


def build_relation_model(cfg: Mapping[str, Any], vocab, device: torch.device, *,
                         for_checkpoint: bool = False) -> torch.nn.Module:
    """Relation-stage features on the frozen detector (``cfg.detector.weights``) + the registered
    head, on ``device``. The frequency prior comes from the dataset's training split, never YAML.

    ``for_checkpoint``: the model only receives a run's checkpoint next (``sgg-bench predict``),
    which holds the detector and the prior too: neither the detector weights file, the training
    split's statistics nor GloVe are read, and the feature cache is off."""
    from sgg_bench.data.statistics import get_frequency_statistics
    from sgg_bench.detector.build import build_detector
    from sgg_bench.modeling.build import build_scene_graph_model
    from sgg_bench.modeling.features import RelationFeatures

    data, model_cfg = cfg["dataset"], cfg["model"]
    head_args = dict(model_cfg["head_args"] or {})
    if for_checkpoint:
        classes = vocab.num_object_classes
        prior = torch.zeros(classes, classes, vocab.num_predicate_classes)
        if "glove_path" in head_args:
            head_args["glove_path"] = ""
    else:
        prior = torch.as_tensor(get_frequency_statistics(data["root"], num_val_im=data.get("num_val_im"))["pred_dist"])
    detector_args = {"box_detections_per_img": int(cfg["test"]["detections_per_img"])}
    detector_args.update(cfg["detector"]["args"] or {})
    detector = build_detector(cfg["detector"]["name"], num_classes=vocab.num_object_classes,
                              weights=None if for_checkpoint else cfg["detector"]["weights"] or None, **detector_args)
    features = RelationFeatures(detector, freeze=bool(model_cfg["features"]["freeze"]),
                                rect_masks=bool(model_cfg["features"]["rect_masks"]))
    model = build_scene_graph_model(features=features, head_name=model_cfg["head"], vocab=vocab,
                                    mode=model_cfg["mode"], freq_log_prior=prior, head_args=head_args,
                                    feature_cache=None if for_checkpoint else feature_cache_for(cfg, detector_args),
                                    **dict(model_cfg["args"] or {}))
    return model.to(device)


def _validation(cfg: Mapping[str, Any], model: torch.nn.Module, run_dir: Path):
    """``evaluate(trainer)`` for ``PeriodicValidation``: predict + score the val split (rank 0)."""
    from sgg_bench.engine.inference import write_predictions
    from sgg_bench.evaluation import evaluate_predictions
    from sgg_bench.runs.evaluate import evaluation_options

    val_set = open_split(cfg, "val")
    options = evaluation_options(cfg)
    options["zeroshot"] = None  # zero-shot triplets are defined against the test split

    def evaluate(trainer) -> dict:
        metrics: dict = {}
        if len(val_set):
            path = run_dir / "val_predictions.h5"
            write_predictions(model, val_set, path, dataset_name=cfg["dataset"]["name"], mode=cfg["model"]["mode"],
                              batch_size=int(cfg["test"]["ims_per_batch"]), progress=False)
            if dist_utils.is_main_process():
                result = evaluate_predictions(path, cfg["dataset"]["root"], split="val", longtail=False, **options)
                metrics = {k: v for k, v in result["metrics"].items() if v is not None}
        dist_utils.barrier()
        return metrics

    return evaluate


def _training_view(cfg: Mapping[str, Any], train_set, run_dir: Path, *, seed: int):
    """The training images as ``dataset.resampling`` asks (``data/resampling.py``); a resampled
    view is described in ``<run_dir>/resampling.json``."""
    from sgg_bench.data.resampling import resample_for_training
    from sgg_bench.utils.atomic import atomic_write_json

    view = resample_for_training(train_set, cfg["dataset"]["resampling"], seed=seed)
    if view is not train_set:
        summary = view.summary()
        logger.info("bilevel resampling: %d training images -> %d", summary["images"], summary["resampled_images"])
        if dist_utils.is_main_process():
            atomic_write_json(run_dir / "resampling.json", summary)
    return view


def train_relation_model(cfg: Mapping[str, Any], run_dir: Path, *, resume: bool, device: torch.device):
    """Build the model and run the training loop (none for statistics-only heads).
    Returns ``(model, final checkpoint path, train seconds)``."""
    from sgg_bench.engine.hooks import PeriodicValidation, ProgressLogger, TensorBoardLogger
    from sgg_bench.engine.loader import PrefetchingBatches, SceneGraphBatches
    from sgg_bench.engine.schedule import WarmupPlateauLR
    from sgg_bench.engine.trainer import Trainer, seed_everything
    from sgg_bench.runs.solver import build_solver

    solver, seed = cfg["solver"], int(cfg["run"]["seed"])
    train_set = open_split(cfg, "train")
    seed_everything(seed)
    model = build_relation_model(cfg, train_set.vocab, device)
    max_iter = int(solver["max_iter"]) if model.requires_training else 0
    if max_iter > 0 and len(train_set) == 0:
        raise ConfigError(f"dataset {cfg['dataset']['root']}: the train split has no images after filtering "
                          f"(num_im={cfg['dataset']['num_im']}, num_val_im={cfg['dataset']['num_val_im']})")
    optimizer = scheduler = None
    if max_iter > 0:
        optimizer, scheduler = build_solver(solver, model)
    train_view = _training_view(cfg, train_set, run_dir, seed=seed)
    batches = SceneGraphBatches(train_view, batch_size=int(solver["ims_per_batch"]), seed=seed,
                                rank=dist_utils.get_rank(), world_size=dist_utils.get_world_size(),
                                cache_images=len(train_set) <= SMALL_DATASET)
    if device.type == "cuda":  # a GPU step is short next to JPEG decoding: decode ahead in threads
        batches = PrefetchingBatches(batches, depth=2, workers=4)
    hooks: list = [ProgressLogger(period=int(solver["log_period"]))]
    board = TensorBoardLogger(log_dir=run_dir / "tensorboard", period=int(solver["log_period"]))
    if TensorBoardLogger.available():
        hooks.append(board)
    val_period = int(solver["val_period"])
    if max_iter > 0 and 0 < val_period < max_iter:
        on_metrics = None
        if isinstance(scheduler, WarmupPlateauLR):
            metric = str(solver["plateau_metric"])
            on_metrics = lambda trainer, metrics: scheduler.report(metrics.get(metric))  # noqa: E731
        hooks.append(PeriodicValidation(period=val_period, evaluate=_validation(cfg, model, run_dir),
                                        tensorboard=board, on_metrics=on_metrics))
    trainer = Trainer(dist_utils.wrap_model(model, device), optimizer, batches, max_iter=max_iter, run_dir=run_dir,
                      scheduler=scheduler, hooks=hooks, grad_clip=solver["grad_clip"], amp=bool(solver["amp"]),
                      checkpoint_period=int(solver["checkpoint_period"]), seed=seed, device=device,
                      keep_checkpoints=int(cfg["run"]["keep_checkpoints"]))
    try:
        checkpoint = trainer.train(resume=resume)
    finally:
        if isinstance(batches, PrefetchingBatches):
            batches.close()
    logger.info("training done: %d iterations, %.1f s", max_iter, trainer.train_seconds)
    return model, checkpoint, trainer.train_seconds
