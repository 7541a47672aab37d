"""Motifs / MotifNet (Zellers et al., "Neural Motifs: Scene Graph Parsing with Global Context",
CVPR 2018), as KT's ``LSTMContext`` + ``MotifPredictor``.

Per image, boxes are put in a sequence order (default ``rightleft``: descending x-center, the
order KT's ``leftright`` sort produces).
1. Object context: a BiLSTM over [ROI feature, class embedding, position embedding], projected to
   ``hidden_dim``. The class embedding is the GT label's (PredCls) or the detector's
   softmax-weighted mix (SGCls/SGDet); the position embedding is KT's (with BatchNorm).
2. Object decoder (SGCls/SGDet): KT's highway LSTM over [object context, ROI feature, class
   embedding, position embedding] and the previous label's embedding (teacher forcing while
   training). PredCls keeps the GT labels.
3. Edge context: a BiLSTM over [embedding of the label, object context, ROI feature]; while
   training the labels are the training targets (GT, or the matched GT label in SGDet), at test
   time the GT (PredCls) or decoded labels.
4. Predicate logits: subject and object projections of the edge context, concatenated, projected
   to ``pooling_dim``, multiplied with the union feature (through a linear layer only when its size
   differs from ``pooling_dim``), classified, plus the frequency bias of the pair's labels (the
   same labels as the edge context).
"""
from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors, class_embedding
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias
from sgg_bench.modeling.blocks.label_decoder import HighwayLabelDecoder
from sgg_bench.modeling.blocks.position import PositionEncoder
from sgg_bench.modeling.blocks.sequence import BOX_ORDERS, box_order, run_lstm
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.modeling.postprocess import object_labels_and_scores
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
        if box_order not in BOX_ORDERS:
            raise ValueError(f"motifs head: box_order: expected one of {BOX_ORDERS}, found {box_order!r}")
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "motifs head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.box_order = box_order
        self.needs = dataclasses.replace(type(self).needs, union_features=bool(use_union_features))
        self.ctx_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.edge_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.position_embed = PositionEncoder(position_dim)
        context_input = obj_feature_dim + embed_dim + position_dim
        self.obj_context = nn.LSTM(context_input, hidden_dim, num_layers=num_obj_layers, bidirectional=True,
                                   dropout=dropout if num_obj_layers > 1 else 0.0)
        self.obj_context_proj = nn.Linear(2 * hidden_dim, hidden_dim)
        self.decoder = HighwayLabelDecoder(input_dim=hidden_dim + context_input, embed_dim=embed_dim,
                                           hidden_dim=hidden_dim, num_obj_classes=num_obj_classes,
                                           word_vectors=word_vectors, dropout=dropout)
        self.edge_context = nn.LSTM(embed_dim + hidden_dim + obj_feature_dim, hidden_dim,
                                    num_layers=num_edge_layers, bidirectional=True,
                                    dropout=dropout if num_edge_layers > 1 else 0.0)
        self.edge_context_proj = nn.Linear(2 * hidden_dim, hidden_dim)
        self.subject_object_proj = nn.Linear(hidden_dim, 2 * hidden_dim)
        self.pair_proj = nn.Linear(2 * hidden_dim, pooling_dim)
        # KT adds this layer only when the union feature's size differs from pooling_dim.
        self.union_proj = (nn.Linear(union_feature_dim, pooling_dim)
                           if use_union_features and union_feature_dim != pooling_dim else None)
        self.rel_classifier = nn.Linear(pooling_dim, num_rel_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="motifs head")

    def _orders(self, inputs: RelationHeadInputs) -> list[Tensor]:
        orders = []
        for boxes, logits in zip(inputs.boxes, inputs.obj_logits):
            scores = object_labels_and_scores(logits.detach())[1] if self.box_order == "confidence" else None
            orders.append(box_order(self.box_order, boxes, scores))
        return orders

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if self.needs.union_features and inputs.union_features is None:
            raise ValueError("motifs head: union_features are required (use_union_features is on)")
        predcls = inputs.mode == "predcls"
        orders = self._orders(inputs)
        positions = self.position_embed(inputs.boxes, inputs.image_sizes)
        # Object context, in sequence order.
        ctx_inputs = []
        for i, order in enumerate(orders):
            if predcls:
                embedded = self.ctx_embed(inputs.obj_labels[i])
            else:
                embedded = torch.softmax(inputs.obj_logits[i], dim=1) @ self.ctx_embed.weight
            ctx_inputs.append(torch.cat([inputs.obj_features[i], embedded, positions[i]], dim=1)[order])
        obj_ctx = [self.obj_context_proj(c) for c in run_lstm(self.obj_context, ctx_inputs)]

        # Labels (sequence order) for the edge context and the bias.
        sorted_feats = [inputs.obj_features[i][order] for i, order in enumerate(orders)]
        teacher = None
        if self.training and inputs.obj_targets is not None:
            teacher = [inputs.obj_targets[i][order] for i, order in enumerate(orders)]
        if predcls:
            sorted_labels = [inputs.obj_labels[i][order] for i, order in enumerate(orders)]
            obj_logits = list(inputs.obj_logits)
        else:
            decoded = self.decoder([torch.cat([c, x], dim=1) for c, x in zip(obj_ctx, ctx_inputs)], teacher)
            obj_logits = [l[torch.argsort(order)] for l, order in zip(decoded, orders)]
            sorted_labels = teacher if teacher is not None else [object_labels_and_scores(l.detach())[0]
                                                                 for l in decoded]

        edge_inputs = [torch.cat([self.edge_embed(l), c, f], dim=1)
                       for f, c, l in zip(sorted_feats, obj_ctx, sorted_labels)]
        edge_ctx = [self.edge_context_proj(c) for c in run_lstm(self.edge_context, edge_inputs)]

        rel_logits = []
        for i, order in enumerate(orders):
            inverse = torch.argsort(order)
            context = edge_ctx[i][inverse]               # back to the input box order
            labels = sorted_labels[i][inverse]
            pairs = inputs.pairs[i]
            subject_rep, object_rep = self.subject_object_proj(context).chunk(2, dim=1)
            pair_rep = self.pair_proj(torch.cat([subject_rep[pairs[:, 0]], object_rep[pairs[:, 1]]], dim=1))
            if self.needs.union_features:
                union = inputs.union_features[i]
                pair_rep = pair_rep * (self.union_proj(union) if self.union_proj is not None else union)
            logits = self.rel_classifier(pair_rep)
            if self.freq_bias is not None:
                logits = logits + self.freq_bias(labels[pairs[:, 0]], labels[pairs[:, 1]])
            rel_logits.append(logits)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits)
