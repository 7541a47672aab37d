"""`sgg-bench train` end to end on a hand-built 9-image VG folder: detector run, then relation
runs that find the trained detector, predict the test split, evaluate and write run folders."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sgg_bench.cli import main
from sgg_bench.config import configs_root
from sgg_bench.engine.checkpoint import load_checkpoint
from sgg_bench.evaluation.predictions import read_predictions
from sgg_bench.leaderboard.records import read_record
from sgg_bench.leaderboard.run_folder import read_run_folder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from sgg_data_builders import IMAGE_DATA, write_vg_folder  # noqa: E402

FAST = ["detector.name=tiny", "dataset.num_val_im=1", "solver.ims_per_batch=2", "solver.max_iter=3",
        "solver.checkpoint_period=2", "solver.val_period=0", "solver.log_period=1", "test.ims_per_batch=2",
        "model.args.pairs_per_image=8"]


@pytest.fixture(scope="module")
def vg_root(tmp_path_factory):
    root = write_vg_folder(tmp_path_factory.mktemp("vg") / "vg")
    rng = np.random.default_rng(0)
    for entry in IMAGE_DATA:  # real (small-content) images of the declared sizes
        size = (entry["width"], entry["height"])
        pixels = rng.integers(0, 255, size=(8, 8, 3), dtype=np.uint8)
        Image.fromarray(pixels).resize(size).save(root / "VG_100K" / f"{entry['image_id']}.jpg")
    return root


def _config(tmp_path, name, base):
    path = tmp_path / name
    path.write_text(f"_base_: {configs_root() / '_base_' / base}\n")
    return path


@pytest.mark.slow
def test_detector_then_relation_runs(tmp_path, vg_root):
    outputs = tmp_path / "outputs"
    detector_cfg = _config(tmp_path, "det.yaml", "vg.yaml")
    code = main(["train", "--model", "detector", "--dataset", "vg", "--config", str(detector_cfg),
                 "--output-root", str(outputs), f"dataset.root={vg_root}", *FAST])
    assert code == 0
    detector_dir = outputs / "vg" / "detector-tiny"
    assert (detector_dir / "checkpoints" / "model_final.pth").is_file()
    record = read_record(detector_dir / "result.json")
    assert record["run_id"] == "vg-detector-tiny" and "mAP" in record["metrics"]

    for model in ("motifs", "frequency"):
        relation_cfg = tmp_path / f"{model}.yaml"
        relation_cfg.write_text(f"_base_: {configs_root() / '_base_' / 'vg.yaml'}\n"
                                f"model: {{head: {model}, mode: sgcls, head_args: {{}}}}\n")
        args = ["train", "--model", model, "--dataset", "vg", "--mode", "sgcls", "--config", str(relation_cfg),
                "--output-root", str(outputs), f"dataset.root={vg_root}", *FAST]
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

    # --resume of a finished run: no further training, same checkpoint, fresh evaluation
    before = (outputs / "vg" / "motifs-sgcls" / "checkpoints" / "model_final.pth").stat().st_mtime_ns
    assert main(args[:1] + ["--resume"] + args[1:]) == 0
    after = (outputs / "vg" / "motifs-sgcls" / "checkpoints" / "model_final.pth").stat().st_mtime_ns
    assert before == after


def test_missing_detector_weights_file_is_a_config_error(tmp_path, vg_root, capsys):
    relation_cfg = _config(tmp_path, "m.yaml", "vg.yaml")
    relation_cfg.write_text(relation_cfg.read_text() + "model: {head: imp, mode: predcls}\n")
    code = main(["train", "--model", "imp", "--dataset", "vg", "--config", str(relation_cfg),
                 "--output-root", str(tmp_path / "out"), f"dataset.root={vg_root}",
                 f"detector.weights={tmp_path / 'absent.pth'}"])
    assert code == 2
    assert "absent.pth" in capsys.readouterr().err
