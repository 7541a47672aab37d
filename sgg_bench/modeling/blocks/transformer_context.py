"""The Transformer object and edge context of KT's ``TransformerContext`` (``model_transformer.py``).

Per box (all boxes of an image attend to each other; no box order is needed):
1. object context: [ROI feature, class embedding, position embedding] -> linear to ``hidden_dim``
   -> ``num_obj_layers`` encoder layers. The class embedding is the GT label's (PredCls) or the
   softmax-weighted mix of the rows with the detector's logits (SGCls/SGDet); the position
   embedding is the 9-d box code -> 32 -> ReLU -> dropout -> ``position_dim`` -> ReLU -> dropout
   (no BatchNorm, unlike Motifs).
2. object labels: PredCls keeps the GT; otherwise a linear classifier on the object context gives
   the refined logits and the labels are their argmax over the foreground classes, while training
   too (KT feeds its own predictions, not the targets, to the edge context).
3. edge context: [ROI feature, object context, second embedding of the labels] -> linear to
   ``hidden_dim`` -> ``num_edge_layers`` encoder layers.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import class_embedding, soft_class_embedding
from sgg_bench.modeling.blocks.context_outputs import ContextOutputs
from sgg_bench.modeling.blocks.geometry import encode_box_geometry
from sgg_bench.modeling.blocks.transformer_encoder import TransformerEncoder
from sgg_bench.modeling.postprocess import object_labels_and_scores


class TransformerContext(nn.Module):
    """word_vectors: optional (C_obj, E) initialisation of both class embeddings."""

    def __init__(self, *, num_obj_classes: int, obj_feature_dim: int, embed_dim: int, hidden_dim: int,
                 position_dim: int, num_obj_layers: int, num_edge_layers: int, num_heads: int, key_dim: int,
                 value_dim: int, inner_dim: int, dropout: float, position_dropout: float,
                 word_vectors: Tensor | None = None):
        super().__init__()
        self.obj_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.edge_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)
        self.position_embed = nn.Sequential(nn.Linear(9, 32), nn.ReLU(), nn.Dropout(position_dropout),
                                            nn.Linear(32, position_dim), nn.ReLU(), nn.Dropout(position_dropout))
        self.obj_input = nn.Linear(obj_feature_dim + embed_dim + position_dim, hidden_dim)
        self.edge_input = nn.Linear(obj_feature_dim + hidden_dim + embed_dim, hidden_dim)
        self.obj_classifier = nn.Linear(hidden_dim, num_obj_classes)
        sizes = dict(d_model=hidden_dim, num_heads=num_heads, key_dim=key_dim, value_dim=value_dim,
                     inner_dim=inner_dim, dropout=dropout)
        self.obj_context = TransformerEncoder(num_layers=num_obj_layers, **sizes)
        self.edge_context = TransformerEncoder(num_layers=num_edge_layers, **sizes)

    def forward(self, *, mode: str, obj_features: list[Tensor], boxes: list[Tensor],
                image_sizes: list[tuple[int, int]], obj_logits: list[Tensor],
                obj_labels: list[Tensor] | None) -> ContextOutputs:
        """Per image: obj_features (N_i, D), boxes (N_i, 4) xyxy in a frame of image_sizes[i]
        (height, width), obj_logits (N_i, C_obj) the detector's, obj_labels (N_i,) GT (PredCls only)."""
        predcls = mode == "predcls"
        counts = [int(b.shape[0]) for b in boxes]
        codes = torch.cat([encode_box_geometry(b, size) for b, size in zip(boxes, image_sizes)], dim=0)
        positions = self.position_embed(codes).split(counts)
        obj_inputs = []
        for i, features in enumerate(obj_features):
            embedded = (self.obj_embed(obj_labels[i]) if predcls
                        else soft_class_embedding(self.obj_embed, obj_logits[i]))
            obj_inputs.append(self.obj_input(torch.cat([features, embedded, positions[i]], dim=1)))
        obj_ctx = self.obj_context(obj_inputs)
        if predcls:
            refined, labels = None, list(obj_labels)
        else:
            refined = [self.obj_classifier(c) for c in obj_ctx]
            labels = [object_labels_and_scores(r.detach())[0] for r in refined]
        edge_inputs = [self.edge_input(torch.cat([f, c, self.edge_embed(l)], dim=1))
                       for f, c, l in zip(obj_features, obj_ctx, labels)]
        return ContextOutputs(obj_logits=refined, labels=labels, edge_context=self.edge_context(edge_inputs))
