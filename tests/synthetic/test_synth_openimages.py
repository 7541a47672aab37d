"""The OpenImages V6 files hold the same objects and relations as the VG files (0-based), split alike."""
import json
import os

import h5py
import numpy as np

from sgg_bench.data.synthetic.vocabulary import OBJECT_CLASSES, PREDICATES


def _oi(root, split):
    return json.loads((root / "openimages" / "annotations" / f"vrd-{split}-anno.json").read_text())


def test_categories_dict(tiny_root):
    cats = json.loads((tiny_root / "openimages" / "annotations" / "categories_dict.json").read_text())
    assert cats == {"obj": list(OBJECT_CLASSES), "rel": list(PREDICATES)}


def test_records_match_vg_rows(tiny_root, tiny_scenes):
    with h5py.File(tiny_root / "vg" / "VG-SGG-with-attri.h5", "r") as f:
        labels, first, last = f["labels"][:, 0], f["img_to_first_box"][()], f["img_to_last_box"][()]
        rels, preds = f["relationships"][()], f["predicates"][:, 0]
        rfirst, rlast, split = f["img_to_first_rel"][()], f["img_to_last_rel"][()], f["split"][()]
    records = {r["img_fn"]: r for name in ("train", "val", "test") for r in _oi(tiny_root, name)}
    assert len(records) == len(tiny_scenes)
    for row, scene in enumerate(tiny_scenes):
        rec = records[str(scene.image_id)]
        assert set(rec) == {"bbox", "det_labels", "rel", "img_size", "img_fn"}
        assert rec["img_size"] == [scene.width, scene.height]
        assert rec["det_labels"] == [int(v) - 1 for v in labels[first[row]:last[row] + 1]]
        expected = []
        if rfirst[row] >= 0:
            local = rels[rfirst[row]:rlast[row] + 1] - first[row]
            expected = [[int(s), int(o), int(p) - 1] for (s, o), p in zip(local, preds[rfirst[row]:rlast[row] + 1])]
        assert rec["rel"] == expected
        boxes = np.array(rec["bbox"])
        assert boxes.shape == (len(rec["det_labels"]), 4)
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
        assert (boxes[:, [0, 2]] <= scene.width).all() and (boxes[:, [1, 3]] <= scene.height).all()


def test_val_is_the_vg_val_carve_out(tiny_root):
    meta = json.loads((tiny_root / "vg" / "sgg-bench.json").read_text())
    with h5py.File(tiny_root / "vg" / "VG-SGG-with-attri.h5", "r") as f:
        split, rfirst = f["split"][()], f["img_to_first_rel"][()]
    ids = [e["image_id"] for e in json.loads((tiny_root / "vg" / "image_data.json").read_text())]
    eligible = [str(ids[i]) for i in np.flatnonzero((split == 0) & (rfirst >= 0))]
    val = [r["img_fn"] for r in _oi(tiny_root, "val")]
    assert val == eligible[:meta["num_val_im"]]
    train = [r["img_fn"] for r in _oi(tiny_root, "train")]
    test = [r["img_fn"] for r in _oi(tiny_root, "test")]
    assert sorted(train + val, key=int) == [str(ids[i]) for i in np.flatnonzero(split == 0)]
    assert test == [str(ids[i]) for i in np.flatnonzero(split == 2)]


def test_images_are_links_or_copies_of_vg_images(tiny_root):
    for rec in _oi(tiny_root, "test")[:5]:
        oi_path = tiny_root / "openimages" / "images" / f"{rec['img_fn']}.jpg"
        vg_path = tiny_root / "vg" / "VG_100K" / f"{rec['img_fn']}.jpg"
        assert os.path.samefile(oi_path, vg_path) or oi_path.read_bytes() == vg_path.read_bytes()
