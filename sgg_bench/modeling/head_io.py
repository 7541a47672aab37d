"""The data a relation head receives and returns (docs/MODELS.md, "Relation head").

Everything is per image: list index ``i`` is image ``i`` of the batch. Boxes are
``x1, y1, x2, y2`` in the detector's *resized* frame (the frame of ``image_sizes``);
``SceneGraphModel`` maps them back to original pixels after the head has run.
Class ids are 1-based; column / id 0 is background for objects and predicates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch
from torch import Tensor

MODES = ("predcls", "sgcls", "sgdet")


@dataclass
class RelationHeadInputs:
    """Inputs of ``head(inputs)``.

    mode:            "predcls" | "sgcls" | "sgdet"
    obj_features:    list of (N_i, D) float, pooled ROI features of each box (frozen detector)
    boxes:           list of (N_i, 4) float, xyxy in the resized frame
    image_sizes:     list of (height, width) of the resized frame
    obj_logits:      list of (N_i, C_obj) float, the detector's class logits for each box
    pairs:           list of (M_i, 2) int64 candidate (subject, object) indices, i != j
    obj_labels:      list of (N_i,) int64 GT labels, given in predcls only (else None)
    union_features:  list of (M_i, D_u) float, frozen union-box features of each pair, or
                     None when the head does not ask for them (``needs.union_features``)
    obj_targets:     list of (N_i,) int64 training labels (0 = background box in sgdet),
                     given during training to heads that declare ``needs.training_targets``
    rel_labels:      list of (M_i,) int64 predicate label of each candidate pair (0 = background),
                     given like ``obj_targets``
    related:         list of (N_i, N_i) bool, symmetric: boxes i and j are joined by a GT relation
                     (``related_pairs``; all matches in SGDet), given like ``obj_targets``
    obj_features is None for a head that does not declare ``needs.object_context``.
    """

    mode: str
    obj_features: Optional[list[Tensor]]
    boxes: list[Tensor]
    image_sizes: list[tuple[int, int]]
    obj_logits: list[Tensor]
    pairs: list[Tensor]
    obj_labels: Optional[list[Tensor]] = None
    union_features: Optional[list[Tensor]] = None
    obj_targets: Optional[list[Tensor]] = None
    rel_labels: Optional[list[Tensor]] = None
    related: Optional[list[Tensor]] = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"RelationHeadInputs.mode: expected one of {MODES}, found {self.mode!r}")
        count = len(self.boxes)
        for name in ("image_sizes", "obj_logits", "pairs"):
            if len(getattr(self, name)) != count:
                raise ValueError(f"RelationHeadInputs.{name}: expected {count} images, "
                                 f"found {len(getattr(self, name))}")
        for name in ("obj_features", "obj_labels", "union_features", "obj_targets", "rel_labels", "related"):
            value = getattr(self, name)
            if value is not None and len(value) != count:
                raise ValueError(f"RelationHeadInputs.{name}: expected {count} images, found {len(value)}")
        if self.mode == "predcls" and self.obj_labels is None:
            raise ValueError("RelationHeadInputs.obj_labels: required in predcls mode")

    @property
    def num_images(self) -> int:
        return len(self.boxes)

    @property
    def num_boxes(self) -> list[int]:
        return [int(b.shape[0]) for b in self.boxes]

    @property
    def num_pairs(self) -> list[int]:
        return [int(p.shape[0]) for p in self.pairs]


@dataclass
class RelationHeadOutputs:
    """Outputs of ``head(inputs)``.

    rel_logits: list of (M_i, C_rel) float, predicate logits per candidate pair, column 0 = background
    obj_logits: list of (N_i, C_obj) float, refined object logits (a head that does not
                refine objects returns the detector's logits unchanged)
    losses:     extra losses the head adds to the relation / object cross-entropies
    """

    rel_logits: list[Tensor]
    obj_logits: list[Tensor]
    losses: dict[str, Tensor] = field(default_factory=dict)


def concat_or_empty(tensors: list[Tensor], *, width: int, like: Tensor) -> Tensor:
    """``torch.cat(tensors)``; an empty (0, width) tensor shaped like ``like`` when the list is empty."""
    if tensors:
        return torch.cat(tensors, dim=0)
    return like.new_zeros((0, width))


def split_sizes(flat: Tensor, sizes: list[int]) -> list[Tensor]:
    """Inverse of ``torch.cat`` along dim 0 for per-image lists."""
    return list(torch.split(flat, sizes, dim=0))


def one_hot_logits(labels: Tensor, num_classes: int, *, magnitude: float = 1000.0) -> Tensor:
    """(N,) labels -> (N, C) logits of +magnitude at the label and -magnitude elsewhere.

    The KT PredCls convention: the softmax of these rows is exactly 1.0 at the label in float32.
    """
    logits = torch.full((labels.shape[0], num_classes), -magnitude, device=labels.device)
    if labels.numel():
        logits[torch.arange(labels.shape[0], device=labels.device), labels] = magnitude
    return logits
