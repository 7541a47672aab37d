"""Frequency baseline (Zellers et al. 2018, "FREQ"): the predicate log prior of the pair's classes.

Relation logits for pair (i, j) are ``pred_dist[label_i, label_j]`` (docs/FORMATS.md),
with GT labels in PredCls and the detector's predicted labels otherwise. Nothing is learned:
the prior is a buffer and ``requires_training`` is False, so the engine skips training.
"""
from __future__ import annotations

from torch import Tensor, nn

from sgg_bench.modeling.blocks.frequency_bias import check_log_prior, pair_labels
from sgg_bench.modeling.blocks.geometry import labels_for_pairs
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.registry import RELATION_HEADS


@RELATION_HEADS.register(
    "frequency", paper="Zellers et al., Neural Motifs, CVPR 2018 (FREQ baseline)",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/utils_motifs.py (FrequencyBias)",
    modes=("predcls", "sgcls", "sgdet"))
class FrequencyHead(nn.Module):
    """Statistics-only relation head.

    Arguments are the data-derived ones every head receives; only ``freq_log_prior``
    (C_obj, C_obj, C_rel) is used. Object logits are passed through unchanged.
    """

    needs = HeadNeeds(object_context=False, frequency_prior=True)
    requires_training = False
    refines_objects = False

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, freq_log_prior: Tensor | None,
                 obj_feature_dim: int | None = None, union_feature_dim: int | None = None):
        super().__init__()
        prior = check_log_prior(freq_log_prior, num_obj_classes=num_obj_classes,
                                num_rel_classes=num_rel_classes, owner="frequency head")
        self.register_buffer("log_prior", prior)

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        rel_logits = []
        for index in range(inputs.num_images):
            labels = labels_for_pairs(inputs.mode, inputs.obj_labels[index] if inputs.obj_labels else None,
                                      inputs.obj_logits[index])
            subj, obj = pair_labels(labels, inputs.pairs[index])
            rel_logits.append(self.log_prior[subj, obj])
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=list(inputs.obj_logits))
