"""Motifs / MotifNet (Zellers et al., "Neural Motifs: Scene Graph Parsing with Global Context",
CVPR 2018), following KT's ``LSTMContext`` + ``MotifPredictor`` layout.

Per image, boxes are put in a sequence order (default: left to right by x-center).
1. Object context: a BiLSTM over [ROI feature, class embedding, box geometry embedding].
   The class embedding is the GT label's (PredCls) or the detector's softmax-weighted mix.
2. Object decoder (SGCls/SGDet): an LSTM cell walks the sequence and predicts each label from
   [object context, embedding of the previous label] (teacher forcing with training labels).
   PredCls keeps the GT labels.
3. Edge context: a BiLSTM over [ROI feature, object context, embedding of the label].
4. Predicate logits: subject and object projections of the edge context, concatenated and
   projected, multiplied with the (projected) union feature, classified, plus the trainable
   frequency bias of the (subject label, object label) pair.
"""
from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias
from sgg_bench.modeling.blocks.geometry import encode_box_geometry
from sgg_bench.modeling.blocks.sequence import BOX_ORDERS, box_order, run_lstm
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.modeling.postprocess import object_labels_and_scores
from sgg_bench.registry import RELATION_HEADS


class LabelDecoder(nn.Module):
    """Left-to-right LSTM cell predicting object labels (Motifs' object decoder)."""

    def __init__(self, *, input_dim: int, embed_dim: int, hidden_dim: int, num_obj_classes: int,
                 word_vectors: Tensor | None):
        super().__init__()
        # Row num_obj_classes is the "start" token fed before the first box.
        self.label_embed = nn.Embedding(num_obj_classes + 1, embed_dim)
        if word_vectors is not None:
            with torch.no_grad():
                self.label_embed.weight[:num_obj_classes].copy_(word_vectors)
        self.cell = nn.LSTMCell(input_dim + embed_dim, hidden_dim)
        self.classifier = nn.Linear(hidden_dim, num_obj_classes)
        self.start_token = num_obj_classes

    def forward(self, sequences: list[Tensor], targets: list[Tensor] | None) -> list[Tensor]:
        """sequences: list of (L_i, input_dim) in sequence order; targets: list of (L_i,) labels
        for teacher forcing, or None (greedy, background never chosen). Returns (L_i, C_obj) logits."""
        lengths = [int(s.shape[0]) for s in sequences]
        steps = max(lengths, default=0)
        count = len(sequences)
        num_classes = self.classifier.out_features
        if steps == 0:
            anchor = sum(p.sum() for p in self.parameters()) * 0.0
            return [s.new_zeros((0, num_classes)) + anchor for s in sequences]
        device = sequences[0].device
        padded = torch.zeros((count, steps, sequences[0].shape[1]), device=device)
        forced = torch.zeros((count, steps), dtype=torch.long, device=device)
        for index, seq in enumerate(sequences):
            padded[index, : seq.shape[0]] = seq
            if targets is not None:
                forced[index, : seq.shape[0]] = targets[index]
        hidden = padded.new_zeros((count, self.cell.hidden_size))
        memory = padded.new_zeros((count, self.cell.hidden_size))
        previous = torch.full((count,), self.start_token, dtype=torch.long, device=device)
        step_logits = []
        for step in range(steps):
            step_input = torch.cat([padded[:, step], self.label_embed(previous)], dim=1)
            hidden, memory = self.cell(step_input, (hidden, memory))
            logits = self.classifier(hidden)
            step_logits.append(logits)
            # Rows past a sequence's end are computed and then dropped below.
            previous = forced[:, step] if targets is not None else object_labels_and_scores(logits.detach())[0]
        stacked = torch.stack(step_logits, dim=1)  # (count, steps, C_obj)
        return [stacked[index, :length] for index, length in enumerate(lengths)]


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
    box_order:           leftright | size | confidence | none (KT default: leftright)
    num_obj_layers / num_edge_layers: depth of the two BiLSTMs
    dropout:             dropout inside the multi-layer LSTMs and on the pair representation
    use_frequency_bias:  add the trainable frequency bias (Motifs: on)
    use_union_features:  multiply the pair representation with the union feature (KT: on)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 box_order: str = "leftright", num_obj_layers: int = 1, num_edge_layers: int = 1,
                 dropout: float = 0.2, use_frequency_bias: bool = True, use_union_features: bool = True):
        super().__init__()
        if box_order not in BOX_ORDERS:
            raise ValueError(f"motifs head: box_order: expected one of {BOX_ORDERS}, found {box_order!r}")
        if word_vectors is not None:
            word_vectors = torch.as_tensor(word_vectors, dtype=torch.float32)
            if word_vectors.dim() != 2 or word_vectors.shape[0] != num_obj_classes:
                raise ValueError(f"motifs head: word_vectors: expected shape ({num_obj_classes}, E), "
                                 f"found {tuple(word_vectors.shape)}")
            embed_dim = int(word_vectors.shape[1])
        self.box_order = box_order
        self.needs = dataclasses.replace(type(self).needs, union_features=bool(use_union_features))
        self.ctx_embed = nn.Embedding(num_obj_classes, embed_dim)
        self.edge_embed = nn.Embedding(num_obj_classes, embed_dim)
        if word_vectors is not None:
            with torch.no_grad():
                self.ctx_embed.weight.copy_(word_vectors)
                self.edge_embed.weight.copy_(word_vectors)
        # KT puts a BatchNorm after the first layer; dropped so that one-box batches train.
        self.position_embed = nn.Sequential(nn.Linear(9, 32), nn.ReLU(), nn.Linear(32, position_dim), nn.ReLU())
        lstm_dropout = dropout if num_obj_layers > 1 else 0.0
        self.obj_context = nn.LSTM(obj_feature_dim + embed_dim + position_dim, hidden_dim,
                                   num_layers=num_obj_layers, bidirectional=True, dropout=lstm_dropout)
        self.obj_context_proj = nn.Linear(2 * hidden_dim, hidden_dim)
        self.decoder = LabelDecoder(input_dim=hidden_dim + obj_feature_dim, embed_dim=embed_dim,
                                    hidden_dim=hidden_dim, num_obj_classes=num_obj_classes,
                                    word_vectors=word_vectors)
        self.edge_context = nn.LSTM(obj_feature_dim + hidden_dim + embed_dim, hidden_dim,
                                    num_layers=num_edge_layers, bidirectional=True,
                                    dropout=dropout if num_edge_layers > 1 else 0.0)
        self.edge_context_proj = nn.Linear(2 * hidden_dim, hidden_dim)
        self.subject_object_proj = nn.Linear(hidden_dim, 2 * hidden_dim)
        self.pair_proj = nn.Linear(2 * hidden_dim, pooling_dim)
        self.union_proj = (nn.Sequential(nn.Linear(union_feature_dim, pooling_dim), nn.ReLU())
                           if use_union_features else None)
        self.pair_dropout = nn.Dropout(dropout)
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
        # Object context, in sequence order.
        ctx_inputs = []
        for i, order in enumerate(orders):
            if predcls:
                embedded = self.ctx_embed(inputs.obj_labels[i])
            else:
                embedded = torch.softmax(inputs.obj_logits[i], dim=1) @ self.ctx_embed.weight
            position = self.position_embed(encode_box_geometry(inputs.boxes[i], inputs.image_sizes[i]))
            ctx_inputs.append(torch.cat([inputs.obj_features[i], embedded, position], dim=1)[order])
        obj_ctx = [self.obj_context_proj(c) for c in run_lstm(self.obj_context, ctx_inputs)]

        # Labels (sequence order): GT in PredCls, decoded otherwise.
        sorted_feats = [inputs.obj_features[i][order] for i, order in enumerate(orders)]
        if predcls:
            sorted_labels = [inputs.obj_labels[i][order] for i, order in enumerate(orders)]
            obj_logits = list(inputs.obj_logits)
        else:
            targets = None
            if self.training and inputs.obj_targets is not None:
                targets = [inputs.obj_targets[i][order] for i, order in enumerate(orders)]
            sorted_logits = self.decoder([torch.cat([c, f], dim=1) for c, f in zip(obj_ctx, sorted_feats)], targets)
            sorted_labels = [object_labels_and_scores(l.detach())[0] for l in sorted_logits]
            obj_logits = [l[torch.argsort(order)] for l, order in zip(sorted_logits, orders)]

        edge_inputs = [torch.cat([f, c, self.edge_embed(l)], dim=1)
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
            if self.union_proj is not None:
                pair_rep = pair_rep * self.union_proj(inputs.union_features[i])
            logits = self.rel_classifier(self.pair_dropout(pair_rep))
            if self.freq_bias is not None:
                logits = logits + self.freq_bias(labels[pairs[:, 0]], labels[pairs[:, 1]])
            rel_logits.append(logits)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits)
