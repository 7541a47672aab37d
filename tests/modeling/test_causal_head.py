"""The causal predictor: KT's parameter count for each context from its layer shapes, the effect
arithmetic on hand-built logits, the head's TDE / NIE / TE against its own branches, the plain
logits for effect none, and running means that move only while training."""
import json

import pytest
import torch
import torch.nn.functional as F

from modeling_fakes import random_log_prior
from sgg_bench.cli import main
from sgg_bench.modeling.blocks.causal_effects import effect_logits
from sgg_bench.modeling.blocks.frequency_bias import FrequencyBias
from sgg_bench.modeling.blocks.pair_spatial import pair_box_code
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.heads.causal import CausalHead, causal_setting

fc = lambda i, o: i * o + o  # noqa: E731


def kt_context_count(context, objects=151, embed=200, hidden=512, feature=4096, position=128):
    """KT's LSTMContext / VCTreeLSTMContext / VTransEFeature from their layer shapes (VG150, X-101-FPN)."""
    embeddings = 2 * objects * embed + fc(9, 32) + 2 * 32 + fc(32, position)   # obj_embed1/2, pos_embed + BN
    context_input = feature + embed + position
    if context == "motifs":
        bilstm = lambda i, h: 2 * 4 * (i * h + h * h + 2 * h)  # noqa: E731
        return (embeddings + bilstm(context_input, hidden)                                   # obj_ctx_rnn
                + (objects + 1) * embed + fc(hidden + context_input + embed, 6 * hidden)     # decoder_rnn
                + fc(hidden, 5 * hidden) + fc(hidden, objects)
                + bilstm(embed + hidden + feature, hidden) + 2 * fc(2 * hidden, hidden))     # edge_ctx_rnn, lin_*_h
    if context == "vctree":
        def bi_tree_lstm(i, out):  # MultiLayer_BTreeLSTM, one layer, out // 2 per direction
            h = out // 2
            return fc(i, h) + fc(i, 6 * h) + 2 * fc(h, 6 * h) + fc(i, h) + fc(i, 5 * h) + fc(h, 5 * h)
        decoder_input = hidden + context_input + embed
        return (embeddings + fc(6, 128) + 2 * 128 + fc(9, 128) + 2 * 128                     # overlap_, box_embed
                + objects * objects + fc(feature, 128) + fc(embed, 128) + fc(4 * 128, hidden)  # score net
                + 2 * fc(hidden, hidden) + fc(3 * hidden + 1, 1)
                + bi_tree_lstm(context_input, hidden)                                         # obj_ctx_rnn
                + (objects + 1) * embed + fc(hidden, objects)                                 # decoder
                + fc(decoder_input, hidden) + fc(decoder_input, 5 * hidden) + fc(hidden, 5 * hidden)
                + bi_tree_lstm(embed + feature + hidden, hidden))                             # edge_ctx_rnn
    return embeddings + fc(context_input, objects) + fc(feature + position + embed, hidden)  # pred_layer, fc_layer


def kt_causal_count(context, objects=151, predicates=51, hidden=512, feature=4096, pooling=4096):
    """CausalAnalysisPredictor (FUSION_TYPE sum, SPATIAL_FOR_VISION, no SEPARATE_SPATIAL) around it."""
    if context == "vtranse":
        post = fc(hidden, 2 * pooling) + pooling * predicates               # post_emb, ctx_compress (no bias)
    else:
        post = fc(hidden, 2 * hidden) + fc(2 * hidden, pooling) + fc(pooling, predicates)  # + post_cat
    return (kt_context_count(context) + post + fc(feature, predicates)     # vis_compress
            + objects * objects * predicates                               # freq_bias
            + fc(32, hidden) + fc(hidden, pooling))                        # spt_emb


def test_causal_has_the_reference_parameter_count_for_every_context(capsys):
    expected = {"motifs": 68_764_176, "vctree": 60_022_435, "vtranse": 10_900_117}
    assert {c: kt_causal_count(c) for c in expected} == expected
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {(row["name"], row["variant"]): row for row in json.loads(capsys.readouterr().out)}
    assert rows[("causal", "")]["params_head"] == expected["motifs"]       # the default context
    assert rows[("causal", "context=vctree")]["params_head"] == expected["vctree"]
    assert rows[("causal", "context=vtranse")]["params_head"] == expected["vtranse"]
    # The contexts are the other heads' blocks: their counts are the context heads' less their predictors.
    assert rows[("motifs", "")]["params_head"] - kt_context_count("motifs") == 6_095_510
    assert rows[("vtranse", "")]["params_head"] == expected["vtranse"]


def test_effect_arithmetic_by_hand():
    vis, ctx, freq = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.5, -1.0]]), torch.tensor([[3.0, 0.0]])
    ctx_u, freq_u = torch.tensor([[0.25, 0.25]]), torch.tensor([[1.0, 2.0]])
    kwargs = dict(vis=vis, ctx=ctx, freq=freq, ctx_untreated=ctx_u, freq_untreated=freq_u)
    assert effect_logits("none", **kwargs).tolist() == [[4.5, 1.0]]
    assert effect_logits("TDE", **kwargs).tolist() == [[0.25, -1.25]]     # ctx - ctx_u
    assert effect_logits("NIE", **kwargs).tolist() == [[2.0, -2.0]]       # freq - freq_u
    assert effect_logits("TE", **kwargs).tolist() == [[2.25, -3.25]]      # (ctx + freq) - (ctx_u + freq_u)
    with pytest.raises(ValueError, match="untreated"):
        effect_logits("TDE", vis=vis, ctx=ctx, freq=freq)
    with pytest.raises(ValueError, match="expected one of"):
        effect_logits("TIE", **kwargs)


def test_expected_frequency_bias_by_hand():
    prior = torch.arange(2 * 2 * 3, dtype=torch.float32).reshape(2, 2, 3)
    bias = FrequencyBias(freq_log_prior=prior)
    one_hot = torch.tensor([[0.0, 1.0]])
    torch.testing.assert_close(bias.expected(one_hot, torch.tensor([[1.0, 0.0]])), bias(torch.tensor([1]),
                                                                                       torch.tensor([0])))
    p_subj, p_obj = torch.tensor([[0.25, 0.75]]), torch.tensor([[0.5, 0.5]])
    by_hand = sum(p_subj[0, a] * p_obj[0, b] * prior[a, b] for a in range(2) for b in range(2))
    torch.testing.assert_close(bias.expected(p_subj, p_obj), by_hand[None])


def _head(context, **kwargs):
    torch.manual_seed(0)
    return CausalHead(num_obj_classes=5, num_rel_classes=4, obj_feature_dim=6, union_feature_dim=7,
                      freq_log_prior=random_log_prior(5, 4), word_vectors=None, context=context, embed_dim=4,
                      hidden_dim=8, pooling_dim=9, position_dim=4, dropout=0.0, **kwargs)


def _inputs(mode, *, targets=False):
    generator = torch.Generator().manual_seed(1)
    pairs = torch.tensor([[0, 1], [1, 2], [2, 0], [3, 1]])
    return RelationHeadInputs(
        mode=mode, obj_features=[torch.randn(4, 6, generator=generator)], image_sizes=[(10, 12)],
        obj_logits=[torch.randn(4, 5, generator=generator)],
        boxes=[torch.tensor([[0.0, 0, 4, 4], [2, 1, 9, 7], [5, 5, 8, 9], [1, 3, 11, 6]])], pairs=[pairs],
        obj_labels=[torch.tensor([1, 4, 2, 2])] if mode == "predcls" else None,
        union_features=[torch.randn(4, 7, generator=generator)],
        obj_targets=[torch.tensor([1, 4, 2, 2])] if targets else None,
        rel_labels=[torch.tensor([1, 0, 3, 0])] if targets else None,
        related=[torch.eye(4, dtype=torch.bool).logical_not()] if targets else None)


def _train_steps(head, mode, steps=3):
    head.train()
    for _ in range(steps):
        head(_inputs(mode, targets=True))
    return head.eval()


def _branches(head, inputs, *, average):
    """The head's three branches rebuilt from its parts: ctx (M, C), vis (M, C), label freq (M, C)."""
    context = head.context(inputs, average=average)
    post = torch.cat(head._pair_context(context, inputs.pairs))
    code = (head.untreated_spt.view(1, -1) if average
            else pair_box_code(inputs.boxes[0], inputs.pairs[0], inputs.image_sizes[0]))
    ctx = head.ctx_compress(post * head.spatial(code))
    labels = context.labels[0]
    freq = head.freq_bias(labels[inputs.pairs[0][:, 0]], labels[inputs.pairs[0][:, 1]])
    return ctx, head.vis_compress(inputs.union_features[0]), freq, context


@pytest.mark.parametrize("context", ["motifs", "vctree", "vtranse"])
@pytest.mark.parametrize("mode", ["predcls", "sgcls"])
def test_effects_of_the_head_against_its_branches(context, mode):
    head = _train_steps(_head(context), mode)
    inputs = _inputs(mode)
    with torch.no_grad():
        ctx, vis, label_freq, factual = _branches(head, inputs, average=False)
        ctx_u, _, _, untreated = _branches(head, inputs, average=True)
        outputs = {}
        for effect in ("none", "TDE", "NIE", "TE"):
            head.set_effect(effect)
            outputs[effect] = head(inputs).rel_logits[0]
    # effect none: the plain fused logits, the frequency bias looked up by the labels.
    torch.testing.assert_close(outputs["none"], vis + ctx + label_freq)
    # TDE: the factual context minus the one built on the running means; vis and freq cancel.
    torch.testing.assert_close(outputs["TDE"], ctx - ctx_u, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(ctx, ctx_u)
    # TE = TDE + NIE (both differences share the untreated context with the real class distribution).
    torch.testing.assert_close(outputs["TE"], outputs["TDE"] + outputs["NIE"], atol=1e-5, rtol=1e-5)
    if mode == "predcls" and context != "vtranse":
        # GT classes on both sides: no indirect effect through the class distribution (as KT).
        torch.testing.assert_close(outputs["NIE"], torch.zeros_like(outputs["NIE"]))
    else:
        probs = (F.one_hot(inputs.obj_labels[0], 5).float() if factual.obj_logits is None
                 else F.softmax(factual.obj_logits[0], dim=1))
        probs_u = F.softmax(untreated.obj_logits[0], dim=1)
        subj, obj = inputs.pairs[0][:, 0], inputs.pairs[0][:, 1]
        nie = head.freq_bias.expected(probs[subj], probs[obj]) - head.freq_bias.expected(probs_u[subj], probs_u[obj])
        torch.testing.assert_close(outputs["NIE"], nie, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("context", ["motifs", "vctree", "vtranse"])
def test_running_means_move_only_while_training(context):
    head = _head(context, average_ratio=0.25)
    buffers = lambda: {n: b.clone() for n, b in head.named_buffers() if "untreated" in n or "avg" in n}  # noqa: E731
    start = buffers()
    assert start and all((b == 0).all() for b in start.values())
    inputs = _inputs("sgcls", targets=True)
    head.train()
    head(inputs)
    moved = buffers()
    assert all(not torch.equal(moved[n], start[n]) for n in start), "every running mean moves in training"
    # From zero, one step leaves ratio x the batch mean (KT's moving_average, no bias correction).
    code = pair_box_code(inputs.boxes[0], inputs.pairs[0], inputs.image_sizes[0])
    torch.testing.assert_close(moved["untreated_spt"], 0.25 * code.mean(0))
    torch.testing.assert_close(moved["untreated_feat"], 0.25 * inputs.union_features[0].mean(0))
    head.eval()
    for effect in ("none", "TDE", "NIE", "TE"):
        head.set_effect(effect)
        head(_inputs("sgcls"))
    assert all(torch.equal(b, moved[n]) for n, b in buffers().items()), "inference never moves them"


def test_training_losses_and_options():
    head = _head("vctree").train()
    losses = head(_inputs("sgcls", targets=True)).losses
    assert set(losses) == {"loss_binary", "loss_aux_ctx", "loss_aux_vis", "loss_aux_freq"}
    head = _head("motifs", auxiliary_losses=False, effect="TDE").train()
    assert head(_inputs("predcls", targets=True)).losses == {}
    with pytest.raises(ValueError, match="average=True"):
        head.context(_inputs("predcls"), average=True)      # a counterfactual is a test-time pass
    with pytest.raises(ValueError, match="effect"):
        head.set_effect("TIE")
    with pytest.raises(ValueError, match="context"):
        _head("imp")
    with pytest.raises(ValueError, match="fusion"):
        _head("motifs", fusion="gate")
    assert causal_setting({"context": "vctree", "effect": "TDE"}) == "vctree TDE"
    assert causal_setting({}) == "motifs none"
