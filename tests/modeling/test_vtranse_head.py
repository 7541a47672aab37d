"""The VTransE head: KT's parameter count (VTransEFeature + the causal predictor's classification
path) from its layer shapes, the 32-d pair code by hand, the translation (subject - object) that
makes subject and object contributions add, the three logit terms and KT's branch losses."""
import json

import pytest
import torch
import torch.nn.functional as F

from modeling_fakes import random_log_prior
from sgg_bench.cli import main
from sgg_bench.modeling.blocks.pair_spatial import pair_box_code
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.heads.vtranse import VTransEHead


def kt_causal_vtranse_count(objects=151, predicates=51, embed=200, hidden=512, feature=4096, pooling=4096,
                            position=128):
    """KT's CausalAnalysisPredictor with CONTEXT_LAYER vtranse, FUSION_TYPE sum, SPATIAL_FOR_VISION
    (VG150, X-101-FPN): every trainable part is on the classification path."""
    fc = lambda i, o: i * o + o  # noqa: E731
    vtranse_feature = (2 * objects * embed                              # obj_embed1, obj_embed2
                       + fc(9, 32) + 2 * 32 + fc(32, position)          # pos_embed with its BatchNorm
                       + fc(feature + embed + position, objects)        # pred_layer (object logits)
                       + fc(feature + position + embed, hidden))        # fc_layer (edge vector)
    predictor = (fc(hidden, 2 * pooling)                                # post_emb: subject and object halves
                 + pooling * predicates                                 # ctx_compress, no bias
                 + fc(feature, predicates)                              # vis_compress on the union feature
                 + objects * objects * predicates                       # freq_bias
                 + fc(32, hidden) + fc(hidden, pooling))                # spt_emb
    return vtranse_feature + predictor


def test_vtranse_has_the_reference_parameter_count(capsys):
    assert kt_causal_vtranse_count() == 10_900_117
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["vtranse"]["params_head"] == kt_causal_vtranse_count()


def test_pair_box_code_by_hand():
    # Image 100 high, 200 wide: everything is divided by max(100, 200, 100) = 200. Widths follow
    # the reference's +1 pixel rule; union and intersection are coded from the normalised corners
    # with the same +1 (as the reference does), so their widths exceed 1.
    boxes = torch.tensor([[20.0, 10, 60, 50], [40, 30, 120, 90], [150, 0, 180, 20]])
    code = pair_box_code(boxes, torch.tensor([[0, 1], [0, 2]]), (100, 200))
    a = [0.1, 0.05, 0.3, 0.25, 40.5 / 200, 30.5 / 200, 41 / 200, 41 / 200]
    b = [0.2, 0.15, 0.6, 0.45, 80.5 / 200, 60.5 / 200, 81 / 200, 61 / 200]
    c = [0.75, 0.0, 0.9, 0.1, 165.5 / 200, 10.5 / 200, 31 / 200, 21 / 200]
    union_ab = [0.1, 0.05, 0.6, 0.45, 0.1 + 0.75, 0.05 + 0.7, 1.5, 1.4]
    overlap_ab = [0.2, 0.15, 0.3, 0.25, 0.2 + 0.55, 0.15 + 0.55, 1.1, 1.1]
    union_ac = [0.1, 0.0, 0.9, 0.25, 0.1 + 0.9, 0.625, 1.8, 1.25]
    expected = torch.tensor([a + b + union_ab + overlap_ab, a + c + union_ac + [0.0] * 8])  # a, c do not overlap
    torch.testing.assert_close(code, expected)
    # Small images are divided by at least 100.
    torch.testing.assert_close(pair_box_code(boxes[:2] / 10, torch.tensor([[1, 0]]), (20, 30))[0, :4],
                               torch.tensor([0.04, 0.03, 0.12, 0.09]))


def _small_head(**kwargs):
    torch.manual_seed(0)
    return VTransEHead(num_obj_classes=5, num_rel_classes=4, obj_feature_dim=6, union_feature_dim=7,
                       freq_log_prior=random_log_prior(5, 4), embed_dim=4, hidden_dim=8, pooling_dim=9,
                       position_dim=4, **kwargs)


def _inputs(mode, pairs, rel_labels=None):
    torch.manual_seed(1)
    return RelationHeadInputs(
        mode=mode, obj_features=[torch.randn(4, 6)], image_sizes=[(10, 12)], obj_logits=[torch.randn(4, 5)],
        boxes=[torch.tensor([[0.0, 0, 4, 4], [2, 1, 9, 7], [5, 5, 8, 9], [1, 3, 11, 6]])], pairs=[pairs],
        obj_labels=[torch.tensor([1, 4, 2, 2])] if mode == "predcls" else None,
        union_features=[torch.randn(pairs.shape[0], 7)], rel_labels=None if rel_labels is None else [rel_labels])


def test_translation_subject_and_object_contributions_add():
    """Without the spatial and visual terms, logit(s, o) = f(s) - g(o): swapping the object changes
    every pair of a subject by the same amount."""
    head = _small_head(use_spatial=False, use_frequency_bias=False).eval()
    with torch.no_grad():
        head.vis_classifier.weight.zero_(), head.vis_classifier.bias.zero_()
    pairs = torch.tensor([[0, 1], [0, 2], [3, 1], [3, 2]])
    logits = head(_inputs("predcls", pairs)).rel_logits[0]
    torch.testing.assert_close(logits[0] - logits[1], logits[2] - logits[3])
    assert not torch.allclose(logits[0], logits[1])


@pytest.mark.parametrize("mode", ("predcls", "sgcls"))
def test_logits_are_context_plus_visual_plus_frequency(mode):
    head = _small_head().eval()
    pairs = torch.tensor([[0, 1], [2, 3], [3, 0]])
    inputs = _inputs(mode, pairs)
    full = head(inputs)
    labels = inputs.obj_labels[0] if mode == "predcls" else full.obj_logits[0][:, 1:].argmax(1) + 1
    frequency = random_log_prior(5, 4)[labels[pairs[:, 0]], labels[pairs[:, 1]]]
    visual = inputs.union_features[0] @ head.vis_classifier.weight.T + head.vis_classifier.bias
    with torch.no_grad():
        head.ctx_classifier.weight.zero_()
    torch.testing.assert_close(head(inputs).rel_logits[0], visual + frequency)
    assert not torch.allclose(full.rel_logits[0], visual + frequency)   # the context term was there


def test_branch_losses_while_training_only():
    head = _small_head().train()
    pairs, targets = torch.tensor([[0, 1], [2, 3], [3, 0]]), torch.tensor([2, 0, 3])
    outputs = head(_inputs("sgcls", pairs, rel_labels=targets))
    assert set(outputs.losses) == {"loss_aux_ctx", "loss_aux_vis", "loss_aux_freq"}
    labels = outputs.obj_logits[0][:, 1:].argmax(1) + 1
    frequency = head.freq_bias(labels[pairs[:, 0]], labels[pairs[:, 1]])
    torch.testing.assert_close(outputs.losses["loss_aux_freq"], F.cross_entropy(frequency, targets))
    union = _inputs("sgcls", pairs).union_features[0]
    torch.testing.assert_close(outputs.losses["loss_aux_vis"], F.cross_entropy(head.vis_classifier(union), targets))
    assert head.eval()(_inputs("sgcls", pairs)).losses == {}
    assert _small_head(auxiliary_losses=False).needs.training_targets is False
