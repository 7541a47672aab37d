"""Detector variants registered in ``DETECTORS``, and ``build_detector``.

Every builder returns a torchvision ``FasterRCNN`` taking RGB images in [0, 1] (a list of
(3, H, W) float tensors at original size). Nothing is ever downloaded: torchvision builders get
``weights=None, weights_backbone=None``; weights come only from a local file (``weights=PATH``).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from torchvision.models import resnext101_32x8d
from torchvision.models.detection import (FasterRCNN, fasterrcnn_mobilenet_v3_large_fpn,
                                          fasterrcnn_resnet50_fpn)
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops.misc import FrozenBatchNorm2d

from sgg_bench.detector.legacy import BGR255Transform, LegacyAnchorGenerator, legacy_box_coder
from sgg_bench.detector.tiny import build_tiny_detector
from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.registry import DETECTORS

# maskrcnn-benchmark / SGB X-101-32x8d-FPN detector (docs/DETECTOR.md), BGR order.
SGB_PIXEL_MEAN = (102.98, 115.95, 122.77)
SGB_ANCHOR_RATIOS = (0.23232838, 0.63365731, 1.28478321, 3.15089189)
SGB_ANCHOR_SIZES = (32, 64, 128, 256, 512)
SGB_ANCHOR_STRIDES = (4, 8, 16, 32, 64)


@DETECTORS.register("tiny")
def tiny(*, num_classes: int, **kwargs) -> FasterRCNN:
    """From-scratch CPU detector for synthetic data (see ``tiny.py``)."""
    return build_tiny_detector(num_classes=num_classes, **kwargs)


@DETECTORS.register("mobilenet_v3_fpn")
def mobilenet_v3_fpn(*, num_classes: int, **kwargs) -> FasterRCNN:
    """torchvision's MobileNetV3-Large FPN Faster R-CNN, randomly initialised (BatchNorm2d)."""
    return fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None, num_classes=num_classes, **kwargs)


@DETECTORS.register("resnet50_fpn")
def resnet50_fpn(*, num_classes: int, **kwargs) -> FasterRCNN:
    """torchvision's ResNet-50 FPN Faster R-CNN, randomly initialised (BatchNorm2d)."""
    return fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=num_classes, **kwargs)


class _FrozenBatchNormNoEps(FrozenBatchNorm2d):
    """maskrcnn-benchmark's FrozenBatchNorm computes ``weight * rsqrt(running_var)`` with no eps."""

    def __init__(self, num_features: int):
        super().__init__(num_features, eps=0.0)


@DETECTORS.register("x101_fpn")
def x101_fpn(*, num_classes: int = 151, min_size: int = 600, max_size: int = 1000,
             box_score_thresh: float = 0.01, box_nms_thresh: float = 0.3,
             box_detections_per_img: int = 80, **kwargs) -> FasterRCNN:
    """The SGB / maskrcnn-benchmark X-101-32x8d-FPN layout (docs/DETECTOR.md, 8.6): a frozen
    ResNeXt trunk (FrozenBN, eps 0), FPN, 4-ratio Detectron anchors, a 4096-d two-layer box
    head, the "+1" box coder and SGB's post-processing. Converted checkpoints load strictly."""
    trunk = resnext101_32x8d(weights=None, norm_layer=_FrozenBatchNormNoEps)
    backbone = _resnet_fpn_extractor(trunk, trainable_layers=0)
    anchor_generator = LegacyAnchorGenerator(
        sizes=tuple((size,) for size in SGB_ANCHOR_SIZES),
        aspect_ratios=(SGB_ANCHOR_RATIOS,) * len(SGB_ANCHOR_SIZES),
        strides=SGB_ANCHOR_STRIDES)
    representation = 4096
    model = FasterRCNN(
        backbone, num_classes=None, min_size=min_size, max_size=max_size,
        image_mean=[m / 255.0 for m in SGB_PIXEL_MEAN], image_std=[1.0 / 255.0] * 3,
        rpn_anchor_generator=anchor_generator,
        box_head=TwoMLPHead(backbone.out_channels * 7 * 7, representation),
        box_predictor=FastRCNNPredictor(representation, num_classes),
        box_score_thresh=box_score_thresh, box_nms_thresh=box_nms_thresh,
        box_detections_per_img=box_detections_per_img, **kwargs)
    transform = model.transform
    model.transform = BGR255Transform(
        min_size=transform.min_size, max_size=transform.max_size, image_mean=transform.image_mean,
        image_std=transform.image_std, size_divisible=transform.size_divisible)
    model.rpn.box_coder = legacy_box_coder(weights=(1.0, 1.0, 1.0, 1.0))
    model.roi_heads.box_coder = legacy_box_coder(weights=(10.0, 10.0, 5.0, 5.0))
    return model


def read_weights_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The model state dict stored in ``path``: a bare state dict, or a dict holding it under
    ``"model"`` (our checkpoints and maskrcnn-benchmark's). A ``detector.`` or ``module.``
    prefix shared by every key is removed."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: detector weights file not found (weights are never downloaded; "
                          f"give a local file or leave detector.weights empty)")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors name the offending global; keep that text
        raise DataFormatError(path, "file", "a state dict readable with torch.load(weights_only=True)",
                              f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    state = loaded.get("model", loaded) if isinstance(loaded, dict) else loaded
    if not isinstance(state, dict) or not state:
        raise DataFormatError(path, "model", "a non-empty mapping of parameter names to tensors",
                              type(state).__name__)
    for prefix in ("module.", "detector."):
        if all(key.startswith(prefix) for key in state):
            state = {key[len(prefix):]: value for key, value in state.items()}
    return {key: value for key, value in state.items()}


def load_weights(detector: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load ``path`` into ``detector`` strictly; a mismatch names the keys involved."""
    state = read_weights_file(path)
    non_tensor = sorted(key for key, value in state.items() if not isinstance(value, torch.Tensor))
    if non_tensor:
        raise DataFormatError(path, non_tensor[0], "a tensor", "a non-tensor entry")
    own = detector.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [key for key in sorted(set(own) & set(state)) if own[key].shape != state[key].shape]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (first: {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (first: {unexpected[0]})")
        if mismatched:
            key = mismatched[0]
            parts.append(f"{len(mismatched)} shape mismatches (first: {key} "
                         f"{tuple(state[key].shape)} vs model {tuple(own[key].shape)})")
        raise DataFormatError(path, "model", "keys and shapes of the configured detector", "; ".join(parts))
    detector.load_state_dict(state, strict=True)
    return detector


def build_detector(name: str, *, num_classes: int, weights: str | os.PathLike | None = None,
                   **kwargs) -> FasterRCNN:
    """Build registered detector ``name`` for ``num_classes`` classes (background included);
    with ``weights`` (a local file), load it strictly."""
    try:
        builder = DETECTORS.get(name)
    except KeyError as exc:
        raise ConfigError(f"detector.name: {exc.args[0]}") from None
    detector = builder(num_classes=num_classes, **kwargs)
    if weights:
        load_weights(detector, weights)
    return detector
