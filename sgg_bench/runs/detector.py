"""Training and scoring a detector (``sgg-bench train --model detector``).

The record of a detector run holds detection ``mAP`` / ``AP50`` on the test split (mode sgdet),
computed here when it is trained; ``eval --all`` publishes it as long as the checkpoint matches.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Mapping

from sgg_bench.runs.splits import SMALL_DATASET, open_split

logger = logging.getLogger("sgg_bench.engine")


def evaluate_detector(detector, dataset, *, batch_size: int = 8, progress: bool = True,
                      cache_images: bool = False) -> dict[str, float | None]:
    """COCO mAP (AP@[.5:.95]) and AP50 of ``detector`` on ``dataset`` (an ``SGGDataset``), with
    ``sgg_bench.evaluation.detection``. Ground truth = ``dataset.ground_truth()``; boxes in
    original pixels. The detector's train/eval mode is restored afterwards."""
    from sgg_bench.detector.training import predict_detections
    from sgg_bench.engine.loader import SceneGraphBatches
    from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch
    from sgg_bench.evaluation.detection import detection_map

    vocab = dataset.vocab
    batches = SceneGraphBatches(dataset, batch_size=batch_size, seed=0, shuffle=False, training=False,
                                cache_images=cache_images)
    was_training = detector.training
    detector.eval()
    try:
        predictions = predict_detections(detector, batches.iterate_once(), progress=progress, total=len(dataset),
                                         num_rel_classes=vocab.num_predicate_classes)
    finally:
        detector.train(was_training)
    ground_truth = GroundTruthBatch.from_images(dataset.ground_truth())
    prediction_batch = PredictionBatch.from_images(predictions, vocab.num_predicate_classes)
    return detection_map(ground_truth, [prediction_batch], num_obj_classes=vocab.num_object_classes)


def train_detector(cfg: Mapping[str, Any], run_dir: str | Path, *, resume: bool = False,
                   evaluate: bool = True) -> dict:
    """Train ``cfg.detector`` on the train split of ``cfg.dataset`` and score it on the test split.

    Writes ``<run_dir>/checkpoints/*.pth`` (the Trainer's; ``model_final.pth`` holds the weights
    under ``model`` with a ``detector.`` prefix, which ``build_detector(weights=...)`` accepts).
    Under torch.distributed every rank trains its share of each batch and rank 0 alone scores
    the test split (other ranks, and ``evaluate=False``, get ``None`` metrics).
    Returns ``{"metrics": {"mAP", "AP50"}, "checkpoint": path, "train_seconds", "eval_seconds",
    "num_classes", "device"}``.
    """
    from sgg_bench.detector.build import build_detector
    from sgg_bench.detector.training import DetectionModule
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine.hooks import PeriodicValidation, ProgressLogger, TensorBoardLogger
    from sgg_bench.engine.loader import SceneGraphBatches
    from sgg_bench.engine.trainer import Trainer, seed_everything
    from sgg_bench.runs.solver import build_solver

    run_dir = Path(run_dir)
    solver, seed = cfg["solver"], int(cfg["run"]["seed"])
    device = dist_utils.default_device(str(cfg["run"]["device"]))
    train_set = open_split(cfg, "train")
    num_classes = train_set.vocab.num_object_classes
    seed_everything(seed)  # the random initialisation is part of the run's recipe
    detector = build_detector(cfg["detector"]["name"], num_classes=num_classes,
                              weights=cfg["detector"]["weights"] or None, **dict(cfg["detector"]["args"] or {}))
    module = DetectionModule(detector).to(device)
    small = len(train_set) <= SMALL_DATASET
    batches = SceneGraphBatches(train_set, batch_size=int(solver["ims_per_batch"]), seed=seed, shuffle=True,
                                training=True, rank=dist_utils.get_rank(), world_size=dist_utils.get_world_size(),
                                cache_images=small)
    optimizer, scheduler = build_solver(solver, module)
    log_period = int(solver["log_period"])
    hooks: list = [ProgressLogger(period=log_period)]
    board = TensorBoardLogger(log_dir=run_dir / "tensorboard", period=log_period)
    if TensorBoardLogger.available():
        hooks.append(board)
    val_period = int(solver["val_period"])
    if 0 < val_period < int(solver["max_iter"]):
        val_set = open_split(cfg, "val")
        if len(val_set):
            hooks.append(PeriodicValidation(period=val_period, tensorboard=board, evaluate=lambda trainer: (
                evaluate_detector(detector, val_set, batch_size=int(cfg["test"]["ims_per_batch"]), progress=False,
                                  cache_images=small) if dist_utils.is_main_process() else {})))
    trainer = Trainer(dist_utils.wrap_model(module, device), optimizer, batches, max_iter=int(solver["max_iter"]),
                      run_dir=run_dir, scheduler=scheduler, hooks=hooks, grad_clip=solver["grad_clip"],
                      amp=bool(solver["amp"]), checkpoint_period=int(solver["checkpoint_period"]),
                      keep_checkpoints=int(cfg["run"]["keep_checkpoints"]), seed=seed, device=device)
    checkpoint = trainer.train(resume=resume)
    started = time.perf_counter()
    metrics: dict = {"mAP": None, "AP50": None}
    if evaluate and dist_utils.is_main_process():
        metrics = evaluate_detector(detector, open_split(cfg, "test"), batch_size=int(cfg["test"]["ims_per_batch"]))
        logger.info("detector %s on %s test: mAP %s AP50 %s", cfg["detector"]["name"], cfg["dataset"]["name"],
                    metrics.get("mAP"), metrics.get("AP50"))
    dist_utils.barrier()
    return {"metrics": metrics, "checkpoint": str(checkpoint), "train_seconds": trainer.train_seconds,
            "eval_seconds": time.perf_counter() - started, "num_classes": num_classes, "device": str(device)}


def detector_run(cfg: Mapping[str, Any], run_dir: str | Path, *, resume: bool = False) -> dict:
    """Train and score the detector, then write run.json and result.json (mode sgdet)."""
    from sgg_bench.engine.trainer import seed_everything
    from sgg_bench.evaluation import EVALUATOR_VERSION
    from sgg_bench.leaderboard.records import build_record, software_versions, write_record
    from sgg_bench.runs import folder as run_folder
    from sgg_bench.utils.hashing import sha256_file

    run_dir = Path(run_dir)
    dataset = cfg["dataset"]["name"]
    seed_everything(int(cfg["run"]["seed"]))
    result = train_detector(cfg, run_dir, resume=resume)
    run = run_folder.write_run_json(
        run_dir, run_id=run_folder.run_id(dataset, run_dir.name), model=f"detector-{cfg['detector']['name']}",
        dataset=dataset, dataset_root=str(cfg["dataset"]["root"]), mode="sgdet", split="test",
        protocol=cfg["eval"]["protocol"], seed=int(cfg["run"]["seed"]), checkpoint=result["checkpoint"],
        train_seconds=result["train_seconds"], extra={"device": str(result["device"])})
    provenance = {"config": _plain(cfg), "git_commit": run["git_commit"], "seed": run["seed"],
                  "checkpoint_sha256": sha256_file(result["checkpoint"]), "predictions_sha256": None,
                  "dataset_fingerprint": None, "versions": software_versions(), "device": result["device"],
                  "train_seconds": round(float(result["train_seconds"]), 3),
                  "eval_seconds": round(float(result["eval_seconds"]), 3), "evaluator_version": EVALUATOR_VERSION}
    record = build_record(run_id=run["run_id"], model=run["model"], dataset=dataset, split="test", mode="sgdet",
                          protocol=run["protocol"], metrics=dict(result["metrics"]), per_predicate={},
                          provenance=provenance, info={"num_classes": result["num_classes"]})
    write_record(run_dir / "result.json", record)
    return record


def _plain(cfg: Mapping[str, Any]) -> dict:
    import json
    return json.loads(json.dumps(cfg))
