"""VCTree (Tang et al., "Learning to Compose Dynamic Tree Structures for Visual Contexts",
CVPR 2019), as KT's ``VCTreeLSTMContext`` + ``VCTreePredictor``.

1-4. Tree, object context, object decoder and edge context: ``blocks/vctree_context.py`` (KT's
   ``VCTreeLSTMContext``, shared with the causal predictor's ``vctree`` context). The tree is
   built from the pair scores alone (no REINFORCE, as KT's default); the scores learn only through
   the auxiliary binary loss ``loss_binary``.
5. Predicate logits: relu(post_emb(edge context)) split into subject and object halves, pair
   concatenation -> ``pooling_dim``, times the union feature (through a linear layer only when its
   size differs), classified, plus the frequency bias of the pair's labels (always on, as KT).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors
from sgg_bench.modeling.blocks.frequency_bias import check_log_prior, optional_frequency_bias
from sgg_bench.modeling.blocks.vctree_context import VCTreeContext
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.registry import RELATION_HEADS


def _xavier(layer: nn.Linear) -> nn.Linear:
    nn.init.xavier_normal_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


@RELATION_HEADS.register(
    "vctree", paper="Tang et al., Learning to Compose Dynamic Tree Structures for Visual Contexts, CVPR 2019",
    reference="KT maskrcnn_benchmark/modeling/roi_heads/relation_head/model_vctree.py (VCTreeLSTMContext, "
              "VCTreePredictor)",
    modes=("predcls", "sgcls", "sgdet"))
class VCTreeHead(nn.Module):
    """VCTree relation head.

    embed_dim:    class embedding size; taken from ``word_vectors`` (C_obj, E) when given
    hidden_dim:   context size (each tree-LSTM direction has hidden_dim // 2) and score-network
                  width (KT: CONTEXT_HIDDEN_DIM 512)
    pooling_dim:  size of the pair representation multiplied with the union feature (KT: 4096)
    position_dim: position embedding size (KT: 128)
    num_obj_layers / num_edge_layers: stacked bidirectional tree-LSTM layers (KT: 1)
    dropout:      decoder dropout (KT: 0.2), and between stacked tree-LSTM layers
    binary_loss_weight: weight of ``loss_binary`` (KT: 1)
    """

    needs = HeadNeeds(union_features=True, word_vectors=True, frequency_prior=True, training_targets=True)
    requires_training = True
    refines_objects = True

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int,
                 union_feature_dim: int, freq_log_prior: Tensor | None = None, word_vectors: Tensor | None = None,
                 embed_dim: int = 200, hidden_dim: int = 512, pooling_dim: int = 4096, position_dim: int = 128,
                 num_obj_layers: int = 1, num_edge_layers: int = 1, dropout: float = 0.2,
                 binary_loss_weight: float = 1.0):
        super().__init__()
        prior = check_log_prior(freq_log_prior, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                                owner="vctree head")
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes=num_obj_classes, owner="vctree head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.binary_loss_weight = float(binary_loss_weight)
        self.context = VCTreeContext(num_obj_classes=num_obj_classes, obj_feature_dim=obj_feature_dim,
                                     embed_dim=embed_dim, hidden_dim=hidden_dim, position_dim=position_dim,
                                     freq_log_prior=prior, num_obj_layers=num_obj_layers,
                                     num_edge_layers=num_edge_layers, dropout=dropout, word_vectors=word_vectors,
                                     owner="vctree head")
        self.post_emb = nn.Linear(hidden_dim, 2 * hidden_dim)
        nn.init.normal_(self.post_emb.weight, std=10.0 * (1.0 / hidden_dim) ** 0.5)
        nn.init.zeros_(self.post_emb.bias)
        self.post_cat = _xavier(nn.Linear(2 * hidden_dim, pooling_dim))
        # KT adds this layer only when the union feature's size differs from pooling_dim.
        self.union_proj = (_xavier(nn.Linear(union_feature_dim, pooling_dim))
                           if union_feature_dim != pooling_dim else None)
        self.rel_classifier = _xavier(nn.Linear(pooling_dim, num_rel_classes))  # KT ctx_compress
        self.freq_bias = optional_frequency_bias(True, prior, num_obj_classes=num_obj_classes,
                                                 num_rel_classes=num_rel_classes, owner="vctree head")

    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        if inputs.union_features is None:
            raise ValueError("vctree head: union_features are required")
        sizes = inputs.num_boxes
        context = self.context(inputs)
        labels = torch.cat(context.labels)
        subject_rep, object_rep = F.relu(self.post_emb(torch.cat(context.edge_context))).chunk(2, dim=1)
        rel_logits = []
        for i, (subj, obj, image_labels) in enumerate(zip(subject_rep.split(sizes), object_rep.split(sizes),
                                                         labels.split(sizes))):
            pairs = inputs.pairs[i]
            pair_rep = self.post_cat(torch.cat([subj[pairs[:, 0]], obj[pairs[:, 1]]], dim=1))
            union = inputs.union_features[i]
            logits = self.rel_classifier(pair_rep * (self.union_proj(union) if self.union_proj is not None else union))
            rel_logits.append(logits + self.freq_bias(image_labels[pairs[:, 0]], image_labels[pairs[:, 1]]))
        losses = {}
        if self.training and inputs.related is not None:
            losses["loss_binary"] = self.binary_loss_weight * self.context.binary_loss(context.tree_logits,
                                                                                        inputs.related)
        obj_logits = context.obj_logits if context.obj_logits is not None else list(inputs.obj_logits)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits, losses=losses)
