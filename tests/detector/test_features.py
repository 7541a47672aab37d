import pytest
import torch
from torch import nn

from sgg_bench.detector import build_detector
from sgg_bench.detector.features import DetectorFeatures, union_boxes


@pytest.fixture(scope="module")
def features() -> DetectorFeatures:
    torch.manual_seed(0)
    # min_size 96 on inputs of 120-144 px: the resized frame differs from the original.
    return DetectorFeatures(build_detector("tiny", num_classes=4, min_size=96, max_size=160,
                                           representation_size=64, box_score_thresh=0.0))


def test_union_boxes_enclose_both_boxes():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 20.0, 30.0, 25.0], [2.0, 3.0, 4.0, 5.0]])
    pairs = torch.tensor([[0, 1], [1, 0], [2, 2]])
    assert union_boxes(boxes, pairs).tolist() == [[0, 0, 30, 25], [0, 0, 30, 25], [2, 3, 4, 5]]
    assert union_boxes(boxes, torch.zeros((0, 2), dtype=torch.int64)).shape == (0, 4)


def test_boxes_map_to_resized_frame_and_back(features, toy_batch):
    images = [item["image"] for item in toy_batch]
    boxes = [item["boxes"] for item in toy_batch]
    batch = features.encode(images, boxes)
    assert batch.original_sizes == [(120, 160), (144, 128)]
    assert batch.image_sizes == [(96, 128), (108, 96)]  # shorter side 96
    assert torch.allclose(batch.boxes[0], boxes[0] * 0.8)
    assert torch.allclose(batch.boxes[1], boxes[1] * 0.75)
    for index in range(2):
        assert torch.allclose(batch.to_original(batch.boxes[index], index), boxes[index], atol=1e-4)
        assert torch.allclose(features.to_original(batch.boxes[index], index), boxes[index], atol=1e-4)
        assert torch.allclose(batch.to_resized(boxes[index], index), batch.boxes[index], atol=1e-4)


def test_roi_union_and_logit_shapes(features, toy_batch):
    batch = features.encode([item["image"] for item in toy_batch], [item["boxes"] for item in toy_batch])
    roi = features.roi_features(batch, batch.boxes)
    assert [tuple(f.shape) for f in roi] == [(2, features.feature_dim), (1, features.feature_dim)]
    pairs = [torch.tensor([[0, 1], [1, 0]]), torch.zeros((0, 2), dtype=torch.int64)]
    union = features.union_features(batch, batch.boxes, pairs)
    assert [tuple(f.shape) for f in union] == [(2, features.feature_dim), (0, features.feature_dim)]
    assert features.class_logits(torch.cat(roi)).shape == (3, features.num_classes)
    assert features.class_logits(roi[0][:0]).shape == (0, 4)
    empty = features.roi_features(batch, [torch.zeros((0, 4)), torch.zeros((0, 4))])
    assert [tuple(f.shape) for f in empty] == [(0, features.feature_dim)] * 2


def test_detector_frozen_and_stays_in_eval_mode(features, toy_batch):
    parent = nn.ModuleDict({"features": features, "head": nn.Linear(2, 2)})
    parent.train()
    assert parent["head"].training and features.training
    assert not features.detector.training
    assert not any(m.training for m in features.detector.modules())
    assert not any(p.requires_grad for p in features.detector.parameters())
    batch = features.encode([toy_batch[0]["image"]], [toy_batch[0]["boxes"]])
    (roi,) = features.roi_features(batch, batch.boxes)
    assert not roi.requires_grad


def test_feature_extraction_is_deterministic(features, toy_batch):
    images = [item["image"] for item in toy_batch]
    boxes = [item["boxes"] for item in toy_batch]
    first = features.roi_features(features.encode(images, boxes), features.encode(images, boxes).boxes)
    second = features.roi_features(features.encode(images, boxes), features.encode(images, boxes).boxes)
    for a, b in zip(first, second):
        assert torch.equal(a, b)


def test_detect_returns_boxes_inside_resized_frame(features, toy_batch):
    batch = features.encode([item["image"] for item in toy_batch])
    assert batch.boxes is None
    detections = features.detect(batch)
    assert len(detections) == 2
    for (height, width), found in zip(batch.image_sizes, detections):
        assert found["boxes"].shape[0] == found["labels"].shape[0] == found["scores"].shape[0] <= 80
        assert len(found["boxes"]) > 0  # score threshold 0: an untrained detector still returns boxes
        assert found["boxes"][:, 0].min() >= 0 and found["boxes"][:, 2].max() <= width
        assert found["boxes"][:, 1].min() >= 0 and found["boxes"][:, 3].max() <= height


def test_torchvision_variant_features_have_head_width(toy_batch):
    # MobileNet's FPN has levels "0", "1", "pool"; the default pooler keeps the ones present.
    torch.manual_seed(0)
    features = DetectorFeatures(build_detector("mobilenet_v3_fpn", num_classes=4, min_size=64, max_size=96))
    batch = features.encode([toy_batch[0]["image"]], [toy_batch[0]["boxes"]])
    (roi,) = features.roi_features(batch, batch.boxes)
    assert roi.shape == (2, features.feature_dim) and features.feature_dim == 1024
