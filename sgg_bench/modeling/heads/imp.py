"""IMP: iterative message passing (Xu et al., "Scene Graph Generation by Iterative Message
Passing", CVPR 2017), following KT's ``IMPContext`` layout.

Objects are nodes of the primal graph and pairs are nodes of the dual graph. A node GRU
holds one state per box (input: the box's ROI feature), an edge GRU one state per pair
(input: the pair's union feature). Each iteration
  * edge update: the edge GRU receives the subject and object node states, each scaled by a
    learned sigmoid gate of (node state, edge state) and summed;
  * node update: the node GRU receives the sum over the box's outgoing edges (box = subject)
    and incoming edges (box = object) of the edge states, each scaled by its gate.
Relation logits come from the last edge states (plus, optionally, the frequency bias as in
KT); refined object logits from the last node states (used in SGCls/SGDet).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.frequency_bias import optional_frequency_bias, pair_labels
from sgg_bench.modeling.blocks.batch_pairs import batch_labels, batch_pairs
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, split_sizes
from sgg_bench.registry import RELATION_HEADS


def _gate(hidden_dim: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2 * hidden_dim, 1), nn.Sigmoid())


@RELATION_HEADS.register(
    "imp", paper="Xu et al., Scene Graph Generation by Iterative Message Passing, CVPR 2017",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/model_msg_passing.py (IMPContext)",
    modes=("predcls", "sgcls", "sgdet"),
    setting=lambda args: "bias" if args.get("use_frequency_bias") else "")
class IMPHead(nn.Module):
    """Iterative message passing relation head.

    hidden_dim:          size of node and edge GRU states (paper: 512)
    num_iterations:      message passing rounds (paper: 2, KT default 3)
    use_frequency_bias:  add the trainable frequency bias to the relation logits (KT option;
                         off in the paper)
    dropout:             dropout on the unary inputs during training
    """

    needs = HeadNeeds(union_features=True, frequency_prior=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, hidden_dim: int = 512, num_iterations: int = 3, use_frequency_bias: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        if num_iterations < 1:
            raise ValueError(f"imp head: num_iterations: expected >= 1, found {num_iterations}")
        self.num_iterations = int(num_iterations)
        self.obj_unary = nn.Linear(obj_feature_dim, hidden_dim)
        self.edge_unary = nn.Linear(union_feature_dim, hidden_dim)
        self.dropout = nn.Dropout(dropout)
        self.node_gru = nn.GRUCell(hidden_dim, hidden_dim)
        self.edge_gru = nn.GRUCell(hidden_dim, hidden_dim)
        self.subj_to_edge_gate = _gate(hidden_dim)
        self.obj_to_edge_gate = _gate(hidden_dim)
        self.out_edge_gate = _gate(hidden_dim)
        self.in_edge_gate = _gate(hidden_dim)
        self.obj_classifier = nn.Linear(hidden_dim, num_obj_classes)
        self.rel_classifier = nn.Linear(hidden_dim, num_rel_classes)
        self.freq_bias = optional_frequency_bias(use_frequency_bias, freq_log_prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="imp head")

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("imp head: union_features are required")
        num_boxes, num_pairs = inputs.num_boxes, inputs.num_pairs
        pairs = batch_pairs(inputs)  # indices into the concatenated box list
        obj_feats = torch.cat(inputs.obj_features, dim=0)
        union = torch.cat(inputs.union_features, dim=0)
        nodes = torch.relu(self.obj_unary(self.dropout(obj_feats)))
        edges = torch.relu(self.edge_unary(self.dropout(union)))
        total_boxes = nodes.shape[0]
        subj, obj = pairs[:, 0], pairs[:, 1]
        for _ in range(self.num_iterations):
            subj_state, obj_state = nodes[subj], nodes[obj]
            edge_message = (self.subj_to_edge_gate(torch.cat([subj_state, edges], 1)) * subj_state
                            + self.obj_to_edge_gate(torch.cat([obj_state, edges], 1)) * obj_state)
            out_message = self.out_edge_gate(torch.cat([subj_state, edges], 1)) * edges
            in_message = self.in_edge_gate(torch.cat([obj_state, edges], 1)) * edges
            node_message = nodes.new_zeros((total_boxes, nodes.shape[1]))
            node_message = node_message.index_add(0, subj, out_message).index_add(0, obj, in_message)
            # Both updates read the previous round's states (synchronous update, as in KT).
            edges, nodes = self.edge_gru(edge_message, edges), self.node_gru(node_message, nodes)
        rel_logits = self.rel_classifier(edges)
        obj_logits = self.obj_classifier(nodes)
        if self.freq_bias is not None:
            labels = batch_labels(inputs, split_sizes(obj_logits, num_boxes))
            rel_logits = rel_logits + self.freq_bias(*pair_labels(labels, pairs))
        return RelationHeadOutputs(rel_logits=split_sizes(rel_logits, num_pairs),
                                   obj_logits=split_sizes(obj_logits, num_boxes))
