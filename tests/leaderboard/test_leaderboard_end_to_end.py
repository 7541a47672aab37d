"""eval --all with the real evaluator and records, then the page: tiny synthetic VG, oracle PredCls."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
import yaml

from sgg_bench.cli import main
from sgg_bench.config_schema import defaults
from sgg_bench.runs.evaluate_all import evaluate_all
from sgg_bench.structures import ImagePrediction


@pytest.fixture(scope="module")
def synth_vg(tmp_path_factory):
    from sgg_bench.data.synthetic import generate_synthetic
    out = tmp_path_factory.mktemp("synth") / "data"  # the generator wants a new folder
    generate_synthetic(out, size="tiny", seed=0)
    return out / "vg"


def _oracle_predictions(path, root):
    """PredCls predictions that repeat the ground truth: one ranked row per GT relation row."""
    from sgg_bench.data import load_ground_truth
    from sgg_bench.evaluation.predictions import PredictionsWriter
    vocab, images = load_ground_truth(root, "test")
    n_rel = len(vocab.predicate_classes)
    present = set()
    with PredictionsWriter(path, dataset="synth", split="test", mode="predcls",
                           num_obj_classes=len(vocab.object_classes), num_rel_classes=n_rel) as writer:
        for gt in images:
            pairs = gt.relations.tolist()
            scores = np.full((len(pairs), n_rel), 0.001, dtype=np.float32)
            for row, (_, _, p) in enumerate(pairs):
                scores[row, p] = 0.9 - row * 1e-4  # strictly decreasing: ranked, no ties
            present.update(p for _, _, p in pairs)
            writer.add(ImagePrediction(image_id=gt.image_id, boxes=gt.boxes, labels=gt.labels,
                                       scores=np.ones(len(gt.labels), dtype=np.float32),
                                       rel_pairs=np.array([(s, o) for s, o, _ in pairs], dtype=np.int64).reshape(-1, 2),
                                       rel_scores=scores))
    return len(present) / (n_rel - 1)  # mR@K: absent predicates count as recall 0 (docs/EVALUATION.md)


def test_eval_all_then_leaderboard(tmp_path, synth_vg, capsys):
    run_dir = tmp_path / "outputs" / "synth" / "oracle-predcls"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "model_final.pth").write_bytes(b"weights")
    config = defaults()
    config["model"].update(head="oracle", mode="predcls")
    config["run"].update(seed=0, device="cpu")
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    (run_dir / "run.json").write_text(json.dumps({
        "run_id": "synth-oracle-predcls", "model": "oracle", "dataset": "synth", "dataset_root": str(synth_vg),
        "mode": "predcls", "split": "test", "protocol": "vg", "seed": 0, "git_commit": "0123abc",
        "checkpoint": "checkpoints/model_final.pth", "train_seconds": 0.0, "created": "2026-11-27T00:00:00Z"}))
    expected_mean_recall = _oracle_predictions(run_dir / "predictions.h5", synth_vg)
    results = tmp_path / "results"

    out = io.StringIO()
    assert evaluate_all(tmp_path / "outputs", results, progress=False, stream=out) == 0
    assert "1 evaluated" in out.getvalue()
    record = json.loads((results / "synth-oracle-predcls.json").read_text())
    # Every GT row is predicted with its own predicate (and no image has over 50 rows).
    assert record["metrics"]["R@50"] == pytest.approx(1.0) and record["metrics"]["mR@50"] == pytest.approx(expected_mean_recall)
    assert record["provenance"]["dataset_fingerprint"] and record["per_predicate"]["50"]

    # Again through the command line: nothing changed, nothing evaluated.
    capsys.readouterr()
    assert main(["eval", "--all", "--outputs", str(tmp_path / "outputs"), "--results", str(results)]) == 0
    assert "0 evaluated, 0 published as recorded, 1 up to date, 0 failed" in capsys.readouterr().out

    page = tmp_path / "index.html"
    assert main(["leaderboard", "--results", str(results), "--out", str(page), "--markdown", "", "--csv", ""]) == 0
    html = page.read_text()
    assert "synth-oracle-predcls" in html and "100.00" in html and "0123abc" in html
