"""MSDN (Li et al., "Scene Graph Generation from Objects, Phrases and Region Captions", ICCV
2017) without the caption branch, with the layout of Microsoft's ``MSDN``
(scene_graph_benchmark ``relation_head/msdn/msdn.py``, ``msdn_base.py``).

Object nodes start from Linear + ReLU + Linear of the ROI feature, phrase (pair) nodes from the
same on the union feature, both of size ``dim``. Each of ``update_steps`` steps (layers shared):
  * a message from a source to a target is the source scaled by a scalar gate, the mean of
    sigmoid(Linear(ReLU([target, source]))) over ``gate_width`` outputs (one gate per direction:
    phrase->subject, phrase->object, subject->phrase, object->phrase);
  * an object averages the gated messages of the phrases it is the subject of, and of those it
    is the object of, and takes the mean of the two;
  * a phrase takes the mean of its gated subject and object messages;
  * both update as  x <- x + W_i·ReLU(message) + W_h·ReLU(x)  (Microsoft's
    ``Gated_Recurrent_Unit``), from the previous step's states.
Object and predicate logits come from linear classifiers on the last states; the frequency bias
of the refined labels is added when on (Microsoft's ``USE_BIAS``, set in its MSDN config).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.batch_pairs import batch_labels, batch_pairs
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.node_messages import ResidualUpdate, mean_by_target
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, split_sizes
from sgg_bench.registry import RELATION_HEADS


class ScalarGate(nn.Module):
    """(E, d) targets and sources -> (E, d) sources scaled by mean(sigmoid(W·ReLU([t, s])))."""

    def __init__(self, dim: int, width: int):
        super().__init__()
        self.w = nn.Linear(2 * dim, width)

    def forward(self, target: Tensor, source: Tensor) -> Tensor:
        gate = torch.sigmoid(self.w(torch.relu(torch.cat([target, source], dim=1)))).mean(dim=1, keepdim=True)
        return source * gate


def _embedding(in_dim: int, out_dim: int) -> nn.Module:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim))


@RELATION_HEADS.register(
    "msdn", paper="Li et al., Scene Graph Generation from Objects, Phrases and Region Captions, ICCV 2017",
    reference="MS scene_graph_benchmark/relation_head/msdn/msdn.py (MSDN)",
    modes=("predcls", "sgcls", "sgdet"),
    setting=lambda args: "" if args.get("use_frequency_bias", True) else "nobias")
class MSDNHead(nn.Module):
    """Object / phrase message passing head (MSDN without region captions).

    dim:            node size (Microsoft: 1024)
    gate_width:     outputs of each gate's linear layer, averaged into one scalar (128)
    update_steps:   message passing steps (MSDN_FEATURE_UPDATE_STEP 2 in Microsoft's config)
    use_frequency_bias: add the trainable frequency bias (Microsoft's MSDN config: on)
    """

    needs = HeadNeeds(union_features=True, frequency_prior=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, dim: int = 1024,
                 gate_width: int = 128, update_steps: int = 2, use_frequency_bias: bool = True):
        super().__init__()
        if update_steps < 0:
            raise ValueError(f"msdn head: update_steps: expected >= 0, found {update_steps}")
        self.update_steps = int(update_steps)
        self.obj_embedding = _embedding(obj_feature_dim, dim)
        self.rel_embedding = _embedding(union_feature_dim, dim)
        if update_steps:
            self.gate_sub2pred, self.gate_obj2pred = ScalarGate(dim, gate_width), ScalarGate(dim, gate_width)
            self.gate_pred2sub, self.gate_pred2obj = ScalarGate(dim, gate_width), ScalarGate(dim, gate_width)
            self.update_object, self.update_phrase = ResidualUpdate(dim), ResidualUpdate(dim)
        self.obj_classifier = nn.Linear(dim, num_obj_classes)
        self.rel_classifier = nn.Linear(dim, num_rel_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="msdn head")

    def step(self, objects: Tensor, phrases: Tensor, pairs: Tensor) -> tuple[Tensor, Tensor]:
        """objects (N, dim), phrases (M, dim), pairs (M, 2) -> the next (objects, phrases)."""
        subj, obj = pairs[:, 0], pairs[:, 1]
        n = objects.shape[0]
        as_subject = mean_by_target(self.gate_pred2sub(objects[subj], phrases), subj, n)
        as_object = mean_by_target(self.gate_pred2obj(objects[obj], phrases), obj, n)
        to_phrase = (self.gate_sub2pred(phrases, objects[subj]) + self.gate_obj2pred(phrases, objects[obj])) / 2
        return (self.update_object((as_subject + as_object) / 2, objects),
                self.update_phrase(to_phrase, phrases))

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("msdn head: union_features are required")
        num_boxes, num_pairs = inputs.num_boxes, inputs.num_pairs
        pairs = batch_pairs(inputs)
        objects = self.obj_embedding(torch.cat(inputs.obj_features, dim=0))
        phrases = self.rel_embedding(torch.cat(inputs.union_features, dim=0))
        for _ in range(self.update_steps):
            objects, phrases = self.step(objects, phrases, pairs)
        obj_logits = self.obj_classifier(objects)
        rel_logits = self.rel_classifier(phrases)
        if self.freq_bias is not None:
            labels = batch_labels(inputs, split_sizes(obj_logits, num_boxes))
            rel_logits = rel_logits + self.freq_bias(*pair_labels(labels, pairs))
        return RelationHeadOutputs(rel_logits=split_sizes(rel_logits, num_pairs),
                                   obj_logits=split_sizes(obj_logits, num_boxes))
