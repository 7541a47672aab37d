"""VTransE (Zhang et al., "Visual Translation Embedding Network for Visual Relation Detection",
CVPR 2017), as KT's VTransE baseline: ``VTransEFeature`` + the classification path of
``CausalAnalysisPredictor`` (CONTEXT_LAYER vtranse, FUSION_TYPE sum, SPATIAL_FOR_VISION on,
EFFECT_TYPE none), i.e. the predictor without its counterfactual (TDE) inference.

1. Per-box features (``blocks/vtranse_context.py``): refined object logits and an edge vector.
2. Translation: the edge vector is projected to subject and object embeddings in the
   ``pooling_dim`` relation space; a pair's relation vector is subject - object (VTransE's
   s + p ~ o), multiplied by the spatial embedding of the 32-d pair box code
   (``blocks/pair_spatial.py``).
3. Predicate logits = vis_classifier(union feature) + ctx_classifier(relation vector) (no bias,
   as KT) + frequency bias of the pair's labels.
While training, KT's three branch losses (each branch's own cross-entropy over the sampled pairs)
are added as ``loss_aux_ctx``, ``loss_aux_vis``, ``loss_aux_freq``.
"""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.layer_init import normal_linear, xavier_linear
from sgg_bench.modeling.blocks.pair_spatial import PairSpatialEmbedding, pair_box_code
from sgg_bench.modeling.blocks.vtranse_context import VTransEContext
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.modeling.losses import cross_entropy_or_zero
from sgg_bench.registry import RELATION_HEADS


@RELATION_HEADS.register(
    "vtranse", paper="Zhang et al., Visual Translation Embedding Network for Visual Relation Detection, CVPR 2017",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/model_vtranse.py (VTransEFeature), "
              "roi_relation_predictors.py (CausalAnalysisPredictor, vtranse context, sum fusion, no TDE)",
    modes=("predcls", "sgcls", "sgdet"))
class VTransEHead(nn.Module):
    """VTransE relation head.

    embed_dim:          class embedding size; taken from ``word_vectors`` (C_obj, E) when given
    hidden_dim:         per-box edge vector and spatial-embedding hidden size (KT: 512)
    pooling_dim:        relation (translation) space size (KT: CONTEXT_POOLING_DIM 4096)
    position_dim:       position embedding size (KT: 128)
    use_spatial:        multiply the relation vector by the pair's spatial embedding (KT: SPATIAL_FOR_VISION on)
    use_frequency_bias: add the trainable frequency bias (KT's causal predictor always does)
    auxiliary_losses:   KT's per-branch cross-entropies while training (on)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 use_spatial: bool = True, use_frequency_bias: bool = True, auxiliary_losses: bool = True):
        super().__init__()
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "vtranse head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.needs = dataclasses.replace(type(self).needs, training_targets=bool(auxiliary_losses))
        self.context = VTransEContext(num_obj_classes=num_obj_classes, obj_feature_dim=obj_feature_dim,
                                      embed_dim=embed_dim, hidden_dim=hidden_dim, position_dim=position_dim,
                                      word_vectors=word_vectors)
        self.subject_object_proj = normal_linear(hidden_dim, 2 * pooling_dim, std=10.0 * math.sqrt(1.0 / hidden_dim))
        self.ctx_classifier = nn.Linear(pooling_dim, num_rel_classes, bias=False)
        self.vis_classifier = xavier_linear(union_feature_dim, num_rel_classes)
        self.spatial = PairSpatialEmbedding(hidden_dim, pooling_dim) if use_spatial else None
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="vtranse head")

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("vtranse head: union_features are required")
        context = self.context(inputs)
        ctx_logits, vis_logits, freq_logits = [], [], []
        for i, pairs in enumerate(inputs.pairs):
            subject_rep, object_rep = self.subject_object_proj(context.edge_context[i]).chunk(2, dim=1)
            relation = subject_rep[pairs[:, 0]] - object_rep[pairs[:, 1]]              # (M_i, pooling_dim)
            if self.spatial is not None:
                relation = relation * self.spatial(pair_box_code(inputs.boxes[i], pairs, inputs.image_sizes[i]))
            ctx_logits.append(self.ctx_classifier(relation))
            vis_logits.append(self.vis_classifier(inputs.union_features[i]))
            if self.freq_bias is not None:
                freq_logits.append(self.freq_bias(*pair_labels(context.labels[i], pairs)))
        rel_logits = [c + v for c, v in zip(ctx_logits, vis_logits)]
        if self.freq_bias is not None:
            rel_logits = [r + f for r, f in zip(rel_logits, freq_logits)]
        losses = {}
        if self.training and inputs.rel_labels is not None:
            targets = torch.cat(inputs.rel_labels, dim=0)
            branches = {"loss_aux_ctx": ctx_logits, "loss_aux_vis": vis_logits, "loss_aux_freq": freq_logits}
            losses = {name: cross_entropy_or_zero(torch.cat(logits, dim=0), targets)
                      for name, logits in branches.items() if logits}
        obj_logits = context.obj_logits if context.obj_logits is not None else list(inputs.obj_logits)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits, losses=losses)
