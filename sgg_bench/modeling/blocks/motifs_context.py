"""The Motifs object and edge context (KT's ``LSTMContext``, ``model_motifs.py``): used by the
``motifs`` head and by the causal predictor's ``motifs`` context.

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

With ``counterfactual`` (KT's ``EFFECT_ANALYSIS``) the block keeps running means of the decoder
input and of the edge input's [label embedding, ROI feature] part while training; ``average=True``
(test time only) substitutes them, as KT's ``ctx_average``: the object context still sees the real
boxes, the decoder and the edge context's label and feature inputs see the means.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import class_embedding
from sgg_bench.modeling.blocks.context_outputs import ContextOutputs
from sgg_bench.modeling.blocks.label_decoder import HighwayLabelDecoder
from sgg_bench.modeling.blocks.position import PositionEncoder
from sgg_bench.modeling.blocks.running_mean import expand_mean, update_running_mean
from sgg_bench.modeling.blocks.sequence import BOX_ORDERS, box_order, run_lstm
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.postprocess import object_labels_and_scores


class MotifsContext(nn.Module):
    """word_vectors: optional (C_obj, E) initialisation of the class embeddings and the decoder's
    label embedding; the other arguments as the ``motifs`` head's (KT: hidden 512, position 128,
    one layer each, dropout 0.2)."""

    def __init__(self, *, num_obj_classes: int, obj_feature_dim: int, embed_dim: int, hidden_dim: int,
                 position_dim: int, box_order: str = "rightleft", num_obj_layers: int = 1, num_edge_layers: int = 1,
                 dropout: float = 0.2, word_vectors: Tensor | None = None, counterfactual: bool = False,
                 average_ratio: float = 0.0005, owner: str = "motifs context"):
        super().__init__()
        if box_order not in BOX_ORDERS:
            raise ValueError(f"{owner}: box_order: expected one of {BOX_ORDERS}, found {box_order!r}")
        self.box_order = box_order
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
        self.counterfactual = bool(counterfactual)
        self.average_ratio = float(average_ratio)
        self.embed_dim = int(embed_dim)
        if self.counterfactual:  # KT untreated_dcd_feat, untreated_edg_feat
            self.register_buffer("untreated_decoder_input", torch.zeros(hidden_dim + context_input))
            self.register_buffer("untreated_edge_input", torch.zeros(embed_dim + obj_feature_dim))

    def _orders(self, inputs: RelationHeadInputs) -> list[Tensor]:
        orders = []
        for boxes, logits in zip(inputs.boxes, inputs.obj_logits):
            scores = object_labels_and_scores(logits.detach())[1] if self.box_order == "confidence" else None
            orders.append(box_order(self.box_order, boxes, scores))
        return orders

    def forward(self, inputs: RelationHeadInputs, *, average: bool = False) -> ContextOutputs:
        """Per image, in the input box order: refined object logits (None in PredCls), the labels
        of the edge context and an edge context of ``hidden_dim`` per box. ``average``: KT's
        ``ctx_average`` counterfactual (test time, ``counterfactual`` blocks only)."""
        if average and (self.training or not self.counterfactual):
            raise ValueError("motifs context: average=True needs counterfactual=True and eval mode")
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
        decoder_inputs = [torch.cat([c, x], dim=1) for c, x in zip(obj_ctx, ctx_inputs)]
        if average:
            decoder_inputs = [expand_mean(self.untreated_decoder_input, d.shape[0]) for d in decoder_inputs]

        # Labels (sequence order) for the edge context and the bias.
        sorted_feats = [inputs.obj_features[i][order] for i, order in enumerate(orders)]
        teacher = None
        if self.training and inputs.obj_targets is not None:
            teacher = [inputs.obj_targets[i][order] for i, order in enumerate(orders)]
        if predcls:
            sorted_labels = [inputs.obj_labels[i][order] for i, order in enumerate(orders)]
            obj_logits = None
        else:
            decoded = self.decoder(decoder_inputs, teacher)
            obj_logits = [l[torch.argsort(order)] for l, order in zip(decoded, orders)]
            sorted_labels = teacher if teacher is not None else [object_labels_and_scores(l.detach())[0]
                                                                 for l in decoded]

        label_embeds = [self.edge_embed(l) for l in sorted_labels]
        if average:
            means = [expand_mean(self.untreated_edge_input, f.shape[0]) for f in sorted_feats]
            label_embeds = [m[:, :self.embed_dim] for m in means]
            sorted_feats = [m[:, self.embed_dim:] for m in means]
        edge_inputs = [torch.cat([e, c, f], dim=1) for e, c, f in zip(label_embeds, obj_ctx, sorted_feats)]
        edge_ctx = [self.edge_context_proj(c) for c in run_lstm(self.edge_context, edge_inputs)]
        if self.training and self.counterfactual:
            update_running_mean(self.untreated_decoder_input, torch.cat(decoder_inputs), self.average_ratio)
            update_running_mean(self.untreated_edge_input,
                                torch.cat([torch.cat([e, f], dim=1) for e, f in zip(label_embeds, sorted_feats)]),
                                self.average_ratio)

        inverse = [torch.argsort(order) for order in orders]   # back to the input box order
        return ContextOutputs(obj_logits=obj_logits, labels=[l[inv] for l, inv in zip(sorted_labels, inverse)],
                              edge_context=[c[inv] for c, inv in zip(edge_ctx, inverse)])
