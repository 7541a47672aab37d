"""A small from-scratch Faster R-CNN for CPU work on the synthetic dataset (docs/DETECTOR.md).

Backbone: a stem and three conv-BN-ReLU stages at strides 4, 8 and 16 with a light top-down
merge (FPN-style: 1x1 laterals, nearest upsampling, a 3x3 smoothing conv), so every level has
``out_channels`` channels and the fine level also sees coarse context. One anchor size per level
(16, 32, 64 px in the resized frame) at three aspect ratios.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops import MultiScaleRoIAlign


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class TinyBackbone(nn.Module):
    """Images (B, 3, H, W) -> OrderedDict ``"0"``, ``"1"``, ``"2"`` of (B, out_channels, H/s, W/s),
    s = 4, 8, 16 (H, W padded to a multiple of 32 by the transform)."""

    def __init__(self, *, width: int = 32, out_channels: int = 32):
        super().__init__()
        self.out_channels = out_channels
        self.stem = _conv_bn_relu(3, width, stride=2)                                   # stride 2
        self.stage1 = nn.Sequential(_conv_bn_relu(width, width, 2), _conv_bn_relu(width, width, 1))
        self.stage2 = nn.Sequential(_conv_bn_relu(width, 2 * width, 2), _conv_bn_relu(2 * width, 2 * width, 1))
        self.stage3 = nn.Sequential(_conv_bn_relu(2 * width, 4 * width, 2), _conv_bn_relu(4 * width, 4 * width, 1))
        stage_channels = (width, 2 * width, 4 * width)
        self.laterals = nn.ModuleList(nn.Conv2d(c, out_channels, kernel_size=1) for c in stage_channels)
        self.smooth = nn.ModuleList(
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1) for _ in stage_channels)

    def forward(self, images: torch.Tensor) -> "OrderedDict[str, torch.Tensor]":
        c1 = self.stage1(self.stem(images))
        c2 = self.stage2(c1)
        c3 = self.stage3(c2)
        p3 = self.laterals[2](c3)
        p2 = self.laterals[1](c2) + F.interpolate(p3, size=c2.shape[-2:], mode="nearest")
        p1 = self.laterals[0](c1) + F.interpolate(p2, size=c1.shape[-2:], mode="nearest")
        return OrderedDict((name, smooth(level)) for name, smooth, level
                           in zip(("0", "1", "2"), self.smooth, (p1, p2, p3)))


def build_tiny_detector(*, num_classes: int, width: int = 32, out_channels: int = 32,
                        representation_size: int = 256, min_size: int = 144, max_size: int = 192,
                        anchor_sizes: tuple = (16, 32, 64), aspect_ratios: tuple = (0.5, 1.0, 2.0),
                        **faster_rcnn_kwargs) -> FasterRCNN:
    """The ``tiny`` detector. ``num_classes`` includes background. Extra keyword arguments go
    to torchvision's ``FasterRCNN`` (e.g. ``box_score_thresh``, ``rpn_post_nms_top_n_test``)."""
    backbone = TinyBackbone(width=width, out_channels=out_channels)
    anchor_generator = AnchorGenerator(
        sizes=tuple((int(size),) for size in anchor_sizes),
        aspect_ratios=(tuple(float(r) for r in aspect_ratios),) * len(anchor_sizes))
    roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2"], output_size=7, sampling_ratio=2)
    box_head = TwoMLPHead(out_channels * 7 * 7, representation_size)
    # Small images carry few objects: fewer proposals and samples keep a CPU step short.
    options = dict(
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=150,
        rpn_batch_size_per_image=128, box_batch_size_per_image=64,
        box_score_thresh=0.01, box_detections_per_img=80,
    )
    options.update(faster_rcnn_kwargs)
    return FasterRCNN(
        backbone, num_classes=None, min_size=min_size, max_size=max_size,
        rpn_anchor_generator=anchor_generator, box_roi_pool=roi_pool, box_head=box_head,
        box_predictor=FastRCNNPredictor(representation_size, num_classes), **options)
