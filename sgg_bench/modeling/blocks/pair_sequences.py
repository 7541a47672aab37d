"""The input layout of SGNLS's masked-token Transformer (``UniterPredictor.prepare_inputs``):
one sequence per candidate (subject, object) pair of an image.

    position  0      1         2       3        4      5 ... 5+N-1
    token     [CLS]  subj_tag  [MASK]  obj_tag  [SEP]  region 0 ... region N-1
    type id   0      0         0       0        0      1 other region, 2 subject, 3 object

Tags are the detector's argmax classes over its foreground columns (1-based ids of the tag
vocabulary, 0 = background); ``[CLS]``, ``[SEP]`` and ``[MASK]`` are the three rows after the
tag vocabulary (ids C_tag, C_tag + 1, C_tag + 2). The predicate slot always holds ``[MASK]``;
region tokens are never masked. Text positions 0..4 use the learned position embedding; regions
carry their 7-d box geometry instead.
"""
from __future__ import annotations

import torch
from torch import Tensor

TEXT_LENGTH = 5
CLS_POSITION, SUBJECT_TAG_POSITION, MASK_POSITION, OBJECT_TAG_POSITION, SEP_POSITION = range(TEXT_LENGTH)
OTHER_REGION, SUBJECT_REGION, OBJECT_REGION = 1, 2, 3


def region_geometry(boxes: Tensor, image_size: tuple[int, int]) -> Tensor:
    """(N, 4) xyxy boxes in an image of (height, width) -> (N, 7)
    ``[x1/W, y1/H, x2/W, y2/H, w, h, w*h]`` with w, h the normalised width and height."""
    height, width = float(image_size[0]), float(image_size[1])
    boxes = boxes.float().reshape(-1, 4)
    x1, y1, x2, y2 = boxes[:, 0] / width, boxes[:, 1] / height, boxes[:, 2] / width, boxes[:, 3] / height
    w, h = x2 - x1, y2 - y1
    return torch.stack([x1, y1, x2, y2, w, h, w * h], dim=1)


def detector_tags(det_dists: Tensor) -> Tensor:
    """(N, C_tag) class probabilities (column 0 = background) -> (N,) argmax over columns 1.. (1-based)."""
    if det_dists.shape[0] == 0:
        return det_dists.new_zeros((0,), dtype=torch.long)
    return det_dists[:, 1:].argmax(dim=1) + 1


def text_token_ids(tags: Tensor, pairs: Tensor, *, num_tag_classes: int) -> Tensor:
    """(M, 5) ids ``[CLS, tag(subject), MASK, tag(object), SEP]`` for each pair; ``tags`` (N,)."""
    cls_id, sep_id, mask_id = num_tag_classes, num_tag_classes + 1, num_tag_classes + 2
    count = pairs.shape[0]
    fixed = lambda value: torch.full((count,), value, dtype=torch.long, device=pairs.device)  # noqa: E731
    return torch.stack([fixed(cls_id), tags[pairs[:, 0]], fixed(mask_id), tags[pairs[:, 1]], fixed(sep_id)], dim=1)


def region_type_ids(num_boxes: int, pairs: Tensor) -> Tensor:
    """(M, N) type ids of each pair's region tokens: 2 at its subject, 3 at its object, 1 elsewhere."""
    types = torch.full((pairs.shape[0], num_boxes), OTHER_REGION, dtype=torch.long, device=pairs.device)
    rows = torch.arange(pairs.shape[0], device=pairs.device)
    types[rows, pairs[:, 0]] = SUBJECT_REGION
    types[rows, pairs[:, 1]] = OBJECT_REGION
    return types


def region_positions(pairs: Tensor) -> tuple[Tensor, Tensor]:
    """Sequence positions of each pair's subject and object region tokens: 5 + index."""
    return pairs[:, 0] + TEXT_LENGTH, pairs[:, 1] + TEXT_LENGTH


def average_over_pairs(subject_logits: Tensor, object_logits: Tensor, pairs: Tensor, num_boxes: int) -> Tensor:
    """SGNLS's object label of a box: the mean of the subject logits of the pairs it is the subject
    of and the object logits of those it is the object of -> (N, C). A box in no pair gets zeros."""
    width = subject_logits.shape[1]
    total = subject_logits.new_zeros((num_boxes, width))
    count = subject_logits.new_zeros((num_boxes,))
    if pairs.shape[0]:
        total.index_add_(0, pairs[:, 0], subject_logits)
        total.index_add_(0, pairs[:, 1], object_logits)
        ones = subject_logits.new_ones((pairs.shape[0],))
        count.index_add_(0, pairs[:, 0], ones)
        count.index_add_(0, pairs[:, 1], ones)
    return total / count.clamp(min=1.0)[:, None]
