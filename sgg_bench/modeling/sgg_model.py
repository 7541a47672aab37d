"""SceneGraphModel: a frozen detector (``DetectorFeatures``) plus a relation head.

Modes (METRICS.md section 11):
  predcls  GT boxes and GT labels; object scores are exactly 1.0.
  sgcls    GT boxes; labels and scores from the head's refined object logits.
  sgdet    detected boxes; labels and scores from the head's refined object logits.

Training pairs follow KT's recipe (``pair_sampling``): up to ``pairs_per_image`` pairs, at
most ``fg_fraction`` of them foreground (GT relations, one predicate per pair), the rest
random related-free ordered pairs. In SGDet training the boxes are the detections plus the
GT boxes (KT ``ADD_GTBOX_TO_PROPOSAL_IN_TRAIN``); each box takes the label of the GT box it
overlaps with IoU >= ``sgdet_match_iou`` (background otherwise), and a pair is foreground when
its two matched GT boxes carry a relation. At test time every ordered pair is a candidate.

Batches are lists of dicts (``sgg_bench.engine.loader``): ``image`` (3, H, W) float RGB in
[0, 1], ``image_id``, ``boxes`` (G, 4) xyxy original pixels, ``labels`` (G,), ``relations`` (R, 3).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.head_io import MODES, RelationHeadInputs, RelationHeadOutputs
from sgg_bench.modeling.pair_sampling import (all_ordered_pairs, deduplicate_relations, match_boxes_to_gt,
                                              relations_for_matched_boxes, sample_pairs)
from sgg_bench.modeling.postprocess import build_prediction, object_labels_and_scores
from sgg_bench.structures import ImagePrediction


@dataclass
class _PreparedBatch:
    inputs: RelationHeadInputs
    feature_batch: object
    rel_labels: Optional[list[Tensor]]    # (M_i,) training targets, 0 = background pair
    obj_targets: Optional[list[Tensor]]   # (N_i,) training labels, 0 = background box


class SceneGraphModel(nn.Module):
    """features: a ``DetectorFeatures`` (frozen; it re-applies ``eval()`` on ``train()``)
    head:        a registered relation head (``RelationHeadInputs -> RelationHeadOutputs``)
    mode:        predcls | sgcls | sgdet
    num_rel_classes: predicate classes including background
    fg_fraction, pairs_per_image: training pair sampling (KT: 0.25, 256)
    sgdet_match_iou:  IoU for giving a detected box a GT label in SGDet training (KT: 0.5)
    sgdet_add_gt_boxes: add the GT boxes to the detections in SGDet training
    obj_loss_weight:  weight of the object cross-entropy (SGCls/SGDet, refining heads only)
    """

    def __init__(self, features: nn.Module, head: nn.Module, *, mode: str, num_rel_classes: int,
                 fg_fraction: float = 0.25, pairs_per_image: int = 256, sgdet_match_iou: float = 0.5,
                 sgdet_add_gt_boxes: bool = True, obj_loss_weight: float = 1.0):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"SceneGraphModel: mode: expected one of {MODES}, found {mode!r}")
        if not 0.0 <= fg_fraction <= 1.0:
            raise ValueError(f"SceneGraphModel: fg_fraction: expected a value in [0, 1], found {fg_fraction}")
        if pairs_per_image < 1:
            raise ValueError(f"SceneGraphModel: pairs_per_image: expected >= 1, found {pairs_per_image}")
        self.features = features
        self.head = head
        self.mode = mode
        self.num_rel_classes = int(num_rel_classes)
        self.fg_fraction = float(fg_fraction)
        self.pairs_per_image = int(pairs_per_image)
        self.sgdet_match_iou = float(sgdet_match_iou)
        self.sgdet_add_gt_boxes = bool(sgdet_add_gt_boxes)
        self.obj_loss_weight = float(obj_loss_weight)

    @property
    def requires_training(self) -> bool:
        """False for statistics-only heads: the engine then skips the training loop."""
        return bool(getattr(self.head, "requires_training", True))

    @property
    def _device(self) -> torch.device:
        return self.features.device

    def _prepare(self, batch: list[dict], *, training: bool) -> _PreparedBatch:
        device = self._device
        images = [item["image"].to(device) for item in batch]
        uses_gt = training or self.mode != "sgdet"  # SGDet inference needs no annotation at all
        gt_boxes = gt_labels = gt_resized = None
        if uses_gt:
            gt_boxes = [item["boxes"].to(device=device, dtype=torch.float32).reshape(-1, 4) for item in batch]
            gt_labels = [item["labels"].to(device=device, dtype=torch.long).reshape(-1) for item in batch]
        fb = self.features.encode(images, boxes=gt_boxes)
        if uses_gt:
            gt_resized = fb.boxes

        if self.mode == "sgdet":
            detections = self.features.detect(fb)
            boxes = [d["boxes"].to(device).float().reshape(-1, 4) for d in detections]
            if training and self.sgdet_add_gt_boxes:
                boxes = [torch.cat([b, g], dim=0) for b, g in zip(boxes, gt_resized)]
        else:
            boxes = [g.float() for g in gt_resized]

        pairs, rel_labels, obj_targets = [], None, None
        if training:
            rel_labels, obj_targets = [], []
            for index, item in enumerate(batch):
                relations = item["relations"].to(device=device, dtype=torch.long).reshape(-1, 3)
                if self.mode == "sgdet":
                    matches = match_boxes_to_gt(boxes[index], gt_resized[index], iou_threshold=self.sgdet_match_iou)
                    labels = torch.where(matches >= 0, gt_labels[index][matches.clamp(min=0)],
                                         torch.zeros_like(matches))
                    relations = relations_for_matched_boxes(matches, deduplicate_relations(relations))
                else:
                    labels = gt_labels[index]
                image_pairs, image_rel_labels = sample_pairs(
                    boxes[index].shape[0], relations, pairs_per_image=self.pairs_per_image,
                    fg_fraction=self.fg_fraction)
                pairs.append(image_pairs.to(device))
                rel_labels.append(image_rel_labels.to(device))
                obj_targets.append(labels)
        else:
            pairs = [all_ordered_pairs(b.shape[0], device=device) for b in boxes]

        obj_features = self.features.roi_features(fb, boxes)
        obj_logits = [self.features.class_logits(f) for f in obj_features]
        union = None
        if getattr(self.head, "needs_union_features", True):
            union = self.features.union_features(fb, boxes, pairs)
        inputs = RelationHeadInputs(
            mode=self.mode, obj_features=obj_features, boxes=boxes, image_sizes=list(fb.image_sizes),
            obj_logits=obj_logits, pairs=pairs, obj_labels=gt_labels if self.mode == "predcls" else None,
            union_features=union, obj_targets=obj_targets)
        return _PreparedBatch(inputs=inputs, feature_batch=fb, rel_labels=rel_labels, obj_targets=obj_targets)

    def forward(self, batch: list[dict]) -> dict[str, Tensor]:
        """Training step: a dict of scalar losses (``loss_rel``, ``loss_obj`` in SGCls/SGDet for
        heads that refine objects, plus the head's own losses)."""
        prepared = self._prepare(batch, training=True)
        outputs: RelationHeadOutputs = self.head(prepared.inputs)
        rel_logits = torch.cat(outputs.rel_logits, dim=0)
        rel_labels = torch.cat(prepared.rel_labels, dim=0)
        losses = {"loss_rel": _cross_entropy_or_zero(rel_logits, rel_labels)}
        if self.mode != "predcls" and getattr(self.head, "refines_objects", False):
            obj_logits = torch.cat(outputs.obj_logits, dim=0)
            obj_targets = torch.cat(prepared.obj_targets, dim=0)
            losses["loss_obj"] = self.obj_loss_weight * _cross_entropy_or_zero(obj_logits, obj_targets)
        for name, value in outputs.losses.items():
            if name in losses:
                raise ValueError(f"relation head loss {name!r} clashes with a SceneGraphModel loss")
            losses[name] = value
        return losses

    @torch.no_grad()
    def predict(self, batch: list[dict]) -> list[ImagePrediction]:
        """Ranked predictions (METRICS.md section 3) in original-image pixels, one per item."""
        prepared = self._prepare(batch, training=False)
        outputs: RelationHeadOutputs = self.head(prepared.inputs)
        predictions = []
        for index, item in enumerate(batch):
            if self.mode == "predcls":
                labels = prepared.inputs.obj_labels[index]
                scores = torch.ones(labels.shape[0], dtype=torch.float32, device=labels.device)
            else:
                labels, scores = object_labels_and_scores(outputs.obj_logits[index])
            if self.mode == "sgdet":
                boxes = self.features.to_original(prepared.inputs.boxes[index], index, batch=prepared.feature_batch)
            else:
                boxes = item["boxes"].reshape(-1, 4)  # the GT boxes exactly as given, original pixels
            predictions.append(build_prediction(
                image_id=int(item["image_id"]), boxes=boxes, labels=labels, scores=scores,
                pairs=prepared.inputs.pairs[index], rel_logits=outputs.rel_logits[index]))
        return predictions


def _cross_entropy_or_zero(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy; an exact 0 that keeps the graph when there are no rows."""
    if targets.numel() == 0:
        return logits.sum() * 0.0
    return F.cross_entropy(logits, targets)
