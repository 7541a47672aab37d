"""The predictions file: round trip, atomic writes, and one test per validation check."""
import h5py
import numpy as np
import pytest

from sgg_bench.errors import DataFormatError
from sgg_bench.evaluation.predictions import PredictionsWriter, read_predictions
from sgg_bench.structures import ImagePrediction

C = 4


def pred(image_id, n_boxes=3, n_rels=2, seed=0):
    rng = np.random.default_rng(seed + image_id)
    pairs = np.array([(i, j) for i in range(n_boxes) for j in range(n_boxes) if i != j][:n_rels], np.int64).reshape(-1, 2)
    corners = rng.uniform(0, 50, (n_boxes, 2, 2))
    boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1).astype(np.float32)   # x1 <= x2
    return ImagePrediction(image_id=image_id, boxes=boxes,
                           labels=rng.integers(1, 5, n_boxes), scores=rng.uniform(0, 1, n_boxes).astype(np.float32),
                           rel_pairs=pairs, rel_scores=rng.uniform(0, 1, (len(pairs), C)).astype(np.float32))


def write(path, preds, **attrs):
    kw = dict(dataset="synth", split="test", mode="sgdet", num_obj_classes=6, num_rel_classes=C)
    kw.update(attrs)
    with PredictionsWriter(path, **kw) as writer:
        for p in preds:
            writer.add(p)
    return path


def test_round_trip(tmp_path):
    preds = [pred(7), pred(3, n_boxes=0, n_rels=0), pred(11, n_boxes=4, n_rels=12)]
    path = write(tmp_path / "p.h5", preds)
    with read_predictions(path) as f:
        assert f.attrs["mode"] == "sgdet" and f.attrs["split"] == "test" and f.num_rel_classes == C
        assert list(f.image_ids) == [7, 3, 11] and len(f) == 3 and 11 in f and 5 not in f
        for original, loaded in zip(preds, f):
            assert loaded.image_id == original.image_id
            for field in ("boxes", "labels", "scores", "rel_pairs", "rel_scores"):
                np.testing.assert_array_equal(getattr(loaded, field), getattr(original, field))
        np.testing.assert_array_equal(f[11].rel_scores, preds[2].rel_scores)
        batches = list(f.batches(max_rows=5))
        assert [b.image_ids.tolist() for _, b in batches] == [[7, 3], [11]]


def test_write_is_atomic_on_error(tmp_path):
    path = tmp_path / "p.h5"
    with pytest.raises(RuntimeError):
        with PredictionsWriter(path, dataset="d", split="test", mode="predcls", num_obj_classes=6,
                               num_rel_classes=C) as writer:
            writer.add(pred(1))
            raise RuntimeError("crash")
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_writer_rejects_bad_images(tmp_path):
    with PredictionsWriter(tmp_path / "p.h5", dataset="d", split="test", mode="sgdet", num_obj_classes=6,
                           num_rel_classes=C) as writer:
        writer.add(pred(1))
        with pytest.raises(DataFormatError, match="image 1: image_id"):
            writer.add(pred(1))
        bad = pred(2)
        bad.rel_scores = bad.rel_scores[:, :3]
        with pytest.raises(DataFormatError, match="image 2: rel_scores"):
            writer.add(bad)
        bad = pred(3)
        bad.rel_pairs = np.array([[0, 5], [1, 0]])
        with pytest.raises(DataFormatError, match="image 3: rel_pairs"):
            writer.add(bad)


def edit(path, name, value=None, attr=None, delete=False):
    with h5py.File(path, "a") as f:
        if attr is not None:
            f.attrs[attr] = value
            return
        del f[name]
        if not delete:
            f.create_dataset(name, data=value)


@pytest.fixture
def good(tmp_path):
    return write(tmp_path / "p.h5", [pred(1), pred(2, n_boxes=4, n_rels=5)])


@pytest.mark.parametrize("attr,value,match", [
    ("format", "other", "attrs/format"),
    ("version", 2, "attrs/version"),
    ("mode", "detcls", "attrs/mode"),
    ("num_rel_classes", 1, "attrs/num_rel_classes"),
])
def test_bad_attrs(good, attr, value, match):
    edit(good, None, value, attr=attr)
    with pytest.raises(DataFormatError, match=match):
        read_predictions(good)


def test_missing_dataset(good):
    edit(good, "rel_scores", delete=True)
    with pytest.raises(DataFormatError, match="rel_scores: expected a dataset"):
        read_predictions(good)


def test_not_hdf5(tmp_path):
    path = tmp_path / "p.h5"
    path.write_text("hello")
    with pytest.raises(DataFormatError, match="HDF5"):
        read_predictions(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        read_predictions(tmp_path / "nope.h5")


def test_duplicate_image_ids(good):
    edit(good, "image_ids", np.array([2, 2], np.int64))
    with pytest.raises(DataFormatError, match="image 2 repeated"):
        read_predictions(good)


def test_score_width(good):
    with h5py.File(good, "a") as f:
        data = f["rel_scores"][()]
    edit(good, "rel_scores", data[:, :3])
    with pytest.raises(DataFormatError, match="rel_scores"):
        read_predictions(good)


def test_boxes_shape(good):
    with h5py.File(good, "a") as f:
        data = f["boxes"][()]
    edit(good, "boxes", data[:, :3])
    with pytest.raises(DataFormatError, match="boxes"):
        read_predictions(good)


def test_offsets_length(good):
    edit(good, "box_offsets", np.array([0, 7], np.int64))
    with pytest.raises(DataFormatError, match="box_offsets: expected length N\\+1"):
        read_predictions(good)


def test_offsets_first_zero(good):
    edit(good, "rel_offsets", np.array([1, 2, 7], np.int64))
    with pytest.raises(DataFormatError, match="rel_offsets: expected first value 0"):
        read_predictions(good)


def test_offsets_monotone(good):
    edit(good, "box_offsets", np.array([0, 5, 3], np.int64))
    with pytest.raises(DataFormatError, match="box_offsets \\(image 2\\).*non-decreasing"):
        read_predictions(good)


def test_offsets_last_equals_rows(good):
    edit(good, "rel_offsets", np.array([0, 2, 6], np.int64))
    with pytest.raises(DataFormatError, match="rel_offsets: expected last value = number of rows \\(7\\)"):
        read_predictions(good)


def test_pair_index_out_of_image(good):
    with h5py.File(good, "a") as f:
        f["rel_pairs"][3] = [0, 4]          # image 2 has 4 boxes: index 4 is out of bounds
    with pytest.raises(DataFormatError, match="rel_pairs \\(image 2, row 1\\).*\\[0, 4\\)"):
        read_predictions(good)


def test_negative_pair_index(good):
    with h5py.File(good, "a") as f:
        f["rel_pairs"][0] = [-1, 1]
    with pytest.raises(DataFormatError, match="rel_pairs \\(image 1, row 0\\)"):
        read_predictions(good)


def test_nonfinite_rel_scores(good):
    with h5py.File(good, "a") as f:
        f["rel_scores"][4, 2] = np.nan
    with pytest.raises(DataFormatError, match="rel_scores \\(image 2, row 2\\): expected finite"):
        read_predictions(good)


def test_nonfinite_boxes(good):
    with h5py.File(good, "a") as f:
        f["boxes"][4, 0] = np.inf
    with pytest.raises(DataFormatError, match="boxes \\(image 2\\): expected finite"):
        read_predictions(good)


def test_label_range(good):
    with h5py.File(good, "a") as f:
        f["box_labels"][0] = 0
    with pytest.raises(DataFormatError, match="box_labels \\(image 1\\)"):
        read_predictions(good)


def test_lazy_row_checks_run_when_loading(good):
    with h5py.File(good, "a") as f:
        f["rel_scores"][0, 0] = np.inf
    with read_predictions(good, check_rows=False) as f:
        with pytest.raises(DataFormatError, match="rel_scores \\(image 1, row 0\\)"):
            list(f.batches())
