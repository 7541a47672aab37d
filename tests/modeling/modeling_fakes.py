"""A tiny stand-in for ``sgg_bench.detector.features.DetectorFeatures`` and toy batches.

The fake follows the real interface (encode / roi_features / class_logits / union_features /
detect / to_original, ``feature_dim``, ``num_classes``, ``device``) at a fraction of the cost:
the "resized frame" is the original frame scaled by 0.5, ROI features are a fixed random
projection of the mean colour inside the box plus its normalised geometry.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torchvision.ops import roi_align

SCALE = 0.5


@dataclass
class FakeFeatureBatch:
    images: list[Tensor]
    image_sizes: list[tuple[int, int]]
    original_sizes: list[tuple[int, int]]
    boxes: list[Tensor] | None

    def to_original(self, boxes_resized: Tensor, index: int) -> Tensor:
        return boxes_resized / SCALE

    def __len__(self) -> int:
        return len(self.images)


class FakeDetectorFeatures(nn.Module):
    def __init__(self, *, num_classes: int, feature_dim: int = 16, seed: int = 0, blind_detections: int = 3):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.blind_detections = blind_detections
        self.register_buffer("projection", torch.randn((3 * 4 + 4, feature_dim), generator=generator))
        self.register_buffer("classifier", torch.randn((feature_dim, num_classes), generator=generator))

    @property
    def device(self) -> torch.device:
        return self.projection.device

    @torch.no_grad()
    def encode(self, images, boxes=None) -> FakeFeatureBatch:
        originals = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        sizes = [(int(h * SCALE), int(w * SCALE)) for h, w in originals]
        resized = [b.float().reshape(-1, 4) * SCALE for b in boxes] if boxes is not None else None
        return FakeFeatureBatch(images=list(images), image_sizes=sizes, original_sizes=originals, boxes=resized)

    @torch.no_grad()
    def roi_features(self, batch: FakeFeatureBatch, boxes_resized) -> list[Tensor]:
        out = []
        for image, size, boxes in zip(batch.images, batch.image_sizes, boxes_resized):
            if boxes.shape[0] == 0:
                out.append(torch.zeros((0, self.feature_dim)))
                continue
            colour = roi_align(image[None].float(), [boxes / SCALE], output_size=2, aligned=True).flatten(1)
            geometry = boxes / torch.tensor([size[1], size[0], size[1], size[0]], dtype=torch.float32)
            out.append(torch.tanh(torch.cat([colour, geometry], dim=1) @ self.projection))
        return out

    @torch.no_grad()
    def class_logits(self, features: Tensor) -> Tensor:
        return features @ self.classifier

    @torch.no_grad()
    def union_features(self, batch, boxes_resized, pairs) -> list[Tensor]:
        unions = []
        for boxes, p in zip(boxes_resized, pairs):
            s, o = boxes[p[:, 0]], boxes[p[:, 1]]
            unions.append(torch.cat([torch.minimum(s[:, :2], o[:, :2]), torch.maximum(s[:, 2:], o[:, 2:])], 1))
        return self.roi_features(batch, unions)

    @torch.no_grad()
    def detect(self, batch: FakeFeatureBatch) -> list[dict]:
        """With GT boxes encoded (training): the GT boxes shifted by one pixel plus one extra box in
        the corner. Without (inference): ``blind_detections`` boxes along the image diagonal."""
        out = []
        for index, (h, w) in enumerate(batch.image_sizes):
            if batch.boxes is not None:
                extra = torch.tensor([[0.0, 0.0, w / 4, h / 4]])
                det = torch.cat([batch.boxes[index] + 1.0, extra], dim=0)
            else:
                start = torch.arange(self.blind_detections, dtype=torch.float32)[:, None] / max(self.blind_detections, 1)
                size = torch.tensor([w, h], dtype=torch.float32)
                det = torch.cat([start * size, (start + 0.5) * size], dim=1)
                det = torch.minimum(det, torch.tensor([w, h, w, h], dtype=torch.float32))
            out.append({"boxes": det, "labels": torch.ones(det.shape[0], dtype=torch.long),
                        "scores": torch.full((det.shape[0],), 0.9)})
        return out

    def to_original(self, boxes_resized: Tensor, index: int, batch=None) -> Tensor:
        return boxes_resized / SCALE


def toy_item(*, image_id: int, num_boxes: int, relations: list[list[int]], num_obj_classes: int = 6,
             size: tuple[int, int] = (40, 48), seed: int = 0) -> dict:
    """One loader-style item with ``num_boxes`` random boxes in a (H, W) = ``size`` image."""
    generator = torch.Generator().manual_seed(seed + image_id)
    height, width = size
    xy = torch.rand((num_boxes, 2), generator=generator) * torch.tensor([width * 0.6, height * 0.6])
    wh = 4 + torch.rand((num_boxes, 2), generator=generator) * torch.tensor([width * 0.35, height * 0.35])
    return {
        "image": torch.rand((3, height, width), generator=generator),
        "image_id": image_id,
        "width": width,
        "height": height,
        "boxes": torch.cat([xy, xy + wh], dim=1),
        "labels": torch.randint(1, num_obj_classes, (num_boxes,), generator=generator),
        "relations": torch.tensor(relations, dtype=torch.long).reshape(-1, 3),
    }


def random_log_prior(num_obj_classes: int, num_rel_classes: int, seed: int = 0) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    counts = torch.randint(0, 5, (num_obj_classes, num_obj_classes, num_rel_classes), generator=generator)
    counts[:, :, 0] += 1
    return torch.log(counts / counts.sum(-1, keepdim=True) + 1e-3).float()


def fake_relation_features(**kwargs):
    """``RelationFeatures`` (frozen extractors) over ``FakeDetectorFeatures(**kwargs)``."""
    from sgg_bench.modeling.features import RelationFeatures

    return RelationFeatures.frozen_on(FakeDetectorFeatures(**kwargs))
