"""`evaluate_all` over fake run folders, with an injected evaluator."""
from __future__ import annotations

import hashlib
import io
import json

import pytest
import yaml

from sgg_bench.config_schema import defaults
from sgg_bench.runs.evaluate_all import evaluate_all


class FakeEvaluator:
    """Records its calls; returns metrics that depend on the predictions bytes."""

    def __init__(self, fail_on=(), version="1.0.0"):
        self.calls = []
        self.fail_on = set(fail_on)
        self.version = version

    def __call__(self, predictions_path, dataset_root, *, split="test", protocol=None, zeroshot=None,
                 allow_missing=False, **options):
        self.calls.append(dict(predictions=predictions_path, root=dataset_root, split=split, protocol=protocol,
                               zeroshot=zeroshot, allow_missing=allow_missing, **options))
        if any(name in predictions_path for name in self.fail_on):
            raise ValueError("corrupt predictions")
        data = open(predictions_path, "rb").read()
        return {"metrics": {"R@50": len(data) / 100.0, "mR@50": None},
                "per_predicate": {"50": {"on": 0.5}},
                "info": {"dataset_fingerprint": "fp-test", "evaluator_version": self.version}}

    @property
    def evaluated_runs(self):
        return sorted(call["predictions"].split("/")[-2] for call in self.calls)


def full_config(**sections):
    config = defaults()
    config["run"].update(seed=1, device="cpu")
    for name, values in sections.items():
        config[name].update(values)
    return config


def make_run(outputs, dataset, name, *, predictions=b"pred-v1", checkpoint=b"ckpt-v1", config=None, **run_fields):
    folder = outputs / dataset / name
    (folder / "checkpoints").mkdir(parents=True)
    run = {"run_id": f"{dataset}-{name}", "model": name.split("-")[0], "dataset": dataset,
           "dataset_root": f"datasets/synth/{dataset}", "mode": "predcls", "split": "test", "protocol": "vg",
           "seed": 1, "git_commit": "abc", "checkpoint": "checkpoints/model_final.pth", "train_seconds": 3.0,
           "device": "cpu", "created": "2026-11-27T00:00:00+00:00"}
    run.update(run_fields)
    (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    (folder / "config.yaml").write_text(yaml.safe_dump(config or full_config()))
    if predictions is not None:
        (folder / "predictions.h5").write_bytes(predictions)
    if checkpoint is not None:
        (folder / "checkpoints" / "model_final.pth").write_bytes(checkpoint)
    return folder


def run_all(outputs, results, evaluator, version="1.0.0", force=False):
    out = io.StringIO()
    evaluator.version = version
    code = evaluate_all(outputs, results, evaluate_fn=evaluator, evaluator_version=version, force=force,
                        progress=False, stream=out)
    return code, out.getvalue()


def test_evaluates_once_then_only_what_changed(tmp_path):
    outputs, results = tmp_path / "outputs", tmp_path / "results"
    a = make_run(outputs, "synth", "motifs-predcls")
    make_run(outputs, "synth", "imp-predcls", predictions=b"other")
    first = FakeEvaluator()
    code, text = run_all(outputs, results, first)
    assert code == 0 and first.evaluated_runs == ["imp-predcls", "motifs-predcls"]
    assert "2 evaluated, 0 published as recorded, 0 up to date, 0 failed" in text
    record = json.loads((results / "synth-motifs-predcls.json").read_text())
    provenance = record["provenance"]
    assert provenance["predictions_sha256"] == hashlib.sha256(b"pred-v1").hexdigest()
    assert provenance["checkpoint_sha256"] == hashlib.sha256(b"ckpt-v1").hexdigest()
    assert provenance["evaluator_version"] == "1.0.0" and provenance["git_commit"] == "abc"
    assert provenance["seed"] == 1 and provenance["config"] == full_config()
    assert provenance["device"] == "cpu" and provenance["dataset_fingerprint"] == "fp-test"
    assert record["metrics"]["R@50"] == pytest.approx(0.07) and record["mode"] == "predcls"
    assert json.loads((a / "result.json").read_text()) == record  # the run's own record, published

    again = FakeEvaluator()
    code, text = run_all(outputs, results, again)
    assert code == 0 and again.calls == [] and "0 evaluated, 0 published as recorded, 2 up to date" in text

    (results / "synth-motifs-predcls.json").unlink()  # a current record is published, not recomputed
    republished = FakeEvaluator()
    code, text = run_all(outputs, results, republished)
    assert republished.calls == [] and "1 published as recorded, 1 up to date" in text
    forced = FakeEvaluator()
    run_all(outputs, results, forced, force=True)
    assert forced.evaluated_runs == ["imp-predcls", "motifs-predcls"]

    (a / "predictions.h5").write_bytes(b"pred-v2!")
    changed = FakeEvaluator()
    assert run_all(outputs, results, changed)[0] == 0
    assert changed.evaluated_runs == ["motifs-predcls"]
    assert json.loads((results / "synth-motifs-predcls.json").read_text())["metrics"]["R@50"] == pytest.approx(0.08)

    (a / "checkpoints" / "model_final.pth").write_bytes(b"ckpt-v2")
    changed = FakeEvaluator()
    run_all(outputs, results, changed)
    assert changed.evaluated_runs == ["motifs-predcls"]

    new_version = FakeEvaluator()
    run_all(outputs, results, new_version, version="1.1.0")
    assert new_version.evaluated_runs == ["imp-predcls", "motifs-predcls"]
    assert run_all(outputs, results, FakeEvaluator(), version="1.1.0")[1].count("up to date") >= 2


def test_broken_runs_are_reported_and_skipped(tmp_path):
    outputs, results = tmp_path / "outputs", tmp_path / "results"
    make_run(outputs, "synth", "good-predcls")
    bad_json = make_run(outputs, "synth", "badjson-predcls")
    (bad_json / "run.json").write_text("{oops")
    make_run(outputs, "synth", "nockpt-predcls", checkpoint=None)
    make_run(outputs, "synth", "crash-predcls")
    make_run(outputs, "synth", "badmode-predcls", mode="detect")
    make_run(outputs, "vg", "pending-predcls", predictions=None)  # training still running: not a failure
    evaluator = FakeEvaluator(fail_on=["crash-predcls"])
    code, text = run_all(outputs, results, evaluator)
    assert code == 1
    assert "1 evaluated, 0 published as recorded, 0 up to date, 4 failed, 1 not finished yet" in text
    assert sorted(p.name for p in results.iterdir()) == ["synth-good-predcls.json"]
    failed = [line for line in text.splitlines() if line.startswith("  FAILED")]
    assert len(failed) == 4
    assert any("badjson-predcls" in line and "valid JSON" in line for line in failed)
    assert any("nockpt-predcls" in line and "checkpoint" in line for line in failed)
    assert any("crash-predcls" in line and "corrupt predictions" in line for line in failed)
    assert any("badmode-predcls" in line and "mode" in line for line in failed)
    # Second call: the good run is current, the broken ones still fail, nothing is re-evaluated.
    again = FakeEvaluator(fail_on=["crash-predcls"])
    code, text = run_all(outputs, results, again)
    assert code == 1 and again.evaluated_runs == ["crash-predcls"] and "1 up to date" in text


def test_duplicate_and_unsafe_run_ids_fail(tmp_path):
    outputs, results = tmp_path / "outputs", tmp_path / "results"
    make_run(outputs, "synth", "a", run_id="same")
    make_run(outputs, "vg", "b", run_id="same")
    make_run(outputs, "synth", "c", run_id="../../escape")
    code, text = run_all(outputs, results, FakeEvaluator())
    assert code == 1 and "1 evaluated" in text and "2 failed" in text
    assert "only one run folder" in text or "used by one run folder only" in text
    assert sorted(p.name for p in results.iterdir()) == ["same.json"]
    assert not (tmp_path / "escape.json").exists()


def test_predictions_without_run_json_are_reported(tmp_path):
    outputs = tmp_path / "outputs"
    (outputs / "synth" / "orphan").mkdir(parents=True)
    (outputs / "synth" / "orphan" / "predictions.h5").write_bytes(b"x")
    code, text = run_all(outputs, tmp_path / "results", FakeEvaluator())
    assert code == 1 and "run.json" in text


def test_an_unfinished_run_of_ours_is_skipped_not_failed(tmp_path):
    """A run killed after writing predictions.h5 but before run.json (written last) leaves a folder
    with config.yaml: eval --all skips it with a hint instead of failing."""
    outputs = tmp_path / "outputs"
    folder = make_run(outputs, "synth", "killed-predcls")
    (folder / "run.json").unlink()
    code, text = run_all(outputs, tmp_path / "results", FakeEvaluator())
    assert code == 0 and "1 not finished yet" in text and "--resume" in text


def test_config_options_reach_the_evaluator(tmp_path):
    outputs = tmp_path / "outputs"
    config = full_config(dataset={"zeroshot_list": "lists/z.npy"}, test={"allow_missing": True},
                         eval={"iou_threshold": 0.6, "skip_images_without_predictions": False, "protocol": "oi"})
    make_run(outputs, "synth", "m-sgdet", config=config, mode="sgdet", split="val", protocol="oi")
    evaluator = FakeEvaluator()
    assert run_all(outputs, tmp_path / "results", evaluator)[0] == 0
    (call,) = evaluator.calls
    assert call["zeroshot"] == "lists/z.npy" and call["allow_missing"] is True
    assert call["iou_threshold"] == 0.6 and call["motifs_rule"] is True
    assert call["split"] == "val" and call["protocol"] == "oi" and call["root"] == "datasets/synth/synth"


def test_no_outputs_folder_is_not_an_error(tmp_path):
    code, text = run_all(tmp_path / "missing", tmp_path / "results", FakeEvaluator())
    assert code == 0 and "0 run(s)" in text


def test_unreadable_or_foreign_records_are_replaced(tmp_path):
    outputs, results = tmp_path / "outputs", tmp_path / "results"
    a = make_run(outputs, "synth", "a-predcls")
    b = make_run(outputs, "synth", "b-predcls")
    run_all(outputs, results, FakeEvaluator())
    (a / "result.json").write_text("{truncated")          # the run's own record: recomputed
    old = json.loads((b / "result.json").read_text())
    (b / "result.json").write_text(json.dumps(dict(old, schema=0)))
    (results / "synth-a-predcls.json").write_text("[]")   # a published copy: replaced
    evaluator = FakeEvaluator()
    code, text = run_all(outputs, results, evaluator)
    assert code == 0 and evaluator.evaluated_runs == ["a-predcls", "b-predcls"]
    assert "no usable record yet" in text and "record schema 0 -> 1" in text
    assert json.loads((results / "synth-b-predcls.json").read_text())["schema"] == 1
    assert json.loads((results / "synth-a-predcls.json").read_text())["run_id"] == "synth-a-predcls"


def test_hidden_folders_are_not_runs(tmp_path):
    outputs = tmp_path / "outputs"
    make_run(outputs, "synth", "kept-predcls")
    make_run(outputs / "synth" / ".replaced", "x", "old-predcls")
    make_run(outputs, ".cache", "features")
    evaluator = FakeEvaluator()
    code, text = run_all(outputs, tmp_path / "results", evaluator)
    assert code == 0 and evaluator.evaluated_runs == ["kept-predcls"]


def _detector_record(run_id, checkpoint_bytes):
    from sgg_bench.leaderboard.records import build_record
    return build_record(run_id=run_id, model="detector", dataset="synth", split="test", mode="sgdet",
                        protocol="vg", metrics={"mAP": 0.5, "AP50": 0.8},
                        provenance={"checkpoint_sha256": hashlib.sha256(checkpoint_bytes).hexdigest(),
                                    "seed": 1, "git_commit": "abc"})


def test_detector_run_record_is_published_once(tmp_path):
    """Detector runs carry their own detection record (no predictions.h5); eval --all publishes it."""
    from sgg_bench.leaderboard.records import write_record
    outputs, results = tmp_path / "outputs", tmp_path / "results"
    folder = make_run(outputs, "synth", "detector-tiny", predictions=None, model="detector-tiny", mode="sgdet")
    write_record(folder / "result.json", _detector_record("synth-detector-tiny", b"ckpt-v1"))
    evaluator = FakeEvaluator()
    code, text = run_all(outputs, results, evaluator)
    assert code == 0 and evaluator.calls == [] and "1 published as recorded" in text
    published = json.loads((results / "synth-detector-tiny.json").read_text())
    assert published["metrics"] == {"mAP": 0.5, "AP50": 0.8}
    code, text = run_all(outputs, results, evaluator)
    assert code == 0 and "0 evaluated, 0 published as recorded, 1 up to date" in text


def test_detector_record_of_another_checkpoint_fails(tmp_path):
    from sgg_bench.leaderboard.records import write_record
    outputs, results = tmp_path / "outputs", tmp_path / "results"
    folder = make_run(outputs, "synth", "detector-tiny", predictions=None, model="detector-tiny", mode="sgdet")
    write_record(folder / "result.json", _detector_record("synth-detector-tiny", b"stale checkpoint"))
    code, text = run_all(outputs, results, FakeEvaluator())
    assert code == 1 and "checkpoint changed" in text and not (results / "synth-detector-tiny.json").exists()
