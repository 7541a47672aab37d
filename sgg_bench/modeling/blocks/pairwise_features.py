"""Object and pair representations built from ROI features, class embeddings and box geometry,
with PySGG's ``PairwiseFeatureExtractor`` layout ("fusion" edge features, spatial gating on).

Per box: ROI feature (D), class embedding (E: the GT label's row in PredCls, else the softmax of
the detector's logits times the table), position code (``PositionEncoder``, G) -> ``obj_hidden``
(H). The box's *augmented* feature is [label embedding (second table, GT or detector label),
ROI feature, that hidden vector] (E + D + H).
Per pair: the augmented features are split into a subject half and an object half
(``pair_split``, 2H), the subject's and object's halves are concatenated and multiplied by an
embedding of the 32-d pair geometry (``spatial``), projected to P (``rel_finalize``) and added to
the union feature (through ``union_up`` only when its size is not P).
Objects leave through ``obj_finalize`` (E + D + H -> P).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.batch_pairs import batch_labels
from sgg_bench.modeling.blocks.pair_geometry import box_pair_geometry, normalised_box_code
from sgg_bench.modeling.blocks.position import PositionEncoder


class PairwiseFeatures(nn.Module):
    """word_vectors: (C_obj, E) initial rows of both class tables."""

    def __init__(self, *, obj_feature_dim: int, union_feature_dim: int, word_vectors: Tensor,
                 hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128):
        super().__init__()
        num_classes, embed_dim = word_vectors.shape
        self.hidden_dim = int(hidden_dim)
        self.prob_embed = nn.Embedding(num_classes, embed_dim)
        self.label_embed = nn.Embedding(num_classes, embed_dim)
        with torch.no_grad():
            self.prob_embed.weight.copy_(word_vectors)
            self.label_embed.weight.copy_(word_vectors)
        self.position = PositionEncoder(position_dim)
        augmented = embed_dim + obj_feature_dim + hidden_dim
        self.obj_hidden = nn.Linear(obj_feature_dim + embed_dim + position_dim, hidden_dim)
        self.pair_split = nn.Linear(augmented, 2 * hidden_dim)
        self.spatial = nn.Sequential(nn.Linear(32, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 2 * hidden_dim),
                                     nn.ReLU())
        self.rel_finalize = nn.Sequential(nn.Linear(2 * hidden_dim, pooling_dim), nn.ReLU())
        self.union_up = nn.Linear(union_feature_dim, pooling_dim) if union_feature_dim != pooling_dim else None
        self.obj_finalize = nn.Sequential(nn.Linear(augmented, pooling_dim), nn.ReLU())

    def forward(self, *, mode: str, obj_features: list[Tensor], union_features: list[Tensor],
                boxes: list[Tensor], image_sizes: list[tuple[int, int]], detector_logits: list[Tensor],
                labels: list[Tensor], pairs: list[Tensor]) -> tuple[Tensor, Tensor]:
        """Per image: obj_features (N_i, D), union_features (M_i, D_u), boxes (N_i, 4),
        detector_logits (N_i, C_obj), labels (N_i,) (GT in PredCls, else the detector's),
        pairs (M_i, 2) -> objects (sum N_i, P) and pairs (sum M_i, P), images concatenated."""
        roi = torch.cat(obj_features, dim=0)
        flat_labels = torch.cat(labels, dim=0)
        if mode == "predcls":
            class_embed = self.prob_embed(flat_labels)
        else:
            class_embed = F.softmax(torch.cat(detector_logits, dim=0).detach(), dim=1) @ self.prob_embed.weight
        position = torch.cat(self.position(boxes, image_sizes), dim=0)
        hidden = self.obj_hidden(torch.cat([roi, class_embed, position], dim=1))
        augmented = torch.cat([self.label_embed(flat_labels), roi, hidden], dim=1)

        halves = self.pair_split(augmented)
        head, tail = halves[:, :self.hidden_dim], halves[:, self.hidden_dim:]
        pair_halves, geometry, start = [], [], 0
        for image_boxes, size, image_pairs in zip(boxes, image_sizes, pairs):
            code = normalised_box_code(image_boxes, size)
            subj, obj = image_pairs[:, 0], image_pairs[:, 1]
            pair_halves.append(torch.cat([head[start + subj], tail[start + obj]], dim=1))
            geometry.append(box_pair_geometry(code[subj], code[obj]))
            start += int(image_boxes.shape[0])
        pair_repr = torch.cat(pair_halves, dim=0) * self.spatial(torch.cat(geometry, dim=0))
        union = torch.cat(union_features, dim=0)
        if self.union_up is not None:
            union = self.union_up(union)
        rel = self.rel_finalize(pair_repr) + union
        return self.obj_finalize(augmented), rel

    def from_head_inputs(self, inputs) -> tuple[Tensor, Tensor]:
        """``forward`` on a head's ``RelationHeadInputs`` with PySGG's labels (GT in PredCls,
        else the detector's foreground argmax)."""
        labels = list(torch.split(batch_labels(inputs, inputs.obj_logits), inputs.num_boxes))
        return self(mode=inputs.mode, obj_features=inputs.obj_features, union_features=inputs.union_features,
                    boxes=inputs.boxes, image_sizes=inputs.image_sizes, detector_logits=inputs.obj_logits,
                    labels=labels, pairs=inputs.pairs)
