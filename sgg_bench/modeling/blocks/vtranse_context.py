"""The VTransE object and edge features of KT's ``VTransEFeature`` (``model_vtranse.py``), the
context layer of its ``CausalAnalysisPredictor`` with ``CONTEXT_LAYER vtranse``.

No message passing between boxes: each box is encoded on its own.
1. object input x = [ROI feature, class embedding, position embedding]; the class embedding is
   the GT label's (PredCls) or the softmax-weighted mix of the rows with the detector's logits;
   the position embedding is the Motifs one (``blocks/position.py``, with BatchNorm).
2. refined object logits = linear(x); labels = their argmax over the foreground classes
   (SGCls/SGDet, while training too), the GT labels in PredCls.
3. edge context = ReLU(linear([ROI feature, position embedding, second embedding of the labels])),
   ``hidden_dim`` per box.
Both linear layers use KT's ``make_fc`` initialisation (Kaiming uniform, a=1; zero bias).

With ``counterfactual`` (KT's ``EFFECT_ANALYSIS``) the block keeps running means of the object
input x and of the edge input's [ROI feature, position embedding] part while training;
``average=True`` (test time only) is KT's ``ctx_average``: every box gets the mean x, so the same
refined logits (computed in PredCls too, as KT), and its edge input is [the mean ROI feature and
position part, the softmax-weighted mix of the second embedding with those logits].
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import class_embedding, soft_class_embedding
from sgg_bench.modeling.blocks.context_outputs import ContextOutputs
from sgg_bench.modeling.blocks.layer_init import kaiming_linear
from sgg_bench.modeling.blocks.position import PositionEncoder
from sgg_bench.modeling.blocks.running_mean import expand_mean, update_running_mean
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.postprocess import object_labels_and_scores


class VTransEContext(nn.Module):
    """word_vectors: optional (C_obj, E) initialisation of both class embeddings."""

    def __init__(self, *, num_obj_classes: int, obj_feature_dim: int, embed_dim: int, hidden_dim: int,
                 position_dim: int, word_vectors: Tensor | None = None, counterfactual: bool = False,
                 average_ratio: float = 0.0005):
        super().__init__()
        self.obj_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.edge_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.position_embed = PositionEncoder(position_dim)
        self.obj_classifier = kaiming_linear(obj_feature_dim + embed_dim + position_dim, num_obj_classes)
        self.edge_proj = kaiming_linear(obj_feature_dim + position_dim + embed_dim, hidden_dim)
        self.counterfactual = bool(counterfactual)
        self.average_ratio = float(average_ratio)
        if self.counterfactual:  # KT untreated_obj_feat, untreated_edg_feat
            self.register_buffer("untreated_obj_input", torch.zeros(obj_feature_dim + embed_dim + position_dim))
            self.register_buffer("untreated_edge_input", torch.zeros(obj_feature_dim + position_dim))

    def forward(self, inputs: RelationHeadInputs, *, average: bool = False) -> ContextOutputs:
        """Per image, in the input box order: refined object logits (None in PredCls, except with
        ``average``), the labels the edge vector used and the edge vector (``hidden_dim``)."""
        if average and (self.training or not self.counterfactual):
            raise ValueError("vtranse context: average=True needs counterfactual=True and eval mode")
        predcls = inputs.mode == "predcls"
        positions = self.position_embed(inputs.boxes, inputs.image_sizes)
        refined, labels, edge_context, obj_rows, edge_rows = [], [], [], [], []
        for i, features in enumerate(inputs.obj_features):
            embedded = (self.obj_embed(inputs.obj_labels[i]) if predcls
                        else soft_class_embedding(self.obj_embed, inputs.obj_logits[i]))
            obj_input = torch.cat([features, embedded, positions[i]], dim=1)
            edge_part = torch.cat([features, positions[i]], dim=1)
            obj_rows.append(obj_input)
            edge_rows.append(edge_part)
            if average:
                refined.append(self.obj_classifier(expand_mean(self.untreated_obj_input, features.shape[0])))
                image_labels = object_labels_and_scores(refined[-1])[0]
                edge_input = torch.cat([expand_mean(self.untreated_edge_input, features.shape[0]),
                                        soft_class_embedding(self.edge_embed, refined[-1])], dim=1)
            else:
                if predcls:
                    image_labels = inputs.obj_labels[i]
                else:
                    refined.append(self.obj_classifier(obj_input))
                    image_labels = object_labels_and_scores(refined[-1].detach())[0]
                edge_input = torch.cat([edge_part, self.edge_embed(image_labels)], dim=1)
            labels.append(image_labels)
            edge_context.append(torch.relu(self.edge_proj(edge_input)))
        if self.training and self.counterfactual:
            update_running_mean(self.untreated_obj_input, torch.cat(obj_rows), self.average_ratio)
            update_running_mean(self.untreated_edge_input, torch.cat(edge_rows), self.average_ratio)
        return ContextOutputs(obj_logits=None if predcls and not average else refined, labels=labels,
                              edge_context=edge_context)
