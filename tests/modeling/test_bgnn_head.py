"""BGNN head: the reference count from PySGG's layer shapes; the confidence estimation, its
focal loss, the recalibration, the adaptive gates and one graph step computed by hand; the RCE
pre-training stage."""
import json

import pytest
import torch

from modeling_fakes import random_log_prior
from sgg_bench.cli import main
from sgg_bench.modeling.blocks.bgnn_confidence import RelationConfidence, confidence_loss, focal_loss_fgbg
from sgg_bench.modeling.blocks.bgnn_message_passing import (BipartiteMessagePassing, ConfidenceGate,
                                                            LearnableConfidenceScaling)
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.heads.bgnn import BGNNHead

fc = lambda i, o: i * o + o  # noqa: E731


def pysgg_bgnn_count(objects=151, predicates=51, feature=4096, pooling=2048, hidden=512, embed=200, position=128,
                     graph=512, steps=3, rounds=3, gate=128):
    """PySGG BGNNPredictor under e2e_relBGNN_vg.yaml from its layer shapes, split into the
    parameters its forward pass uses and those it builds but never uses."""
    augmented = embed + feature + hidden
    pairwise = (2 * objects * embed + fc(9, 32) + 2 * 32 + fc(32, position)  # embeddings, pos_embed (+ BN)
                + fc(feature + embed + position, hidden) + fc(augmented, 2 * hidden)
                + fc(32, hidden) + fc(hidden, 2 * hidden) + fc(2 * hidden, pooling)  # spt_emb, finalize
                + fc(augmented, pooling) + fc(feature, pooling))                   # obj finalize, rel up-dim

    def rel_aware(input_dim):  # RelAwareRelFeature, "hybrid", VISUAL_FEATURES_ON
        return (objects * embed + fc(9, 128) + fc(128, 128) + fc(2 * embed + 2 * 128, 512)
                + fc(input_dim, 512) + 2 * 1024 + fc(1024, 512)     # vis_embed, proposal_feat_fusion (LN)
                + 2 * 512 + fc(512, predicates - 1) + fc(predicates - 1, 1))

    used = (pairwise + rel_aware(pooling) + (rounds - 1) * rel_aware(graph)
            + 1                                                        # learnable scaling alpha
            + 2 * fc(pooling, graph)                                   # obj / rel_downdim_fc
            + 4 * steps * (2 * 2 * graph + fc(2 * graph, gate))        # MessagePassingUnit_v1 (LN + Linear)
            + 2 * steps * 2 * fc(graph, graph)                         # object / pred MessageFusion
            + fc(graph, predicates) + objects * objects * predicates)  # rel_classifier, freq_bias
    unused = {"obj_pair2rel_fuse": 2 * 2 * graph + fc(2 * graph, graph),
              "gate_weight + aux_gate_weight": 4 * steps * 2,
              "obj_classifier": fc(graph, objects)}
    return used, unused


def test_bgnn_has_the_reference_parameter_count(capsys):
    used, unused = pysgg_bgnn_count()
    assert used == 40_562_206
    assert used + sum(unused.values()) == 41_166_541
    assert unused == {"obj_pair2rel_fuse": 526_848, "gate_weight + aux_gate_weight": 24, "obj_classifier": 77_463}
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["bgnn"]["params_head"] == used


def _set(module, seed=0):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
    return module


def test_confidence_gate_by_hand():
    gate = _set(ConfidenceGate(3, 4))
    target = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    source = torch.tensor([[2.0, 0.0, -1.0], [1.0, 1.0, 1.0]])
    norm, linear = gate.w[0], gate.w[2]
    joint = torch.cat([target, source], dim=1)
    mean, var = joint.mean(1, keepdim=True), joint.var(1, unbiased=False, keepdim=True)
    normed = (joint - mean) / torch.sqrt(var + 1e-5) * norm.weight + norm.bias
    g = torch.sigmoid(torch.relu(normed) @ linear.weight.T + linear.bias).mean(1)
    torch.testing.assert_close(gate(target, source), source * g[:, None])
    confidence = torch.tensor([0.25, 0.0])
    out = gate(target, source, confidence)
    torch.testing.assert_close(out, source * (g * confidence)[:, None])
    assert torch.equal(out[1], torch.zeros(3))  # zero confidence: no message


def test_learnable_scaling_by_hand():
    scaling = LearnableConfidenceScaling(3.12, 0.06)
    scores = torch.tensor([0.0, 0.06, 0.1, 0.3, 0.9])
    expected = torch.tensor([0.0, 0.0, 3.12 * 0.04, 3.12 * 0.24, 1.0])
    torch.testing.assert_close(scaling(scores), expected)
    assert scaling.alpha.requires_grad and not any(p is scaling.beta for p in scaling.parameters())


def test_one_graph_step_by_hand():
    """Pairs (0->1) selected, (1->0) not selected (zero confidence), (2->0) selected but with an
    invalid box 2: an unselected pair sends nothing to its boxes, a pair with an invalid box
    keeps its state, the rest follow the gates and residual updates."""
    graph = _set(BipartiteMessagePassing(3, num_steps=1, gate_width=2), seed=1)
    entities = torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0], [-1.0, 1.0, 1.0]])
    predicates = torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, -2.0], [2.0, 0.0, 1.0]])
    pairs = torch.tensor([[0, 1], [1, 0], [2, 0]])
    confidence = torch.tensor([0.5, 0.0, 0.8])
    valid = torch.tensor([True, True, False])
    new_entities, new_predicates = graph(entities, predicates, pairs, confidence, valid)

    def update(unit, message, state):
        return state + unit.wih(torch.relu(message)) + unit.whh(torch.relu(state))

    def gated(unit, target, source, conf=None):
        return unit(target[None], source[None], None if conf is None else conf.reshape(1))[0]

    zero = torch.zeros(3)
    # entity 0: subject of pair 0 (confidence 0.5), object of pair 2 (0.8)
    to_0 = (gated(graph.gate_pred2sub[0], entities[0], predicates[0], confidence[0])
            + gated(graph.gate_pred2obj[0], entities[0], predicates[2], confidence[2])) / 2
    # entity 1: object of pair 0; pair 1 (it is the subject of) is not selected
    to_1 = (zero + gated(graph.gate_pred2obj[0], entities[1], predicates[0], confidence[0])) / 2
    to_2 = (gated(graph.gate_pred2sub[0], entities[2], predicates[2], confidence[2]) + zero) / 2
    expected_entities = torch.stack([update(graph.update_entity[0], m, e)
                                     for m, e in zip([to_0, to_1, to_2], entities)])
    torch.testing.assert_close(new_entities, expected_entities)
    # predicates 0 and 1 join valid boxes (pair 1 too: the selection only gates the entity updates)
    for m in (0, 1):
        s, o = pairs[m]
        message = (gated(graph.gate_sub2pred[0], predicates[m], entities[s])
                   + gated(graph.gate_obj2pred[0], predicates[m], entities[o])) / 2
        torch.testing.assert_close(new_predicates[m], update(graph.update_predicate[0], message, predicates[m]))
    assert torch.equal(new_predicates[2], predicates[2])


def test_graph_is_skipped_without_selected_pairs():
    graph = BipartiteMessagePassing(3, num_steps=2, gate_width=2)
    entities, predicates = torch.randn(2, 3), torch.randn(1, 3)
    out = graph(entities, predicates, torch.tensor([[0, 1]]), torch.zeros(1), torch.ones(2, dtype=torch.bool))
    assert out[0] is entities and out[1] is predicates


def test_relation_confidence_detaches_its_inputs_and_scores_the_binary_logit():
    torch.manual_seed(0)
    rce = RelationConfidence(input_dim=5, word_vectors=torch.randn(4, 3), num_rel_classes=6, hidden_dim=8,
                             geometry_dim=4)
    features = torch.randn(2, 5, requires_grad=True)
    probs = torch.softmax(torch.randn(3, 4, requires_grad=True), dim=1)
    logits, confidence = rce(features, probs, torch.rand(3, 9), torch.tensor([[0, 1], [2, 0]]))
    assert logits.shape == (2, 6) and confidence.shape == (2,)
    torch.testing.assert_close(confidence, torch.sigmoid(logits[:, -1]))
    (logits.sum() + confidence.sum()).backward()
    assert features.grad is None
    assert rce.binary_logit.weight.grad is not None and rce.class_embed.weight.grad is not None


def test_focal_loss_and_hybrid_confidence_loss_by_hand():
    logits = torch.tensor([[2.0, -1.0, 0.5, 1.5], [-0.5, 0.0, 1.0, -2.0], [0.3, 0.2, -1.0, 0.7]])
    labels = torch.tensor([2, 0, 3])  # predicates 2, background, 3 -> multi-label columns 1 and 2

    def focal(x, y, alpha=0.2, gamma=2.0):
        p = torch.sigmoid(x)
        bce = -(y * torch.log(p) + (1 - y) * torch.log(1 - p))
        return alpha * (1 - torch.exp(-bce)) ** gamma * bce

    targets = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    multi = (focal(logits[:, :3], targets).sum(1) / 3).mean()      # 2 foreground targets + 1
    binary = focal(logits[:, 3], torch.tensor([1.0, 0.0, 1.0])).sum() / 3
    torch.testing.assert_close(focal_loss_fgbg(logits[:, :3], targets, alpha=0.2, gamma=2.0), multi)
    torch.testing.assert_close(confidence_loss(logits, labels), 0.8 * binary + 0.2 * multi)
    empty = confidence_loss(torch.zeros(0, 4, requires_grad=True), torch.zeros(0, dtype=torch.long))
    assert float(empty.detach()) == 0.0 and empty.requires_grad


def _inputs(num_classes=5, feature=6):
    generator = torch.Generator().manual_seed(4)
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 20.0, 15.0], [2.0, 8.0, 9.0, 19.0]])
    pairs = torch.tensor([[0, 1], [1, 2], [2, 0], [1, 0]])
    return RelationHeadInputs(mode="predcls", obj_features=[torch.randn(3, feature, generator=generator)],
                              boxes=[boxes], image_sizes=[(20, 24)],
                              obj_logits=[torch.randn(3, num_classes, generator=generator)], pairs=[pairs],
                              obj_labels=[torch.tensor([1, 2, 4])],
                              union_features=[torch.randn(4, feature, generator=generator)],
                              rel_labels=[torch.tensor([3, 0, 1, 0])])


def _head(pretrain):
    torch.manual_seed(0)
    return BGNNHead(num_obj_classes=5, num_rel_classes=4, obj_feature_dim=6, union_feature_dim=6,
                    freq_log_prior=random_log_prior(5, 4), word_vectors=torch.randn(5, 3), embed_dim=3,
                    hidden_dim=4, pooling_dim=6, position_dim=3, graph_dim=5, graph_steps=2, refine_iters=2,
                    gate_width=2, confidence_dim=4, confidence_geometry_dim=3, rce_pretrain_steps=pretrain)


def test_rce_pretraining_skips_the_graph_then_uses_it(monkeypatch):
    head = _head(pretrain=2).train()
    calls = []
    original = head.graph.forward
    monkeypatch.setattr(head.graph, "forward", lambda *a, **k: calls.append(1) or original(*a, **k))
    for _ in range(2):
        assert head.pretraining_confidence
        outputs = head(_inputs())
        assert set(outputs.losses) == {"loss_confidence_0", "loss_confidence_1"}
    assert calls == [] and not head.pretraining_confidence  # the stage lasted 2 passes (PySGG: 2,000 steps)
    head(_inputs())
    assert len(calls) == 2  # one graph per round
    assert int(head.state_dict()["training_steps"]) == 3       # travels in the checkpoint
    head.eval()
    head(_inputs())
    assert int(head.training_steps) == 3                        # inference is not a training step


def test_pretraining_predicates_come_from_the_initial_states():
    head = _head(pretrain=5).train()
    inputs = _inputs()
    outputs = head(inputs)
    entities, predicates = head.pairwise(mode="predcls", obj_features=inputs.obj_features,
                                         union_features=inputs.union_features, boxes=inputs.boxes,
                                         image_sizes=inputs.image_sizes, detector_logits=inputs.obj_logits,
                                         labels=inputs.obj_labels, pairs=inputs.pairs)
    labels = inputs.obj_labels[0]
    expected = (head.rel_classifier(head.predicate_down(predicates))
                + head.freq_bias(labels[inputs.pairs[0][:, 0]], labels[inputs.pairs[0][:, 1]]))
    torch.testing.assert_close(outputs.rel_logits[0], expected)


@pytest.mark.parametrize("refine", [False, True])
def test_object_logits_are_the_detectors_unless_refined(refine):
    head = BGNNHead(num_obj_classes=5, num_rel_classes=4, obj_feature_dim=6, union_feature_dim=6,
                    freq_log_prior=random_log_prior(5, 4), word_vectors=torch.randn(5, 3), embed_dim=3,
                    hidden_dim=4, pooling_dim=6, position_dim=3, graph_dim=5, confidence_dim=4,
                    confidence_geometry_dim=3, rce_pretrain_steps=0, refine_objects=refine).eval()
    inputs = _inputs()
    inputs.mode, inputs.obj_labels = "sgcls", None
    outputs = head(inputs)
    assert head.refines_objects is refine
    assert torch.equal(outputs.obj_logits[0], inputs.obj_logits[0]) is not refine
