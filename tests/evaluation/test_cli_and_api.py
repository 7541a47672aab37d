"""evaluate_predictions and `sgg-bench eval` end to end, with the data layer replaced by a tiny fake."""
import json
from types import SimpleNamespace

import pytest

import sgg_bench.data as data_layer
from sgg_bench.cli import main
from sgg_bench.errors import DataFormatError
from sgg_bench.evaluation import evaluate, evaluate_predictions
from sgg_bench.evaluation.predictions import PredictionsWriter
from sgg_bench.leaderboard.records import read_record
from sgg_bench.structures import DatasetVocabulary
from evaluation.helpers import gt_image, one_hot_scores, prediction

PREDICATES = ["__background__", "on", "has", "near"]
OBJECTS = ["__background__", "man", "horse", "hat", "tree"]


def ground_truth():
    return [gt_image(10, [[0, 0, 9, 9], [20, 20, 29, 29]], [1, 2], [[0, 1, 1]]),
            gt_image(11, [[0, 0, 9, 9], [20, 20, 29, 29], [40, 0, 49, 9]], [1, 3, 4], [[0, 1, 2], [2, 0, 3]])]


@pytest.fixture
def fake_dataset(monkeypatch, tmp_path):
    vocab = DatasetVocabulary(object_classes=OBJECTS, predicate_classes=PREDICATES)
    fake = SimpleNamespace(vocab=vocab, ground_truth=ground_truth, fingerprint="fake-fp")
    monkeypatch.setattr(data_layer, "open_dataset", lambda root, split, **kw: fake, raising=False)
    monkeypatch.setattr(data_layer, "detect_format", lambda root: "vg", raising=False)
    root = tmp_path / "dataset"
    root.mkdir()
    return root


def write_predictions(path, image_ids=(10, 11), mode="predcls", split="test"):
    gts = {g.image_id: g for g in ground_truth()}
    with PredictionsWriter(path, dataset="fake", split=split, mode=mode, num_obj_classes=len(OBJECTS),
                           num_rel_classes=len(PREDICATES)) as writer:
        for image_id in image_ids:
            g = gts.get(image_id, gts[10])
            writer.add(prediction(image_id, g.boxes, g.labels, [[0, 1], [1, 0]], one_hot_scores([1, 2], 4)))
    return path


def test_evaluate_predictions_file(fake_dataset, tmp_path):
    path = write_predictions(tmp_path / "p.h5")
    result = evaluate_predictions(path, fake_dataset, longtail=False)
    # image 10: (0,1,on) hit -> 1; image 11: (0,1,has) predicted on, (2,0,near) not predicted -> 0
    assert result["metrics"]["R@20"] == pytest.approx(0.5)
    assert result["metrics"]["mR@20"] == pytest.approx(1 / 3)
    assert result["per_predicate"]["20"] == {"on": 1.0, "has": 0.0, "near": 0.0}
    assert result["info"]["dataset_fingerprint"] == "fake-fp"
    # identical to the in-memory API
    preds = {i: prediction(i, g.boxes, g.labels, [[0, 1], [1, 0]], one_hot_scores([1, 2], 4))
             for i, g in ((g.image_id, g) for g in ground_truth())}
    direct = evaluate(ground_truth(), preds, mode="predcls", predicate_names=PREDICATES, num_obj_classes=5,
                      detection=False)
    assert direct["metrics"] == result["metrics"]


def test_missing_image_is_an_error_unless_allowed(fake_dataset, tmp_path):
    path = write_predictions(tmp_path / "p.h5", image_ids=(10,))
    with pytest.raises(DataFormatError, match="1 missing, e.g. 11"):
        evaluate_predictions(path, fake_dataset, longtail=False)
    result = evaluate_predictions(path, fake_dataset, allow_missing=True, longtail=False)
    assert result["info"]["images_missing_predictions"] == 1
    assert result["metrics"]["R@20"] == 1.0                 # KT: the missing image is skipped
    motifs = evaluate_predictions(path, fake_dataset, allow_missing=True, motifs_rule=True, longtail=False)
    assert motifs["metrics"]["R@20"] == 0.5                 # NM: it counts as recall 0


def test_unknown_image_is_an_error_unless_allowed(fake_dataset, tmp_path):
    path = write_predictions(tmp_path / "p.h5", image_ids=(10, 11, 99))
    with pytest.raises(DataFormatError, match="1 unknown, e.g. 99"):
        evaluate_predictions(path, fake_dataset, longtail=False)
    result = evaluate_predictions(path, fake_dataset, allow_missing=True, longtail=False)
    assert result["info"]["images_ignored_not_in_ground_truth"] == 1
    assert result["metrics"]["R@20"] == pytest.approx(0.5)


def test_split_and_class_count_mismatch(fake_dataset, tmp_path):
    path = write_predictions(tmp_path / "p.h5", split="val")
    with pytest.raises(DataFormatError, match="attrs/split"):
        evaluate_predictions(path, fake_dataset, longtail=False)


def test_cli_eval_prints_table_and_writes_record(fake_dataset, tmp_path, capsys):
    path = write_predictions(tmp_path / "p.h5")
    out = tmp_path / "rec" / "r.json"
    code = main(["eval", "--predictions", str(path), "--dataset", str(fake_dataset), "--out", str(out),
                 "--no-longtail", "--model", "toy"])
    assert code == 0
    text = capsys.readouterr().out
    assert "R " in text and "50.00" in text and "n/a" in text     # zR without a list is n/a
    record = read_record(out)
    assert record["metrics"]["R@20"] == pytest.approx(0.5) and record["metrics"]["zR@20"] is None
    assert record["model"] == "toy" and record["mode"] == "predcls" and record["protocol"] == "vg"
    assert len(record["provenance"]["predictions_sha256"]) == 64


def test_cli_errors_are_one_line(fake_dataset, tmp_path, capsys):
    path = write_predictions(tmp_path / "p.h5", image_ids=(10,))
    assert main(["eval", "--predictions", str(path), "--dataset", str(fake_dataset)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sgg-bench: error:") and "--allow-missing" in err
    assert main(["eval", "--dataset", str(fake_dataset)]) == 2


def test_cli_all_dispatches_to_leaderboard(monkeypatch, tmp_path):
    calls = {}
    import sgg_bench.runs.evaluate_all as runs

    def fake_evaluate_all(*, outputs_dir, results_dir, force):
        calls.update(outputs=outputs_dir, results=results_dir, force=force)
        return 0
    monkeypatch.setattr(runs, "evaluate_all", fake_evaluate_all)
    assert main(["eval", "--all", "--outputs", str(tmp_path / "o"), "--results", str(tmp_path / "r")]) == 0
    assert calls == {"outputs": tmp_path / "o", "results": tmp_path / "r", "force": False}


def test_cli_json_output(fake_dataset, tmp_path, capsys):
    path = write_predictions(tmp_path / "p.h5")
    assert main(["eval", "--predictions", str(path), "--dataset", str(fake_dataset), "--json", "--no-longtail"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metrics"]["R@20"] == pytest.approx(0.5)


def test_table_layout():
    from sgg_bench.evaluation.table import format_table
    text = format_table({"metrics": {"R@20": 0.5, "R@50": 0.25, "R@100": None, "mR@20/head": 1.0, "mAP_rel": 0.125},
                         "info": {"images_missing_predictions": 2}})
    lines = text.splitlines()
    assert lines[0].split() == ["metric", "@20", "@50", "@100"]
    assert lines[1].split() == ["R", "50.00", "25.00", "n/a"]
    assert lines[2].split() == ["mR/head", "100.00", "n/a", "n/a"]
    assert "mAP_rel   12.50" in text and "2 image(s) had no predictions" in text
