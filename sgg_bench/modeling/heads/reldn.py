"""RelDN (Zhang et al., "Graphical Contrastive Losses for Scene Graph Parsing", CVPR 2019), with
the layout of Microsoft's ``RelDN`` (scene_graph_benchmark ``relation_head/reldn/reldn.py``).

Predicate logits are the sum of five terms:
  * visual: Linear(D, C_rel) of [subject ROI, union, object ROI] after
    Linear(3D, 3D/2) + LeakyReLU(0.1) + Linear(3D/2, D) + LeakyReLU(0.1);
  * subject and object: Linear(D, C_rel) of each box's ROI feature alone;
  * spatial: Linear(64, C_rel) of the 28-d pair geometry (``blocks/reldn_spatial.py``) after
    Linear(28, 64) + LeakyReLU + Linear(64, 64) + LeakyReLU;
  * semantic: the trainable frequency bias of the pair's classes (always on in RelDN).
During training the graphical contrastive losses (``blocks/contrastive_losses.py``) are added.
Objects are not refined: the detector's logits pass through.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.contrastive_losses import contrastive_losses
from sgg_bench.modeling.blocks.batch_pairs import batch_labels, batch_pairs
from sgg_bench.modeling.blocks.frequency_bias import check_log_prior, FrequencyBias, pair_labels
from sgg_bench.modeling.blocks.reldn_spatial import reldn_pair_geometry
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, split_sizes
from sgg_bench.registry import RELATION_HEADS


@RELATION_HEADS.register(
    "reldn", paper="Zhang et al., Graphical Contrastive Losses for Scene Graph Parsing, CVPR 2019",
    reference="MS scene_graph_benchmark/relation_head/reldn/reldn.py (RelDN)",
    modes=("predcls", "sgcls", "sgdet"))
class RelDNHead(nn.Module):
    """Relationship detection network with graphical contrastive losses.

    spatial_dim:      size of the pair geometry embedding (64)
    use_contrastive_losses: add the six contrastive losses in training (CONTRASTIVE_LOSS.USE_FLAG)
    margins:          (agnostic, entity-class aware, predicate aware) margins (0.2 each)
    loss_weights:     their weights (1.0, 0.5, 0.1)
    The embedding sizes follow the feature size D (the ROI feature size), as the reference.
    """

    needs = HeadNeeds(union_features=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = False

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, spatial_dim: int = 64,
                 use_contrastive_losses: bool = True, margins: tuple = (0.2, 0.2, 0.2),
                 loss_weights: tuple = (1.0, 0.5, 0.1)):
        super().__init__()
        if len(margins) != 3 or len(loss_weights) != 3:
            raise ValueError(f"reldn head: margins, loss_weights: expected 3 numbers each, "
                             f"found {list(margins)}, {list(loss_weights)}")
        dim = int(obj_feature_dim)
        joint = 2 * dim + int(union_feature_dim)
        self.use_contrastive_losses = bool(use_contrastive_losses)
        self.margins = tuple(float(m) for m in margins)
        self.loss_weights = tuple(float(w) for w in loss_weights)
        self.rel_embedding = nn.Sequential(nn.Linear(joint, joint // 2), nn.LeakyReLU(0.1),
                                           nn.Linear(joint // 2, dim), nn.LeakyReLU(0.1))
        self.spatial = nn.Sequential(nn.Linear(28, spatial_dim), nn.LeakyReLU(0.1),
                                     nn.Linear(spatial_dim, spatial_dim), nn.LeakyReLU(0.1))
        self.subj_classifier = nn.Linear(dim, num_rel_classes)
        self.obj_classifier = nn.Linear(dim, num_rel_classes)
        self.pred_classifier = nn.Linear(dim, num_rel_classes)
        self.spatial_classifier = nn.Linear(spatial_dim, num_rel_classes)
        prior = check_log_prior(freq_log_prior, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                                owner="reldn head")
        self.freq_bias = FrequencyBias(freq_log_prior=prior)

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("reldn head: union_features are required")
        num_pairs = inputs.num_pairs
        pairs = batch_pairs(inputs)
        roi = torch.cat(inputs.obj_features, dim=0)
        subj_feat, obj_feat = roi[pairs[:, 0]], roi[pairs[:, 1]]
        union = torch.cat(inputs.union_features, dim=0)
        geometry = torch.cat([reldn_pair_geometry(b[p[:, 0]], b[p[:, 1]], size)
                              for b, p, size in zip(inputs.boxes, inputs.pairs, inputs.image_sizes)], dim=0)
        labels = batch_labels(inputs, inputs.obj_logits)
        rel_logits = (self.pred_classifier(self.rel_embedding(torch.cat([subj_feat, union, obj_feat], dim=1)))
                      + self.subj_classifier(subj_feat) + self.obj_classifier(obj_feat)
                      + self.spatial_classifier(self.spatial(geometry))
                      + self.freq_bias(*pair_labels(labels, pairs)))
        losses = {}
        if self.training and self.use_contrastive_losses and inputs.rel_labels is not None:
            losses = contrastive_losses(rel_logits, pairs, torch.cat(inputs.rel_labels, dim=0),
                                        torch.cat(inputs.obj_targets, dim=0), num_boxes=roi.shape[0],
                                        margins=self.margins, weights=self.loss_weights)
        return RelationHeadOutputs(rel_logits=split_sizes(rel_logits, num_pairs),
                                   obj_logits=list(inputs.obj_logits), losses=losses)
