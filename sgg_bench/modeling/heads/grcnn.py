"""Graph R-CNN (Yang et al., "Graph R-CNN for Scene Graph Generation", ECCV 2018), with the
layout of PySGG's ``AGRCNNPredictor`` (its Graph R-CNN for the VG150 X-101-FPN setup).

1. Object and pair features (``blocks/pairwise_features.py``): ROI feature, class embedding and
   box position per box; subject/object halves gated by the pair geometry plus the union feature
   per pair; both of size ``pooling_dim``.
2. Embedding into the graph: Linear + ReLU + Linear to ``graph_dim`` for objects and relations.
3. Feature-level aGCN (``blocks/attentional_gcn.py``): ``feature_steps`` synchronous steps of
   attention-weighted messages between objects and relations (``feature_heads`` heads).
4. Scores: ReLU + Linear to C_obj / C_rel, then ``score_steps`` aGCN steps on the scores
   themselves (a second layer with ``score_heads`` heads).
5. Classifiers: Linear(C_obj, C_obj) and Linear(C_rel, C_rel), plus the frequency bias of the
   refined labels on the relation logits.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.attentional_gcn import AttentionalGraphConvolution, object_neighbour_edges
from sgg_bench.modeling.blocks.batch_pairs import batch_labels, batch_pairs
from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.pairwise_features import PairwiseFeatures
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, split_sizes
from sgg_bench.registry import RELATION_HEADS


def _embedding(in_dim: int, out_dim: int) -> nn.Module:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim))


@RELATION_HEADS.register(
    "grcnn", paper="Yang et al., Graph R-CNN for Scene Graph Generation, ECCV 2018",
    reference="PySGG pysgg/modeling/roi_heads/relation_head/model_agcn.py (GRCNN, AGRCNNPredictor)",
    modes=("predcls", "sgcls", "sgdet"))
class GraphRCNNHead(nn.Module):
    """Graph R-CNN relation head (attentional GCN over objects and relations).

    embed_dim:      class embedding size (taken from the word vectors; GloVe 200)
    hidden_dim:     per-box hidden size of the pair features (PySGG CONTEXT_HIDDEN_DIM 512)
    pooling_dim:    object / pair feature size entering the graph (4096)
    position_dim:   box position code size (128)
    graph_dim:      node size of the feature-level graph (GRAPH_HIDDEN_DIM 1024)
    feature_steps, score_steps: aGCN steps on features and on scores (2 and 2)
    feature_heads, score_heads: attention heads of the two graph layers (4 and 1)
    use_frequency_bias: add the trainable frequency bias (PySGG FREQUENCY_BAIS, on)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 graph_dim: int = 1024, feature_steps: int = 2, score_steps: int = 2, feature_heads: int = 4,
                 score_heads: int = 1, use_frequency_bias: bool = True):
        super().__init__()
        if feature_steps < 0 or score_steps < 0:
            raise ValueError(f"grcnn head: feature_steps, score_steps: expected >= 0, "
                             f"found {feature_steps}, {score_steps}")
        if graph_dim % feature_heads:
            raise ValueError(f"grcnn head: feature_heads: expected a divisor of graph_dim {graph_dim}, "
                             f"found {feature_heads}")
        if num_obj_classes % score_heads or num_rel_classes % score_heads:
            raise ValueError(f"grcnn head: score_heads: expected a divisor of {num_obj_classes} and "
                             f"{num_rel_classes}, found {score_heads}")
        if word_vectors is None:
            raise ValueError("grcnn head: word_vectors: expected a (C_obj, E) tensor (sgg_bench.modeling.word_vectors)")
        word_vectors = torch.as_tensor(word_vectors, dtype=torch.float32)
        if word_vectors.dim() != 2 or word_vectors.shape[0] != num_obj_classes:
            raise ValueError(f"grcnn head: word_vectors: expected shape ({num_obj_classes}, E), "
                             f"found {tuple(word_vectors.shape)}")
        self.feature_steps, self.score_steps = int(feature_steps), int(score_steps)
        self.pairwise = PairwiseFeatures(obj_feature_dim=obj_feature_dim, union_feature_dim=union_feature_dim,
                                         word_vectors=word_vectors, hidden_dim=hidden_dim, pooling_dim=pooling_dim,
                                         position_dim=position_dim)
        self.obj_embedding = _embedding(pooling_dim, graph_dim)
        self.rel_embedding = _embedding(pooling_dim, graph_dim)
        self.feature_gcn = (AttentionalGraphConvolution(graph_dim, graph_dim, num_heads=feature_heads)
                            if feature_steps else None)
        self.obj_scores = nn.Sequential(nn.ReLU(), nn.Linear(graph_dim, num_obj_classes))
        self.rel_scores = nn.Sequential(nn.ReLU(), nn.Linear(graph_dim, num_rel_classes))
        self.score_gcn = (AttentionalGraphConvolution(num_obj_classes, num_rel_classes, num_heads=score_heads)
                          if score_steps else None)
        self.obj_classifier = nn.Linear(num_obj_classes, num_obj_classes)
        self.rel_classifier = nn.Linear(num_rel_classes, num_rel_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="grcnn head")

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("grcnn head: union_features are required")
        num_boxes, num_pairs = inputs.num_boxes, inputs.num_pairs
        objects, relations = self.pairwise.from_head_inputs(inputs)
        pairs = batch_pairs(inputs)
        neighbours = object_neighbour_edges(pairs, objects.shape[0])

        objects, relations = self.obj_embedding(objects), self.rel_embedding(relations)
        for _ in range(self.feature_steps):
            objects, relations = self.feature_gcn(objects, relations, pairs, neighbours)
        objects, relations = self.obj_scores(objects), self.rel_scores(relations)
        for _ in range(self.score_steps):
            objects, relations = self.score_gcn(objects, relations, pairs, neighbours)
        obj_logits = self.obj_classifier(objects)
        rel_logits = self.rel_classifier(relations)
        if self.freq_bias is not None:
            labels = batch_labels(inputs, split_sizes(obj_logits, num_boxes))
            rel_logits = rel_logits + self.freq_bias(*pair_labels(labels, pairs))
        return RelationHeadOutputs(rel_logits=split_sizes(rel_logits, num_pairs),
                                   obj_logits=split_sizes(obj_logits, num_boxes))
