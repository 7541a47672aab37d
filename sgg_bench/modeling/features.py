"""Relation-stage features: box and union extractors on top of the frozen detector.

As in the reference implementations (Scene-Graph-Benchmark.pytorch's ``ROIRelationHead``):
  * the box extractor is a copy of the detector's box head (fc6/fc7), initialised from it and
    trained in the relation stage; boxes are pooled from their FPN level (the detector's pooler);
  * the union extractor pools each pair's union box from *every* pyramid level, concatenates the
    levels and reduces them with a 3x3 conv + ReLU back to the FPN width, adds the rectangle-mask
    branch (``RectMaskBranch``: the subject and object boxes drawn as two 27x27 masks) and runs
    a second copy of the detector's box head (fc6/fc7), also initialised from it;
  * backbone, RPN and the detector's own box head stay frozen (``DetectorFeatures``, the one
    place that freezes them).

``freeze=True`` (CPU configs) keeps both extractors exactly as the detector trained them: box and
union boxes then go through the detector's own pooler and box head, there is no reduce conv and no
mask branch (a frozen random branch would only add noise), and nothing here is trainable, so each
image's features can be computed once and cached (``feature_cache``).

Frames: boxes are ``x1, y1, x2, y2`` in the detector's resized frame unless said otherwise.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor, nn
from torchvision.ops import roi_align

from sgg_bench.detector.features import DetectorFeatures, FeatureBatch, union_boxes

BOX_SOURCES = ("gt", "detections", "detections+gt")


@dataclass
class ImageFeatures:
    """One image's relation-stage inputs.

    boxes:         (N, 4) resized frame; for ``detections+gt`` the detections come first
    image_size:    (h, w) of the resized frame; ``original_size`` (h, w) as loaded
    box_features:  (N, D) box extractor output
    obj_logits:    (N, C_obj) the detector's classifier on the box head features
    pair_table:    (N * (N - 1), D) union features of every ordered pair in ``all_ordered_pairs``
                   order, when precomputed (frozen extractors); None otherwise
    class_boxes:   (N, C_obj, 4) each box's box for every class, resized frame: a detection's
                   regressed box per class (the reference's ``boxes_per_cls``), a GT box itself
                   for every class; None when the detector gives none
    batch, index:  the backbone pass this image belongs to (None when read from the cache)
    """

    boxes: Tensor
    image_size: tuple[int, int]
    original_size: tuple[int, int]
    box_features: Tensor
    obj_logits: Tensor
    pair_table: Tensor | None = None
    class_boxes: Tensor | None = None
    batch: FeatureBatch | None = None
    index: int = 0

    def to_original(self, boxes_resized: Tensor) -> Tensor:
        from torchvision.models.detection.transform import resize_boxes
        return resize_boxes(boxes_resized, list(self.image_size), list(self.original_size))

    def to_resized(self, boxes_original: Tensor) -> Tensor:
        from torchvision.models.detection.transform import resize_boxes
        return resize_boxes(boxes_original.float(), list(self.original_size), list(self.image_size))


def pair_rows(pairs: Tensor, num_boxes: int) -> Tensor:
    """Row of each (i, j) pair in the ``all_ordered_pairs(num_boxes)`` table (row-major, i != j)."""
    i, j = pairs[:, 0].long(), pairs[:, 1].long()
    return i * (num_boxes - 1) + j - (j > i).long()


def rect_masks(boxes: Tensor, pairs: Tensor, image_size: tuple[int, int], size: int = 27) -> Tensor:
    """(M, 2, size, size) float masks: channel 0 the subject box, 1 the object box, drawn on a
    ``size`` x ``size`` grid covering the image (cells whose index lies within the scaled box,
    floor of the top-left to ceil of the bottom-right corner, as the reference draws them)."""
    height, width = float(image_size[0]), float(image_size[1])
    scale = boxes.new_tensor([size / width, size / height, size / width, size / height])
    grid = torch.arange(size, device=boxes.device, dtype=boxes.dtype)
    masks = []
    for column in (0, 1):
        scaled = boxes[pairs[:, column].long()] * scale
        x1, y1 = scaled[:, 0].floor(), scaled[:, 1].floor()
        x2, y2 = scaled[:, 2].ceil(), scaled[:, 3].ceil()
        inside_x = (grid[None, :] >= x1[:, None]) & (grid[None, :] <= x2[:, None])
        inside_y = (grid[None, :] >= y1[:, None]) & (grid[None, :] <= y2[:, None])
        masks.append((inside_y[:, :, None] & inside_x[:, None, :]).to(boxes.dtype))
    return torch.stack(masks, dim=1)


class RectMaskBranch(nn.Module):
    """Subject/object rectangle masks (M, 2, 27, 27) -> (M, C, 7, 7), the reference layout:
    conv 7x7/2 (C/2) - ReLU - BN - maxpool 3x3/2 - conv 3x3 (C) - ReLU - BN, BN momentum 0.01."""

    def __init__(self, channels: int, mask_size: int = 27):
        super().__init__()
        self.mask_size = mask_size
        half = channels // 2
        self.layers = nn.Sequential(
            nn.Conv2d(2, half, kernel_size=7, stride=2, padding=3), nn.ReLU(inplace=True),
            nn.BatchNorm2d(half, momentum=0.01), nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            nn.Conv2d(half, channels, kernel_size=3, stride=1, padding=1), nn.ReLU(inplace=True),
            nn.BatchNorm2d(channels, momentum=0.01))

    def forward(self, masks: Tensor) -> Tensor:
        return self.layers(masks)


class RelationFeatures(nn.Module):
    """Box and union features for relation heads (module docstring).

    detector:    a torchvision ``FasterRCNN``; it is frozen here (``DetectorFeatures``)
    freeze:      keep the extractors as the detector trained them (no trainable parameter)
    rect_masks:  add the rectangle-mask branch to the union feature (needs ``freeze=False``)
    Attributes: ``feature_dim`` (D), ``num_classes`` (C_obj, background included).
    """

    def __init__(self, detector: nn.Module, *, freeze: bool = False, rect_masks: bool = True):
        super().__init__()
        if freeze and rect_masks:
            raise ValueError("model.features.rect_masks: expected false when model.features.freeze is true "
                             "(the mask branch feeds the trainable union extractor)")
        self.frozen = DetectorFeatures(detector)
        self.freeze = bool(freeze)
        self.feature_dim = self.frozen.feature_dim
        self.num_classes = self.frozen.num_classes
        pooler = detector.roi_heads.box_roi_pool
        self.level_names = list(pooler.featmap_names)
        self.resolution = int(pooler.output_size[0] if isinstance(pooler.output_size, (tuple, list))
                              else pooler.output_size)
        self.sampling_ratio = int(pooler.sampling_ratio)
        self.box_extractor = self.union_extractor = self.union_reduce = self.rect_branch = None
        if not self.freeze:
            channels = int(detector.backbone.out_channels)
            self.box_extractor = copy.deepcopy(detector.roi_heads.box_head).requires_grad_(True)
            self.union_extractor = copy.deepcopy(detector.roi_heads.box_head).requires_grad_(True)
            self.union_reduce = nn.Sequential(
                nn.Conv2d(channels * len(self.level_names), channels, kernel_size=3, padding=1), nn.ReLU(inplace=True))
            if rect_masks:
                self.rect_branch = RectMaskBranch(channels, mask_size=4 * self.resolution - 1)

    @classmethod
    def frozen_on(cls, detector_features: nn.Module) -> "RelationFeatures":
        """Frozen extractors over an object with the ``DetectorFeatures`` interface (encode,
        detect, roi_features, class_logits, feature_dim, num_classes, device): tests use it with
        a cheap stand-in for the detector."""
        self = cls.__new__(cls)
        nn.Module.__init__(self)
        self.frozen = detector_features
        self.freeze = True
        self.feature_dim, self.num_classes = detector_features.feature_dim, detector_features.num_classes
        self.level_names, self.resolution, self.sampling_ratio = [], 7, 2
        self.box_extractor = self.union_extractor = self.union_reduce = self.rect_branch = None
        return self

    @property
    def device(self) -> torch.device:
        return self.frozen.device

    def extractor_parameters(self) -> list[nn.Parameter]:
        """The trainable relation-stage parameters (empty when frozen)."""
        return [p for p in self.parameters() if p.requires_grad]

    # -- per image ---------------------------------------------------------------------------------
    def image_features(self, images: Sequence[Tensor], *, gt_boxes: Sequence[Tensor] | None,
                       box_source: str) -> list[ImageFeatures]:
        """One backbone pass; the boxes of ``box_source`` with their features and detector logits.

        images: B tensors (3, H_i, W_i) RGB in [0, 1]; gt_boxes: B tensors (G_i, 4) original
        pixels (needed unless ``box_source == "detections"``).
        """
        if box_source not in BOX_SOURCES:
            raise ValueError(f"box_source: expected one of {BOX_SOURCES}, found {box_source!r}")
        batch = self.frozen.encode(images, boxes=None if box_source == "detections" else gt_boxes)
        if box_source == "gt":
            boxes = [b.float() for b in batch.boxes]
            class_boxes = [_every_class(b, self.num_classes) for b in boxes]
        else:
            detections = self.frozen.detect(batch)
            boxes = [d["boxes"].float().reshape(-1, 4) for d in detections]
            class_boxes = [d["class_boxes"].float() if "class_boxes" in d else _every_class(b, self.num_classes)
                           for d, b in zip(detections, boxes)]
            if box_source == "detections+gt":
                boxes = [torch.cat([d, g.float()], dim=0) for d, g in zip(boxes, batch.boxes)]
                class_boxes = [torch.cat([c, _every_class(g.float(), self.num_classes)], dim=0)
                               for c, g in zip(class_boxes, batch.boxes)]
        features, detector_features = self._box_features(batch, boxes)
        logits = [self.frozen.class_logits(f) for f in detector_features]
        return [ImageFeatures(boxes=b, image_size=tuple(batch.image_sizes[i]), original_size=tuple(batch.original_sizes[i]),
                              box_features=f, obj_logits=l, class_boxes=c, batch=batch, index=i)
                for i, (b, f, l, c) in enumerate(zip(boxes, features, logits, class_boxes))]

    def _box_features(self, batch: FeatureBatch, boxes: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Per image, the relation-stage box features and the detector's own box-head features
        (its classifier's input), from one pooling of the boxes; the two are the same when frozen,
        while a trainable copy drifts from the detector."""
        if self.freeze:
            features = self.frozen.roi_features(batch, boxes)
            return features, features
        counts = [int(b.shape[0]) for b in boxes]
        if sum(counts) == 0:
            anchor = sum(p.sum() for p in self.box_extractor.parameters()) * 0.0
            empty = [torch.zeros((0, self.feature_dim), device=self.device) for _ in counts]
            return [e + anchor for e in empty], empty
        heads = self.frozen.detector.roi_heads
        with torch.no_grad():
            pooled = heads.box_roi_pool(batch.features, boxes, batch.image_sizes)
            detector_features = list(heads.box_head(pooled).split(counts))
        return list(self.box_extractor(pooled).split(counts)), detector_features

    # -- per pair ----------------------------------------------------------------------------------
    def pair_features(self, images: Sequence[ImageFeatures], pairs: Sequence[Tensor]) -> list[Tensor]:
        """Union features per image: (M_i, 2) pairs -> (M_i, D)."""
        out = []
        for image, image_pairs in zip(images, pairs):
            if image.pair_table is not None:
                out.append(image.pair_table[pair_rows(image_pairs, image.boxes.shape[0])])
            else:
                out.append(self._union_features(image, image_pairs))
        return out

    def _union_features(self, image: ImageFeatures, pairs: Tensor) -> Tensor:
        if image.batch is None:
            raise RuntimeError("union features need the backbone pass of the image (not cached here)")
        unions = union_boxes(image.boxes, pairs)
        if self.freeze:
            return self.frozen.roi_features(image.batch, _only(image.index, unions, len(image.batch)))[image.index]
        if pairs.shape[0] == 0:
            anchor = sum(p.sum() for p in self.parameters() if p.requires_grad) * 0.0
            return image.boxes.new_zeros((0, self.feature_dim)) + anchor
        pooled = self._pool_all_levels(image, unions)
        if self.rect_branch is not None:
            pooled = pooled + self.rect_branch(rect_masks(image.boxes, pairs, image.image_size,
                                                          self.rect_branch.mask_size))
        return self.union_extractor(pooled)

    def _pool_all_levels(self, image: ImageFeatures, boxes: Tensor) -> Tensor:
        """(K, 4) boxes -> (K, C, R, R): ROIAlign on every pyramid level, concatenated, reduced."""
        padded = image.batch.image_list.tensors.shape[-2:]
        rois = torch.cat([boxes.new_full((boxes.shape[0], 1), float(image.index)), boxes], dim=1)
        levels = []
        with torch.no_grad():
            for name in self.level_names:
                feature = image.batch.features[name]
                scale = 2.0 ** round(math.log2(feature.shape[-2] / padded[0]))
                levels.append(roi_align(feature, rois, output_size=self.resolution, spatial_scale=scale,
                                        sampling_ratio=self.sampling_ratio, aligned=False))
        return self.union_reduce(torch.cat(levels, dim=1))

    def all_pair_table(self, image: ImageFeatures) -> Tensor:
        """(N*(N-1), D) union features of every ordered pair (frozen extractors, for the cache)."""
        from sgg_bench.modeling.pair_sampling import all_ordered_pairs

        return self._union_features(image, all_ordered_pairs(image.boxes.shape[0], device=image.boxes.device))


def _every_class(boxes: Tensor, num_classes: int) -> Tensor:
    """(N, 4) -> (N, C, 4): the same box for every class (GT boxes, detectors without per-class boxes)."""
    return boxes.reshape(-1, 1, 4).expand(-1, num_classes, 4).contiguous()


def _only(index: int, boxes: Tensor, count: int) -> list[Tensor]:
    """Per-image box list with ``boxes`` at ``index`` and no boxes elsewhere."""
    return [boxes if i == index else boxes.new_zeros((0, 4)) for i in range(count)]
