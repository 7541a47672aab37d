"""The record ``train`` writes equals the one ``eval --all`` recomputes for the same run, key for
key (up to the evaluation's own time and date), also when the overrides that once drifted
between the two paths are set."""
import io
import json

import numpy as np
import pytest

from run_helpers import FAST
from sgg_bench.cli import main
from sgg_bench.runs.evaluate_all import evaluate_all

VOLATILE = {"eval_seconds", "date"}  # measured by each evaluation itself


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    from sgg_bench.data.synthetic import generate_synthetic

    out = tmp_path_factory.mktemp("synth") / "data"
    generate_synthetic(out, size="tiny", seed=0, progress=False)
    return out / "vg"


@pytest.fixture(scope="module")
def synth_detector(tmp_path_factory, synth_root):
    outputs = tmp_path_factory.mktemp("detector")
    assert main(["train", "--model", "detector", "--dataset", "synth", "--output-root", str(outputs),
                 f"dataset.root={synth_root}", *FAST, "dataset.num_val_im=null"]) == 0
    return outputs / "synth" / "detector-tiny" / "checkpoints" / "model_final.pth"


def _zeroshot_file(tmp_path, synth_root):
    from sgg_bench.data.zeroshot import derive_zeroshot_triplets

    rows = derive_zeroshot_triplets(synth_root)
    path = tmp_path / "zeroshot.npy"
    np.save(path, rows[: max(1, len(rows) // 2)])
    return path


@pytest.mark.parametrize("case", ["num_im", "iou_threshold", "zeroshot_list"])
def test_train_record_equals_eval_all_record(tmp_path, synth_root, synth_detector, case):
    extra = {"num_im": ["dataset.num_im=5"], "iou_threshold": ["eval.iou_threshold=0.7"],
             "zeroshot_list": [f"dataset.zeroshot_list={_zeroshot_file(tmp_path, synth_root)}"]}[case]
    outputs = tmp_path / "outputs"
    assert main(["train", "--model", "frequency", "--dataset", "synth", "--mode", "sgcls", "--output-root",
                 str(outputs), f"dataset.root={synth_root}", f"detector.weights={synth_detector}", *FAST,
                 "dataset.num_val_im=null", *extra]) == 0
    run_dir = outputs / "synth" / "frequency-sgcls"
    trained = json.loads((run_dir / "result.json").read_text())
    assert evaluate_all(outputs, tmp_path / "results", force=True, progress=False, stream=io.StringIO()) == 0
    recomputed = json.loads((tmp_path / "results" / "synth-frequency-sgcls.json").read_text())
    assert set(trained) == set(recomputed)
    assert set(trained["provenance"]) == set(recomputed["provenance"])
    for key in trained:
        if key == "info":
            assert _without(trained[key], {"eval_seconds"}) == _without(recomputed[key], {"eval_seconds"})
        elif key != "provenance":
            assert trained[key] == recomputed[key], key
    for key, value in trained["provenance"].items():
        if key not in VOLATILE:
            assert value == recomputed["provenance"][key], key
    assert recomputed["provenance"]["config"]["dataset"]["num_im"] == (5 if case == "num_im" else -1)
    if case == "zeroshot_list":
        assert "zR@50" in trained["metrics"]


def _without(mapping, keys):
    return {k: v for k, v in mapping.items() if k not in keys}
