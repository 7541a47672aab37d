"""RelDN head: the reference count from Microsoft's layer shapes, the 28-d pair geometry and the
graphical contrastive losses computed by hand."""
import json
import math

import torch

from sgg_bench.cli import main
from sgg_bench.modeling.blocks.contrastive_losses import contrastive_losses
from sgg_bench.modeling.blocks.reldn_spatial import reldn_pair_geometry

fc = lambda i, o: i * o + o  # noqa: E731


def ms_reldn_count(dim=4096, predicates=51, objects=151):
    """Microsoft's RelDN (reldn.py, spatial.py) from its layer shapes: rel_embedding on
    [subject, union, object], the spatial MLP, three Linear(D, C_rel) and the spatial classifier,
    and its always-on frequency bias."""
    return (fc(3 * dim, 3 * dim // 2) + fc(3 * dim // 2, dim) + fc(28, 64) + fc(64, 64)
            + 3 * fc(dim, predicates) + fc(64, predicates) + objects * objects * predicates)


def test_reldn_has_the_reference_parameter_count(capsys):
    assert ms_reldn_count(dim=1024) == 7_623_023  # Microsoft's own R-50 1024-d config
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["reldn"]["params_head"] == ms_reldn_count() == 102_472_559


def test_pair_geometry_by_hand():
    subj, obj = torch.tensor([[0.0, 0.0, 9.0, 19.0]]), torch.tensor([[10.0, 0.0, 29.0, 9.0]])
    code = reldn_pair_geometry(subj, obj, (40, 50))[0]  # union (0, 0, 29, 19)
    # subject: centre (5, 10), size (10, 20); object: centre (20, 5), size (20, 10); union (15, 10), (30, 20)
    s_o = [(20 - 5) / 10, (5 - 10) / 20, math.log(20 / 10), math.log(10 / 20), (5 - 20) / 20, (10 - 5) / 10]
    s_u = [(15 - 5) / 10, 0.0, math.log(30 / 10), math.log(20 / 20), (5 - 15) / 30, 0.0]
    u_o = [(20 - 15) / 30, (5 - 10) / 20, math.log(20 / 30), math.log(10 / 20), (15 - 20) / 20, (10 - 5) / 10]
    box_s = [0.0, 0.0, 9 / 50, 19 / 40, 10 * 20 / 2000]
    box_o = [10 / 50, 0.0, 29 / 50, 9 / 40, 20 * 10 / 2000]
    torch.testing.assert_close(code, torch.tensor(s_o + s_u + u_o + box_s + box_o))


def test_contrastive_losses_by_hand():
    """Box 0 is the subject of three pairs: two related (labels 1 and 2) and one not. Their
    relatedness 1 - p_bg is set through the logits."""
    related = torch.tensor([0.7, 0.4, 0.6])  # pairs (0,1) label 1, (0,2) label 2, (0,3) no relation
    # logits: background log(1 - r), predicate 1 or 2 log(r); the negative predicts predicate 2
    logits = torch.full((3, 3), -1e4)
    logits[:, 0] = torch.log(1 - related)
    logits[[0, 1, 2], [1, 2, 2]] = torch.log(related)
    pairs = torch.tensor([[0, 1], [0, 2], [0, 3]])
    rel_labels = torch.tensor([1, 2, 0])
    obj_labels = torch.tensor([1, 2, 3, 3])  # boxes 2 and 3 share class 3
    losses = contrastive_losses(logits, pairs, rel_labels, obj_labels, num_boxes=4, margins=(0.2, 0.2, 0.2),
                                weights=(1.0, 1.0, 1.0))
    dummy = 0.0  # max(0, 0.2 - (1 - 0)) = 0, but it counts in the mean
    # agnostic, subject 0: min positive 0.4, max negative 0.6 -> 0.2 - (0.4 - 0.6) = 0.4, mean with the dummy
    torch.testing.assert_close(losses["loss_contrastive_sbj"], torch.tensor((dummy + 0.4) / 2))
    # so-aware: positives by object class {2: 0.7, 3: 0.4}; the negative's object class is 3 -> key 3 only
    torch.testing.assert_close(losses["loss_so_contrastive_sbj"], torch.tensor((dummy + 0.4) / 2))
    # p-aware: positives by predicate {1: 0.7, 2: 0.4}; the negative predicts 2 -> key 2 only
    torch.testing.assert_close(losses["loss_p_contrastive_sbj"], torch.tensor((dummy + 0.4) / 2))
    # object roles 1, 2, 3 each hold one kind only: just the dummy
    for name in ("loss_contrastive_obj", "loss_so_contrastive_obj", "loss_p_contrastive_obj"):
        assert float(losses[name]) == 0.0


def test_contrastive_losses_are_weighted_and_reach_the_logits():
    logits = torch.randn(3, 4, requires_grad=True)
    pairs = torch.tensor([[0, 1], [0, 2], [0, 1]])
    losses = contrastive_losses(logits, pairs, torch.tensor([1, 0, 0]), torch.tensor([1, 1, 1]), num_boxes=3,
                                margins=(5.0, 5.0, 5.0), weights=(1.0, 0.5, 0.1))
    ratio = losses["loss_so_contrastive_sbj"].item() / losses["loss_contrastive_sbj"].item()
    assert abs(ratio - 0.5) < 1e-6  # same groups here (one object class), weight 0.5
    losses["loss_contrastive_sbj"].backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
