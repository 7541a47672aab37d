"""A new head is one file, one YAML and one docs row: a head registered from this test module
with its own YAML trains, predicts and is scored through the same entry point as the CLI."""
import json

import pytest
import torch
from torch import nn

from run_helpers import FAST
from sgg_bench.cli import main
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.registry import RELATION_HEADS


class UnionMLPHead(nn.Module):
    """Predicate logits from the union feature alone; object logits passed through."""

    needs = HeadNeeds(object_context=False, union_features=True)
    refines_objects = False
    requires_training = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, hidden_dim: int = 16):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(union_feature_dim, hidden_dim), nn.ReLU(),
                                 nn.Linear(hidden_dim, num_rel_classes))

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        return RelationHeadOutputs(rel_logits=[self.mlp(u) for u in inputs.union_features],
                                   obj_logits=list(inputs.obj_logits))


@pytest.fixture
def registered_head(tmp_path):
    config = tmp_path / "union_mlp.yaml"
    config.write_text("model:\n  head_args:\n    hidden_dim: 12\n")
    RELATION_HEADS.register("union_mlp", paper="(test) a union-feature MLP", reference="tests/runs",
                            modes=("predcls", "sgcls"), config=str(config))(UnionMLPHead)
    yield "union_mlp"
    RELATION_HEADS.unregister("union_mlp")


def test_a_head_from_outside_the_package_trains_through_the_cli(tmp_path, vg_root, detector_weights,
                                                                registered_head, capsys):
    outputs = tmp_path / "outputs"
    args = ["train", "--model", registered_head, "--dataset", "vg", "--mode", "sgcls", "--output-root",
            str(outputs), f"dataset.root={vg_root}", f"detector.weights={detector_weights}", *FAST]
    assert main(args) == 0
    run_dir = outputs / "vg" / "union_mlp-sgcls"
    record = json.loads((run_dir / "result.json").read_text())
    assert record["model"] == "union_mlp" and record["metrics"]["R@50"] is not None
    assert record["provenance"]["config"]["model"]["head_args"] == {"hidden_dim": 12}
    weights = torch.load(run_dir / "checkpoints" / "model_final.pth", weights_only=True)["model"]
    assert "head.mlp.0.weight" in weights and weights["head.mlp.0.weight"].shape[0] == 12
    assert "result record:" in capsys.readouterr().out  # the same table as eval, then the path

    # Declared modes are enforced; an unknown argument of this head is named.
    assert main(args[:6] + ["sgdet"] + args[7:]) == 2
    assert "supports predcls, sgcls" in capsys.readouterr().err
    assert main(args + ["--force", "model.head_args.width=3"]) == 2
    assert "model.head_args.width: not an argument of the union_mlp head" in capsys.readouterr().err

    # ...and it is listed by `sgg-bench models` with its counts.
    assert main(["models", "--dataset", "synth", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["union_mlp"]["modes"] == ["predcls", "sgcls"]
    assert rows["union_mlp"]["params_head"] == sum(p.numel() for p in UnionMLPHead(
        num_obj_classes=4, num_rel_classes=rows["union_mlp"]["num_rel_classes"], obj_feature_dim=8,
        union_feature_dim=rows["union_mlp"]["feature_dim"], hidden_dim=12).parameters())
