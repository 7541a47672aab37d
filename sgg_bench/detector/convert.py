"""maskrcnn-benchmark / Scene-Graph-Benchmark detector checkpoints -> our ``x101_fpn`` keys.

Rename rules (docs/DETECTOR.md), applied in order, first match wins; keys that match no rule
(ResNeXt stages, RPN head outputs) already have torchvision's names. The cell anchors
``rpn.anchor_generator.cell_anchors.<i>`` keep their names: ``LegacyAnchorGenerator`` stores
its anchors under exactly those keys, so the SGDet path uses the checkpoint's own anchors.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

import torch

ANCHOR_PREFIX = "rpn.anchor_generator.cell_anchors."

_RULES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"^backbone\.body\.stem\."), lambda m: "backbone.body."),
    (re.compile(r"^backbone\.fpn\.fpn_inner(\d+)\."), lambda m: f"backbone.fpn.inner_blocks.{int(m.group(1)) - 1}.0."),
    (re.compile(r"^backbone\.fpn\.fpn_layer(\d+)\."), lambda m: f"backbone.fpn.layer_blocks.{int(m.group(1)) - 1}.0."),
    # Not "rpn.head.conv.0.0.weight": converting our own keys must leave them unchanged.
    (re.compile(r"^rpn\.head\.conv\.(?=[a-z_])"), lambda m: "rpn.head.conv.0.0."),
    (re.compile(r"^roi_heads\.box\.feature_extractor\."), lambda m: "roi_heads.box_head."),
    (re.compile(r"^roi_heads\.box\.predictor\."), lambda m: "roi_heads.box_predictor."),
]


def strip_module_prefix(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove the ``module.`` prefix that DistributedDataParallel adds, where present."""
    return {(key[len("module."):] if key.startswith("module.") else key): value for key, value in state_dict.items()}


def convert_key(key: str) -> str | None:
    """Our name for maskrcnn-benchmark key ``key`` (``module.`` already stripped); None for
    keys with no counterpart (anchor-generator entries other than the cell anchors)."""
    if key.startswith("rpn.anchor_generator."):
        return key if key.startswith(ANCHOR_PREFIX) else None
    for pattern, replacement in _RULES:
        match = pattern.match(key)
        if match:
            return replacement(match) + key[match.end():]
    return key


def convert_maskrcnn_benchmark(state_dict: Mapping[str, torch.Tensor], *,
                               keep_anchors: bool = True) -> dict[str, torch.Tensor]:
    """Rename a maskrcnn-benchmark detector state dict (optionally ``module.``-prefixed).

    Returns a new dict with the same tensors. ``keep_anchors=False`` drops the cell anchors (for
    a torchvision model without ``LegacyAnchorGenerator``). Raises ``KeyError`` if two keys map
    to one name and ``TypeError`` for a non-tensor value.
    """
    converted: dict[str, torch.Tensor] = {}
    for key, value in strip_module_prefix(state_dict).items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"state dict entry {key!r}: expected a tensor, found {type(value).__name__}")
        new_key = convert_key(key)
        if new_key is None or (not keep_anchors and new_key.startswith(ANCHOR_PREFIX)):
            continue
        if new_key in converted:
            raise KeyError(f"two checkpoint keys map to {new_key!r} (second: {key!r})")
        converted[new_key] = value
    return converted


def cell_anchors_of(state_dict: Mapping[str, torch.Tensor]) -> list[torch.Tensor]:
    """The checkpoint's per-level cell anchors, level order: list of (A, 4) tensors."""
    levels = {}
    for key, value in strip_module_prefix(state_dict).items():
        if key.startswith(ANCHOR_PREFIX):
            levels[int(key[len(ANCHOR_PREFIX):])] = value
    return [levels[i] for i in sorted(levels)]
