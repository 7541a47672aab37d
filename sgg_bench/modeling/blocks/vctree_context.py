"""The VCTree object and edge context (KT's ``VCTreeLSTMContext``, ``model_vctree.py``): used by
the ``vctree`` head and by the causal predictor's ``vctree`` context.

1. Tree: the pair score network (``tree_scores.py``) scores every ordered pair of an image's
   boxes; a maximum spanning tree grown from those scores, made binary (``tree_building.py``).
   The scores learn only through the binary loss (``binary_loss``: BCE of their logits against
   the symmetric GT "related" matrix, averaged per image, then over the images).
2. Object context: a bidirectional tree-LSTM over [ROI feature, class embedding, position
   embedding] (``tree_lstm.py``); class embedding: the GT label's (PredCls) or the detector's
   softmax-weighted mix.
3. Object decoder (SGCls/SGDet): a root-to-leaves tree-LSTM over [object-context input, object
   context] and the parent's label embedding; its argmax labels feed the edge context.
4. Edge context: a bidirectional tree-LSTM over [label embedding, ROI feature, object context].

With ``counterfactual`` (KT's ``EFFECT_ANALYSIS``) the block keeps running means of the decoder
input (SGCls/SGDet, one update per image, as KT) and of the edge input's [label embedding, ROI
feature] part while training; ``average=True`` (test time only) substitutes them (KT's
``ctx_average``): the tree and the object context still come from the real boxes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import class_embedding
from sgg_bench.modeling.blocks.context_outputs import ContextOutputs
from sgg_bench.modeling.blocks.position import PositionEncoder
from sgg_bench.modeling.blocks.running_mean import expand_mean, update_running_mean
from sgg_bench.modeling.blocks.tree_building import Forest, build_forest
from sgg_bench.modeling.blocks.tree_lstm import BiTreeLSTM, TreeLabelDecoder
from sgg_bench.modeling.blocks.tree_scores import TreeScoreNet
from sgg_bench.modeling.head_io import RelationHeadInputs, one_hot_logits


class VCTreeContext(nn.Module):
    """freq_log_prior: the checked (C_obj, C_obj, C_rel) log prior (initialises the score network's
    co-occurrence table); word_vectors: optional (C_obj, E) class-embedding initialisation."""

    def __init__(self, *, num_obj_classes: int, obj_feature_dim: int, embed_dim: int, hidden_dim: int,
                 position_dim: int, freq_log_prior: Tensor, num_obj_layers: int = 1, num_edge_layers: int = 1,
                 dropout: float = 0.2, word_vectors: Tensor | None = None, counterfactual: bool = False,
                 average_ratio: float = 0.0005, owner: str = "vctree context"):
        super().__init__()
        if hidden_dim < 2 or hidden_dim % 2:
            raise ValueError(f"{owner}: hidden_dim: expected an even number >= 2, found {hidden_dim}")
        if num_obj_layers < 1 or num_edge_layers < 1:
            raise ValueError(f"{owner}: num_obj_layers/num_edge_layers: expected >= 1, found "
                             f"{num_obj_layers}/{num_edge_layers}")
        self.num_obj_classes = int(num_obj_classes)
        self.embed_dim = int(embed_dim)
        self.ctx_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)   # KT obj_embed1
        self.edge_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)  # KT obj_embed2
        self.position_embed = PositionEncoder(position_dim)
        self.tree_scores = TreeScoreNet(obj_feature_dim=obj_feature_dim, embed_dim=embed_dim, hidden_dim=hidden_dim,
                                        freq_log_prior=freq_log_prior)
        context_input = obj_feature_dim + embed_dim + position_dim
        self.obj_context = BiTreeLSTM(context_input, hidden_dim, num_layers=num_obj_layers, dropout=dropout)
        self.decoder = TreeLabelDecoder(input_dim=context_input + hidden_dim, embed_dim=embed_dim,
                                        hidden_dim=hidden_dim, num_obj_classes=num_obj_classes,
                                        word_vectors=word_vectors, dropout=dropout)
        self.edge_context = BiTreeLSTM(embed_dim + obj_feature_dim + hidden_dim, hidden_dim,
                                       num_layers=num_edge_layers, dropout=dropout)
        self.counterfactual = bool(counterfactual)
        self.average_ratio = float(average_ratio)
        if self.counterfactual:  # KT untreated_dcd_feat, untreated_edg_feat
            self.register_buffer("untreated_decoder_input", torch.zeros(context_input + hidden_dim))
            self.register_buffer("untreated_edge_input", torch.zeros(embed_dim + obj_feature_dim))

    def forward(self, inputs: RelationHeadInputs, *, average: bool = False) -> ContextOutputs:
        """Per image, in the input box order: refined object logits (None in PredCls), the labels of
        the edge context, an edge context of ``hidden_dim`` per box and the tree logits."""
        if average and (self.training or not self.counterfactual):
            raise ValueError("vctree context: average=True needs counterfactual=True and eval mode")
        predcls = inputs.mode == "predcls"
        sizes = inputs.num_boxes
        count = inputs.num_images
        if predcls:
            class_logits = [one_hot_logits(labels, self.num_obj_classes) for labels in inputs.obj_labels]
            embedded = [self.ctx_embed(labels) for labels in inputs.obj_labels]
        else:
            class_logits = [logits.detach() for logits in inputs.obj_logits]
            embedded = [F.softmax(logits, dim=1) @ self.ctx_embed.weight for logits in class_logits]
        tree_logits = self.tree_scores(inputs.obj_features, embedded, class_logits, inputs.boxes, inputs.image_sizes)
        forest: Forest = build_forest([torch.sigmoid(l) for l in tree_logits], device=inputs.boxes[0].device)

        features = torch.cat(inputs.obj_features)
        positions = torch.cat(self.position_embed(inputs.boxes, inputs.image_sizes))
        ctx_input = torch.cat([features, torch.cat(embedded), positions], dim=1)
        obj_ctx = self.obj_context(forest, ctx_input, count)
        if predcls:
            labels = torch.cat(inputs.obj_labels)
            obj_logits = None
        else:
            decoder_input = torch.cat([ctx_input, obj_ctx], dim=1)
            if self.training and self.counterfactual:
                for rows in decoder_input.split(sizes):
                    update_running_mean(self.untreated_decoder_input, rows, self.average_ratio)
            if average:
                decoder_input = expand_mean(self.untreated_decoder_input, decoder_input.shape[0])
            decoded, labels = self.decoder(forest, decoder_input, count)
            obj_logits = list(decoded.split(sizes))
        label_part = torch.cat([self.edge_embed(labels), features], dim=1)
        if self.training and self.counterfactual:
            update_running_mean(self.untreated_edge_input, label_part, self.average_ratio)
        if average:
            label_part = expand_mean(self.untreated_edge_input, label_part.shape[0])
        edge_ctx = self.edge_context(forest, torch.cat([label_part, obj_ctx], dim=1), count)
        return ContextOutputs(obj_logits=obj_logits, labels=list(labels.split(sizes)),
                              edge_context=list(edge_ctx.split(sizes)), tree_logits=tree_logits)

    def binary_loss(self, tree_logits: list[Tensor], related: list[Tensor]) -> Tensor:
        """Mean over images with boxes of the mean BCE of the (N, N) logits against ``related``."""
        per_image = [F.binary_cross_entropy_with_logits(logits, target.float())
                     for logits, target in zip(tree_logits, related) if logits.numel()]
        if not per_image:
            return sum(p.sum() for p in self.tree_scores.parameters()) * 0.0
        return torch.stack(per_image).mean()
