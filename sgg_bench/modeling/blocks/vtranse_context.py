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
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import class_embedding, soft_class_embedding
from sgg_bench.modeling.blocks.context_outputs import ContextOutputs
from sgg_bench.modeling.blocks.layer_init import kaiming_linear
from sgg_bench.modeling.blocks.position import PositionEncoder
from sgg_bench.modeling.postprocess import object_labels_and_scores


class VTransEContext(nn.Module):
    """word_vectors: optional (C_obj, E) initialisation of both class embeddings."""

    def __init__(self, *, num_obj_classes: int, obj_feature_dim: int, embed_dim: int, hidden_dim: int,
                 position_dim: int, word_vectors: Tensor | None = None):
        super().__init__()
        self.obj_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.edge_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.position_embed = PositionEncoder(position_dim)
        self.obj_classifier = kaiming_linear(obj_feature_dim + embed_dim + position_dim, num_obj_classes)
        self.edge_proj = kaiming_linear(obj_feature_dim + position_dim + embed_dim, hidden_dim)

    def forward(self, *, mode: str, obj_features: list[Tensor], boxes: list[Tensor],
                image_sizes: list[tuple[int, int]], obj_logits: list[Tensor],
                obj_labels: list[Tensor] | None) -> ContextOutputs:
        """Per image: obj_features (N_i, D), boxes (N_i, 4) xyxy in a frame of image_sizes[i]
        (height, width), obj_logits (N_i, C_obj) the detector's, obj_labels (N_i,) GT (PredCls only)."""
        predcls = mode == "predcls"
        positions = self.position_embed(boxes, image_sizes)
        refined, labels, edge_context = [], [], []
        for i, features in enumerate(obj_features):
            embedded = (self.obj_embed(obj_labels[i]) if predcls
                        else soft_class_embedding(self.obj_embed, obj_logits[i]))
            if predcls:
                image_labels = obj_labels[i]
            else:
                refined.append(self.obj_classifier(torch.cat([features, embedded, positions[i]], dim=1)))
                image_labels = object_labels_and_scores(refined[-1].detach())[0]
            labels.append(image_labels)
            edge_input = torch.cat([features, positions[i], self.edge_embed(image_labels)], dim=1)
            edge_context.append(torch.relu(self.edge_proj(edge_input)))
        return ContextOutputs(obj_logits=None if predcls else refined, labels=labels, edge_context=edge_context)
