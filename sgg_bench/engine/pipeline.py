"""End-to-end runs behind ``sgg-bench train``: build, train, predict the test split, evaluate,
write the run folder (``sgg_bench.engine.run``).

``relation_run``  SceneGraphModel = frozen detector (``cfg.detector.weights``) + relation head.
``detector_run``  the detector engineer's ``train_detector``; its record holds mAP / AP50.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Mapping

import torch

from sgg_bench.config import save_config
from sgg_bench.errors import ConfigError
from sgg_bench.engine import distributed as dist_utils
from sgg_bench.engine import run as run_folder
from sgg_bench.engine.hooks import PeriodicValidation, ProgressLogger, TensorBoardLogger
from sgg_bench.engine.inference import write_predictions
from sgg_bench.engine.loader import PrefetchingBatches, SceneGraphBatches
from sgg_bench.engine.schedule import WarmupMultiStepLR, build_optimizer
from sgg_bench.engine.trainer import Trainer, seed_everything

logger = logging.getLogger("sgg_bench.engine")

SMALL_DATASET = 5000  # decoded images of a dataset this small are kept in memory


def open_split(cfg: Mapping, split: str):
    """``cfg.dataset``'s ``split`` as an ``SGGDataset``."""
    from sgg_bench.data import open_dataset

    data = cfg["dataset"]
    return open_dataset(data["root"], split, num_val_im=data.get("num_val_im"), num_im=int(data.get("num_im", -1)),
                        filter_empty_rels=bool(data["filter_empty_rels"]),
                        filter_non_overlap=bool(data["filter_non_overlap"]),
                        filter_duplicate_rels=bool(data["filter_duplicate_rels"]))


def build_relation_model(cfg: Mapping, vocab, device: torch.device) -> torch.nn.Module:
    """Frozen detector (weights from ``cfg.detector.weights``) + registered head, on ``device``.
    The frequency prior comes from the dataset's training split, never from YAML."""
    from sgg_bench.data.statistics import get_frequency_statistics
    from sgg_bench.detector.build import build_detector
    from sgg_bench.detector.features import DetectorFeatures
    from sgg_bench.modeling.build import build_scene_graph_model

    data = cfg["dataset"]
    stats = get_frequency_statistics(data["root"], num_val_im=data.get("num_val_im"))
    detector_args = {"box_detections_per_img": int(cfg["test"]["detections_per_img"])}
    detector_args.update(cfg["detector"]["args"] or {})
    detector = build_detector(cfg["detector"]["name"], num_classes=vocab.num_object_classes,
                              weights=cfg["detector"]["weights"] or None, **detector_args)
    model = build_scene_graph_model(features=DetectorFeatures(detector), head_name=cfg["model"]["head"], vocab=vocab,
                                    mode=cfg["model"]["mode"], freq_log_prior=torch.as_tensor(stats["pred_dist"]),
                                    head_args=dict(cfg["model"]["head_args"] or {}),
                                    **dict(cfg["model"]["args"] or {}))
    return model.to(device)


def evaluation_options(cfg: Mapping) -> dict:
    """Keyword arguments of ``evaluate_predictions`` from ``cfg.eval`` / ``cfg.dataset``."""
    zeroshot = cfg["dataset"].get("zeroshot_list") or None
    # dataset.num_im > 0 (a quick run on the first N images) predicts only part of the split
    subset = int(cfg["dataset"].get("num_im", -1)) > 0
    return {"protocol": cfg["eval"]["protocol"], "zeroshot": zeroshot,
            "allow_missing": bool(cfg["test"]["allow_missing"]) or subset,
            "iou_threshold": float(cfg["eval"]["iou_threshold"]),
            "motifs_rule": not bool(cfg["eval"]["skip_images_without_predictions"])}


def _validation(cfg: Mapping, model: torch.nn.Module, run_dir: Path, dataset_name: str):
    """``evaluate(trainer)`` for ``PeriodicValidation``: predict + score the val split (rank 0)."""
    from sgg_bench.evaluation import evaluate_predictions

    val_set = open_split(cfg, "val")
    options = evaluation_options(cfg)
    options["zeroshot"] = None  # zero-shot triplets are defined against the test split

    def evaluate(trainer: Trainer) -> dict:
        metrics: dict = {}
        if len(val_set):
            path = run_dir / "val_predictions.h5"
            write_predictions(model, val_set, path, dataset_name=dataset_name, mode=cfg["model"]["mode"],
                              batch_size=int(cfg["test"]["ims_per_batch"]), progress=False)
            if dist_utils.is_main_process():
                result = evaluate_predictions(path, cfg["dataset"]["root"], split="val", longtail=False, **options)
                metrics = {k: v for k, v in result["metrics"].items() if v is not None}
        dist_utils.barrier()
        return metrics

    return evaluate


def relation_run(cfg: Mapping, run_dir: str | Path, *, model_name: str, dataset_name: str,
                 resume: bool = False) -> dict | None:
    """Train (unless the head is statistics-only), predict the test split, evaluate, and write
    config.yaml, checkpoints, predictions.h5, result.json and run.json. Returns the record on
    rank 0 (None elsewhere)."""
    from sgg_bench.evaluation import evaluate_predictions

    run_dir = Path(run_dir)
    solver, mode, seed = cfg["solver"], cfg["model"]["mode"], int(cfg["run"]["seed"])
    device = dist_utils.default_device(str(cfg["run"]["device"]))
    if dist_utils.is_main_process():
        save_config(cfg, run_dir / "config.yaml")
    train_set = open_split(cfg, "train")
    seed_everything(seed)
    model = build_relation_model(cfg, train_set.vocab, device)
    max_iter = int(solver["max_iter"]) if getattr(model, "requires_training", True) else 0
    if max_iter > 0 and len(train_set) == 0:
        raise ConfigError(f"dataset {cfg['dataset']['root']}: the train split has no images after filtering "
                          f"(num_im={cfg['dataset']['num_im']}, num_val_im={cfg['dataset']['num_val_im']})")
    optimizer = scheduler = None
    if max_iter > 0:
        optimizer = build_optimizer(model.parameters(), name=solver["optimizer"], base_lr=float(solver["base_lr"]),
                                    momentum=float(solver["momentum"]), weight_decay=float(solver["weight_decay"]))
        scheduler = WarmupMultiStepLR(optimizer, milestones=list(solver["steps"]), gamma=float(solver["gamma"]),
                                      warmup_iters=int(solver["warmup_iters"]))
    small = len(train_set) <= SMALL_DATASET
    batches = SceneGraphBatches(train_set, batch_size=int(solver["ims_per_batch"]), seed=seed,
                                rank=dist_utils.get_rank(), world_size=dist_utils.get_world_size(), cache_images=small)
    if device.type == "cuda":  # a GPU step is short next to JPEG decoding: decode ahead in threads
        batches = PrefetchingBatches(batches, depth=2, workers=4)
    hooks: list = [ProgressLogger(period=int(solver["log_period"]))]
    board = TensorBoardLogger(log_dir=run_dir / "tensorboard", period=int(solver["log_period"]))
    if TensorBoardLogger.available():
        hooks.append(board)
    val_period = int(solver["val_period"] or 0)
    if max_iter > 0 and 0 < val_period < max_iter:
        hooks.append(PeriodicValidation(period=val_period, evaluate=_validation(cfg, model, run_dir, dataset_name),
                                        tensorboard=board))
    trainer = Trainer(dist_utils.wrap_model(model, device), optimizer, batches, max_iter=max_iter, run_dir=run_dir,
                      scheduler=scheduler, hooks=hooks, grad_clip=solver["grad_clip"], amp=bool(solver["amp"]),
                      checkpoint_period=int(solver["checkpoint_period"]), seed=seed, device=device)
    try:
        checkpoint = trainer.train(resume=resume)
    finally:
        if isinstance(batches, PrefetchingBatches):
            batches.close()
    logger.info("training done: %d iterations, %.1f s", max_iter, trainer.train_seconds)

    record = None
    test_set = open_split(cfg, "test")
    predictions = run_dir / "predictions.h5"
    speed = write_predictions(model, test_set, predictions, dataset_name=dataset_name, mode=mode,
                              batch_size=int(cfg["test"]["ims_per_batch"]), cache_images=False)
    if dist_utils.is_main_process():
        started = time.perf_counter()
        evaluation = evaluate_predictions(predictions, cfg["dataset"]["root"], split="test", **evaluation_options(cfg))
        eval_seconds = time.perf_counter() - started
        name = run_dir.name
        run = run_folder.write_run_json(
            run_dir, run_id=run_folder.run_id(dataset_name, name), model=model_name, dataset=dataset_name,
            dataset_root=str(cfg["dataset"]["root"]), mode=mode, split="test", protocol=cfg["eval"]["protocol"],
            seed=seed, checkpoint=checkpoint, train_seconds=trainer.train_seconds,
            extra={"inference_images_per_second": speed["images_per_second"], "device": str(device)})
        record = run_folder.write_result(run_dir, run=run, evaluation=evaluation, config=cfg, checkpoint=checkpoint,
                                         predictions=predictions, device=str(device),
                                         train_seconds=trainer.train_seconds, eval_seconds=eval_seconds,
                                         dataset_fingerprint=str(test_set.fingerprint))
        _log_metrics(record["metrics"])
    dist_utils.barrier()
    return record


def detector_run(cfg: Mapping, run_dir: str | Path, *, dataset_name: str, resume: bool = False) -> dict:
    """Train ``cfg.detector`` (``sgg_bench.detector.training.train_detector``), then write
    config.yaml, run.json and a result record with detection ``mAP`` / ``AP50`` (mode sgdet)."""
    from sgg_bench.detector.training import train_detector

    run_dir = Path(run_dir)
    save_config(cfg, run_dir / "config.yaml")
    seed_everything(int(cfg["run"]["seed"]))  # the detector's random initialisation
    result = train_detector(cfg, run_dir, resume=resume)
    name = run_dir.name
    run = run_folder.write_run_json(
        run_dir, run_id=run_folder.run_id(dataset_name, name), model=f"detector-{cfg['detector']['name']}",
        dataset=dataset_name, dataset_root=str(cfg["dataset"]["root"]), mode="sgdet", split="test",
        protocol=cfg["eval"]["protocol"], seed=int(cfg["run"]["seed"]), checkpoint=result["checkpoint"],
        train_seconds=result["train_seconds"], extra={"device": str(result["device"])})
    from sgg_bench.evaluation import EVALUATOR_VERSION
    evaluation = {"metrics": dict(result["metrics"]), "per_predicate": {},
                  "info": {"evaluator_version": EVALUATOR_VERSION, "num_classes": result["num_classes"]}}
    record = run_folder.write_result(run_dir, run=run, evaluation=evaluation, config=cfg,
                                     checkpoint=result["checkpoint"], predictions=None, device=result["device"],
                                     train_seconds=result["train_seconds"], eval_seconds=result["eval_seconds"])
    _log_metrics(record["metrics"])
    return record


def _log_metrics(metrics: Mapping[str, Any]) -> None:
    shown = {k: v for k, v in metrics.items() if v is not None}
    logger.info("test metrics: %s", json.dumps(shown, sort_keys=True))
