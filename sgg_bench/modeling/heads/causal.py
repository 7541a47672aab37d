"""Causal TDE (Tang et al., "Unbiased Scene Graph Generation from Biased Training", CVPR 2020), as
KT's ``CausalAnalysisPredictor`` over one of three context blocks (``context``):
``motifs`` (``blocks/motifs_context.py``, KT ``LSTMContext``), ``vctree``
(``blocks/vctree_context.py``, ``VCTreeLSTMContext``) or ``vtranse``
(``blocks/vtranse_context.py``, ``VTransEFeature``), every one built with its running means
(KT ``EFFECT_ANALYSIS``).

1. Pair context: the edge context -> ``post_emb`` -> subject and object halves; motifs/vctree:
   ReLU(post_cat([subject, object])) (``pooling_dim``); vtranse: subject - object in the
   ``pooling_dim`` space (no post_cat). Times the spatial embedding of the 32-d pair code
   (``use_spatial``, KT ``SPATIAL_FOR_VISION``).
2. Branch logits: ctx = ctx_compress(pair context), vis = vis_compress(union feature), freq = the
   frequency bias of the pair's labels; SUM fusion (``blocks/causal_effects.py``).
3. Training: the fused logits get the relation loss; KT's branch constraints ``loss_aux_ctx``,
   ``loss_aux_vis``, ``loss_aux_freq`` (each branch's cross-entropy) and, for vctree, its
   ``loss_binary``; the running means of the pair code (``untreated_spt``), the pair context
   (``avg_post_ctx``) and the union feature (``untreated_feat``) move (KT ratio 0.0005), as do the
   context block's.
4. Test: ``effect`` none | TDE | NIE | TE (``blocks/causal_effects.py``). For the effects, the
   context runs a second time on its running means (KT ``ctx_average``) and the untreated pair
   context is that one times the spatial embedding of the mean pair code; freq is then the table
   averaged under the pair's class distributions (one-hot in PredCls).
KT's ``untreated_feat`` and ``avg_post_ctx`` are kept and updated but, as in KT, no effect reads
them (the visual branch stays factual); ``untreated_conv_spt`` exists in KT only with
``SEPARATE_SPATIAL``, which is not built here.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.causal_effects import EFFECTS, FUSIONS, effect_logits
from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.context_outputs import ContextOutputs
from sgg_bench.modeling.blocks.frequency_bias import FrequencyBias, check_log_prior, pair_labels
from sgg_bench.modeling.blocks.layer_init import normal_linear, xavier_linear
from sgg_bench.modeling.blocks.motifs_context import MotifsContext
from sgg_bench.modeling.blocks.pair_spatial import PairSpatialEmbedding, pair_box_code
from sgg_bench.modeling.blocks.running_mean import update_running_mean
from sgg_bench.modeling.blocks.vctree_context import VCTreeContext
from sgg_bench.modeling.blocks.vtranse_context import VTransEContext
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, one_hot_logits
from sgg_bench.modeling.losses import cross_entropy_or_zero
from sgg_bench.registry import RELATION_HEADS

CONTEXTS = ("motifs", "vctree", "vtranse")


def causal_setting(args) -> str:
    """The record's variant name: context and effect (and a fusion other than sum)."""
    parts = [str(args.get("context", "motifs"))]
    if str(args.get("fusion", "sum")) != "sum":
        parts.append(str(args["fusion"]))
    parts.append(str(args.get("effect", "none")))
    return " ".join(parts)


@RELATION_HEADS.register(
    "causal", paper="Tang et al., Unbiased Scene Graph Generation from Biased Training, CVPR 2020",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/roi_relation_predictors.py "
              "(CausalAnalysisPredictor; contexts model_motifs.py LSTMContext, model_vctree.py VCTreeLSTMContext, "
              "model_vtranse.py VTransEFeature)",
    modes=("predcls", "sgcls", "sgdet"), setting=causal_setting, effects=EFFECTS,
    variants=({"context": "vctree"}, {"context": "vtranse"}))
class CausalHead(nn.Module):
    """Causal analysis relation head.

    context:        motifs | vctree | vtranse (KT CONTEXT_LAYER, default motifs)
    fusion:         sum (KT FUSION_TYPE; the gate fusion is not built)
    effect:         none | TDE | NIE | TE, applied at test time only (KT EFFECT_TYPE); ``set_effect``
    embed_dim, hidden_dim, pooling_dim, position_dim: as the context heads (KT: 200, 512, 4096, 128)
    box_order:      the motifs context's box order; num_obj_layers / num_edge_layers, dropout: the
                    motifs and vctree contexts'; binary_loss_weight: the vctree context's loss weight
    use_spatial:    multiply the pair context by the pair code's embedding (KT SPATIAL_FOR_VISION)
    auxiliary_losses: KT's per-branch cross-entropies while training
    average_ratio:  step of every running mean (KT 0.0005)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 context: str = "motifs", fusion: str = "sum", effect: str = "none", embed_dim: int = 200,
                 hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 box_order: str = "rightleft", num_obj_layers: int = 1, num_edge_layers: int = 1,
                 dropout: float = 0.2, use_spatial: bool = True, auxiliary_losses: bool = True,
                 binary_loss_weight: float = 1.0, average_ratio: float = 0.0005):
        super().__init__()
        if context not in CONTEXTS:
            raise ValueError(f"causal head: context: expected one of {CONTEXTS}, found {context!r}")
        if fusion not in FUSIONS:
            raise ValueError(f"causal head: fusion: expected one of {FUSIONS}, found {fusion!r}")
        if not 0.0 < average_ratio <= 1.0:
            raise ValueError(f"causal head: average_ratio: expected a value in (0, 1], found {average_ratio}")
        prior = check_log_prior(freq_log_prior, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                                owner="causal head")
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "causal head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.set_effect(effect)
        self.context_name, self.fusion = context, fusion
        self.num_obj_classes = int(num_obj_classes)
        self.auxiliary_losses = bool(auxiliary_losses)
        self.binary_loss_weight = float(binary_loss_weight)
        self.average_ratio = float(average_ratio)
        shared = dict(num_obj_classes=num_obj_classes, obj_feature_dim=obj_feature_dim, embed_dim=embed_dim,
                      hidden_dim=hidden_dim, position_dim=position_dim, word_vectors=word_vectors,
                      counterfactual=True, average_ratio=average_ratio)
        if context == "motifs":
            self.context = MotifsContext(box_order=box_order, num_obj_layers=num_obj_layers,
                                         num_edge_layers=num_edge_layers, dropout=dropout, owner="causal head",
                                         **shared)
        elif context == "vctree":
            self.context = VCTreeContext(freq_log_prior=prior, num_obj_layers=num_obj_layers,
                                         num_edge_layers=num_edge_layers, dropout=dropout, owner="causal head",
                                         **shared)
        else:
            self.context = VTransEContext(**shared)
        translation = context == "vtranse"
        edge_dim = pooling_dim if translation else hidden_dim
        self.post_emb = normal_linear(hidden_dim, 2 * edge_dim, std=10.0 * math.sqrt(1.0 / hidden_dim))
        self.post_cat = None if translation else xavier_linear(2 * hidden_dim, pooling_dim)
        # KT: ctx_compress has no bias (and no init) with the vtranse context, Xavier otherwise.
        self.ctx_compress = (nn.Linear(pooling_dim, num_rel_classes, bias=False) if translation
                             else xavier_linear(pooling_dim, num_rel_classes))
        self.vis_compress = xavier_linear(union_feature_dim, num_rel_classes)
        self.freq_bias = FrequencyBias(freq_log_prior=prior)
        self.spatial = PairSpatialEmbedding(hidden_dim, pooling_dim) if use_spatial else None
        self.register_buffer("untreated_spt", torch.zeros(32))
        self.register_buffer("avg_post_ctx", torch.zeros(pooling_dim))
        self.register_buffer("untreated_feat", torch.zeros(union_feature_dim))

    def set_effect(self, effect: str) -> None:
        """The test-time effect (none | TDE | NIE | TE); training always uses the plain logits."""
        if effect not in EFFECTS:
            raise ValueError(f"causal head: effect: expected one of {EFFECTS}, found {effect!r}")
        self.effect = effect

    def _pair_context(self, context: ContextOutputs, pairs: list[Tensor]) -> list[Tensor]:
        """Per image (M_i, pooling_dim), before the spatial embedding."""
        out = []
        for edge, image_pairs in zip(context.edge_context, pairs):
            subject_rep, object_rep = self.post_emb(edge).chunk(2, dim=1)
            subject_rep, object_rep = subject_rep[image_pairs[:, 0]], object_rep[image_pairs[:, 1]]
            if self.post_cat is None:
                out.append(subject_rep - object_rep)
            else:
                out.append(F.relu(self.post_cat(torch.cat([subject_rep, object_rep], dim=1))))
        return out

    def _class_probs(self, context: ContextOutputs, inputs: RelationHeadInputs) -> list[Tensor]:
        """Per image (N_i, C_obj) class distributions: the context's refined logits, one-hot GT in PredCls."""
        if context.obj_logits is None:
            return [F.softmax(one_hot_logits(l, self.num_obj_classes), dim=1) for l in inputs.obj_labels]
        return [F.softmax(l, dim=1) for l in context.obj_logits]

    def _expected_freq(self, probs: list[Tensor], pairs: list[Tensor]) -> Tensor:
        return torch.cat([self.freq_bias.expected(p[image_pairs[:, 0]], p[image_pairs[:, 1]])
                          for p, image_pairs in zip(probs, pairs)])

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("causal head: union_features are required")
        pair_counts = inputs.num_pairs
        context = self.context(inputs)
        codes = torch.cat([pair_box_code(b, p, size) for b, p, size in zip(inputs.boxes, inputs.pairs,
                                                                           inputs.image_sizes)])
        post_ctx = torch.cat(self._pair_context(context, inputs.pairs))
        if self.spatial is not None:
            post_ctx = post_ctx * self.spatial(codes)
        union = torch.cat(inputs.union_features)
        vis, ctx = self.vis_compress(union), self.ctx_compress(post_ctx)
        labels = [pair_labels(l, p) for l, p in zip(context.labels, inputs.pairs)]
        freq = self.freq_bias(torch.cat([s for s, _ in labels]), torch.cat([o for _, o in labels]))
        rel_logits = effect_logits("none", vis=vis, ctx=ctx, freq=freq)
        losses = {}
        if self.training:
            losses = self._training_losses(inputs, context, vis=vis, ctx=ctx, freq=freq)
            update_running_mean(self.untreated_spt, codes, self.average_ratio)
            update_running_mean(self.avg_post_ctx, post_ctx, self.average_ratio)
            update_running_mean(self.untreated_feat, union, self.average_ratio)
        elif self.effect != "none":
            rel_logits = self._effect(inputs, context, vis=vis, ctx=ctx)
        obj_logits = context.obj_logits if context.obj_logits is not None else list(inputs.obj_logits)
        return RelationHeadOutputs(rel_logits=list(rel_logits.split(pair_counts)), obj_logits=obj_logits,
                                   losses=losses)

    def _training_losses(self, inputs: RelationHeadInputs, context: ContextOutputs, *, vis: Tensor, ctx: Tensor,
                         freq: Tensor) -> dict[str, Tensor]:
        losses = {}
        if context.tree_logits is not None and inputs.related is not None:
            losses["loss_binary"] = self.binary_loss_weight * self.context.binary_loss(context.tree_logits,
                                                                                        inputs.related)
        if self.auxiliary_losses and inputs.rel_labels is not None:
            targets = torch.cat(inputs.rel_labels)
            for name, logits in (("loss_aux_ctx", ctx), ("loss_aux_vis", vis), ("loss_aux_freq", freq)):
                losses[name] = cross_entropy_or_zero(logits, targets)
        return losses

    @torch.no_grad()
    def _effect(self, inputs: RelationHeadInputs, context: ContextOutputs, *, vis: Tensor, ctx: Tensor) -> Tensor:
        untreated = self.context(inputs, average=True)
        untreated_ctx = torch.cat(self._pair_context(untreated, inputs.pairs))
        if self.spatial is not None:
            untreated_ctx = untreated_ctx * self.spatial(self.untreated_spt.view(1, -1))
        freq = self._expected_freq(self._class_probs(context, inputs), inputs.pairs)
        freq_untreated = self._expected_freq(self._class_probs(untreated, inputs), inputs.pairs)
        return effect_logits(self.effect, vis=vis, ctx=ctx, freq=freq, ctx_untreated=self.ctx_compress(untreated_ctx),
                             freq_untreated=freq_untreated)
