"""Frozen-detector feature extraction for relation models (docs/DETECTOR.md).

Frames: "original" = pixels of the image as loaded; "resized" = the detector's input frame
after ``detector.transform`` (shorter side ``min_size``, longer side at most ``max_size``).
All boxes are ``x1, y1, x2, y2``. ``DetectorFeatures`` is the only place that freezes a detector.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor, nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.transform import resize_boxes


def union_boxes(boxes: Tensor, pairs: Tensor) -> Tensor:
    """Smallest boxes enclosing each (subject, object) pair.

    boxes: (N, 4); pairs: (M, 2) int64 indices into ``boxes``. Returns (M, 4), same frame.
    """
    pairs = pairs.reshape(-1, 2).long()
    subject, obj = boxes[pairs[:, 0]], boxes[pairs[:, 1]]
    return torch.cat([torch.minimum(subject[:, :2], obj[:, :2]), torch.maximum(subject[:, 2:], obj[:, 2:])], dim=1)


@dataclass
class FeatureBatch:
    """One backbone pass over a batch of images.

    image_list:     torchvision ``ImageList``: normalised, padded tensors (B, 3, H_pad, W_pad) and
                    ``image_sizes`` [(h, w)] of each image in the resized frame
    features:       OrderedDict of feature maps (B, C, H_l, W_l), e.g. ``"0".."3", "pool"``
    original_sizes: [(h, w)] of each image as given
    boxes:          the boxes passed to ``encode`` mapped into the resized frame, list of
                    (G_i, 4) float32; None when no boxes were given
    """

    image_list: ImageList
    features: "OrderedDict[str, Tensor]"
    original_sizes: list[tuple[int, int]]
    boxes: list[Tensor] | None = None

    @property
    def image_sizes(self) -> list[tuple[int, int]]:
        return list(self.image_list.image_sizes)

    def __len__(self) -> int:
        return len(self.original_sizes)

    def to_original(self, boxes_resized: Tensor, index: int) -> Tensor:
        """(N, 4) boxes of image ``index`` from the resized frame to original pixels."""
        return resize_boxes(boxes_resized, list(self.image_sizes[index]), list(self.original_sizes[index]))

    def to_resized(self, boxes_original: Tensor, index: int) -> Tensor:
        """(N, 4) boxes of image ``index`` from original pixels to the resized frame."""
        return resize_boxes(boxes_original, list(self.original_sizes[index]), list(self.image_sizes[index]))


class DetectorFeatures(nn.Module):
    """Wraps a torchvision ``FasterRCNN`` and freezes it: ``requires_grad`` off, ``eval()``, and
    every call under ``torch.no_grad()``. ``train(mode)`` re-applies ``detector.eval()``, so a
    parent model's ``.train()`` never unfreezes BatchNorm statistics or dropout.

    Attributes: ``feature_dim`` (D, the box head's output size), ``num_classes`` (C_obj,
    background included).
    """

    def __init__(self, detector: FasterRCNN):
        super().__init__()
        self.detector = detector
        detector.requires_grad_(False)
        detector.eval()
        predictor = detector.roi_heads.box_predictor
        self.feature_dim = int(predictor.cls_score.in_features)
        self.num_classes = int(predictor.cls_score.out_features)
        self._last_batch_sizes: tuple[list, list] | None = None

    def train(self, mode: bool = True) -> "DetectorFeatures":
        super().train(mode)
        self.detector.eval()
        return self

    @property
    def device(self) -> torch.device:
        return next(self.detector.parameters()).device

    @torch.no_grad()
    def encode(self, images: Sequence[Tensor], boxes: Sequence[Tensor] | None = None) -> FeatureBatch:
        """Transform and run the backbone once.

        images: B tensors (3, H_i, W_i), RGB in [0, 1], original size.
        boxes:  optional B tensors (G_i, 4) in original pixels; returned mapped to the resized
                frame as ``FeatureBatch.boxes``.
        """
        if boxes is not None and len(boxes) != len(images):
            raise ValueError(f"encode: {len(images)} images but {len(boxes)} box tensors")
        device = self.device
        images = [image.to(device) for image in images]
        original_sizes = [(int(image.shape[-2]), int(image.shape[-1])) for image in images]
        targets = None
        if boxes is not None:
            targets = [{"boxes": b.to(device=device, dtype=torch.float32).reshape(-1, 4)} for b in boxes]
        image_list, targets = self.detector.transform(images, targets)
        features = self.detector.backbone(image_list.tensors)
        if isinstance(features, Tensor):
            features = OrderedDict([("0", features)])
        resized = [t["boxes"] for t in targets] if targets is not None else None
        self._last_batch_sizes = (list(image_list.image_sizes), original_sizes)
        return FeatureBatch(image_list=image_list, features=features, original_sizes=original_sizes, boxes=resized)

    @torch.no_grad()
    def roi_features(self, batch: FeatureBatch, boxes_resized: Sequence[Tensor]) -> list[Tensor]:
        """Box-head features for given boxes: per image (N_i, 4) resized frame -> (N_i, D)."""
        counts = [int(b.shape[0]) for b in boxes_resized]
        if sum(counts) == 0:
            return [torch.zeros((0, self.feature_dim), device=self.device) for _ in counts]
        heads = self.detector.roi_heads
        boxes = [b.to(device=self.device, dtype=torch.float32).reshape(-1, 4) for b in boxes_resized]
        pooled = heads.box_roi_pool(batch.features, boxes, batch.image_sizes)
        return list(heads.box_head(pooled).split(counts))

    @torch.no_grad()
    def class_logits(self, features: Tensor) -> Tensor:
        """Detector classifier scores: (N, D) -> (N, C_obj) logits (column 0 = background)."""
        if features.shape[0] == 0:
            return features.new_zeros((0, self.num_classes))
        return self.detector.roi_heads.box_predictor(features)[0]

    @torch.no_grad()
    def union_features(self, batch: FeatureBatch, boxes_resized: Sequence[Tensor],
                       pairs: Sequence[Tensor]) -> list[Tensor]:
        """Box-head features of the union box of each pair: per image (M_i, 2) -> (M_i, D)."""
        unions = [union_boxes(b.to(self.device), p.to(self.device)) for b, p in zip(boxes_resized, pairs)]
        return self.roi_features(batch, unions)

    @torch.no_grad()
    def detect(self, batch: FeatureBatch) -> list[dict[str, Tensor]]:
        """Full detection (SGDet): per image ``boxes`` (K, 4) resized frame, ``labels`` (K,)
        int64 1-based, ``scores`` (K,); one label per box (``relation_detections``), at most the
        detector's ``box_detections_per_img``."""
        from sgg_bench.detector.relation_detections import one_label_per_box

        heads = self.detector.roi_heads
        proposals, _ = self.detector.rpn(batch.image_list, batch.features)
        pooled = heads.box_head(heads.box_roi_pool(batch.features, proposals, batch.image_sizes))
        class_logits, box_regression = heads.box_predictor(pooled)
        return one_label_per_box(class_logits, box_regression, proposals, batch.image_sizes, box_coder=heads.box_coder,
                                 score_thresh=heads.score_thresh, nms_thresh=heads.nms_thresh,
                                 detections_per_img=heads.detections_per_img)

    def to_original(self, boxes_resized: Tensor, index: int, batch: FeatureBatch | None = None) -> Tensor:
        """(N, 4) boxes of image ``index`` of ``batch`` (default: the last encoded batch) from the
        resized frame to original pixels."""
        if batch is not None:
            return batch.to_original(boxes_resized, index)
        if self._last_batch_sizes is None:
            raise RuntimeError("to_original: no batch encoded yet; pass batch=")
        image_sizes, original_sizes = self._last_batch_sizes
        return resize_boxes(boxes_resized, list(image_sizes[index]), list(original_sizes[index]))
