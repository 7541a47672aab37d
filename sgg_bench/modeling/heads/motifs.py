"""Motifs / MotifNet (Zellers et al., "Neural Motifs: Scene Graph Parsing with Global Context",
CVPR 2018), as KT's ``LSTMContext`` + ``MotifPredictor``.

1-3. Object context, object decoder and edge context: ``blocks/motifs_context.py`` (KT's
   ``LSTMContext``, shared with the causal predictor's ``motifs`` context).
4. Predicate logits: subject and object projections of the edge context, concatenated, projected
   to ``pooling_dim``, multiplied with the union feature (through a linear layer only when its size
   differs from ``pooling_dim``), classified, plus the frequency bias of the pair's labels (the
   same labels as the edge context).
"""
from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias
from sgg_bench.modeling.blocks.motifs_context import MotifsContext
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.registry import RELATION_HEADS


@RELATION_HEADS.register(
    "motifs", paper="Zellers et al., Neural Motifs: Scene Graph Parsing with Global Context, CVPR 2018",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/model_motifs.py (LSTMContext, MotifPredictor)",
    modes=("predcls", "sgcls", "sgdet"))
class MotifsHead(nn.Module):
    """MotifNet relation head.

    embed_dim:           class embedding size; taken from ``word_vectors`` (C_obj, E) when given
                         (GloVe), else random normal init (docs/MODELS.md)
    hidden_dim:          LSTM size per direction (KT: 512)
    pooling_dim:         size of the pair representation multiplied with the union feature (KT: 4096)
    position_dim:        position embedding size (KT: 128)
    box_order:           rightleft | leftright | size | confidence | none (KT: rightleft)
    num_obj_layers / num_edge_layers: depth of the two BiLSTMs (KT: 1)
    dropout:             recurrent dropout of the decoder (KT: 0.2), and between stacked LSTM layers
    use_frequency_bias:  add the trainable frequency bias (Motifs: on)
    use_union_features:  multiply the pair representation with the union feature (KT: on)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 box_order: str = "rightleft", num_obj_layers: int = 1, num_edge_layers: int = 1,
                 dropout: float = 0.2, use_frequency_bias: bool = True, use_union_features: bool = True):
        super().__init__()
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "motifs head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.needs = dataclasses.replace(type(self).needs, union_features=bool(use_union_features))
        self.context = MotifsContext(num_obj_classes=num_obj_classes, obj_feature_dim=obj_feature_dim,
                                     embed_dim=embed_dim, hidden_dim=hidden_dim, position_dim=position_dim,
                                     box_order=box_order, num_obj_layers=num_obj_layers,
                                     num_edge_layers=num_edge_layers, dropout=dropout, word_vectors=word_vectors,
                                     owner="motifs head")
        self.subject_object_proj = nn.Linear(hidden_dim, 2 * hidden_dim)
        self.pair_proj = nn.Linear(2 * hidden_dim, pooling_dim)
        # KT adds this layer only when the union feature's size differs from pooling_dim.
        self.union_proj = (nn.Linear(union_feature_dim, pooling_dim)
                           if use_union_features and union_feature_dim != pooling_dim else None)
        self.rel_classifier = nn.Linear(pooling_dim, num_rel_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="motifs head")

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if self.needs.union_features and inputs.union_features is None:
            raise ValueError("motifs head: union_features are required (use_union_features is on)")
        context = self.context(inputs)
        rel_logits = []
        for i, pairs in enumerate(inputs.pairs):
            labels = context.labels[i]
            subject_rep, object_rep = self.subject_object_proj(context.edge_context[i]).chunk(2, dim=1)
            pair_rep = self.pair_proj(torch.cat([subject_rep[pairs[:, 0]], object_rep[pairs[:, 1]]], dim=1))
            if self.needs.union_features:
                union = inputs.union_features[i]
                pair_rep = pair_rep * (self.union_proj(union) if self.union_proj is not None else union)
            logits = self.rel_classifier(pair_rep)
            if self.freq_bias is not None:
                logits = logits + self.freq_bias(labels[pairs[:, 0]], labels[pairs[:, 1]])
            rel_logits.append(logits)
        obj_logits = context.obj_logits if context.obj_logits is not None else list(inputs.obj_logits)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits)
