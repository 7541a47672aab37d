import pytest
import torch

from sgg_bench.detector import build_detector
from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.registry import DETECTORS


def test_all_variants_registered():
    assert {"tiny", "mobilenet_v3_fpn", "resnet50_fpn", "x101_fpn"} <= set(DETECTORS.names())


def test_unknown_detector_is_config_error():
    with pytest.raises(ConfigError, match="nope"):
        build_detector("nope", num_classes=3)


def test_tiny_detects_at_most_80_boxes_inside_image():
    torch.manual_seed(0)
    detector = build_detector("tiny", num_classes=4).eval()
    with torch.no_grad():
        (output,) = detector([torch.rand(3, 100, 130)])
    assert output["boxes"].shape[0] <= 80
    assert set(output) == {"boxes", "labels", "scores"}
    if len(output["boxes"]):
        assert output["boxes"][:, [0, 2]].min() >= 0 and output["boxes"][:, [0, 2]].max() <= 130
        assert output["boxes"][:, [1, 3]].max() <= 100
        assert output["labels"].min() >= 1 and output["labels"].max() <= 3


def test_tiny_predictor_matches_num_classes():
    detector = build_detector("tiny", num_classes=25, representation_size=128)
    assert detector.roi_heads.box_predictor.cls_score.out_features == 25
    assert detector.roi_heads.box_predictor.cls_score.in_features == 128


@pytest.mark.parametrize("name", ["mobilenet_v3_fpn", "resnet50_fpn"])
def test_torchvision_variants_build_offline_with_trainable_batchnorm(name):
    detector = build_detector(name, num_classes=5)
    assert detector.roi_heads.box_predictor.cls_score.out_features == 5
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in detector.backbone.modules())


def test_missing_weights_file_is_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        build_detector("tiny", num_classes=4, weights=tmp_path / "absent.pth")


def test_weights_round_trip_including_trainer_prefix(tmp_path):
    torch.manual_seed(1)
    source = build_detector("tiny", num_classes=4)
    bare, wrapped = tmp_path / "bare.pth", tmp_path / "wrapped.pth"
    torch.save(source.state_dict(), bare)
    torch.save({"model": {f"detector.{k}": v for k, v in source.state_dict().items()}, "iteration": 3}, wrapped)
    for path in (bare, wrapped):
        loaded = build_detector("tiny", num_classes=4, weights=path)
        for key, value in source.state_dict().items():
            assert torch.equal(loaded.state_dict()[key], value), key


def test_weights_for_other_layout_name_the_mismatch(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(build_detector("tiny", num_classes=4).state_dict(), path)
    with pytest.raises(DataFormatError, match="shape mismatches .*box_predictor"):
        build_detector("tiny", num_classes=7, weights=path)


def test_weights_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "garbage.pth"
    path.write_bytes(b"not a zip file")
    with pytest.raises(DataFormatError, match="garbage.pth"):
        build_detector("tiny", num_classes=4, weights=path)
