"""GPS-Net (Lin et al., "GPS-Net: Graph Property Sensing Network for Scene Graph Generation",
CVPR 2020), with the layout of PySGG's ``GPSNetPredictor`` and its ``GPSNetContext``.

1. Object and pair features (``blocks/pairwise_features.py``, PySGG's ``PairwiseFeatureExtractor``
   with "fusion" edge features): objects x (P) and pairs u (P) from ROI features, class
   embeddings, box positions, pair geometry and the union feature.
2. ``update_steps`` rounds of direction-aware message passing between objects
   (``blocks/direction_aware_messages.py``): triplet gates over (subject, object, pair feature),
   a softmax over each subject's objects, messages along both directions of that attention;
   x <- ReLU(Linear_H->P(message + ReLU(Linear_P->H,t(x)))), a bottleneck of its own per round.
   The pair features u stay as they are: PySGG builds a relation update but its forward does
   not call it; ``update_relations`` builds and runs it (``RelationUpdate``, after each round).
3. Relation features: u + ReLU(Linear(concat(subject half, object half))) of the refined objects
   (each object split by Linear + ReLU into a subject and an object half of size H).
4. Linear classifiers: predicates from the relation features plus the trainable frequency bias of
   the labels (GT in PredCls, else the refined ones); objects from the refined features.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.batch_pairs import batch_labels, batch_pairs
from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.direction_aware_messages import DirectionAwareMessages, TripletGate
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.layer_init import kaiming_linear
from sgg_bench.modeling.blocks.pairwise_features import PairwiseFeatures
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, split_sizes
from sgg_bench.registry import RELATION_HEADS


class ObjectPairFeatures(nn.Module):
    """(N, P) objects, (M, 2) pairs -> (M, P): ReLU(Linear(2H -> P)) of [subject half, object half],
    the halves from ReLU(Linear(P -> 2H)) (PySGG ``GPSNetContext.pairwise_rel_features``)."""

    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        self.hidden_dim = int(hidden_dim)
        self.split = nn.Sequential(kaiming_linear(dim, 2 * hidden_dim), nn.ReLU())
        self.finalize = nn.Sequential(kaiming_linear(2 * hidden_dim, dim), nn.ReLU())

    def forward(self, objects: Tensor, pairs: Tensor) -> Tensor:
        halves = self.split(objects)
        head, tail = halves[:, :self.hidden_dim], halves[:, self.hidden_dim:]
        return self.finalize(torch.cat([head[pairs[:, 0]], tail[pairs[:, 1]]], dim=1))


def _norm(norm: nn.BatchNorm1d, x: Tensor, *, skip_single: bool) -> Tensor:
    """BatchNorm, skipped for a single row while training (no batch statistics; the reference
    catches that error and skips it) and, with ``skip_single``, for a single row always (its
    relation branch tests the row count)."""
    if x.shape[0] <= 1 and (norm.training or skip_single):
        return x
    return norm(x)


class SubjectObjectGate(nn.Module):
    """(M, H) relation and (M, H) entity rows -> entity rows scaled by the mean over ``width`` of
    sigmoid(Linear(BN([relation, entity]))) (PySGG ``MessagePassingUnit``)."""

    def __init__(self, hidden_dim: int, width: int = 64):
        super().__init__()
        self.norm = nn.BatchNorm1d(2 * hidden_dim)
        self.w = nn.Linear(2 * hidden_dim, width)

    def forward(self, relations: Tensor, entities: Tensor) -> Tensor:
        paired = _norm(self.norm, torch.cat([relations, entities], dim=1), skip_single=False)
        return entities * torch.sigmoid(self.w(paired)).mean(dim=1, keepdim=True)


class RelationUpdate(nn.Module):
    """PySGG ``GPSNetContext._update_rel_feats`` over all pairs (built there, not called):
    objects (N, P), relations (M, P), pairs (M, 2) -> relations + W_i·ReLU(m) + W_h·ReLU(relations),
    m = the mean of the gated subject half and object half (Linear(ReLU(BN(objects))) -> 2H) with
    the gates reading Linear(ReLU(BN(relations))) -> H."""

    def __init__(self, dim: int, hidden_dim: int):
        super().__init__()
        self.hidden_dim = int(hidden_dim)
        self.object_norm, self.object_split = nn.BatchNorm1d(dim), kaiming_linear(dim, 2 * hidden_dim)
        self.relation_norm, self.relation_down = nn.BatchNorm1d(dim), nn.Linear(dim, hidden_dim)
        self.subject_gate, self.object_gate = SubjectObjectGate(hidden_dim), SubjectObjectGate(hidden_dim)
        self.input_proj, self.state_proj = nn.Linear(hidden_dim, dim), nn.Linear(dim, dim)

    def forward(self, objects: Tensor, relations: Tensor, pairs: Tensor) -> Tensor:
        halves = self.object_split(F.relu(_norm(self.object_norm, objects, skip_single=False)))
        head, tail = halves[:, :self.hidden_dim], halves[:, self.hidden_dim:]
        down = self.relation_down(F.relu(_norm(self.relation_norm, relations, skip_single=True)))
        message = (self.subject_gate(down, head[pairs[:, 0]]) + self.object_gate(down, tail[pairs[:, 1]])) / 2
        return relations + self.input_proj(F.relu(message)) + self.state_proj(F.relu(relations))


@RELATION_HEADS.register(
    "gpsnet", paper="Lin et al., GPS-Net: Graph Property Sensing Network for Scene Graph Generation, CVPR 2020",
    reference="PySGG pysgg/modeling/roi_heads/relation_head/model_gpsnet.py (GPSNetContext, GPSNetPredictor)",
    modes=("predcls", "sgcls", "sgdet"),
    setting=lambda args: "+".join(name for name, on in (("detector_labels", not args.get("refine_objects", True)),
                                                         ("relation_update", args.get("update_relations", False)))
                                  if on))
class GPSNetHead(nn.Module):
    """GPS-Net relation head (direction-aware message passing between objects).

    embed_dim:      class embedding size (taken from the word vectors; GloVe 200)
    hidden_dim:     per-box hidden size of the pair features (PySGG CONTEXT_HIDDEN_DIM 512)
    pooling_dim:    object / relation feature size (CONTEXT_POOLING_DIM; 4096)
    position_dim:   box position code size (128)
    graph_dim:      hidden size of the message passing (GPSNET_MODULE.GRAPH_HIDDEN_DIM 512)
    gate_filters:   outputs of the triplet gate, averaged into one scalar (32)
    update_steps:   message passing rounds (GPSNET_MODULE.GRAPH_ITERATION_NUM 2)
    use_frequency_bias: add the trainable frequency bias (PySGG FREQUENCY_BAIS, on)
    refine_objects: SGCls/SGDet labels, scores and the object loss from the refined objects (the
                    paper); false passes the detector's logits through, as PySGG's VG config
                    (REL_OBJ_MULTI_TASK_LOSS off), recorded as setting ``detector_labels``
    update_relations: also update the relation features after each round with the layers PySGG
                    builds but never calls (``RelationUpdate``; its parameter count then equals
                    PySGG's module), recorded as setting ``relation_update``
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 graph_dim: int = 512, gate_filters: int = 32, update_steps: int = 2,
                 use_frequency_bias: bool = True, refine_objects: bool = True, update_relations: bool = False):
        super().__init__()
        if update_steps < 0:
            raise ValueError(f"gpsnet head: update_steps: expected >= 0, found {update_steps}")
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "gpsnet head")
        if word_vectors is None:
            raise ValueError("gpsnet head: word_vectors: expected a (C_obj, E) tensor (sgg_bench.modeling.word_vectors)")
        self.refines_objects = bool(refine_objects)
        self.pairwise = PairwiseFeatures(obj_feature_dim=obj_feature_dim, union_feature_dim=union_feature_dim,
                                         word_vectors=word_vectors, hidden_dim=hidden_dim, pooling_dim=pooling_dim,
                                         position_dim=position_dim)
        # One bottleneck per round, the gate, messages and fuse layer shared (as the reference).
        self.node_bottlenecks = nn.ModuleList(
            nn.Sequential(kaiming_linear(pooling_dim, graph_dim), nn.ReLU()) for _ in range(update_steps))
        if update_steps:
            self.gate = TripletGate(pooling_dim, pooling_dim, graph_dim, filter_dim=gate_filters)
            self.messages = DirectionAwareMessages(pooling_dim, graph_dim)
            self.node_fuse = nn.Sequential(kaiming_linear(graph_dim, pooling_dim), nn.ReLU())
        self.relation_update = RelationUpdate(pooling_dim, graph_dim) if update_relations else None
        self.pair_features = ObjectPairFeatures(pooling_dim, graph_dim)
        self.rel_classifier = nn.Linear(pooling_dim, num_rel_classes)
        self.obj_classifier = nn.Linear(pooling_dim, num_obj_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="gpsnet head")

    def refine(self, objects: Tensor, relations: Tensor, pairs: Tensor) -> tuple[Tensor, Tensor]:
        """``update_steps`` rounds of message passing: objects (N, P), pair features (M, P), batch
        pairs (M, 2) -> refined objects (N, P) and pair features (unchanged without ``update_relations``)."""
        for bottleneck in self.node_bottlenecks:
            gates = self.gate(objects[pairs[:, 0]], objects[pairs[:, 1]], relations)
            objects = self.node_fuse(self.messages(objects, gates, pairs) + bottleneck(objects))
            if self.relation_update is not None:
                relations = self.relation_update(objects, relations, pairs)
        return objects, relations

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("gpsnet head: union_features are required")
        num_boxes, num_pairs = inputs.num_boxes, inputs.num_pairs
        objects, relations = self.pairwise.from_head_inputs(inputs)
        pairs = batch_pairs(inputs)
        objects, relations = self.refine(objects, relations, pairs)
        rel_logits = self.rel_classifier(relations + self.pair_features(objects, pairs))
        if self.refines_objects:
            obj_logits = split_sizes(self.obj_classifier(objects), num_boxes)
        else:
            obj_logits = list(inputs.obj_logits)
        if self.freq_bias is not None:
            rel_logits = rel_logits + self.freq_bias(*pair_labels(batch_labels(inputs, obj_logits), pairs))
        return RelationHeadOutputs(rel_logits=split_sizes(rel_logits, num_pairs), obj_logits=obj_logits)
