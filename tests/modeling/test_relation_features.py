"""Relation-stage features: trainable box/union extractors initialised from the detector, the
all-level union pooling, the rectangle-mask branch, and the feature cache."""
import copy
from pathlib import Path

import pytest
import torch

from sgg_bench.detector import build_detector
from sgg_bench.modeling.feature_cache import FeatureCache, image_key
from sgg_bench.modeling.cached_features import cached_image_features
from sgg_bench.modeling.features import RectMaskBranch, RelationFeatures, pair_rows, rect_masks
from sgg_bench.modeling.pair_sampling import all_ordered_pairs

def _detector_scenes():
    """tests/detector/conftest.py as a module of its own (every test folder has a conftest)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "detector" / "conftest.py"
    spec = importlib.util.spec_from_file_location("detector_scenes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toy_scene = _detector_scenes().toy_scene


def tiny_detector(seed=0):
    torch.manual_seed(seed)
    return build_detector("tiny", num_classes=4, min_size=96, max_size=160, representation_size=32,
                          box_score_thresh=0.0)


def items(tmp_path):
    first = toy_scene(120, 160, [(10, 12, 60, 70), (90, 30, 150, 100), (20, 80, 70, 115)], [1, 2, 3])
    second = toy_scene(144, 128, [(20, 40, 100, 120)], [3])
    second["image_id"] = 1
    for index, item in enumerate((first, second)):
        path = tmp_path / f"{index}.png"
        path.write_bytes(b"image %d" % index)
        item["image_path"] = str(path)
    return [first, second]


def test_extractors_start_as_the_detector_box_head_and_train_alone(tmp_path):
    detector = tiny_detector()
    features = RelationFeatures(detector, freeze=False, rect_masks=True)
    head = detector.roi_heads.box_head.state_dict()
    for extractor in (features.box_extractor, features.union_extractor):
        for name, value in extractor.state_dict().items():
            assert torch.equal(value, head[name])
    trainable = {name.split(".")[0] for name, p in features.named_parameters() if p.requires_grad}
    assert trainable == {"box_extractor", "union_extractor", "union_reduce", "rect_branch"}
    assert not any(p.requires_grad for p in features.frozen.detector.parameters())

    batch = items(tmp_path)
    images = features.image_features([i["image"] for i in batch], gt_boxes=[i["boxes"] for i in batch],
                                     box_source="gt")
    pairs = [all_ordered_pairs(3), all_ordered_pairs(1)]
    union = features.pair_features(images, pairs)
    assert [tuple(u.shape) for u in union] == [(6, 32), (0, 32)]
    loss = sum(u.sum() for u in union) + sum(i.box_features.sum() for i in images)
    loss.backward()
    for part in (features.box_extractor, features.union_extractor, features.union_reduce, features.rect_branch):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())
    assert all(p.grad is None for p in features.frozen.detector.parameters())
    # The detector's own logits do not move with the trainable copy.
    before = images[0].obj_logits.detach().clone()
    with torch.no_grad():
        for p in features.box_extractor.parameters():
            p.add_(1.0)
    # (the same batch: padding to the batch's largest image changes border features slightly)
    again = features.image_features([i["image"] for i in batch], gt_boxes=[i["boxes"] for i in batch],
                                    box_source="gt")[0]
    assert torch.allclose(again.obj_logits, before, atol=1e-5)
    assert not torch.allclose(again.box_features, images[0].box_features)


def test_frozen_features_equal_the_detector_box_head(tmp_path):
    detector = tiny_detector()
    features = RelationFeatures(detector, freeze=True, rect_masks=False)
    assert features.extractor_parameters() == []
    batch = items(tmp_path)
    (image, _) = features.image_features([i["image"] for i in batch], gt_boxes=[i["boxes"] for i in batch],
                                         box_source="gt")
    pooled = detector.roi_heads.box_roi_pool(image.batch.features, [image.boxes, torch.zeros(0, 4)],
                                             image.batch.image_sizes)
    torch.testing.assert_close(image.box_features, detector.roi_heads.box_head(pooled)[:3])


def test_freeze_with_masks_is_refused():
    with pytest.raises(ValueError, match="rect_masks: expected false"):
        RelationFeatures(tiny_detector(), freeze=True, rect_masks=True)


def test_rect_masks_by_hand():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 5.0, 27.0, 27.0]])
    masks = rect_masks(boxes, torch.tensor([[0, 1]]), (27, 27), size=27)
    assert masks.shape == (1, 2, 27, 27)
    subject, obj = masks[0]
    assert subject[:11, :11].all() and subject.sum() == 11 * 11   # cells 0..10 inclusive
    assert obj[5:, 20:].all() and obj.sum() == 22 * 7
    assert RectMaskBranch(32)(masks).shape == (1, 32, 7, 7)


def test_pair_rows_index_the_all_pairs_table():
    for n in (1, 2, 5):
        table = all_ordered_pairs(n)
        assert pair_rows(table, n).tolist() == list(range(n * (n - 1)))


def test_cache_serves_the_same_values_and_detects_damage(tmp_path):
    features = RelationFeatures(tiny_detector(), freeze=True, rect_masks=False)
    cache = FeatureCache(tmp_path / "cache", "key", memory_bytes=0)  # every lookup reads the disk
    batch = items(tmp_path)
    for source in ("gt", "detections+gt", "detections"):
        cold = cached_image_features(features, cache, batch, box_source=source, device=torch.device("cpu"))
        warm = cached_image_features(features, cache, batch, box_source=source, device=torch.device("cpu"))
        for a, b in zip(cold, warm):
            assert torch.equal(a.boxes, b.boxes) and torch.equal(a.box_features, b.box_features)
            assert torch.equal(a.pair_table, b.pair_table) and a.image_size == b.image_size
        pairs = all_ordered_pairs(warm[0].boxes.shape[0])
        direct = features.image_features([i["image"] for i in batch], gt_boxes=[i["boxes"] for i in batch],
                                         box_source=source)[0]
        torch.testing.assert_close(features.pair_features(warm[:1], [pairs])[0],
                                   features.pair_features([direct], [pairs])[0], atol=1e-5, rtol=1e-4)
    assert cache.misses == 6 and cache.hits == 6
    path = cache.path(image_key(batch[0], "gt"))
    entry = torch.load(path, weights_only=True)
    entry["box_features"][0, 0] += 1.0  # a changed value under the old checksum
    torch.save(entry, path)
    reread = cached_image_features(features, cache, batch, box_source="gt", device=torch.device("cpu"))
    assert cache.damaged == 1
    # only the damaged image was recomputed (alone in its backbone pass)
    assert torch.allclose(reread[0].box_features, features.image_features(
        [batch[0]["image"]], gt_boxes=[batch[0]["boxes"]], box_source="gt")[0].box_features)
    assert cache.load(image_key(batch[0], "gt")) is not None  # recomputed and stored again
    path.write_bytes(path.read_bytes()[:100])  # a truncated file
    assert cache.load(image_key(batch[0], "gt")) is None and cache.damaged == 2


def test_cache_key_follows_the_image_file_and_boxes(tmp_path):
    (item, _) = items(tmp_path)
    key = image_key(item, "gt")
    assert image_key(item, "detections") != key
    moved = copy.copy(item)
    moved["boxes"] = item["boxes"] + 1
    assert image_key(moved, "gt") != key
    Path(item["image_path"]).write_bytes(b"another image, longer")
    assert image_key(item, "gt") != key


def test_cache_keeps_entries_in_memory_within_its_budget(tmp_path):
    tensors = {"boxes": torch.zeros(2, 4), "box_features": torch.ones(2, 8), "obj_logits": torch.zeros(2, 3),
               "pair_table": torch.ones(2, 8), "class_boxes": torch.zeros(2, 3, 4), "image_size": torch.tensor([10, 12]),
               "original_size": torch.tensor([20, 24])}
    roomy = FeatureCache(tmp_path / "a", "k")
    roomy.store("entry", tensors)
    roomy.path("entry").unlink()  # served from memory from now on
    assert torch.equal(roomy.load("entry")["box_features"], tensors["box_features"]) and roomy.hits == 1
    tight = FeatureCache(tmp_path / "b", "k", memory_bytes=16)
    tight.store("entry", tensors)
    tight.path("entry").unlink()
    assert tight.load("entry") is None and tight.misses == 1
