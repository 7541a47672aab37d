"""`sgg-bench train` end to end on a hand-built 9-image VG folder: detector run, then relation
runs that find the trained detector, predict the test split, evaluate and write run folders."""
import json

import pytest

from run_helpers import FAST, FROZEN
from sgg_bench.cli import main
from sgg_bench.engine.checkpoint import load_checkpoint
from sgg_bench.evaluation.predictions import read_predictions
from sgg_bench.leaderboard.records import read_record
from sgg_bench.runs.folder import read_run_folder


@pytest.mark.slow
def test_detector_then_relation_runs(tmp_path, vg_root, capsys):
    outputs = tmp_path / "outputs"
    code = main(["train", "--model", "detector", "--dataset", "vg", "--output-root", str(outputs),
                 f"dataset.root={vg_root}", *FAST])
    assert code == 0
    detector_dir = outputs / "vg" / "detector-tiny"
    assert (detector_dir / "checkpoints" / "model_final.pth").is_file()
    record = read_record(detector_dir / "result.json")
    assert record["run_id"] == "vg-detector-tiny" and "mAP" in record["metrics"]

    for model in ("motifs", "frequency"):
        args = ["train", "--model", model, "--dataset", "vg", "--mode", "sgcls", "--output-root", str(outputs),
                f"dataset.root={vg_root}", *FROZEN, *FAST]
        if model == "motifs":
            args += ["model.head_args.hidden_dim=16", "model.head_args.pooling_dim=16", "model.head_args.embed_dim=8"]
        assert main(args) == 0
        run_dir = outputs / "vg" / f"{model}-sgcls"
        folder = read_run_folder(run_dir)
        assert folder.run_id == f"vg-{model}-sgcls" and folder.mode == "sgcls" and folder.protocol == "vg"
        assert folder.config["detector"]["weights"] == str(detector_dir / "checkpoints" / "model_final.pth")
        expected_iterations = 3 if model == "motifs" else 0
        assert load_checkpoint(folder.checkpoint_path)["iteration"] == expected_iterations
        with read_predictions(run_dir / "predictions.h5") as predictions:
            assert predictions.attrs["split"] == "test" and predictions.attrs["mode"] == "sgcls"
            assert [int(i) for i in predictions.image_ids] == [15]  # 16 has no relation: filtered
        record = read_record(run_dir / "result.json")
        assert record["run_id"] == folder.run_id and record["metrics"]["R@50"] is not None
        assert record["provenance"]["checkpoint_sha256"] and record["provenance"]["predictions_sha256"]
        assert "iter 3/3" in (run_dir / "log.txt").read_text() or model == "frequency"
        run = json.loads((run_dir / "run.json").read_text())
        assert run["checkpoint"] == "checkpoints/model_final.pth"

    # A finished run is never overwritten: without --resume / --force the command refuses.
    final = outputs / "vg" / "motifs-sgcls" / "checkpoints" / "model_final.pth"
    before = final.stat().st_mtime_ns
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "--force" in err and final.stat().st_mtime_ns == before
    # --resume of a finished run (overrides allowed): no further training, same checkpoint.
    assert main(args[:1] + ["--resume"] + args[1:] + ["test.ims_per_batch=1"]) == 0
    assert final.stat().st_mtime_ns == before
    assert "result record:" in capsys.readouterr().out
    # --force moves the old run aside and trains again.
    assert main(args[:1] + ["--force"] + args[1:]) == 0
    replaced = list((outputs / "vg" / ".replaced").iterdir())
    assert len(replaced) == 1 and (replaced[0] / "run.json").is_file()


def test_missing_detector_weights_file_is_a_config_error(tmp_path, vg_root, capsys):
    code = main(["train", "--model", "imp", "--dataset", "vg", "--output-root", str(tmp_path / "out"),
                 f"dataset.root={vg_root}", f"detector.weights={tmp_path / 'absent.pth'}"])
    assert code == 2
    assert "absent.pth" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written before the config is valid


def test_missing_real_dataset_names_the_datasets_readme(tmp_path, capsys):
    code = main(["train", "--model", "motifs", "--dataset", "vg", "--output-root", str(tmp_path / "out"),
                 f"dataset.root={tmp_path / 'nowhere'}"])
    err = capsys.readouterr().err
    assert code == 2 and "datasets/README.md" in err and "nowhere" in err


def test_unknown_model_lists_the_registered_heads(tmp_path, capsys):
    assert main(["train", "--model", "nosuch", "--dataset", "synth", "--output-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "motifs" in err and "detector" in err
