"""GPS-Net head: the reference count from PySGG's layer shapes, the direction-aware message
passing against a dense recomputation of the reference's matrices, and the triplet gate by hand."""
import json
import math

import pytest
import torch
from torch import nn

from sgg_bench.cli import main
from sgg_bench.modeling.blocks.direction_aware_messages import (ATTENTION_EPS, DirectionAwareMessages, TripletGate,
                                                                subject_softmax)
from sgg_bench.modeling.build import build_relation_head, trainable_parameters
from sgg_bench.modeling.heads.gpsnet import RelationUpdate
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.registry import RELATION_HEADS
from sgg_bench.structures import DatasetVocabulary

fc = lambda i, o: i * o + o  # noqa: E731
norm = lambda d: 2 * d  # noqa: E731  (BatchNorm / LayerNorm weight and bias)


def pysgg_gpsnet_count(objects=151, predicates=51, feature=4096, pooling=4096, hidden=512, graph=512, embed=200,
                       position=128, steps=2):
    """PySGG GPSNetPredictor (GPSNetContext + PairwiseFeatureExtractor, "fusion", spatial gating) from
    its layer shapes at the VG150 X-101-FPN config; returns (total, relation-update layers)."""
    augmented = embed + feature + hidden
    extractor = (2 * objects * embed + fc(9, 32) + norm(32) + fc(32, position)   # embeddings, pos_embed
                 + fc(feature + embed + position, hidden) + fc(augmented, 2 * hidden)  # obj_hidden, pair split
                 + fc(32, hidden) + fc(hidden, 2 * hidden) + fc(2 * hidden, pooling)  # spt_emb, rel finalize
                 + fc(augmented, pooling) + (fc(feature, pooling) if feature != pooling else 0))
    context = (extractor + fc(pooling, 2 * graph) + fc(2 * graph, pooling)     # pairwise_rel_features
               + 3 * fc(pooling, graph) + fc(graph, 32)                        # obj2obj_gating_model
               + fc(pooling, pooling // 4) + norm(pooling // 4) + fc(pooling // 4, graph)  # msg_gen.output_fc
               + fc(pooling, pooling // 2)                                     # msg_gen.message_fc
               + steps * fc(pooling, graph) + fc(graph, pooling))              # down-dim fcs, msg_fuse
    relation_update = (2 * (norm(2 * graph) + fc(2 * graph, 64))               # sub2pred_msp, obj2pred_msp
                       + norm(pooling) + fc(pooling, graph)                    # rel_feat_update_downdim_fc
                       + norm(pooling) + fc(pooling, 2 * graph)                # ..._inst_feat_downdim_fc
                       + fc(graph, pooling) + fc(pooling, pooling))            # rel_feat_update_unit
    predictor = fc(pooling, predicates) + fc(pooling, objects) + objects * objects * predicates
    return context + relation_update + predictor, relation_update


def test_gpsnet_count_against_the_reference(capsys):
    total, relation_update = pysgg_gpsnet_count()
    assert (total, relation_update) == (93_123_517, 25_327_232)   # also from the module built in a scratch folder
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    # PySGG builds the relation-update layers but its forward never calls them (docs/MODELS.md).
    assert rows["gpsnet"]["params_head"] == total - relation_update == 67_796_285
    vocab = DatasetVocabulary([f"object{i}" for i in range(151)], [f"predicate{i}" for i in range(51)])
    with torch.device("meta"):   # with those layers built and used, the count is PySGG's exactly
        head = build_relation_head("gpsnet", vocab=vocab, freq_log_prior=torch.zeros(151, 151, 51),
                                   obj_feature_dim=4096, union_feature_dim=4096, head_args={"update_relations": True})
    assert trainable_parameters(head) == total
    assert pysgg_gpsnet_count(pooling=2048)[0] == 52_171_197   # PySGG's VG yaml (CONTEXT_POOLING_DIM 2048)


def dense_reference_messages(layer: DirectionAwareMessages, nodes, gates, pairs):
    """The reference's computation: dense masked softmax, stack(A, A^T), per-channel matmul, output_fc
    on the rows whose attention sums to more than zero."""
    n = nodes.shape[0]
    scores, mask = torch.zeros(n, n), torch.zeros(n, n)
    scores[pairs[:, 0], pairs[:, 1]] = gates
    mask[pairs[:, 0], pairs[:, 1]] = 1.0
    attention = (scores - scores.max()).exp() * mask
    attention = attention / (attention.sum(1, keepdim=True) + ATTENTION_EPS)
    source = layer.message_fc(nodes)
    combined = torch.cat([attention @ source, attention.t() @ source], dim=1)
    out = torch.zeros(n, layer.hidden_dim)
    active = attention.sum(1).nonzero().squeeze(1)
    out[active] = layer.output_fc(combined[active])
    return out


def test_messages_equal_the_dense_reference():
    torch.manual_seed(0)
    layer = DirectionAwareMessages(8, 5)
    nodes = torch.randn(5, 8)
    pairs = torch.tensor([[0, 1], [0, 2], [1, 0], [3, 1], [2, 3], [0, 3]])   # node 4 takes no part
    gates = torch.rand(6) * 3
    ours = layer(nodes, gates, pairs)
    torch.testing.assert_close(ours, dense_reference_messages(layer, nodes, gates, pairs))
    assert (ours[4] == 0).all()


def test_direction_aware_halves_by_hand():
    """With identity message and output layers the two halves are visible: node 0 (subject of
    (0, 1) and (0, 2)) gets its objects' messages with its softmax weights, and node 1 (object of
    (0, 1), subject of (1, 0)) gets node 0's message as subject and node 0's, weighted by A[0, 1],
    as object; node 2 is no subject and gets nothing."""
    layer = DirectionAwareMessages(4, 4)
    with torch.no_grad():
        layer.message_fc.weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0]]))
        layer.message_fc.bias.zero_()
    layer.output_fc = nn.Identity()
    nodes = torch.tensor([[1.0, 2, 0, 0], [3, 4, 0, 0], [5, 6, 0, 0]])
    pairs = torch.tensor([[0, 1], [0, 2], [1, 0]])
    gates = torch.tensor([1.0, 0.0, 0.5])
    e01, e02, e10 = math.exp(1 - 1), math.exp(0 - 1), math.exp(0.5 - 1)
    a01, a02 = e01 / (e01 + e02 + ATTENTION_EPS), e02 / (e01 + e02 + ATTENTION_EPS)
    a10 = e10 / (e10 + ATTENTION_EPS)
    torch.testing.assert_close(subject_softmax(gates, pairs[:, 0], 3), torch.tensor([a01, a02, a10]))
    out = layer(nodes, gates, pairs)
    m0, m1, m2 = torch.tensor([1.0, 2]), torch.tensor([3.0, 4]), torch.tensor([5.0, 6])
    torch.testing.assert_close(out[0], torch.cat([a01 * m1 + a02 * m2, a10 * m1]))
    torch.testing.assert_close(out[1], torch.cat([a10 * m0, a01 * m0]))
    assert (out[2] == 0).all()
    reversed_out = layer(nodes, gates, pairs.flip(1))
    assert not torch.allclose(reversed_out, out)   # the direction of a pair matters


def test_no_pairs_gives_zero_messages():
    layer = DirectionAwareMessages(8, 3)
    out = layer(torch.randn(4, 8), torch.zeros(0), torch.zeros(0, 2, dtype=torch.long))
    assert out.shape == (4, 3) and (out == 0).all()


def test_triplet_gate_by_hand_and_its_asymmetry():
    torch.manual_seed(1)
    gate = TripletGate(3, 2, 4, filter_dim=5)
    subj, obj, union = torch.randn(2, 3), torch.randn(2, 3), torch.randn(2, 2)
    relu = torch.relu
    with torch.no_grad():
        product = (relu(subj @ gate.subject.weight.t() + gate.subject.bias)
                   * relu(obj @ gate.object.weight.t() + gate.object.bias)
                   * relu(union @ gate.union.weight.t() + gate.union.bias))
        expected = relu(product @ gate.filter.weight.t() + gate.filter.bias).mean(1)
    torch.testing.assert_close(gate(subj, obj, union), expected)
    for p in gate.parameters():   # make the ReLUs pass everything, so only the roles differ
        p.data.abs_()
    assert not torch.allclose(gate(subj.abs(), obj.abs(), union.abs()), gate(obj.abs(), subj.abs(), union.abs()))


def _inputs(mode):
    boxes = [torch.tensor([[0., 0, 5, 5], [2, 2, 9, 9], [1, 1, 3, 3]])]
    return RelationHeadInputs(mode=mode, obj_features=[torch.randn(3, 16)], boxes=boxes, image_sizes=[(20, 20)],
                              obj_logits=[torch.randn(3, 6)], pairs=[torch.tensor([[0, 1], [1, 2], [2, 0]])],
                              obj_labels=[torch.tensor([1, 2, 3])] if mode == "predcls" else None,
                              union_features=[torch.randn(3, 16)])


def _head(**args):
    vocab = DatasetVocabulary([f"object{i}" for i in range(6)], [f"predicate{i}" for i in range(5)])
    prior = torch.randn(6, 6, 5)
    base = {"hidden_dim": 6, "pooling_dim": 12, "position_dim": 5, "embed_dim": 7, "graph_dim": 8}
    return build_relation_head("gpsnet", vocab=vocab, freq_log_prior=prior, obj_feature_dim=16, union_feature_dim=16,
                               head_args={**base, **args})


@pytest.mark.parametrize("mode", ("sgcls", "sgdet"))
def test_detector_labels_setting_passes_the_detector_logits_through(mode):
    torch.manual_seed(2)
    head = _head(refine_objects=False).eval()
    inputs = _inputs(mode)
    outputs = head(inputs)
    assert head.refines_objects is False
    assert torch.equal(outputs.obj_logits[0], inputs.obj_logits[0])
    info = RELATION_HEADS.info("gpsnet")
    assert info["setting"]({"refine_objects": False}) == "detector_labels" and info["setting"]({}) == ""


def test_relation_update_by_hand():
    """relations + W_i·ReLU(m) + W_h·ReLU(relations), m the mean of the gated subject / object halves
    (eval mode, so BatchNorm uses its running statistics: the identity at initialisation)."""
    torch.manual_seed(4)
    update = RelationUpdate(6, 2).eval()
    objects, relations, pairs = torch.randn(3, 6), torch.randn(2, 6), torch.tensor([[0, 1], [2, 0]])
    bn = lambda x: x / math.sqrt(1 + 1e-5)  # noqa: E731  (running mean 0, variance 1)
    with torch.no_grad():
        halves = update.object_split(torch.relu(bn(objects)))
        down = update.relation_down(torch.relu(bn(relations)))

        def gated(gate, entities):
            return entities * torch.sigmoid(gate.w(bn(torch.cat([down, entities], 1)))).mean(1, keepdim=True)

        message = (gated(update.subject_gate, halves[pairs[:, 0], :2])
                   + gated(update.object_gate, halves[pairs[:, 1], 2:])) / 2
        expected = relations + update.input_proj(torch.relu(message)) + update.state_proj(torch.relu(relations))
    torch.testing.assert_close(update(objects, relations, pairs), expected)


@pytest.mark.parametrize("mode", ("predcls", "sgcls", "sgdet"))
def test_relation_update_variant_trains(mode):
    torch.manual_seed(5)
    head = _head(update_relations=True).train()
    outputs = head(_inputs(mode))
    sum(r.sum() for r in outputs.rel_logits).backward()
    assert head.relation_update.state_proj.weight.grad.abs().sum() > 0
    single = RelationHeadInputs(mode=mode, obj_features=[torch.randn(2, 16)],
                                boxes=[torch.tensor([[0., 0, 5, 5], [1, 1, 4, 4]])], image_sizes=[(20, 20)],
                                obj_logits=[torch.randn(2, 6)], pairs=[torch.tensor([[0, 1]])],
                                obj_labels=[torch.tensor([1, 2])] if mode == "predcls" else None,
                                union_features=[torch.randn(1, 16)])
    assert head(single).rel_logits[0].shape == (1, 5)   # one pair: BatchNorm skipped, as the reference
    assert RELATION_HEADS.info("gpsnet")["setting"]({"update_relations": True}) == "relation_update"


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="update_steps"):
        _head(update_steps=-1)
    with pytest.raises(ValueError, match="even size"):
        _head(pooling_dim=7)
