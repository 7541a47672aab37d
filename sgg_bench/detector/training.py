"""Detector training and detection mAP: ``DetectionModule`` for the engine's ``Trainer``,
``evaluate_detector`` and ``train_detector`` (the ``sgg-bench train --model detector`` route).

Batches are the engine's items: ``image`` (3, H, W) RGB in [0, 1] at original size, ``boxes``
(G, 4) xyxy original pixels, ``labels`` (G,) int64 1-based.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm

logger = logging.getLogger("sgg_bench.detector")


def training_targets(item: Mapping[str, Any], device: torch.device) -> dict[str, Tensor]:
    """torchvision target of one batch item. Boxes narrower or lower than 1 px (VG has boxes
    clipped to zero width) are widened to 1 px, because torchvision refuses degenerate boxes and
    dropping them would silently change the data."""
    boxes = torch.as_tensor(item["boxes"], dtype=torch.float32, device=device).reshape(-1, 4).clone()
    boxes[:, 2] = torch.maximum(boxes[:, 2], boxes[:, 0] + 1)
    boxes[:, 3] = torch.maximum(boxes[:, 3], boxes[:, 1] + 1)
    labels = torch.as_tensor(item["labels"], dtype=torch.int64, device=device).reshape(-1)
    return {"boxes": boxes, "labels": labels}


class DetectionModule(nn.Module):
    """``forward(batch) -> dict`` of torchvision's four Faster R-CNN losses (``loss_classifier``,
    ``loss_box_reg``, ``loss_objectness``, ``loss_rpn_box_reg``), for the engine's ``Trainer``.
    ``batch`` is a list of items as described in the module docstring."""

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector

    def forward(self, batch: list[dict]) -> dict[str, Tensor]:
        if not self.training:
            raise RuntimeError("DetectionModule computes training losses; call .train() first")
        device = next(self.detector.parameters()).device
        images = [item["image"].to(device) for item in batch]
        targets = [training_targets(item, device) for item in batch]
        return self.detector(images, targets)


@torch.no_grad()
def predict_detections(detector: nn.Module, batches, *, num_rel_classes: int, progress: bool = True,
                       total: int | None = None) -> list:
    """Run ``detector`` over ``batches`` (iterable of item lists); returns one
    ``ImagePrediction`` per image with boxes in original pixels and no relations."""
    from sgg_bench.structures import ImagePrediction

    device = next(detector.parameters()).device
    predictions = []
    bar = tqdm(total=total, desc="detect", unit="img", disable=not progress, dynamic_ncols=True)
    for items in batches:
        outputs = detector([item["image"].to(device) for item in items])
        for item, output in zip(items, outputs):
            predictions.append(ImagePrediction(
                image_id=int(item["image_id"]),
                boxes=output["boxes"].float().cpu().numpy().reshape(-1, 4),
                labels=output["labels"].cpu().numpy().astype(np.int64),
                scores=output["scores"].float().cpu().numpy(),
                rel_pairs=np.zeros((0, 2), np.int64),
                rel_scores=np.zeros((0, num_rel_classes), np.float32)))
        bar.update(len(items))
    bar.close()
    return predictions


def evaluate_detector(detector: nn.Module, dataset, *, batch_size: int = 8, progress: bool = True,
                      cache_images: bool = False) -> dict[str, float | None]:
    """COCO mAP (AP@[.5:.95]) and AP50 of ``detector`` on ``dataset`` (an ``SGGDataset``), with
    ``sgg_bench.evaluation.detection``. Ground truth = ``dataset.ground_truth()``; boxes in
    original pixels. The detector's train/eval mode is restored afterwards."""
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


def _open_split(cfg, split: str):
    from sgg_bench.data import open_dataset

    data = cfg.dataset
    return open_dataset(data.root, split, num_val_im=data.get("num_val_im"), num_im=int(data.get("num_im", -1)),
                        filter_empty_rels=data.get("filter_empty_rels", True),
                        filter_non_overlap=data.get("filter_non_overlap", False),
                        filter_duplicate_rels=data.get("filter_duplicate_rels", True))


def train_detector(cfg, run_dir: str | Path, *, resume: bool = False, evaluate: bool = True) -> dict:
    """Train ``cfg.detector`` on the train split of ``cfg.dataset`` and score it on the test split.

    Writes ``<run_dir>/checkpoints/*.pth`` (the Trainer's; ``model_final.pth`` holds the weights
    under ``model`` with a ``detector.`` prefix, which ``build_detector(weights=...)`` accepts).
    Under torch.distributed every rank trains its share of each batch and rank 0 alone scores
    the test split (other ranks, and ``evaluate=False``, get ``None`` metrics).
    Returns ``{"metrics": {"mAP", "AP50"}, "checkpoint": path, "train_seconds", "eval_seconds",
    "num_classes", "device"}``.
    """
    from sgg_bench.detector.build import build_detector
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine.hooks import PeriodicValidation, ProgressLogger, TensorBoardLogger
    from sgg_bench.engine.loader import SceneGraphBatches
    from sgg_bench.engine.schedule import WarmupMultiStepLR, build_optimizer
    from sgg_bench.engine.trainer import Trainer, seed_everything

    run_dir = Path(run_dir)
    solver, seed = cfg.solver, int(cfg.run.seed)
    device = dist_utils.default_device(str(cfg.run.get("device", "auto")))
    train_set = _open_split(cfg, "train")
    num_classes = train_set.vocab.num_object_classes
    seed_everything(seed)  # the random initialisation is part of the run's recipe
    detector = build_detector(cfg.detector.name, num_classes=num_classes, weights=cfg.detector.weights or None,
                              **dict(cfg.detector.get("args") or {}))
    module = DetectionModule(detector).to(device)
    small = len(train_set) <= 5000  # decoded images of a small dataset fit in memory
    batches = SceneGraphBatches(train_set, batch_size=int(solver.ims_per_batch), seed=seed, shuffle=True,
                                training=True, rank=dist_utils.get_rank(), world_size=dist_utils.get_world_size(),
                                cache_images=small)
    optimizer = build_optimizer(module.parameters(), name=solver.optimizer, base_lr=float(solver.base_lr),
                                momentum=float(solver.momentum), weight_decay=float(solver.weight_decay))
    scheduler = WarmupMultiStepLR(optimizer, milestones=list(solver.steps), gamma=float(solver.gamma),
                                  warmup_iters=int(solver.warmup_iters))
    log_period = int(solver.get("log_period", 20) or 20)
    hooks: list = [ProgressLogger(period=log_period)]
    board = TensorBoardLogger(log_dir=run_dir / "tensorboard", period=log_period)
    if TensorBoardLogger.available():
        hooks.append(board)
    val_period = int(solver.get("val_period", 0) or 0)
    if 0 < val_period < int(solver.max_iter):
        val_set = _open_split(cfg, "val")
        if len(val_set):
            hooks.append(PeriodicValidation(period=val_period, tensorboard=board, evaluate=lambda trainer: (
                evaluate_detector(detector, val_set, batch_size=int(cfg.test.ims_per_batch), progress=False,
                                  cache_images=small) if dist_utils.is_main_process() else {})))
    trainer = Trainer(dist_utils.wrap_model(module, device), optimizer, batches, max_iter=int(solver.max_iter),
                      run_dir=run_dir, scheduler=scheduler, hooks=hooks, grad_clip=solver.get("grad_clip"),
                      amp=bool(solver.get("amp", False)), checkpoint_period=int(solver.checkpoint_period),
                      seed=seed, device=device)
    checkpoint = trainer.train(resume=resume)
    started = time.perf_counter()
    metrics: dict = {"mAP": None, "AP50": None}
    if evaluate and dist_utils.is_main_process():
        metrics = evaluate_detector(detector, _open_split(cfg, "test"), batch_size=int(cfg.test.ims_per_batch))
        logger.info("detector %s on %s test: mAP %s AP50 %s", cfg.detector.name, cfg.dataset.get("name"),
                    metrics.get("mAP"), metrics.get("AP50"))
    dist_utils.barrier()
    return {"metrics": metrics, "checkpoint": str(checkpoint), "train_seconds": trainer.train_seconds,
            "eval_seconds": time.perf_counter() - started, "num_classes": num_classes, "device": str(device)}
