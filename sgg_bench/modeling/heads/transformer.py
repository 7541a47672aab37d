"""Transformer relation head: KT's ``TransformerContext`` + ``TransformerPredictor``
(Scene-Graph-Benchmark.pytorch's predefined Transformer model, by Jiaxin Shi).

1. Context (``blocks/transformer_context.py``): self-attention encoders over each image's boxes,
   first for the object context (giving the refined object logits), then for the edge context.
2. Predicate logits of pair (s, o): the edge context is projected to subject and object halves
   (``hidden_dim`` each), concatenated into ``prod`` (2·hidden_dim);
   logits = rel_classifier(pair_proj(prod) * union feature) + ctx_classifier(prod)
            + frequency bias[label_s, label_o]
   (the union feature through a linear layer only when its size differs from ``pooling_dim``).
"""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.layer_init import normal_linear, xavier_linear
from sgg_bench.modeling.blocks.transformer_context import TransformerContext
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.registry import RELATION_HEADS


@RELATION_HEADS.register(
    "transformer", paper="Vaswani et al., Attention Is All You Need, NeurIPS 2017 (as KT's predefined SGG Transformer)",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/model_transformer.py (TransformerContext), "
              "roi_relation_predictors.py (TransformerPredictor)",
    modes=("predcls", "sgcls", "sgdet"))
class TransformerHead(nn.Module):
    """Transformer relation head.

    embed_dim:        class embedding size; taken from ``word_vectors`` (C_obj, E) when given
    hidden_dim:       model width of both encoders (KT: CONTEXT_HIDDEN_DIM 512)
    pooling_dim:      size of the pair representation multiplied with the union feature (KT: 4096)
    position_dim:     position embedding size (KT: 128)
    num_obj_layers / num_edge_layers: encoder depths (KT: OBJ_LAYER 4, REL_LAYER 2)
    num_heads, key_dim, value_dim, inner_dim: attention heads, per-head key and value sizes,
                      feed-forward size (KT: 8, 64, 64, 2048)
    dropout:          dropout on the attention weights and sub-layer outputs (KT: DROPOUT_RATE 0.1)
    position_dropout: dropout in the position embedding (KT: 0.1, fixed)
    use_frequency_bias: add the trainable frequency bias (KT: PREDICT_USE_BIAS on)
    use_union_features: multiply the pair representation with the union feature (KT: PREDICT_USE_VISION on)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 num_obj_layers: int = 4, num_edge_layers: int = 2, num_heads: int = 8, key_dim: int = 64,
                 value_dim: int = 64, inner_dim: int = 2048, dropout: float = 0.1, position_dropout: float = 0.1,
                 use_frequency_bias: bool = True, use_union_features: bool = True):
        super().__init__()
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "transformer head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.hidden_dim = int(hidden_dim)
        self.needs = dataclasses.replace(type(self).needs, union_features=bool(use_union_features))
        self.context = TransformerContext(
            num_obj_classes=num_obj_classes, obj_feature_dim=obj_feature_dim, embed_dim=embed_dim,
            hidden_dim=hidden_dim, position_dim=position_dim, num_obj_layers=num_obj_layers,
            num_edge_layers=num_edge_layers, num_heads=num_heads, key_dim=key_dim, value_dim=value_dim,
            inner_dim=inner_dim, dropout=dropout, position_dropout=position_dropout, word_vectors=word_vectors)
        self.subject_object_proj = normal_linear(hidden_dim, 2 * hidden_dim, std=10.0 * math.sqrt(1.0 / hidden_dim))
        self.pair_proj = xavier_linear(2 * hidden_dim, pooling_dim)
        # KT adds this layer only when the union feature's size differs from pooling_dim.
        self.union_proj = (xavier_linear(union_feature_dim, pooling_dim)
                           if use_union_features and union_feature_dim != pooling_dim else None)
        self.rel_classifier = xavier_linear(pooling_dim, num_rel_classes)
        self.ctx_classifier = xavier_linear(2 * hidden_dim, num_rel_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="transformer head")

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if self.needs.union_features and inputs.union_features is None:
            raise ValueError("transformer head: union_features are required (use_union_features is on)")
        context = self.context(mode=inputs.mode, obj_features=inputs.obj_features, boxes=inputs.boxes,
                               image_sizes=inputs.image_sizes, obj_logits=inputs.obj_logits,
                               obj_labels=inputs.obj_labels)
        rel_logits = []
        for i, pairs in enumerate(inputs.pairs):
            subject_rep, object_rep = self.subject_object_proj(context.edge_context[i]).chunk(2, dim=1)
            prod = torch.cat([subject_rep[pairs[:, 0]], object_rep[pairs[:, 1]]], dim=1)   # (M_i, 2h)
            logits = self.ctx_classifier(prod)
            if self.needs.union_features:
                union = inputs.union_features[i]
                visual = self.pair_proj(prod) * (self.union_proj(union) if self.union_proj is not None else union)
                logits = logits + self.rel_classifier(visual)
            if self.freq_bias is not None:
                logits = logits + self.freq_bias(*pair_labels(context.labels[i], pairs))
            rel_logits.append(logits)
        obj_logits = context.obj_logits if context.obj_logits is not None else list(inputs.obj_logits)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits)
