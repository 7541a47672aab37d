"""BGNN (Li et al., "Bipartite Graph Network with Adaptive Message Passing for Unbiased Scene
Graph Generation", CVPR 2021), with the layout of PySGG's ``BGNNPredictor`` + ``BGNNContext``
under its VG150 config (``e2e_relBGNN_vg.yaml``).

1. Entity and predicate features (``blocks/pairwise_features.py``, PySGG's
   ``PairwiseFeatureExtractor`` with "fusion" edge features and spatial gating), size
   ``pooling_dim``; each brought to ``graph_dim`` by Linear + ReLU.
2. ``refine_iters`` (3) rounds; round k:
   * relation confidence estimation (``blocks/bgnn_confidence.py``, its own module per round)
     on the predicate features of round k - 1 (round 0: the ``pooling_dim`` ones), giving
     predicate/binary logits (trained by ``loss_confidence_<k>``) and a confidence per pair;
   * the bipartite graph (``blocks/bgnn_message_passing.py``): ``graph_steps`` (3) steps from
     the round-independent initial states, gated by the recalibrated confidences (shared
     across rounds).
3. Predicate logits: Linear(graph_dim, C_rel) of the last predicate states + the trainable
   frequency bias of the pair's labels (GT in PredCls, the detector's otherwise).
Object labels are the detector's (PySGG's VG config: REL_OBJ_MULTI_TASK_LOSS off); with
``refine_objects`` a Linear(graph_dim, C_obj) on the entity states gives them instead.

RCE pre-training (PySGG PRETRAIN_RELNESS_MODULE, 2,000 iterations): for the first
``rce_pretrain_steps`` training forward passes the graph is skipped (the states stay the
initial ones) while every loss trains. The head counts its training passes in the buffer
``training_steps``, which travels in the checkpoint, so a resumed run continues the stage.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.batch_pairs import batch_labels, batch_pairs
from sgg_bench.modeling.blocks.bgnn_confidence import RelationConfidence, batch_box_codes, confidence_loss
from sgg_bench.modeling.blocks.bgnn_message_passing import BipartiteMessagePassing, LearnableConfidenceScaling
from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.pairwise_features import PairwiseFeatures
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, one_hot_logits, split_sizes
from sgg_bench.modeling.postprocess import object_labels_and_scores
from sgg_bench.registry import RELATION_HEADS


def _setting(args) -> str:
    parts = []
    if args.get("refine_objects", False):
        parts.append("objrefine")
    if not args.get("use_frequency_bias", True):
        parts.append("nobias")
    return "-".join(parts)


@RELATION_HEADS.register(
    "bgnn", paper="Li et al., Bipartite Graph Network with Adaptive Message Passing for Unbiased Scene Graph "
                  "Generation, CVPR 2021",
    reference="PySGG pysgg/modeling/roi_heads/relation_head/model_bgnn.py (BGNNContext) + "
              "roi_relation_predictors.py (BGNNPredictor)",
    modes=("predcls", "sgcls", "sgdet"), setting=_setting)
class BGNNHead(nn.Module):
    """BGNN relation head.

    embed_dim:      class embedding size (from the word vectors; GloVe 200)
    hidden_dim:     per-box hidden size of the pair features (CONTEXT_HIDDEN_DIM 512)
    pooling_dim:    entity / predicate feature size before the graph (CONTEXT_POOLING_DIM 2048)
    position_dim:   box position code size (128)
    graph_dim:      node size of the graph (GRAPH_HIDDEN_DIM 512)
    graph_steps:    message passing steps per round (GRAPH_ITERATION_NUM 3)
    refine_iters:   confidence / graph rounds (ITERATE_MP_PAIR_REFINE 3)
    gate_width:     outputs of each gate's linear layer, averaged into one scalar (128)
    confidence_dim, confidence_geometry_dim: RCE hidden and box-embedding sizes (512, 128)
    scaling_alpha, scaling_beta: the recalibration clamp(alpha (s - beta), 0, 1) (3.12, 0.06)
    valid_box_score: boxes with a detector score above it take part (0.03)
    focal_alpha, focal_gamma: the RCE focal loss (FOCAL_LOSS_ALPHA 0.2, FOCAL_LOSS_GAMMA 2)
    rce_pretrain_steps: training passes without the graph first (PRETRAIN_ITER_RELNESS_MODULE 2000)
    use_frequency_bias: add the trainable frequency bias (FREQUENCY_BAIS on)
    refine_objects: classify the entity states (REL_OBJ_MULTI_TASK_LOSS; off in PySGG's config)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = False

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 2048, position_dim: int = 128,
                 graph_dim: int = 512, graph_steps: int = 3, refine_iters: int = 3, gate_width: int = 128,
                 confidence_dim: int = 512, confidence_geometry_dim: int = 128, scaling_alpha: float = 3.12,
                 scaling_beta: float = 0.06, valid_box_score: float = 0.03, focal_alpha: float = 0.2,
                 focal_gamma: float = 2.0, rce_pretrain_steps: int = 2000, use_frequency_bias: bool = True,
                 refine_objects: bool = False):
        super().__init__()
        if graph_steps < 1 or refine_iters < 1:
            raise ValueError(f"bgnn head: graph_steps, refine_iters: expected >= 1, found {graph_steps}, "
                             f"{refine_iters}")
        if rce_pretrain_steps < 0:
            raise ValueError(f"bgnn head: rce_pretrain_steps: expected >= 0, found {rce_pretrain_steps}")
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes, "bgnn head")
        if word_vectors is None:
            raise ValueError("bgnn head: word_vectors: expected a (C_obj, E) tensor (sgg_bench.modeling.word_vectors)")
        self.num_obj_classes = int(num_obj_classes)
        self.valid_box_score = float(valid_box_score)
        self.focal_alpha, self.focal_gamma = float(focal_alpha), float(focal_gamma)
        self.rce_pretrain_steps = int(rce_pretrain_steps)
        self.refines_objects = bool(refine_objects)
        self.register_buffer("training_steps", torch.zeros((), dtype=torch.long))
        self.pairwise = PairwiseFeatures(obj_feature_dim=obj_feature_dim, union_feature_dim=union_feature_dim,
                                         word_vectors=word_vectors, hidden_dim=hidden_dim, pooling_dim=pooling_dim,
                                         position_dim=position_dim)
        self.entity_down = nn.Sequential(nn.Linear(pooling_dim, graph_dim), nn.ReLU())
        self.predicate_down = nn.Sequential(nn.Linear(pooling_dim, graph_dim), nn.ReLU())
        self.confidence = nn.ModuleList(
            RelationConfidence(input_dim=pooling_dim if k == 0 else graph_dim, word_vectors=word_vectors,
                               num_rel_classes=num_rel_classes, hidden_dim=confidence_dim,
                               geometry_dim=confidence_geometry_dim) for k in range(refine_iters))
        self.scaling = LearnableConfidenceScaling(scaling_alpha, scaling_beta)
        self.graph = BipartiteMessagePassing(graph_dim, num_steps=graph_steps, gate_width=gate_width)
        self.rel_classifier = nn.Linear(graph_dim, num_rel_classes)
        self.obj_classifier = nn.Linear(graph_dim, num_obj_classes) if refine_objects else None
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="bgnn head")

    @property
    def pretraining_confidence(self) -> bool:
        """True while the RCE pre-training stage lasts (the graph is skipped)."""
        return int(self.training_steps) < self.rce_pretrain_steps

    def _class_probs_and_validity(self, inputs: RelationHeadInputs) -> tuple[Tensor, Tensor]:
        """(N, C_obj) class distributions the RCE embeds (one-hot GT in PredCls, as PySGG's
        overloaded logits) and (N,) bool boxes taking part in the graph."""
        logits = torch.cat(inputs.obj_logits, dim=0).detach()
        if inputs.mode == "predcls":
            labels = torch.cat(inputs.obj_labels, dim=0)
            probs = F.softmax(one_hot_logits(labels, self.num_obj_classes).to(logits.device), dim=1)
            return probs, torch.ones(labels.shape[0], dtype=torch.bool, device=labels.device)
        scores = object_labels_and_scores(logits)[1]
        return F.softmax(logits, dim=1), scores > self.valid_box_score

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("bgnn head: union_features are required")
        num_boxes, num_pairs = inputs.num_boxes, inputs.num_pairs
        pretraining = self.pretraining_confidence
        if self.training:
            self.training_steps += 1
        entities, predicates = self.pairwise.from_head_inputs(inputs)
        pairs = batch_pairs(inputs)
        class_probs, valid = self._class_probs_and_validity(inputs)
        box_codes = batch_box_codes(inputs.boxes, inputs.image_sizes)
        # Every round restarts the graph from the same initial states (PySGG computes them per round).
        initial_entities, initial_predicates = self.entity_down(entities), self.predicate_down(predicates)
        graph_entities, graph_predicates = initial_entities, initial_predicates
        confidence_input, losses = predicates, {}
        for k, estimator in enumerate(self.confidence):
            logits, confidence = estimator(confidence_input, class_probs, box_codes, pairs)
            if self.training and inputs.rel_labels is not None:
                losses[f"loss_confidence_{k}"] = confidence_loss(
                    logits, torch.cat(inputs.rel_labels, dim=0), alpha=self.focal_alpha, gamma=self.focal_gamma)
            if not pretraining:
                graph_entities, graph_predicates = self.graph(initial_entities, initial_predicates, pairs,
                                                              self.scaling(confidence), valid)
            confidence_input = graph_predicates
        rel_logits = self.rel_classifier(graph_predicates)
        obj_logits = torch.cat(inputs.obj_logits, dim=0)
        if self.obj_classifier is not None and inputs.mode != "predcls":
            obj_logits = self.obj_classifier(graph_entities)
        if self.freq_bias is not None:
            labels = batch_labels(inputs, split_sizes(obj_logits, num_boxes))
            rel_logits = rel_logits + self.freq_bias(*pair_labels(labels, pairs))
        return RelationHeadOutputs(rel_logits=split_sizes(rel_logits, num_pairs),
                                   obj_logits=split_sizes(obj_logits, num_boxes), losses=losses)
