"""`sgg-bench pseudo-label` end to end on the tiny synthetic data with a detector trained on its det/ set."""
import json

import numpy as np
import pytest

from sgg_bench.cli import main
from sgg_bench.data.synthetic import generate_synthetic
from sgg_bench.data.synthetic.detection_set import DETECTOR_CLASSES
from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.language import pseudo_label_detect
from sgg_bench.language.pseudo_label_build import build_pseudo_labels
from sgg_bench.language.pseudo_labels import read_pseudo_labels

FAST_DETECTOR = ["solver.ims_per_batch=2", "solver.max_iter=3", "solver.steps=[2]", "solver.warmup_iters=1",
                 "solver.checkpoint_period=3", "solver.log_period=1", "test.ims_per_batch=4"]


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("langworld")
    generate_synthetic(root / "synth", size="tiny", seed=0, progress=False, workers=1)
    assert main(["train", "--model", "detector", "--dataset", "synth-det", "--output-root", str(root / "outputs"),
                 f"dataset.root={root / 'synth' / 'det'}", *FAST_DETECTOR]) == 0
    return {"root": root, "vg": root / "synth" / "vg", "captions": root / "synth" / "captions" / "captions_train.json",
            "detector": root / "outputs" / "synth-det" / "detector-tiny"}


@pytest.fixture(scope="session")
def closed(world):
    out = world["root"] / "pseudo-closed"
    assert main(["pseudo-label", "--captions", str(world["captions"]), "--detector", str(world["detector"]),
                 "--dataset", str(world["vg"]), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    return read_pseudo_labels(out)


def test_language_closed_holds_the_caption_images_their_detections_and_linked_graphs(world, closed):
    captions = json.loads(world["captions"].read_text())
    assert closed.image_ids.tolist() == [image["id"] for image in captions["images"]]
    assert closed.supervision == "language" and closed.vocabulary == "closed"
    vocab = closed.vocab
    assert vocab.detector_classes == ["__background__", *DETECTOR_CLASSES]
    assert vocab.ind_to_classes == vocab.dataset_classes and vocab.class_to_dataset[5] == [5]
    person = vocab.detector_classes.index("person")
    assert {vocab.ind_to_classes[c] for c in vocab.detector_to_classes[person]} == {"man", "woman"}
    for image in closed:
        assert image.num_detections <= 36 and image.features.shape == (image.num_detections, 256)
        assert np.allclose(image.dists.sum(1), 1.0, atol=1e-4) and image.dists.shape[1] == len(DETECTOR_CLASSES) + 1
        assert (image.boxes[:, 2] <= image.width).all() and (image.boxes[:, 3] <= image.height).all()
        assert len(np.unique(image.node_classes)) == len(image.node_classes)   # one node per concept
    assert closed.meta["num_linked_triplets"] == closed.meta["num_triplets"] > 0


def test_open_vocabulary_keeps_the_caption_lemmas_and_maps_them_to_the_dataset(world):
    meta = build_pseudo_labels(world["root"] / "pseudo-open", dataset_root=world["vg"], detector_run=world["detector"],
                               captions=world["captions"], vocabulary="open", progress=False, workers=1)
    pseudo = read_pseudo_labels(world["root"] / "pseudo-open")
    vocab = pseudo.vocab
    assert meta["num_triplets"] == meta["num_parsed_triplets"] > meta["num_linked_triplets"]
    for word, target in (("guy", "man"), ("puppy", "dog"), ("vehicle", "car")):
        if word in vocab.ind_to_classes:
            assert vocab.dataset_classes[vocab.class_to_dataset[vocab.ind_to_classes.index(word)][0]] == target
    assert "sky" in vocab.ind_to_classes and vocab.ind_to_classes.index("sky") not in vocab.class_to_dataset


def test_weak_and_detections_only(world):
    from sgg_bench.data import open_dataset

    build_pseudo_labels(world["root"] / "pseudo-weak", dataset_root=world["vg"], detector_run=world["detector"],
                        weak=True, progress=False)
    weak = read_pseudo_labels(world["root"] / "pseudo-weak")
    train = open_dataset(world["vg"], "train")
    assert weak.supervision == "weak" and len(weak) == len(train)
    record, image = train[0], weak[weak.index_of(train[0].image_id)]
    assert image.node_classes.tolist() == record.labels.tolist() and image.triplets.tolist() == record.relations.tolist()
    build_pseudo_labels(world["root"] / "pseudo-test", dataset_root=world["vg"], detector_run=world["detector"],
                        split="test", progress=False)
    test = read_pseudo_labels(world["root"] / "pseudo-test")
    assert test.supervision == "none" and len(test) == len(open_dataset(world["vg"], "test"))
    assert sum(len(image.triplets) for image in test) == 0


def test_an_interrupted_build_resumes_from_its_detection_shards(world, monkeypatch, closed):
    out = world["root"] / "pseudo-resumed"
    calls = []
    real = pseudo_label_detect.detect_batch

    def failing(features, images):
        calls.append(len(images))
        if sum(calls) > 8:
            raise KeyboardInterrupt
        return real(features, images)

    monkeypatch.setattr(pseudo_label_detect, "SHARD_SIZE", 8)
    monkeypatch.setattr(pseudo_label_detect, "detect_batch", failing)
    with pytest.raises(KeyboardInterrupt):
        build_pseudo_labels(out, dataset_root=world["vg"], detector_run=world["detector"], captions=world["captions"],
                            progress=False, workers=1)
    assert not out.exists() and (world["root"] / ".pseudo-resumed.partial" / "shards" / "detections-00000.npz").is_file()
    calls.clear()
    monkeypatch.setattr(pseudo_label_detect, "detect_batch", lambda f, images: calls.append(len(images)) or real(f, images))
    build_pseudo_labels(out, dataset_root=world["vg"], detector_run=world["detector"], captions=world["captions"],
                        progress=False, workers=1)
    assert sum(calls) == len(closed) - 8          # the first shard was not detected again
    resumed = read_pseudo_labels(out)
    for a, b in zip(resumed, closed):
        assert np.allclose(a.boxes, b.boxes, atol=1e-4) and np.array_equal(a.triplets, b.triplets)


def test_bad_requests_fail_before_writing(world, tmp_path):
    common = dict(dataset_root=world["vg"], detector_run=world["detector"], progress=False)
    with pytest.raises(ConfigError, match="already exists"):
        build_pseudo_labels(world["root"] / "pseudo-closed", captions=world["captions"], **common)
    with pytest.raises(ConfigError, match="without --weak"):
        build_pseudo_labels(tmp_path / "x", captions=world["captions"], weak=True, **common)
    with pytest.raises(ConfigError, match="open needs --captions"):
        build_pseudo_labels(tmp_path / "x", split="train", vocabulary="open", **common)
    stray = tmp_path / "captions.json"
    stray.write_text(json.dumps({"images": [{"id": 77}], "annotations": [{"image_id": 77, "caption": "a dog."}]}))
    with pytest.raises(DataFormatError, match="image 77: expected an image of the dataset"):
        build_pseudo_labels(tmp_path / "y", captions=stray, **common)
    with pytest.raises(DataFormatError, match="run.json"):
        build_pseudo_labels(tmp_path / "z", split="test", dataset_root=world["vg"], detector_run=world["vg"], progress=False)
    assert not (tmp_path / "z").exists()


def test_quality_and_export_commands(world, closed, tmp_path, capsys):
    assert main(["pseudo-label-quality", str(closed.root), "--dataset", str(world["vg"]), "--seeds", "0",
                 "--out", str(tmp_path / "q.json")]) == 0
    printed = capsys.readouterr().out
    assert "| sampled |" in printed and "| predicate |" in printed
    result = json.loads((tmp_path / "q.json").read_text())
    assert result["images"] == len(closed) and 0 <= (result["graph"]["precision"] or 0) <= 1
    assert main(["pseudo-label-export", str(closed.root), "--out", str(tmp_path / "npy")]) == 0
    labels = np.load(tmp_path / "npy" / "synth_triplet_labels.npy", allow_pickle=True).item()
    assert labels["img_id_list"] == closed.image_ids.tolist()
