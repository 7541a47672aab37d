"""``train_detector`` end to end on the smallest synthetic dataset (two steps, then test mAP)."""
import pytest
import torch

from sgg_bench.config import load_config
from sgg_bench.detector import build_detector
from sgg_bench.runs.detector import train_detector

synthetic = pytest.importorskip("sgg_bench.data.synthetic")


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "synth"
    synthetic.generate_synthetic(out, size="tiny", progress=False)
    return out / "vg"


def test_train_detector_writes_checkpoint_and_reports_map(synth_root, tmp_path):
    cfg = load_config(None, [f"dataset.root={synth_root}", "dataset.num_val_im=null", "solver.max_iter=2",
                             "solver.ims_per_batch=2", "solver.checkpoint_period=0", "solver.val_period=0",
                             "detector.name=tiny", "detector.args={min_size: 96, max_size: 128}",
                             "test.ims_per_batch=4"])
    result = train_detector(cfg, tmp_path / "run", resume=False)
    assert set(result["metrics"]) == {"mAP", "AP50"}
    assert 0.0 <= result["metrics"]["mAP"] <= result["metrics"]["AP50"] <= 1.0
    checkpoint = tmp_path / "run" / "checkpoints" / "model_final.pth"
    assert checkpoint.is_file() and result["checkpoint"] == str(checkpoint)
    # The Trainer's checkpoint loads straight back into a detector of the same configuration.
    detector = build_detector("tiny", num_classes=result["num_classes"], min_size=96, max_size=128,
                              weights=checkpoint)
    saved = torch.load(checkpoint, weights_only=True)["model"]
    assert torch.equal(detector.state_dict()["roi_heads.box_predictor.cls_score.weight"],
                       saved["detector.roi_heads.box_predictor.cls_score.weight"])
