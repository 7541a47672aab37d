"""The pseudo-label dataset format (reader/writer), the grounded batches, the quality measure and the SGNLS export."""
import json

import h5py
import numpy as np
import pytest
import torch

from sgg_bench.errors import DataFormatError
from sgg_bench.language.grounded_batches import GroundedBatches
from sgg_bench.language.grounding import KIND_POSITIVE
from sgg_bench.language.pseudo_label_fixture import fixture_vocabulary, tiny_pseudo_labels
from sgg_bench.language.pseudo_label_quality import pseudo_label_quality, quality_markdown
from sgg_bench.language.pseudo_labels import H5_NAME, JSON_NAME, read_pseudo_labels
from sgg_bench.language.sgnls_export import export_sgnls


def test_round_trip_keeps_every_array(tmp_path):
    written = tiny_pseudo_labels(tmp_path / "a", num_images=3)
    again = read_pseudo_labels(tmp_path / "a")
    assert len(again) == 3 and again.image_ids.tolist() == [100, 101, 102]
    for i in range(3):
        for name in ("boxes", "scores", "labels", "dists", "features", "node_classes", "triplets"):
            assert np.array_equal(getattr(written[i], name), getattr(again[i], name))
    assert again[1].triplets.tolist() == [[0, 1, 2], [2, 0, 2], [3, 2, 3]]
    assert again.index_of(102) == 2 and again.feature_dim == 8
    assert again.vocab.detector_to_classes == fixture_vocabulary().detector_to_classes
    assert again.vocab.word_map()["object_cls"][1] == [2]
    objects, predicates = again.class_counts()
    assert objects.tolist() == [0, 3, 1, 3, 3] and predicates.tolist() == [0, 0, 6, 1]


def _break(root, key, value):
    with h5py.File(root / H5_NAME, "r+") as f:
        del f[key]
        f.create_dataset(key, data=value)


def test_bad_files_name_the_field(tmp_path):
    tiny_pseudo_labels(tmp_path / "a", num_images=2)
    _break(tmp_path / "a", "triplets", np.array([[0, 5, 1], [0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 2]], np.int64))
    with pytest.raises(DataFormatError, match=r"triplets\[0\]: expected node indices"):
        read_pseudo_labels(tmp_path / "a")
    tiny_pseudo_labels(tmp_path / "b", num_images=2)
    head = json.loads((tmp_path / "b" / JSON_NAME).read_text())
    head["version"] = 9
    (tmp_path / "b" / JSON_NAME).write_text(json.dumps(head))
    with pytest.raises(DataFormatError, match="version: expected 1, found 9"):
        read_pseudo_labels(tmp_path / "b")
    tiny_pseudo_labels(tmp_path / "c", num_images=2)
    _break(tmp_path / "c", "det_offsets", np.array([0, 9, 3], np.int64))
    with pytest.raises(DataFormatError, match="det_offsets"):
        read_pseudo_labels(tmp_path / "c")
    with pytest.raises(DataFormatError, match="unfinished or wrong folder"):
        read_pseudo_labels(tmp_path / "missing")


def test_grounded_batches_are_a_function_of_seed_and_iteration(tmp_path):
    pseudo = tiny_pseudo_labels(tmp_path / "a")
    batches = GroundedBatches(pseudo, batch_size=2, seed=3)
    first, again = batches.batch_at(5), GroundedBatches(pseudo, batch_size=2, seed=3).batch_at(5)
    assert [item["image_id"] for item in first] == [item["image_id"] for item in again]
    for a, b in zip(first, again):
        for name in ("box_labels", "pairs", "pair_predicates", "pair_kind", "features"):
            assert torch.equal(a[name], b[name])
    item = first[0]
    assert item["features"].shape == (len(item["boxes"]), 8) and item["pairs"].dtype == torch.int64
    # The fixture's first person box overlaps the table: when it is labelled "man" (always on even images,
    # which have no woman), "man near table" is grounded to (person 0, table 1).
    for iteration in range(6):
        for item in batches.batch_at(iteration):
            keep = item["pair_kind"] == KIND_POSITIVE
            found = {tuple(p) for p in torch.cat([item["pairs"], item["pair_predicates"][:, None]], 1)[keep].tolist()}
            assert ((0, 1, 2) in found) == (item["box_labels"][0].item() == 1)
            if item["image_id"] % 2 == 0:
                assert (0, 1, 2) in found
    assert "pairs" not in next(iter(batches.iterate_once()))[0]


def test_quality_against_hand_made_ground_truth(tmp_path):
    pseudo = tiny_pseudo_labels(tmp_path / "a", num_images=1)   # image 100: man(0) near table(1), dog(2) near man
    image = pseudo[0]
    # Dataset ids (fixture): dog 1, man 2, table 3, woman 4; predicates holding 1, near 2, on 3.
    truth = {100: (np.stack([image.boxes[0], image.boxes[1], image.boxes[2] + 60]),  # the dog box is elsewhere
                   np.array([2, 3, 1]), np.array([[0, 1, 2], [2, 0, 2], [0, 1, 3]]))}
    result = pseudo_label_quality(pseudo, ground_truth=truth, seeds=[0])
    # Grounded: only (man, near, table) — the dog box does not overlap the man box. It is right;
    # of the 3 GT relations it recovers 1.
    assert result["sampled"]["pseudo"] == 1 and result["sampled"]["precision"] == 1.0
    assert result["sampled"]["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["sampled"]["per_predicate"]["near"] == {"precision": 1.0, "recall": 0.5, "pseudo": 1, "ground_truth": 2}
    assert result["sampled"]["per_predicate"]["on"]["recall"] == 0.0
    # The caption graph: man near table and dog near man are both in the GT at class level.
    assert result["graph"]["precision"] == 1.0 and result["graph"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert "| near | 2 | 100.0 | 50.0 |" in quality_markdown(result)


def test_sgnls_export_layout(tmp_path):
    pseudo = tiny_pseudo_labels(tmp_path / "a", num_images=2)
    out = export_sgnls(pseudo, tmp_path / "out", name="COCO", one_hot_dists=True)
    labels = np.load(out / "COCO_triplet_labels.npy", allow_pickle=True).item()
    assert labels["img_id_list"] == [100, 101] and labels["ind_to_classes"][0] == "__background__"
    assert labels["relationships"][1].tolist() == pseudo[1].triplets.tolist()
    assert labels["img_info"][100] == {"file_name": "100.jpg", "width": 200, "height": 150}
    dists = np.load(out / "_dists" / "100.npz")["feat"]
    assert dists.sum(1).tolist() == [1.0] * 3 and dists.argmax(1).tolist() == pseudo[0].labels.tolist()
    assert np.array_equal(np.load(out / "_box" / "101.npy"), pseudo[1].boxes)
    assert np.load(out / "COCO2VG_word_map.npy", allow_pickle=True).item()["predicate_cls"][2] == [2]


def test_large_files_are_sliced_from_disk_with_the_same_result(tmp_path, monkeypatch):
    import sgg_bench.language.pseudo_labels as module

    eager = tiny_pseudo_labels(tmp_path / "a", num_images=3)
    monkeypatch.setattr(module, "IN_MEMORY_LIMIT", 0)
    lazy = read_pseudo_labels(tmp_path / "a")
    try:
        assert lazy._handle is not None
        for a, b in zip(eager, lazy):
            assert np.array_equal(a.features, b.features) and np.array_equal(a.dists, b.dists)
    finally:
        lazy.close()
