"""MSDN head: the reference count from Microsoft's layer shapes, and one message passing step
computed by hand."""
import json

import torch

from sgg_bench.cli import main
from sgg_bench.modeling.blocks.node_messages import mean_by_target
from sgg_bench.modeling.heads.msdn import MSDNHead, ScalarGate

fc = lambda i, o: i * o + o  # noqa: E731


def ms_msdn_count(feature=4096, dim=1024, gate_width=128, objects=151, predicates=51, bias=True):
    """Microsoft's MSDN (msdn.py, msdn_base.py) from its layer shapes: obj/rel embeddings,
    four gates, two update units (wih, whh), two classifiers, the frequency bias when USE_BIAS."""
    return (2 * (fc(feature, dim) + fc(dim, dim)) + 4 * fc(2 * dim, gate_width) + 2 * 2 * fc(dim, dim)
            + fc(dim, objects) + fc(dim, predicates) + (objects * objects * predicates if bias else 0))


def test_msdn_has_the_reference_parameter_count(capsys):
    assert ms_msdn_count(feature=1024, bias=False) == 9_652_938  # Microsoft's own R-50 1024-d config
    assert ms_msdn_count(feature=1024) == 10_815_789
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["msdn"]["params_head"] == ms_msdn_count() == 17_107_245


def test_scalar_gate_by_hand():
    gate = ScalarGate(2, 3)
    with torch.no_grad():
        gate.w.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, -1.0]]))
        gate.w.bias.zero_()
    target, source = torch.tensor([[2.0, -1.0]]), torch.tensor([[3.0, 1.0]])
    # ReLU([2, -1, 3, 1]) = [2, 0, 3, 1]; W· = [2, 0, 2]; mean of sigmoids
    g = (2 * torch.sigmoid(torch.tensor(2.0)) + torch.sigmoid(torch.tensor(0.0))) / 3
    torch.testing.assert_close(gate(target, source), source * g)


def test_an_object_averages_all_its_phrases():
    messages = torch.tensor([[1.0, 2.0], [3.0, 4.0], [10.0, 0.0]])
    out = mean_by_target(messages, torch.tensor([0, 0, 2]), 3)
    torch.testing.assert_close(out, torch.tensor([[2.0, 3.0], [0.0, 0.0], [10.0, 0.0]]))


def test_one_step_by_hand():
    torch.manual_seed(0)
    head = MSDNHead(num_obj_classes=4, num_rel_classes=3, obj_feature_dim=5, union_feature_dim=5, dim=3,
                    gate_width=2, update_steps=1, use_frequency_bias=False)
    objects, phrases = torch.randn(3, 3), torch.randn(2, 3)
    pairs = torch.tensor([[0, 1], [0, 2]])  # box 0 is the subject of both phrases
    new_objects, new_phrases = head.step(objects, phrases, pairs)
    relu = torch.relu
    upd_o, upd_p = head.update_object, head.update_phrase
    to_box0 = (head.gate_pred2sub(objects[[0]], phrases[[0]]) + head.gate_pred2sub(objects[[0]], phrases[[1]])) / 2
    expected0 = objects[0] + upd_o.wih(relu(to_box0[0] / 2)) + upd_o.whh(relu(objects[0]))  # no "as object" message
    torch.testing.assert_close(new_objects[0], expected0)
    to_box2 = head.gate_pred2obj(objects[[2]], phrases[[1]])[0]
    torch.testing.assert_close(new_objects[2], objects[2] + upd_o.wih(relu(to_box2 / 2)) + upd_o.whh(relu(objects[2])))
    to_phrase1 = (head.gate_sub2pred(phrases[[1]], objects[[0]]) + head.gate_obj2pred(phrases[[1]], objects[[2]]))[0] / 2
    torch.testing.assert_close(new_phrases[1], phrases[1] + upd_p.wih(relu(to_phrase1)) + upd_p.whh(relu(phrases[1])))
