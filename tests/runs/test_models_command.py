"""`sgg-bench models`: every head with its counts; the X-101-FPN relation-stage extractors have
exactly the trainable parameters of the reference layout (KT's ``ROIRelationHead``)."""
import json

from sgg_bench.cli import main
from sgg_bench.registry import RELATION_HEADS


def kt_reference_counts(channels=256, resolution=7, mlp_dim=4096, levels=4):
    """KT's relation-stage extractors from their layer shapes (VG150 X-101-FPN config)."""
    fc = lambda i, o: i * o + o  # noqa: E731
    conv = lambda i, o, k: i * o * k * k + o  # noqa: E731
    flat = channels * resolution * resolution
    box = fc(flat, mlp_dim) + fc(mlp_dim, mlp_dim)
    rect = conv(2, channels // 2, 7) + 2 * (channels // 2) + conv(channels // 2, channels, 3) + 2 * channels
    return {"box": box, "union": box, "union_reduce": conv(channels * levels, channels, 3), "rect_masks": rect}


def test_json_rows_and_reference_feature_counts(capsys):
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == RELATION_HEADS.names()
    for row in rows:
        assert {"name", "params_head", "params_features", "modes", "paper", "reference"} <= set(row)
        assert row["num_obj_classes"] == 151 and row["num_rel_classes"] == 51 and row["feature_dim"] == 4096
    reference = kt_reference_counts()
    assert sum(reference.values()) == 138_999_424
    by_name = {row["name"]: row for row in rows}
    for name in ("imp", "motifs"):  # heads that read box and union features train all four parts
        assert by_name[name]["params_features_detail"] == reference
        assert by_name[name]["params_features"] == 138_999_424
    assert by_name["frequency"]["params_head"] == 0 and by_name["frequency"]["params_features"] == 0


def test_synthetic_configs_freeze_the_extractors(capsys):
    assert main(["models", "--dataset", "synth"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "modes", "params_head", "params_features"]
    assert all(line.split()[3] == "0" for line in lines[1:])  # frozen on CPU: nothing before the head trains
