"""Converter tests on state dicts synthesised from the maskrcnn-benchmark X-101-FPN key list."""
import os
from pathlib import Path

import pytest
import torch

from sgg_bench.cli import main
from sgg_bench.detector import build_detector, load_weights
from sgg_bench.detector.convert import cell_anchors_of, convert_key, convert_maskrcnn_benchmark

KEY_LIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mrcnnb_x101fpn_detector_keys.tsv"


def read_key_list() -> list[tuple[str, tuple[int, ...]]]:
    if not KEY_LIST.is_file():
        pytest.skip(f"{KEY_LIST} not present")
    rows = []
    for line in KEY_LIST.read_text().splitlines():
        key, shape = line.split("\t")
        rows.append((key, tuple(int(v) for v in shape.strip("()").split(",") if v.strip())))
    return rows


@pytest.fixture(scope="module")
def key_list():
    return read_key_list()


@pytest.fixture(scope="module")
def x101():
    # ~90 M parameters: built once for the whole module.
    return build_detector("x101_fpn", num_classes=151)


@pytest.fixture(scope="module")
def mrcnnb_state(key_list):
    """A DDP-style (``module.``-prefixed) state dict; each tensor filled with its row number so a
    wrong mapping cannot go unnoticed; cell anchors get distinctive values."""
    state = {}
    for row, (key, shape) in enumerate(key_list):
        state["module." + key] = torch.full(shape, float(row))
    for level in range(5):
        state[f"module.rpn.anchor_generator.cell_anchors.{level}"] = (
            torch.arange(16, dtype=torch.float32).reshape(4, 4) + 100 * level)
    return state


def test_key_list_has_555_entries(key_list):
    assert len(key_list) == 555


def test_every_key_mapped_with_equal_shape(key_list, mrcnnb_state, x101):
    converted = convert_maskrcnn_benchmark(mrcnnb_state)
    own = x101.state_dict()
    assert not any(key.startswith("module.") for key in converted)
    assert len(converted) == len(key_list) == len(own)
    assert set(converted) == set(own)
    for key, value in converted.items():
        assert value.shape == own[key].shape, key


def test_strict_load_puts_each_tensor_in_its_place(key_list, mrcnnb_state, x101):
    x101.load_state_dict(convert_maskrcnn_benchmark(mrcnnb_state), strict=True)
    own = x101.state_dict()
    row_of = {key: row for row, (key, _) in enumerate(key_list)}
    assert own["backbone.body.conv1.weight"].flatten()[0] == row_of["backbone.body.stem.conv1.weight"]
    assert own["backbone.fpn.inner_blocks.0.0.weight"].flatten()[0] == row_of["backbone.fpn.fpn_inner1.weight"]
    assert own["backbone.fpn.layer_blocks.3.0.bias"][0] == row_of["backbone.fpn.fpn_layer4.bias"]
    assert own["rpn.head.conv.0.0.weight"].flatten()[0] == row_of["rpn.head.conv.weight"]
    assert own["roi_heads.box_head.fc7.weight"].flatten()[0] == row_of["roi_heads.box.feature_extractor.fc7.weight"]
    assert own["roi_heads.box_predictor.bbox_pred.weight"].shape == (604, 4096)


def test_cell_anchors_reach_the_legacy_anchor_generator(mrcnnb_state, x101):
    x101.load_state_dict(convert_maskrcnn_benchmark(mrcnnb_state), strict=True)
    expected = cell_anchors_of(mrcnnb_state)
    assert len(expected) == 5
    generator = x101.rpn.anchor_generator
    for level in range(5):
        assert torch.equal(generator.cell_anchors[level], expected[level])
    assert generator.num_anchors_per_location() == [4] * 5


def test_x101_layout_matches_sgb(x101):
    frozen = [m for m in x101.backbone.body.modules() if type(m).__name__.endswith("FrozenBatchNormNoEps")]
    assert frozen and all(m.eps == 0.0 for m in frozen)
    assert not any(p.requires_grad for p in x101.backbone.body.parameters())
    assert x101.transform.min_size == (600,) and x101.transform.max_size == 1000
    assert x101.roi_heads.detections_per_img == 80
    assert x101.roi_heads.score_thresh == 0.01 and x101.roi_heads.nms_thresh == 0.3
    assert type(x101.rpn.box_coder).__name__ == "LegacyBoxCoder"
    assert type(x101.roi_heads.box_coder).__name__ == "LegacyBoxCoder"
    assert x101.roi_heads.box_coder.weights == (10.0, 10.0, 5.0, 5.0)


def test_convert_key_rules():
    assert convert_key("backbone.body.stem.bn1.running_var") == "backbone.body.bn1.running_var"
    assert convert_key("backbone.fpn.fpn_inner3.weight") == "backbone.fpn.inner_blocks.2.0.weight"
    assert convert_key("backbone.body.layer2.0.downsample.1.bias") == "backbone.body.layer2.0.downsample.1.bias"
    assert convert_key("rpn.anchor_generator.something_else") is None
    assert convert_maskrcnn_benchmark({}) == {}


def test_convert_rejects_non_tensor():
    with pytest.raises(TypeError, match="iteration"):
        convert_maskrcnn_benchmark({"iteration": 3})


def test_cli_converts_checkpoint_with_extra_entries(tmp_path):
    source = tmp_path / "model_final.pth"
    torch.save({"model": {"module.backbone.fpn.fpn_inner1.weight": torch.ones(2, 2),
                          "module.roi_heads.box.predictor.cls_score.bias": torch.zeros(3)},
                "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}, "iteration": 7}, source)
    out = tmp_path / "sub" / "converted.pth"
    assert main(["convert", "--from", "maskrcnn-benchmark", str(source), "--out", str(out)]) == 0
    model = torch.load(out, weights_only=True)["model"]
    assert sorted(model) == ["backbone.fpn.inner_blocks.0.0.weight", "roi_heads.box_predictor.cls_score.bias"]
    assert [p.name for p in out.parent.iterdir()] == ["converted.pth"]  # no temporary left


class _NotAllowed:
    pass


def test_cli_refuses_pickled_objects_with_clear_error(tmp_path, capsys):
    source = tmp_path / "pickled.pth"
    torch.save({"model": {"w": torch.ones(1)}, "extra": _NotAllowed()}, source)
    out = tmp_path / "out.pth"
    assert main(["convert", "--from", "maskrcnn-benchmark", str(source), "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert "pickled.pth" in message and "weights_only" in message
    assert not out.exists()


def test_cli_names_non_tensor_model_entry(tmp_path, capsys):
    source = tmp_path / "odd.pth"
    torch.save({"model": {"w": torch.ones(1), "note": "text"}}, source)
    assert main(["convert", "--from", "maskrcnn-benchmark", str(source), "--out", str(tmp_path / "o.pth")]) == 2
    assert "model['note']" in capsys.readouterr().err


@pytest.mark.skipif(not os.environ.get("SGG_BENCH_SGB_DETECTOR"),
                    reason="set SGG_BENCH_SGB_DETECTOR to SGB's pretrained_faster_rcnn/model_final.pth")
def test_real_sgb_checkpoint_loads_strictly(tmp_path, x101):
    out = tmp_path / "x101.pth"
    assert main(["convert", "--from", "maskrcnn-benchmark", os.environ["SGG_BENCH_SGB_DETECTOR"],
                 "--out", str(out)]) == 0
    load_weights(x101, out)


def test_cli_verify_loads_result_into_named_detector(tmp_path, capsys):
    # Keys without a rename rule pass through, so a tiny detector's own state dict converts to
    # itself: enough to exercise --verify without building the 90 M-parameter model again.
    state = build_detector("tiny", num_classes=6).state_dict()
    good, bad = tmp_path / "good.pth", tmp_path / "bad.pth"
    torch.save({"model": state}, good)
    torch.save({"model": {k: v for k, v in state.items() if "fc7" not in k}}, bad)
    out = tmp_path / "out.pth"
    assert main(["convert", "--from", "maskrcnn-benchmark", str(good), "--out", str(out), "--verify", "tiny"]) == 0
    assert main(["convert", "--from", "maskrcnn-benchmark", str(bad), "--out", str(tmp_path / "o2.pth"),
                 "--verify", "tiny"]) == 2
    assert "2 missing" in capsys.readouterr().err and not (tmp_path / "o2.pth").exists()


def test_conversion_is_idempotent(mrcnnb_state):
    once = convert_maskrcnn_benchmark(mrcnnb_state)
    assert list(convert_maskrcnn_benchmark(once)) == list(once)
