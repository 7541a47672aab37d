"""Shims that make a torchvision Faster R-CNN behave like maskrcnn-benchmark (docs/DETECTOR.md).

* ``detectron_cell_anchors``: Detectron's anchor rounding and centring (``[-30, -6, 33, 9]`` for
  stride 4, size 32, ratio 0.2323 where torchvision gives ``[-33, -8, 33, 8]``).
* ``LegacyAnchorGenerator``: cell anchors kept as buffers ``cell_anchors.<level>`` (the same state
  dict keys as maskrcnn-benchmark, so a converted checkpoint's anchors load into it) and fixed
  per-level strides (torchvision infers strides from the feature size, which is off for the odd
  sized ``pool`` level).
* ``LegacyBoxCoder``: the "+1" box width (``x2 - x1 + 1``) of maskrcnn-benchmark's coder.
* ``BGR255Transform``: takes RGB images in [0, 1] like every torchvision model and feeds the
  network BGR in 0-255 minus the pixel mean (with ``image_mean = PIXEL_MEAN / 255`` and
  ``image_std = 1 / 255``).
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch
from torch import Tensor, nn
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.transform import GeneralizedRCNNTransform


def detectron_cell_anchors(*, stride: int, sizes: Sequence[float], aspect_ratios: Sequence[float]) -> Tensor:
    """Zero-centred anchors of one level the Detectron way: (len(aspect_ratios) * len(sizes), 4)
    float32, ratio-major (same order as torchvision). Aspect ratio = height / width."""
    ratios = torch.as_tensor(aspect_ratios, dtype=torch.float64)
    scales = torch.as_tensor(sizes, dtype=torch.float64) / stride
    # The reference cell is the inclusive pixel square [0, stride - 1]^2.
    side = float(stride)
    centre = 0.5 * (side - 1)
    widths = torch.round(torch.sqrt(side * side / ratios))
    heights = torch.round(widths * ratios)
    ws = (widths[:, None] * scales[None, :]).reshape(-1)
    hs = (heights[:, None] * scales[None, :]).reshape(-1)
    anchors = torch.stack([centre - 0.5 * (ws - 1), centre - 0.5 * (hs - 1),
                           centre + 0.5 * (ws - 1), centre + 0.5 * (hs - 1)], dim=1)
    return anchors.to(torch.float32)


class _BufferList(nn.Module):
    """A list of tensors stored as buffers named ``"0"``, ``"1"``, ... (so they move with
    ``.to()`` and appear in the state dict)."""

    def __init__(self, tensors: Sequence[Tensor]):
        super().__init__()
        for index, tensor in enumerate(tensors):
            self.register_buffer(str(index), tensor.clone())

    def __len__(self) -> int:
        return len(self._buffers)

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self._buffers.values())

    def __getitem__(self, index: int) -> Tensor:
        return self._buffers[str(index)]


class LegacyAnchorGenerator(AnchorGenerator):
    """maskrcnn-benchmark anchors: one level per entry of ``sizes`` and ``strides``.

    ``cell_anchors``: optional list of (A, 4) tensors (e.g. a checkpoint's
    ``rpn.anchor_generator.cell_anchors.<i>``); default = ``detectron_cell_anchors`` per level.
    Loading a state dict also replaces them.
    """

    def __init__(self, *, sizes: Sequence[Sequence[float]], aspect_ratios: Sequence[Sequence[float]],
                 strides: Sequence[int], cell_anchors: Sequence[Tensor] | None = None):
        super().__init__(sizes=tuple(tuple(s) for s in sizes), aspect_ratios=tuple(tuple(a) for a in aspect_ratios))
        if not (len(sizes) == len(aspect_ratios) == len(strides)):
            raise ValueError("sizes, aspect_ratios and strides need one entry per feature level")
        if cell_anchors is None:
            cell_anchors = [detectron_cell_anchors(stride=stride, sizes=size, aspect_ratios=ratios)
                            for stride, size, ratios in zip(strides, sizes, aspect_ratios)]
        for level, (anchors, size, ratios) in enumerate(zip(cell_anchors, sizes, aspect_ratios)):
            if tuple(anchors.shape) != (len(size) * len(ratios), 4):
                raise ValueError(f"cell anchors of level {level}: expected shape ({len(size) * len(ratios)}, 4), "
                                 f"found {tuple(anchors.shape)}")
        del self.cell_anchors  # torchvision's plain list; replaced by buffers
        self.cell_anchors = _BufferList([a.to(torch.float32) for a in cell_anchors])
        self.strides = tuple(int(s) for s in strides)

    def set_cell_anchors(self, dtype: torch.dtype, device: torch.device) -> None:
        # Buffers already follow the module's device; dtype is applied in forward.
        return None

    def forward(self, image_list: ImageList, feature_maps: list[Tensor]) -> list[Tensor]:
        if len(feature_maps) != len(self.strides):
            raise ValueError(f"expected {len(self.strides)} feature levels, found {len(feature_maps)}")
        grid_sizes = [list(feature_map.shape[-2:]) for feature_map in feature_maps]
        device = feature_maps[0].device
        strides = [[torch.tensor(s, dtype=torch.int64, device=device)] * 2 for s in self.strides]
        per_level = self.grid_anchors(grid_sizes, strides)
        anchors = torch.cat(per_level).to(feature_maps[0].dtype)
        return [anchors for _ in image_list.image_sizes]


class LegacyBoxCoder(BoxCoder):
    """maskrcnn-benchmark's box coder: widths are ``x2 - x1 + 1`` and decoded boxes end at
    ``centre + w / 2 - 1``. Same weights and clip as torchvision's."""

    def encode_single(self, reference_boxes: Tensor, proposals: Tensor) -> Tensor:
        wx, wy, ww, wh = self.weights
        ex_w = proposals[:, 2] - proposals[:, 0] + 1
        ex_h = proposals[:, 3] - proposals[:, 1] + 1
        ex_x = proposals[:, 0] + 0.5 * ex_w
        ex_y = proposals[:, 1] + 0.5 * ex_h
        gt_w = reference_boxes[:, 2] - reference_boxes[:, 0] + 1
        gt_h = reference_boxes[:, 3] - reference_boxes[:, 1] + 1
        gt_x = reference_boxes[:, 0] + 0.5 * gt_w
        gt_y = reference_boxes[:, 1] + 0.5 * gt_h
        return torch.stack([wx * (gt_x - ex_x) / ex_w, wy * (gt_y - ex_y) / ex_h,
                            ww * torch.log(gt_w / ex_w), wh * torch.log(gt_h / ex_h)], dim=1)

    def decode_single(self, rel_codes: Tensor, boxes: Tensor) -> Tensor:
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0] + 1
        heights = boxes[:, 3] - boxes[:, 1] + 1
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = torch.clamp(rel_codes[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = torch.clamp(rel_codes[:, 3::4] / wh, max=self.bbox_xform_clip)
        pred_x = dx * widths[:, None] + ctr_x[:, None]
        pred_y = dy * heights[:, None] + ctr_y[:, None]
        pred_w = torch.exp(dw) * widths[:, None]
        pred_h = torch.exp(dh) * heights[:, None]
        return torch.stack([pred_x - 0.5 * pred_w, pred_y - 0.5 * pred_h,
                            pred_x + 0.5 * pred_w - 1, pred_y + 0.5 * pred_h - 1], dim=2).flatten(1)


def legacy_box_coder(*, weights: tuple[float, float, float, float]) -> LegacyBoxCoder:
    return LegacyBoxCoder(weights, bbox_xform_clip=math.log(1000.0 / 16))


class BGR255Transform(GeneralizedRCNNTransform):
    """``GeneralizedRCNNTransform`` that reorders RGB input to BGR before normalising."""

    def normalize(self, image: Tensor) -> Tensor:
        if image.shape[0] != 3:
            raise ValueError(f"expected a (3, H, W) RGB image, found shape {tuple(image.shape)}")
        return super().normalize(image[[2, 1, 0]])
