"""The Transformer head: KT's parameter count from its layer shapes, attention computed by hand,
attention confined to each image, no dependence on box order, the logits' three terms."""
import json
import math

import pytest
import torch

from modeling_fakes import random_log_prior
from sgg_bench.cli import main
from sgg_bench.modeling.blocks.transformer_encoder import MultiHeadSelfAttention, TransformerEncoder
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.heads.transformer import TransformerHead


def kt_transformer_predictor_count(objects=151, predicates=51, embed=200, hidden=512, feature=4096, position=128,
                                   obj_layers=4, edge_layers=2, heads=8, key=64, value=64, inner=2048):
    """KT's TransformerPredictor + TransformerContext from their layer shapes (VG150, X-101-FPN)."""
    fc = lambda i, o: i * o + o  # noqa: E731
    layer_norm = 2 * hidden
    encoder_layer = (2 * fc(hidden, heads * key) + fc(hidden, heads * value) + fc(heads * value, hidden)
                     + layer_norm                                       # MultiHeadAttention
                     + fc(hidden, inner) + fc(inner, hidden) + layer_norm)  # Conv1d k=1 feed-forward
    return (2 * objects * embed                                        # obj_embed1, obj_embed2
            + fc(9, 32) + fc(32, position)                             # bbox_embed (no BatchNorm)
            + fc(feature + embed + position, hidden)                   # lin_obj
            + fc(embed + hidden + feature, hidden)                     # lin_edge
            + fc(hidden, objects)                                      # out_obj
            + (obj_layers + edge_layers) * encoder_layer               # context_obj, context_edge
            + fc(hidden, 2 * hidden) + fc(2 * hidden, feature)         # post_emb, post_cat
            + fc(feature, predicates) + fc(2 * hidden, predicates)     # rel_compress, ctx_compress
            + objects * objects * predicates)                          # freq_bias


def test_transformer_has_the_reference_parameter_count(capsys):
    assert kt_transformer_predictor_count() == 29_932_304
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["transformer"]["params_head"] == kt_transformer_predictor_count()


def _set(linear, weight, bias):
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight))
        linear.bias.copy_(torch.tensor(bias))


def test_attention_layer_by_hand():
    """One head, key and value of size 1: q = x_0, k = x_1, v = x_0 + x_2; the output layer writes the
    attended value into the last coordinate; then residual and LayerNorm."""
    layer = MultiHeadSelfAttention(d_model=3, num_heads=1, key_dim=1, value_dim=1, dropout=0.0).eval()
    _set(layer.query, [[1.0, 0, 0]], [0.0])
    _set(layer.key, [[0.0, 1, 0]], [0.0])
    _set(layer.value, [[1.0, 0, 1]], [0.0])
    _set(layer.out, [[0.0], [0], [1]], [0.0, 0, 0])
    tokens = [[1.0, 2.0, 0.0], [0.5, -1.0, 1.0]]
    out = layer(torch.tensor([tokens]), torch.tensor([[False, False]]))[0]

    expected = []
    for q in (t[0] for t in tokens):
        scores = [q * t[1] / math.sqrt(1) for t in tokens]
        weights = [math.exp(s) / sum(math.exp(z) for z in scores) for s in scores]
        attended = sum(w * (t[0] + t[2]) for w, t in zip(weights, tokens))
        expected.append(attended)
    rows = []
    for token, attended in zip(tokens, expected):
        summed = [token[0], token[1], token[2] + attended]
        mean = sum(summed) / 3
        var = sum((v - mean) ** 2 for v in summed) / 3
        rows.append([(v - mean) / math.sqrt(var + 1e-5) for v in summed])
    torch.testing.assert_close(out, torch.tensor(rows), rtol=1e-5, atol=1e-5)


def test_attention_stays_inside_each_image_and_ignores_padding():
    torch.manual_seed(0)
    encoder = TransformerEncoder(num_layers=2, d_model=8, num_heads=2, key_dim=3, value_dim=5, inner_dim=16,
                                 dropout=0.1).eval()
    first = torch.randn(2, 8)
    alone = encoder([first])[0]
    with_others = encoder([first, torch.randn(5, 8), torch.zeros(0, 8)])
    torch.testing.assert_close(with_others[0], alone)       # padded to 5 boxes, same values
    assert [tuple(o.shape) for o in with_others] == [(2, 8), (5, 8), (0, 8)]


def _small_head(**kwargs):
    torch.manual_seed(0)
    return TransformerHead(num_obj_classes=5, num_rel_classes=4, obj_feature_dim=6, union_feature_dim=6,
                           freq_log_prior=random_log_prior(5, 4), embed_dim=4, hidden_dim=8, pooling_dim=6,
                           position_dim=4, num_obj_layers=2, num_edge_layers=1, num_heads=2, key_dim=3,
                           value_dim=3, inner_dim=10, **kwargs).eval()


def _inputs(mode, order=(0, 1, 2)):
    torch.manual_seed(1)
    features, logits = torch.randn(3, 6), torch.randn(3, 5)
    boxes = torch.tensor([[0.0, 0, 4, 4], [2, 1, 9, 7], [5, 5, 8, 9]])
    labels = torch.tensor([1, 4, 2])
    pairs = torch.tensor([[0, 1], [1, 2], [2, 0], [1, 0]])
    union = torch.randn(4, 6)
    index = torch.tensor(order)
    inverse = torch.argsort(index)
    return RelationHeadInputs(mode=mode, obj_features=[features[index]], boxes=[boxes[index]], image_sizes=[(10, 12)],
                              obj_logits=[logits[index]], pairs=[inverse[pairs]],
                              obj_labels=[labels[index]] if mode == "predcls" else None, union_features=[union])


def test_no_box_order_permuting_boxes_permutes_nothing_else():
    """Self-attention is order-free: the same boxes listed in another order give the same pair logits."""
    head = _small_head()
    for mode in ("predcls", "sgcls"):
        straight = head(_inputs(mode))
        shuffled = head(_inputs(mode, order=(2, 0, 1)))
        torch.testing.assert_close(shuffled.rel_logits[0], straight.rel_logits[0])
        torch.testing.assert_close(shuffled.obj_logits[0], straight.obj_logits[0][torch.tensor([2, 0, 1])])


def test_logits_are_visual_plus_context_plus_frequency_terms():
    head = _small_head()
    inputs = _inputs("sgcls")
    full = head(inputs)
    prior = random_log_prior(5, 4)
    labels = full.obj_logits[0][:, 1:].argmax(1) + 1          # refined labels, never background
    pairs = inputs.pairs[0]
    frequency = prior[labels[pairs[:, 0]], labels[pairs[:, 1]]]
    with torch.no_grad():
        head.rel_classifier.weight.zero_(), head.rel_classifier.bias.zero_()
        head.ctx_classifier.weight.zero_(), head.ctx_classifier.bias.zero_()
    torch.testing.assert_close(head(inputs).rel_logits[0], frequency)   # only the bias of the refined labels
    without_bias = _small_head(use_frequency_bias=False)
    torch.testing.assert_close(without_bias(inputs).rel_logits[0] + frequency, full.rel_logits[0])


def test_vg_recipe_is_kts_readme_and_synth_keeps_its_own():
    """KT README: BASE_LR 0.001 per image, IMS_PER_BATCH 16, WarmupMultiStepLR, STEPS (10000, 16000),
    MAX_ITER 16000 (instead of the dataset's plateau schedule)."""
    from sgg_bench.runs.configs import resolve_run_config

    vg = resolve_run_config(model="transformer", dataset="vg").solver
    assert vg.lr_scale_by_batch and vg.base_lr * vg.ims_per_batch == pytest.approx(0.016)
    assert (vg.schedule, vg.steps, vg.max_iter, vg.warmup_iters, vg.gamma) == ("multistep", [10000, 16000], 16000,
                                                                               500, 0.1)
    synth = resolve_run_config(model="transformer", dataset="synth").solver
    reference = resolve_run_config(model="imp", dataset="synth").solver   # the plain synthetic solver
    for key in ("base_lr", "lr_scale_by_batch", "ims_per_batch", "schedule", "steps", "max_iter", "warmup_iters"):
        assert synth[key] == reference[key], key
