"""The evaluator's whole-array ground truth equals the data layer's per-image ground truth, bit for bit."""
import numpy as np
import pytest

from sgg_bench.data import open_dataset
from sgg_bench.data.ground_truth import ground_truth_arrays
from sgg_bench.evaluation.batches import GroundTruthBatch

builders = pytest.importorskip("data.sgg_data_builders")


def assert_same(dataset):
    fast = GroundTruthBatch(**ground_truth_arrays(dataset))
    slow = GroundTruthBatch.from_images(dataset.ground_truth())
    for name in ("image_ids", "widths", "heights", "boxes", "labels", "box_offsets", "relations", "rel_offsets"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a.view(np.uint8) if a.size else a, b.view(np.uint8) if b.size else b), name


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_vg_folder(tmp_path, split):
    root = builders.write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    assert_same(open_dataset(root, split, check_images=False))


def test_vg_random_sizes_clip_like_the_loader(tmp_path):
    # Image sizes smaller than the boxes' extent force the clipping, non-square sizes the scale factor.
    entries = [dict(e, width=int(w), height=int(h)) for e, (w, h) in
               zip(builders.IMAGE_DATA, [(7, 333), (1023, 5), (640, 480), (1, 1), (999, 1000), (3, 2)] * 10)]
    root = builders.write_vg_folder(tmp_path / "vg", image_data=entries)
    for split in ("train", "test"):
        assert_same(open_dataset(root, split, check_images=False, num_val_im=1))


def test_openimages_folder_goes_image_by_image(tmp_path):
    root = builders.write_openimages_folder(tmp_path / "oi")
    assert_same(open_dataset(root, "test", check_images=False))
