"""``sgg-bench train --supervision ...``: config rules and one grounded run end to end on the hand-built
VG folder, with pseudo-label folders written here from its ground truth (no detector, no captions)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import FAST  # noqa: E402

from sgg_bench.errors import ConfigError
from sgg_bench.runs.train import TrainRequest, validate


def test_supervision_makes_an_sgdet_run_named_after_it(tmp_path):
    cfg = validate(TrainRequest(model="sgnls", dataset="synth", output_root=str(tmp_path)))
    assert cfg.language.supervision == "language" and cfg.model.mode == "sgdet"
    cfg = validate(TrainRequest(model="motifs", dataset="synth", output_root=str(tmp_path), supervision="weak"))
    assert cfg.model.mode == "sgdet" and cfg.language.supervision == "weak"
    cfg = validate(TrainRequest(model="sgnls", dataset="synth", output_root=str(tmp_path), supervision="none"))
    assert cfg.language.supervision == "" and cfg.model.mode == "predcls"


def test_supervision_rejects_other_modes_and_detectors(tmp_path):
    with pytest.raises(ConfigError, match="SGDet only"):
        validate(TrainRequest(model="sgnls", dataset="synth", mode="predcls", output_root=str(tmp_path)))
    with pytest.raises(ConfigError, match="relation models only"):
        validate(TrainRequest(model="detector", dataset="synth", supervision="weak", output_root=str(tmp_path)))


def _write_set(root, dataset, vocab_names, *, graphs: bool, rng):
    """Detections = the GT boxes (jittered) with peaked class distributions; graphs = GT graphs."""
    from sgg_bench.language.pseudo_labels import PseudoLabelImage, PseudoLabelVocabulary, write_pseudo_labels

    objects, predicates = vocab_names
    identity = {i: [i] for i in range(1, len(objects))}
    vocab = PseudoLabelVocabulary(ind_to_classes=objects, ind_to_predicates=predicates, detector_classes=objects,
                                  dataset_classes=objects, dataset_predicates=predicates,
                                  detector_to_classes=identity, class_to_dataset=identity,
                                  predicate_to_dataset={i: [i] for i in range(1, len(predicates))})
    images = []
    for i in range(len(dataset)):
        record = dataset[i]
        n = len(record.labels)
        dists = rng.uniform(0, 0.1, size=(n, len(objects))).astype(np.float32)
        dists[np.arange(n), record.labels] += 1.0
        images.append(PseudoLabelImage(
            image_id=int(record.image_id), image_path=str(record.image_path), width=int(record.width),
            height=int(record.height), boxes=record.boxes.astype(np.float32) + 0.5,
            scores=np.linspace(0.9, 0.5, n).astype(np.float32), labels=record.labels.astype(np.int64),
            dists=dists / dists.sum(1, keepdims=True), features=rng.normal(size=(n, 6)).astype(np.float32),
            node_classes=record.labels.astype(np.int64) if graphs else np.zeros(0, np.int64),
            triplets=record.relations.astype(np.int64) if graphs else np.zeros((0, 3), np.int64)))
    write_pseudo_labels(root, vocab=vocab, images=images, meta={"supervision": "weak" if graphs else "none",
                                                                "vocabulary": "closed", "source": "test"})


@pytest.mark.parametrize("model,supervision", [("sgnls", "language"), ("frequency", "weak"), ("sgnls", "full")])
def test_grounded_run_end_to_end(tmp_path, vg_root, model, supervision):
    from sgg_bench.cli import main
    from sgg_bench.data import open_dataset

    rng = np.random.default_rng(0)
    train, test = open_dataset(vg_root, "train", num_val_im=0), open_dataset(vg_root, "test", num_val_im=0)
    names = (list(train.vocab.object_classes), list(train.vocab.predicate_classes))
    _write_set(tmp_path / "train-pl", train, names, graphs=True, rng=rng)
    _write_set(tmp_path / "test-pl", test, names, graphs=False, rng=rng)
    outputs = tmp_path / "outputs"
    args = ["train", "--model", model, "--dataset", "vg", "--supervision", supervision, "--output-root",
            str(outputs), *FAST, f"dataset.root={vg_root}", "dataset.num_val_im=0",
            f"language.pseudo_labels={tmp_path / 'train-pl'}", f"language.test_detections={tmp_path / 'test-pl'}"]
    if model == "sgnls":
        args += ["model.head_args.hidden_dim=8", "model.head_args.num_heads=2", "model.head_args.inner_dim=16",
                 "model.head_args.num_layers=1", "model.head_args.embed_dim=5", "solver.optimizer=adamw"]
    assert main(args) == 0
    run_dir = outputs / "vg" / f"{model}-sgdet-{supervision}"
    record = json.loads((run_dir / "result.json").read_text())
    assert record["mode"] == "sgdet" and record["supervision"] == supervision
    assert record["vocabulary"] == "closed" and record["setting"] == f"supervision={supervision}"
    assert record["metrics"]["R@50"] is not None
    if model == "frequency":
        # detections are the GT boxes with their true classes as argmax and the prior comes from the
        # GT graphs, so the most frequent predicate of each GT pair is recovered for some triplets
        assert record["metrics"]["R@100"] > 0
