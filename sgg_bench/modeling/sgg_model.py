"""SceneGraphModel: relation-stage features (``RelationFeatures`` on a frozen detector) plus a
relation head, pair sampling, a loss and the ranking post-processor.

Modes (docs/EVALUATION.md):
  predcls  GT boxes and GT labels; object scores are exactly 1.0.
  sgcls    GT boxes; labels and scores from the head's refined object logits.
  sgdet    detected boxes; labels and scores from the head's refined object logits.

Training pairs follow KT's recipe (``pair_sampling``): up to ``pairs_per_image`` pairs, at
most ``fg_fraction`` of them foreground (GT relations, one predicate per pair), the rest
random related-free ordered pairs. In SGDet training the boxes are the detections plus the
GT boxes (KT ``ADD_GTBOX_TO_PROPOSAL_IN_TRAIN``); each box takes the label of the GT box it
overlaps best with IoU >= ``sgdet_match_iou`` (background otherwise), and the pairs are drawn as
KT's ``detect_relsample`` (``sgdet_sampling``: label-consistent matches, at most
``sgdet_pairs_per_relation`` per GT relation, background pairs between foreground boxes only).
At test time every ordered pair is a candidate.

Batches are lists of dicts (``sgg_bench.engine.loader``): ``image`` (3, H, W) float RGB in
[0, 1], ``image_id``, ``boxes`` (G, 4) xyxy original pixels, ``labels`` (G,), ``relations`` (R, 3).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor, nn

from sgg_bench.modeling.cached_features import cached_image_features
from sgg_bench.modeling.contract import head_needs
from sgg_bench.modeling.features import ImageFeatures, RelationFeatures
from sgg_bench.modeling.head_io import MODES, RelationHeadInputs, RelationHeadOutputs
from sgg_bench.modeling.losses import RelationLoss
from sgg_bench.modeling.pair_sampling import all_ordered_pairs, deduplicate_relations, match_boxes_to_gt, sample_pairs
from sgg_bench.modeling.related_pairs import related_matrix, related_matrix_sgdet
from sgg_bench.modeling.sgdet_sampling import sample_sgdet_pairs
from sgg_bench.modeling.postprocess import build_prediction, object_labels_and_scores, per_class_nms_labels
from sgg_bench.structures import ImagePrediction


@dataclass
class _PreparedBatch:
    inputs: RelationHeadInputs
    images: list[ImageFeatures]
    rel_labels: Optional[list[Tensor]]    # (M_i,) training targets, 0 = background pair
    obj_targets: Optional[list[Tensor]]   # (N_i,) training labels, 0 = background box


class SceneGraphModel(nn.Module):
    """features: a ``RelationFeatures`` (the detector inside it is frozen)
    head:        a registered relation head (``sgg_bench.modeling.contract``)
    mode:        predcls | sgcls | sgdet
    num_rel_classes: predicate classes including background
    fg_fraction, pairs_per_image: training pair sampling (KT: 0.25, 256)
    sgdet_match_iou:  IoU for giving a detected box a GT label in SGDet training (KT: 0.5)
    sgdet_add_gt_boxes: add the GT boxes to the detections in SGDet training
    sgdet_pairs_per_relation: SGDet foreground pairs kept per GT relation (KT: 4; ``sgdet_sampling``)
    obj_loss_weight:  weight of the object cross-entropy of the default loss
    sgdet_label_nms:  SGDet decoding of heads that refine objects: per-class NMS at this IoU over the
                      refined class scores, one label per box with that class's box (KT's late NMS,
                      LATER_NMS_PREDICTION_THRES 0.5; ``postprocess.per_class_nms_labels``); 0 = off
    loss:        the loss part (default: the head's ``loss`` class, else ``RelationLoss``)
    feature_cache: a ``FeatureCache`` used when the extractors are frozen (None = recompute)
    """

    def __init__(self, features: RelationFeatures, head: nn.Module, *, mode: str, num_rel_classes: int,
                 fg_fraction: float = 0.25, pairs_per_image: int = 256, sgdet_match_iou: float = 0.5,
                 sgdet_add_gt_boxes: bool = True, sgdet_pairs_per_relation: int = 4, obj_loss_weight: float = 1.0,
                 sgdet_label_nms: float = 0.5, loss: nn.Module | None = None, feature_cache=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"SceneGraphModel: mode: expected one of {MODES}, found {mode!r}")
        if not 0.0 <= fg_fraction <= 1.0:
            raise ValueError(f"SceneGraphModel: fg_fraction: expected a value in [0, 1], found {fg_fraction}")
        if pairs_per_image < 1:
            raise ValueError(f"SceneGraphModel: pairs_per_image: expected >= 1, found {pairs_per_image}")
        if not 0.0 <= sgdet_label_nms <= 1.0:
            raise ValueError(f"SceneGraphModel: sgdet_label_nms: expected a value in [0, 1], found {sgdet_label_nms}")
        if feature_cache is not None and not features.freeze:
            raise ValueError("SceneGraphModel: a feature cache needs frozen extractors (model.features.freeze)")
        self.features = features
        self.head = head
        self.needs = head_needs(head)
        self.mode = mode
        self.num_rel_classes = int(num_rel_classes)
        self.fg_fraction = float(fg_fraction)
        self.pairs_per_image = int(pairs_per_image)
        self.sgdet_match_iou = float(sgdet_match_iou)
        self.sgdet_add_gt_boxes = bool(sgdet_add_gt_boxes)
        self.sgdet_pairs_per_relation = int(sgdet_pairs_per_relation)
        self.sgdet_label_nms = float(sgdet_label_nms)
        if loss is None:
            loss_class = getattr(head, "loss", None) or RelationLoss
            loss = loss_class(obj_loss_weight=obj_loss_weight)
        self.loss = loss
        self.feature_cache = feature_cache

    @property
    def requires_training(self) -> bool:
        """False for statistics-only heads: the engine then skips the training loop."""
        return bool(getattr(self.head, "requires_training", True))

    @property
    def _device(self) -> torch.device:
        return self.features.device

    def _box_source(self, training: bool) -> str:
        if self.mode != "sgdet":
            return "gt"
        return "detections+gt" if training and self.sgdet_add_gt_boxes else "detections"

    def _image_features(self, batch: list[dict], *, training: bool) -> list[ImageFeatures]:
        device = self._device
        source = self._box_source(training)
        if self.feature_cache is not None:
            return cached_image_features(self.features, self.feature_cache, batch, box_source=source, device=device)
        images = [item["image"].to(device) for item in batch]
        gt_boxes = None
        if source != "detections":
            gt_boxes = [item["boxes"].to(device=device, dtype=torch.float32).reshape(-1, 4) for item in batch]
        return self.features.image_features(images, gt_boxes=gt_boxes, box_source=source)

    def _prepare(self, batch: list[dict], *, training: bool) -> _PreparedBatch:
        device = self._device
        images = self._image_features(batch, training=training)
        boxes = [image.boxes for image in images]
        gt_labels = None
        if training or self.mode != "sgdet":  # SGDet inference needs no annotation at all
            gt_labels = [item["labels"].to(device=device, dtype=torch.long).reshape(-1) for item in batch]

        pairs, rel_labels, obj_targets, related = [], None, None, None
        if training:
            rel_labels, obj_targets, related = [], [], []
            for index, item in enumerate(batch):
                relations = item["relations"].to(device=device, dtype=torch.long).reshape(-1, 3)
                if self.mode == "sgdet":
                    gt_resized = images[index].to_resized(item["boxes"].to(device).reshape(-1, 4))
                    matches = match_boxes_to_gt(boxes[index], gt_resized, iou_threshold=self.sgdet_match_iou)
                    labels = torch.where(matches >= 0, gt_labels[index][matches.clamp(min=0)],
                                         torch.zeros_like(matches))
                    image_pairs, image_rel_labels = sample_sgdet_pairs(
                        boxes[index], labels, gt_resized, gt_labels[index], deduplicate_relations(relations),
                        pairs_per_image=self.pairs_per_image, fg_fraction=self.fg_fraction,
                        iou_threshold=self.sgdet_match_iou, max_pairs_per_relation=self.sgdet_pairs_per_relation)
                    related.append(related_matrix_sgdet(boxes[index], labels, gt_resized, gt_labels[index], relations,
                                                        iou_threshold=self.sgdet_match_iou))
                else:
                    labels = gt_labels[index]
                    image_pairs, image_rel_labels = sample_pairs(
                        boxes[index].shape[0], relations, pairs_per_image=self.pairs_per_image,
                        fg_fraction=self.fg_fraction)
                    related.append(related_matrix(boxes[index].shape[0], relations))
                pairs.append(image_pairs.to(device))
                rel_labels.append(image_rel_labels.to(device))
                obj_targets.append(labels)
        else:
            pairs = [all_ordered_pairs(b.shape[0], device=device) for b in boxes]

        needs = self.needs
        union = self.features.pair_features(images, pairs) if needs.union_features else None
        give_targets = training and needs.training_targets
        inputs = RelationHeadInputs(
            mode=self.mode, obj_features=[i.box_features for i in images] if needs.object_context else None,
            boxes=boxes, image_sizes=[i.image_size for i in images], obj_logits=[i.obj_logits for i in images],
            pairs=pairs, obj_labels=gt_labels if self.mode == "predcls" else None, union_features=union,
            obj_targets=obj_targets if give_targets else None, rel_labels=rel_labels if give_targets else None,
            related=related if give_targets else None)
        return _PreparedBatch(inputs=inputs, images=images, rel_labels=rel_labels, obj_targets=obj_targets)

    def forward(self, batch: list[dict]) -> dict[str, Tensor]:
        """Training step: a dict of scalar losses (the loss part's, plus the head's own)."""
        prepared = self._prepare(batch, training=True)
        outputs: RelationHeadOutputs = self.head(prepared.inputs)
        object_loss = self.mode != "predcls" and bool(getattr(self.head, "refines_objects", False))
        losses = dict(self.loss(outputs, prepared.rel_labels, prepared.obj_targets, object_loss=object_loss))
        for name, value in outputs.losses.items():
            if name in losses:
                raise ValueError(f"relation head loss {name!r} clashes with a SceneGraphModel loss")
            losses[name] = value
        return losses

    @torch.no_grad()
    def predict(self, batch: list[dict]) -> list[ImagePrediction]:
        """Ranked predictions (docs/EVALUATION.md) in original-image pixels, one per item."""
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
                boxes = prepared.inputs.boxes[index]
                class_boxes = prepared.images[index].class_boxes
                if self.sgdet_label_nms > 0 and class_boxes is not None and getattr(self.head, "refines_objects", False):
                    labels, scores = per_class_nms_labels(outputs.obj_logits[index], class_boxes, self.sgdet_label_nms)
                    boxes = class_boxes[torch.arange(labels.shape[0], device=labels.device), labels]
                boxes = prepared.images[index].to_original(boxes)
            else:
                boxes = item["boxes"].reshape(-1, 4)  # the GT boxes exactly as given, original pixels
            predictions.append(build_prediction(
                image_id=int(item["image_id"]), boxes=boxes, labels=labels, scores=scores,
                pairs=prepared.inputs.pairs[index], rel_logits=outputs.rel_logits[index]))
        return predictions
