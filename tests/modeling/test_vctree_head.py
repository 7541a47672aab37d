"""VCTree: the reference parameter count from KT's layer shapes, the spanning tree and its binary
form by hand, the level-batched tree-LSTM against a node-by-node recursion, the score network
against its written-out formula, the overlap summary, the "related" targets and the binary loss."""
import json

import torch
import torch.nn.functional as F

from sgg_bench.cli import main
from sgg_bench.modeling.blocks.tree_building import binary_tree, build_forest, grow_tree
from sgg_bench.modeling.blocks.tree_lstm import DownTreeLSTM, UpTreeLSTM
from sgg_bench.modeling.blocks.tree_scores import TreeScoreNet, overlap_summary
from sgg_bench.modeling.related_pairs import related_matrix, related_matrix_sgdet


def kt_vctree_predictor_count(objects=151, predicates=51, embed=200, hidden=512, feature=4096, position=128):
    """KT's VCTreePredictor + VCTreeLSTMContext from their layer shapes (VG150, X-101-FPN, GloVe 200-d)."""
    fc = lambda i, o: i * o + o  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731

    def bi_tree_lstm(i, out):  # MultiLayer_BTreeLSTM, one layer, out // 2 per direction
        h = out // 2
        up = fc(i, h) + fc(i, 6 * h) + 2 * fc(h, 6 * h)      # px, ioffux, ioffuh_left/right
        down = fc(i, h) + fc(i, 5 * h) + fc(h, 5 * h)        # px, iofux, iofuh
        return up + down

    context_input = feature + embed + position
    decoder_input = hidden + context_input + embed
    return (2 * objects * embed                                          # obj_embed1, obj_embed2
            + fc(9, 32) + bn(32) + fc(32, position)                      # pos_embed
            + fc(6, 128) + bn(128) + fc(9, 128) + bn(128)                # overlap_embed, box_embed
            + objects * objects                                          # bi_freq_prior (no bias)
            + fc(feature, 128) + fc(embed, 128) + fc(4 * 128, hidden)    # obj_reduce, emb_reduce, score_pre
            + 2 * fc(hidden, hidden) + fc(3 * hidden + 1, 1)             # score_sub, score_obj, vision_prior
            + bi_tree_lstm(context_input, hidden)                        # obj_ctx_rnn
            + (objects + 1) * embed + fc(hidden, objects)                # decoder obj_embed, out
            + fc(decoder_input, hidden) + fc(decoder_input, 5 * hidden) + fc(hidden, 5 * hidden)  # decoder tree-LSTM
            + bi_tree_lstm(embed + feature + hidden, hidden)             # edge_ctx_rnn
            + fc(hidden, 2 * hidden) + fc(2 * hidden, feature)           # post_emb, post_cat
            + fc(feature, predicates) + objects * objects * predicates)  # ctx_compress, freq_bias


def test_vctree_has_the_reference_parameter_count(capsys):
    assert kt_vctree_predictor_count() == 57_695_344
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["vctree"]["params_head"] == kt_vctree_predictor_count()


def test_spanning_tree_by_hand():
    scores = torch.tensor([[0.0, 0.9, 0.1, 0.2],
                           [0.3, 0.0, 0.8, 0.7],
                           [0.1, 0.2, 0.0, 0.6],
                           [0.5, 0.1, 0.1, 0.0]])
    # Row means 0.30, 0.45, 0.225, 0.175: root 1. Then 1->2 (0.8), 1->3 (0.7 beats 2->3 0.6), and box 0
    # from box 3 (0.5 beats 1->0 0.3 and 2->0 0.1).
    parents, order = grow_tree(scores)
    assert order == [1, 2, 3, 0]
    assert parents == [3, -1, 1, 1]
    left, right = binary_tree(parents, order)
    # Node 1's children in order 2, 3: 2 is its left child, 3 the right child of 2; 0 is 3's left child.
    assert left == [-1, 2, -1, 0] and right == [-1, -1, 3, -1]


def test_spanning_tree_ties_follow_the_flattened_first_maximum():
    scores = torch.zeros(3, 3)  # all equal: root 0, then the earliest tree box and lowest index each time
    assert grow_tree(scores) == ([-1, 0, 0], [0, 1, 2])
    scores = torch.tensor([[0.0, 0.5, 0.5], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    # root 0 (mean 1/3); 0->1 and 0->2 tie: box 1 first; then 0->2 and 1->2 tie: tree box 0 (attached first).
    assert grow_tree(scores) == ([-1, 0, 0], [0, 1, 2])


def test_forest_levels_cover_each_image_with_offsets():
    forest = build_forest([torch.tensor([[0.0, 1.0], [0.0, 0.0]]), torch.zeros(1, 1), torch.zeros(0, 0)])
    assert forest.left.tolist() == [1, -1, -1] and forest.parent.tolist() == [-1, 0, -1]
    assert forest.image.tolist() == [0, 0, 1]
    assert [l.tolist() for l in forest.up_levels] == [[1, 2], [0]]
    assert [l.tolist() for l in forest.down_levels] == [[0, 2], [1]]


def _recursive_up(cell, node, left, right, x):
    """KT's BiTreeLSTM_Foreward written node by node (children first)."""
    h = cell.hidden_dim
    states = {}

    def visit(i):
        child = []
        for c in (left[i], right[i]):
            if c >= 0:
                visit(c)
            child.append(states[c] if c >= 0 else (torch.zeros(1, h), torch.zeros(1, h)))
        (cl, hl), (cr, hr) = child
        g = cell.input_gates(x[i:i + 1]) + cell.left_gates(hl) + cell.right_gates(hr)
        i_, o, fl, fr, u, r = torch.split(g, h, dim=1)
        c = torch.sigmoid(i_) * torch.tanh(u) + torch.sigmoid(fl) * cl + torch.sigmoid(fr) * cr
        out = torch.sigmoid(r) * torch.sigmoid(o) * torch.tanh(c) + (1 - torch.sigmoid(r)) * cell.input_proj(x[i:i + 1])
        states[i] = (c, out)

    visit(node)
    return torch.cat([states[i][1] for i in range(x.shape[0])])


def _recursive_down(cell, node, left, right, x, parent_state=None):
    h = cell.hidden_dim
    cp, hp = parent_state if parent_state is not None else (torch.zeros(1, h), torch.zeros(1, h))
    g = cell.input_gates(x[node:node + 1]) + cell.parent_gates(hp)
    i_, o, f, u, r = torch.split(g, h, dim=1)
    c = torch.sigmoid(i_) * torch.tanh(u) + torch.sigmoid(f) * cp
    gate = torch.sigmoid(r)
    out = gate * torch.sigmoid(o) * torch.tanh(c) + (1 - gate) * cell.input_proj(x[node:node + 1])
    result = {node: out}
    for child in (left[node], right[node]):
        if child >= 0:
            result.update(_recursive_down(cell, child, left, right, x, (c, out)))
    return result


def test_level_batched_tree_lstms_equal_the_node_by_node_recursion():
    torch.manual_seed(0)
    scores = torch.rand(5, 5)
    forest = build_forest([scores])
    parents, order = grow_tree(scores)
    left, right = binary_tree(parents, order)
    x = torch.randn(5, 3)
    up, down = UpTreeLSTM(3, 4), DownTreeLSTM(3, 4)
    torch.testing.assert_close(up(forest, x, None), _recursive_up(up, order[0], left, right, x))
    expected = _recursive_down(down, order[0], left, right, x)
    torch.testing.assert_close(down(forest, x, None), torch.cat([expected[i] for i in range(5)]))
    # KT's initial forget-gate biases.
    assert (up.left_gates.bias[8:16] == 0.5).all() and (down.parent_gates.bias[8:12] == 1.0).all()
    block = up.input_gates.weight[:4]  # (4, 3): orthonormal columns; a (4, 4) recurrent block is orthogonal
    assert torch.allclose(block.t() @ block, torch.eye(3), atol=1e-5)
    recurrent = up.left_gates.weight[4:8]
    assert torch.allclose(recurrent @ recurrent.t(), torch.eye(4), atol=1e-5)


def test_score_network_matches_its_written_out_formula():
    torch.manual_seed(0)
    num_obj, num_rel = 4, 3
    prior = torch.randn(num_obj, num_obj, num_rel)
    net = TreeScoreNet(obj_feature_dim=5, embed_dim=2, hidden_dim=6, freq_log_prior=prior).eval()
    summed = prior.sum(-1)
    torch.testing.assert_close(net.cooccurrence_prior.view(4, 4), summed + summed.t())
    feats, emb, logits = torch.randn(3, 5), torch.randn(3, 2), torch.randn(3, num_obj)
    boxes = torch.tensor([[0.0, 0.0, 4.0, 4.0], [2.0, 1.0, 8.0, 6.0], [5.0, 5.0, 9.0, 9.0]])
    (out,) = net([feats], [emb], [logits], [boxes], [(10, 10)])
    from sgg_bench.modeling.blocks.geometry import encode_box_geometry

    u = F.relu(net.score_pre(torch.cat([net.obj_reduce(feats), net.emb_reduce(emb),
                                        net.box_embed(encode_box_geometry(boxes, (10, 10))),
                                        net.overlap_embed(overlap_summary(boxes))], 1)))
    s, o = F.relu(net.score_sub(u)), F.relu(net.score_obj(u))
    p = F.softmax(logits, 1)
    for i in range(3):
        for j in range(3):
            joint = torch.outer(p[i], p[j]).reshape(-1)        # KT's joint distribution, row = box i's class
            co = joint @ net.cooccurrence_prior
            vis = net.vision_prior(torch.cat([s[j] * o[i], s[j], o[i], co.view(1)]))
            torch.testing.assert_close(out[i, j], (torch.sigmoid(vis) * co)[0])


def test_overlap_summary_by_hand():
    boxes = torch.tensor([[0.0, 0.0, 9.0, 9.0], [5.0, 5.0, 14.0, 14.0], [100.0, 100.0, 101.0, 101.0]])
    info = overlap_summary(boxes)
    # Box 0 with +1 pixels: area 100, meets itself (100) and box 1 (5 x 5 = 25), not box 2.
    inter = 100.0 + 25.0
    iou = 1.0 + 25.0 / (100 + 100 - 25)
    expected = torch.tensor([2.0, inter / 1024 ** 2, iou, inter / 1024 ** 2 / 2, iou / 2, 81.0 / 1024 ** 2])
    torch.testing.assert_close(info[0], expected)
    assert info[2, 0] == 1.0  # only itself


def test_related_targets_are_symmetric_and_count_every_match():
    related = related_matrix(4, torch.tensor([[0, 2, 1], [3, 2, 5], [1, 1, 2]]))
    expected = torch.zeros(4, 4, dtype=torch.bool)
    for a, b in ((0, 2), (2, 0), (3, 2), (2, 3)):
        expected[a, b] = True
    assert torch.equal(related, expected)  # the self-relation is dropped
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    boxes = torch.tensor([[0.0, 0.0, 10.0, 9.0], [0.0, 0.0, 9.0, 10.0],
                          [20.0, 20.0, 30.0, 30.0], [20.0, 20.0, 30.0, 29.0]])
    labels = torch.tensor([1, 1, 2, 3])  # box 3 overlaps GT 1 but carries another label
    related = related_matrix_sgdet(boxes, labels, gt, torch.tensor([1, 2]), torch.tensor([[0, 1, 4]]))
    assert related.nonzero().tolist() == [[0, 2], [1, 2], [2, 0], [2, 1]]


def test_binary_loss_is_the_mean_per_image_bce_of_the_tree_logits():
    from sgg_bench.modeling.head_io import RelationHeadInputs
    from sgg_bench.modeling.heads.vctree import VCTreeHead

    torch.manual_seed(0)
    head = VCTreeHead(num_obj_classes=4, num_rel_classes=3, obj_feature_dim=5, union_feature_dim=5,
                      freq_log_prior=torch.randn(4, 4, 3), embed_dim=2, hidden_dim=6, pooling_dim=5, position_dim=4)
    boxes = [torch.tensor([[0.0, 0.0, 4.0, 4.0], [2.0, 1.0, 8.0, 6.0]]), torch.tensor([[1.0, 1.0, 3.0, 3.0]] * 3)]
    related = [torch.tensor([[False, True], [True, False]]), torch.zeros(3, 3, dtype=torch.bool)]
    inputs = RelationHeadInputs(mode="predcls", obj_features=[torch.randn(2, 5), torch.randn(3, 5)], boxes=boxes,
                                image_sizes=[(10, 10)] * 2, obj_logits=[torch.randn(2, 4), torch.randn(3, 4)],
                                pairs=[torch.tensor([[0, 1]]), torch.tensor([[0, 2]])],
                                obj_labels=[torch.tensor([1, 2]), torch.tensor([3, 3, 1])],
                                union_features=[torch.randn(1, 5), torch.randn(1, 5)], related=related)
    head.train()
    loss = head(inputs).losses["loss_binary"]
    # The same tree logits again (training mode: BatchNorm over the same batch).
    logits = head.context.tree_scores(inputs.obj_features, [head.context.ctx_embed(l) for l in inputs.obj_labels],
                                      [F.one_hot(l, 4).float() * 2000 - 1000 for l in inputs.obj_labels], boxes,
                                      [(10, 10)] * 2)
    by_hand = [-(t * F.logsigmoid(x) + (1 - t) * F.logsigmoid(-x)).mean()
               for x, t in zip(logits, [r.float() for r in related])]
    torch.testing.assert_close(loss, (by_hand[0] + by_hand[1]) / 2)
    assert "loss_binary" not in head.eval()(inputs).losses  # training only


def test_decoder_passes_each_parent_its_argmax_label_at_test_time():
    from sgg_bench.modeling.blocks.tree_lstm import TreeLabelDecoder

    torch.manual_seed(0)
    decoder = TreeLabelDecoder(input_dim=3, embed_dim=2, hidden_dim=4, num_obj_classes=5, dropout=0.0).eval()
    forest = build_forest([torch.tensor([[0.0, 1.0], [0.0, 0.0]])])  # root 0, its only child 1
    x = torch.randn(2, 3)
    logits, labels = decoder(forest, x, 1)
    zeros = torch.zeros(1, 4)
    root_out, root_c = decoder.lstm.step(torch.cat([x[:1], decoder.label_embed.weight[:1]], 1), zeros, zeros)
    root_logits = decoder.classifier(root_out)
    root_label = int(root_logits[0, 1:].argmax()) + 1               # background never passed on
    child_in = torch.cat([x[1:], decoder.label_embed.weight[root_label + 1:root_label + 2]], 1)
    child_out, _ = decoder.lstm.step(child_in, root_out, root_c)
    torch.testing.assert_close(logits, torch.cat([root_logits, decoder.classifier(child_out)]))
    assert labels[0] == root_label and labels[1] == int(logits[1, 1:].argmax()) + 1
