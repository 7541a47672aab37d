"""The VG150 files of the tiny synthetic set: keys, shapes, dtypes, index ranges, boxes, dict json."""
import json

import h5py
import numpy as np

from sgg_bench.data.synthetic.layout import clip_box
from sgg_bench.data.synthetic.vocabulary import OBJECT_CLASSES, PREDICATES
from sgg_bench.data.vg_boxes import decode_boxes, grid_to_pixels

DTYPES = {"boxes_1024": np.int32, "boxes_512": np.int32, "labels": np.int64, "attributes": np.int64,
          "img_to_first_box": np.int32, "img_to_last_box": np.int32, "relationships": np.int32,
          "predicates": np.int64, "img_to_first_rel": np.int32, "img_to_last_rel": np.int32, "split": np.int32}


def _read(root):
    with h5py.File(root / "vg" / "VG-SGG-with-attri.h5", "r") as f:
        return {k: f[k][()] for k in f}


def test_h5_keys_shapes_dtypes(tiny_root, tiny_scenes):
    data = _read(tiny_root)
    assert set(data) == set(DTYPES)
    for key, dtype in DTYPES.items():
        assert data[key].dtype == dtype, key
    n_img = len(tiny_scenes)
    n_obj = sum(len(s.objects) for s in tiny_scenes)
    n_rel = sum(len(s.relations) for s in tiny_scenes)
    assert data["boxes_1024"].shape == data["boxes_512"].shape == (n_obj, 4)
    assert data["labels"].shape == (n_obj, 1) and data["attributes"].shape == (n_obj, 10)
    assert data["relationships"].shape == (n_rel, 2) and data["predicates"].shape == (n_rel, 1)
    for key in ("img_to_first_box", "img_to_last_box", "img_to_first_rel", "img_to_last_rel", "split"):
        assert data[key].shape == (n_img,)


def test_h5_index_ranges_are_consistent(tiny_root):
    data = _read(tiny_root)
    first, last = data["img_to_first_box"], data["img_to_last_box"]
    assert (first >= 0).all()
    assert first[0] == 0 and last[-1] == len(data["labels"]) - 1
    assert (first[1:] == last[:-1] + 1).all()           # contiguous, in image order
    rel_first, rel_last = data["img_to_first_rel"], data["img_to_last_rel"]
    assert ((rel_first == -1) == (rel_last == -1)).all()
    previous_end = -1
    for i in np.flatnonzero(rel_first >= 0):
        assert rel_first[i] == previous_end + 1 and rel_last[i] >= rel_first[i]
        previous_end = rel_last[i]
        rels = data["relationships"][rel_first[i]:rel_last[i] + 1]
        assert ((rels >= first[i]) & (rels <= last[i])).all()       # relations stay inside their image
        assert (rels[:, 0] != rels[:, 1]).all()
    assert previous_end == len(data["predicates"]) - 1
    assert data["labels"].min() >= 1 and data["labels"].max() <= len(OBJECT_CLASSES)
    assert data["predicates"].min() >= 1 and data["predicates"].max() <= len(PREDICATES)
    attributes = data["attributes"]
    assert (attributes[:, 0] > 0).all()                 # every object has its colour
    for row in attributes:                               # zero padding only at the end
        nz = np.flatnonzero(row)
        assert (nz == np.arange(len(nz))).all()


def test_split_is_first_70_percent_train_then_test(tiny_root):
    split = _read(tiny_root)["split"]
    n_train = int(round(0.7 * len(split)))
    assert (split[:n_train] == 0).all() and (split[n_train:] == 2).all()
    meta = json.loads((tiny_root / "vg" / "sgg-bench.json").read_text())
    assert meta["name"] == "synth" and meta["size"] == "tiny" and meta["seed"] == 0
    assert meta["num_val_im"] == round(0.1 * n_train)


def test_boxes_decode_close_to_rendered_boxes(tiny_root, tiny_scenes):
    data = _read(tiny_root)
    assert (data["boxes_1024"][:, 2:] > 0).all() and (data["boxes_512"][:, 2:] > 0).all()
    row = 0
    worst = 0.0
    for scene in tiny_scenes:
        n = len(scene.objects)
        for grid, size in ((data["boxes_1024"][row:row + n], 1024), (data["boxes_512"][row:row + n], 512)):
            pixels = grid_to_pixels(decode_boxes(grid), scene.width, scene.height, scale=size)
            truth = np.array([clip_box(o.box, scene.width, scene.height) for o in scene.objects], dtype=np.float32)
            worst = max(worst, float(np.abs(pixels - truth).max()))
        row += n
    assert worst <= 2.0


def test_labels_and_relations_match_the_scenes(tiny_root, tiny_scenes):
    data = _read(tiny_root)
    labels = [OBJECT_CLASSES[i - 1] for i in data["labels"][:, 0]]
    assert labels == [o.label for s in tiny_scenes for o in s.objects]
    predicates = [PREDICATES[i - 1] for i in data["predicates"][:, 0]]
    assert predicates == [p for s in tiny_scenes for _, _, p in s.relations]


def test_dict_json_has_nine_keys_numbered_alphabetically(tiny_root):
    d = json.loads((tiny_root / "vg" / "VG-SGG-dicts-with-attri.json").read_text())
    assert set(d) == {"label_to_idx", "idx_to_label", "predicate_to_idx", "idx_to_predicate", "object_count",
                      "predicate_count", "attribute_to_idx", "idx_to_attribute", "attribute_count"}
    for to_idx, to_name in (("label_to_idx", "idx_to_label"), ("predicate_to_idx", "idx_to_predicate"),
                            ("attribute_to_idx", "idx_to_attribute")):
        names = sorted(d[to_idx])
        assert [d[to_idx][n] for n in names] == list(range(1, len(names) + 1))
        assert all(d[to_name][str(i)] == n for n, i in d[to_idx].items())
    data = _read(tiny_root)
    assert sum(d["object_count"].values()) == len(data["labels"])
    assert sum(d["predicate_count"].values()) == len(data["predicates"])


def test_image_data_and_files(tiny_root, tiny_scenes):
    entries = json.loads((tiny_root / "vg" / "image_data.json").read_text())
    assert [e["image_id"] for e in entries] == [s.image_id for s in tiny_scenes]
    assert all(set(e) == {"image_id", "url", "width", "height", "coco_id", "flickr_id"} for e in entries)
    ids = [e["image_id"] for e in entries]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and min(ids) > 0
    assert not set(ids) & {1592, 1722, 4616, 4617}
    from PIL import Image
    for e in entries[:5]:
        with Image.open(tiny_root / "vg" / "VG_100K" / f"{e['image_id']}.jpg") as im:
            assert im.size == (e["width"], e["height"]) and im.mode == "RGB"
