"""Graph R-CNN head: the reference count from PySGG's layer shapes, and the attentional graph
convolution and pair geometry computed by hand."""
import json
import math

import torch
from torch import nn

from sgg_bench.cli import main
from sgg_bench.modeling.blocks.attentional_gcn import (AttentionalGraphConvolution, attend_over_neighbours,
                                                       object_neighbour_edges)
from sgg_bench.modeling.blocks.pair_geometry import box_pair_geometry, normalised_box_code

fc = lambda i, o: i * o + o  # noqa: E731
attention = lambda d: 4 * d * d + 4 * d  # noqa: E731  (in_proj q, k, v + out_proj, with biases)


def pysgg_agrcnn_count(objects=151, predicates=51, feature=4096, pooling=4096, hidden=512, embed=200,
                       position=128, graph=1024):
    """PySGG AGRCNNPredictor (GRCNN context + PairwiseFeatureExtractor, "fusion", spatial gating)
    from its layer shapes, VG150 X-101-FPN with CONTEXT_POOLING_DIM 4096."""
    augmented = embed + feature + hidden
    pairwise = (2 * objects * embed                                    # obj_embed_on_prob_dist / _on_pred_label
                + fc(9, 32) + 2 * 32 + fc(32, position)                # pos_embed with its BatchNorm
                + fc(feature + embed + position, hidden)               # obj_hidden_linear
                + fc(augmented, 2 * hidden)                            # pairwise_obj_feat_updim_fc
                + fc(32, hidden) + fc(hidden, 2 * hidden)              # spt_emb
                + fc(2 * hidden, pooling)                              # pairwise_rel_feat_finalize_fc
                + fc(augmented, pooling)                               # obj_feat_aug_finalize_fc
                + (fc(feature, pooling) if feature != pooling else 0))  # rel_feature_up_dim
    collect = lambda o, r: (2 * fc(r, o) + 2 * fc(o, r) + fc(o, o)  # noqa: E731
                            + 3 * attention(o) + 2 * attention(r))
    return (pairwise + 2 * (fc(pooling, graph) + fc(graph, graph))     # obj_embedding, rel_embedding
            + collect(graph, graph)                                    # gcn_collect_feat
            + fc(graph, objects) + fc(graph, predicates)               # obj/rel_hidden_embedding
            + collect(objects, predicates)                             # gcn_collect_score
            + fc(objects, objects) + fc(predicates, predicates)        # obj_classifier, rel_classifier
            + objects * objects * predicates)                          # freq_bias


def test_grcnn_has_the_reference_parameter_count(capsys):
    assert pysgg_agrcnn_count() == 70_169_457
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["grcnn"]["params_head"] == pysgg_agrcnn_count()


def _one_head_attention(dim):
    layer = nn.MultiheadAttention(dim, 1, batch_first=True)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
    return layer


def test_attention_over_neighbours_by_hand():
    dim = 3
    layer = _one_head_attention(dim)
    wq, wk, wv = layer.in_proj_weight.detach().chunk(3)
    bq, bk, bv = layer.in_proj_bias.detach().chunk(3)
    wo, bo = layer.out_proj.weight.detach(), layer.out_proj.bias.detach()
    targets = torch.tensor([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0], [3.0, 3.0, 3.0]])
    sources = torch.tensor([[0.0, 1.0, 1.0], [2.0, 0.0, -1.0], [1.0, 1.0, 0.0]])
    # target 0 <- sources 2 and 0; target 1 has none; target 2 <- source 1
    out = attend_over_neighbours(targets, sources, torch.tensor([2, 0, 0]), torch.tensor([1, 2, 0]), layer)

    def by_hand(t, ss):
        q = wq @ t + bq
        keys = [wk @ s + bk for s in ss]
        scores = [float(q @ k) / math.sqrt(dim) for k in keys]
        weights = [math.exp(x) / sum(math.exp(y) for y in scores) for x in scores]
        mixed = sum(w * (wv @ s + bv) for w, s in zip(weights, ss))
        return wo @ mixed + bo

    torch.testing.assert_close(out[0], by_hand(targets[0], [sources[2], sources[0]]))
    assert torch.equal(out[1], torch.zeros(dim))  # no neighbour: no message
    torch.testing.assert_close(out[2], wo @ (wv @ sources[1] + bv) + bo)  # one neighbour: its value


def test_object_graph_is_symmetric_without_duplicates():
    targets, sources = object_neighbour_edges(torch.tensor([[0, 1], [1, 0], [2, 0]]), 3)
    assert sorted(zip(targets.tolist(), sources.tolist())) == [(0, 1), (0, 2), (1, 0), (2, 0)]


def test_a_step_adds_the_mean_of_the_messages():
    """A relation receives only from its subject and object: with a single pair (0 -> 1) and a
    third, unpaired box, the unpaired box is unchanged and the relation moves by the mean of two
    one-neighbour attentions."""
    torch.manual_seed(0)
    layer = AttentionalGraphConvolution(4, 4, num_heads=1)
    objects, relations = torch.randn(3, 4), torch.randn(1, 4)
    pairs = torch.tensor([[0, 1]])
    new_objects, new_relations = layer(objects, relations, pairs, object_neighbour_edges(pairs, 3))
    assert torch.equal(new_objects[2], objects[2])

    def single(kind, source):
        att = layer.attention[kind]
        value = torch.relu(layer.transform[kind](source))
        wv, bv = att.in_proj_weight.chunk(3)[2], att.in_proj_bias.chunk(3)[2]
        return att.out_proj(value @ wv.T + bv)

    expected = relations[0] + (single("rel_from_subj", objects[0]) + single("rel_from_obj", objects[1])) / 2
    torch.testing.assert_close(new_relations[0], expected)
    expected_subject = objects[0] + (single("obj_from_obj", objects[1])
                                     + single("obj_from_subj_rel", relations[0])) / 3
    torch.testing.assert_close(new_objects[0], expected_subject)


def test_pair_geometry_by_hand():
    boxes = torch.tensor([[0.0, 0.0, 49.0, 99.0], [60.0, 20.0, 79.0, 39.0], [10.0, 10.0, 19.0, 29.0]])
    code = normalised_box_code(boxes, (80, 200))  # scale = max(80, 200, 100) = 200
    torch.testing.assert_close(code[0], torch.tensor([0, 0, 49, 99, 25, 50, 50, 100]) / 200.0)
    s, o = code[0], code[1]
    pair = box_pair_geometry(code[[0]], code[[1]])[0]
    union = torch.tensor([0.0, 0.0, 79.0, 99.0]) / 200
    union_wh = union[2:] - union[:2] + 1.0  # the +1 applied to normalised corners, as the reference
    torch.testing.assert_close(pair[:16], torch.cat([s, o]))
    torch.testing.assert_close(pair[16:24], torch.cat([union, union[:2] + 0.5 * union_wh, union_wh]))
    assert torch.equal(pair[24:], torch.zeros(8))  # x-ranges 0..49 and 60..79 do not meet
    inner = box_pair_geometry(code[[0]], code[[2]])[0]
    inter = torch.tensor([10.0, 10.0, 19.0, 29.0]) / 200
    inter_wh = inter[2:] - inter[:2] + 1.0
    torch.testing.assert_close(inner[24:], torch.cat([inter, inter[:2] + 0.5 * inter_wh, inter_wh]))
