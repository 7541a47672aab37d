"""Detector training pieces: ``DetectionModule`` (losses for the engine's ``Trainer``) and
``predict_detections``. The training run itself is ``sgg_bench.runs.detector``.

Batches are the engine's items: ``image`` (3, H, W) RGB in [0, 1] at original size, ``boxes``
(G, 4) xyxy original pixels, ``labels`` (G,) int64 1-based.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm


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
