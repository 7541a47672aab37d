"""The data layer's reader opens the tiny synthetic set in both formats and sees the same annotations."""
import numpy as np
import pytest

from sgg_bench.data.synthetic.layout import clip_box

data = pytest.importorskip("sgg_bench.data")
try:
    open_dataset = data.open_dataset
except (AttributeError, ImportError) as exc:   # reader not built yet
    pytest.skip(f"sgg_bench.data.open_dataset unavailable: {exc}", allow_module_level=True)


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_vg_and_openimages_readers_agree(tiny_root, tiny_scenes, split):
    vg = open_dataset(tiny_root / "vg", split)
    oi = open_dataset(tiny_root / "openimages", split)
    assert vg.format == "vg" and oi.format == "openimages"
    assert len(vg) == len(oi) > 0
    assert vg.vocab.object_classes == oi.vocab.object_classes
    assert vg.vocab.predicate_classes == oi.vocab.predicate_classes
    scenes = {s.image_id: s for s in tiny_scenes}
    for i in range(len(vg)):
        a, b = vg[i], oi[i]
        scene = scenes[a.image_id]
        assert b.image_path.name == f"{a.image_id}.jpg"
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.relations, b.relations)
        truth = np.array([clip_box(o.box, scene.width, scene.height) for o in scene.objects], dtype=np.float32)
        assert np.abs(a.boxes - truth).max() <= 2.0
        # training targets are clipped to [0, w - 1] x [0, h - 1] by the reader
        limit = np.array([scene.width - 1, scene.height - 1] * 2, dtype=np.float32)
        np.testing.assert_allclose(b.boxes, np.minimum(truth, limit))
        assert [vg.vocab.object_classes[k] for k in a.labels] == [o.label for o in scene.objects]


def test_num_val_im_comes_from_the_dataset_settings(tiny_root):
    from sgg_bench.data.synthetic.write_vg import split_of
    n_train_rows = int((split_of(48) == 0).sum())
    train, val = open_dataset(tiny_root / "vg", "train"), open_dataset(tiny_root / "vg", "val")
    assert len(val) == round(0.1 * n_train_rows)
    assert len(train) + len(val) <= n_train_rows
