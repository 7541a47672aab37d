"""VCTree (Tang et al., "Learning to Compose Dynamic Tree Structures for Visual Contexts",
CVPR 2019), as KT's ``VCTreeLSTMContext`` + ``VCTreePredictor``.

1. Tree: the pair score network (``blocks/tree_scores.py``) scores every ordered pair of an image's
   boxes; a maximum spanning tree grown from those scores, made binary (``blocks/tree_building.py``).
   The tree is built from the scores alone (no REINFORCE, as KT's default); the scores learn only
   through the auxiliary binary loss ``loss_binary`` (BCE of their logits against the symmetric GT
   "related" matrix, averaged per image, then over the images).
2. Object context: a bidirectional tree-LSTM over [ROI feature, class embedding, position embedding]
   (``blocks/tree_lstm.py``). The class embedding is the GT label's (PredCls) or the detector's
   softmax-weighted mix.
3. Object decoder (SGCls/SGDet): a root-to-leaves tree-LSTM over [object-context input, object
   context] and the parent's label embedding; no teacher forcing (KT samples the label passed on
   while training); its argmax labels feed the edge context and the frequency bias.
4. Edge context: a bidirectional tree-LSTM over [label embedding, ROI feature, object context].
5. Predicate logits: relu(post_emb(edge context)) split into subject and object halves, pair
   concatenation -> ``pooling_dim``, times the union feature (through a linear layer only when its
   size differs), classified, plus the frequency bias of the pair's labels (always on, as KT).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import checked_word_vectors, class_embedding
from sgg_bench.modeling.blocks.frequency_bias import check_log_prior, optional_frequency_bias
from sgg_bench.modeling.blocks.position import PositionEncoder
from sgg_bench.modeling.blocks.tree_building import Forest, build_forest
from sgg_bench.modeling.blocks.tree_lstm import BiTreeLSTM, TreeLabelDecoder
from sgg_bench.modeling.blocks.tree_scores import TreeScoreNet
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, one_hot_logits
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
        if hidden_dim < 2 or hidden_dim % 2:
            raise ValueError(f"vctree head: hidden_dim: expected an even number >= 2, found {hidden_dim}")
        if num_obj_layers < 1 or num_edge_layers < 1:
            raise ValueError(f"vctree head: num_obj_layers/num_edge_layers: expected >= 1, found "
                             f"{num_obj_layers}/{num_edge_layers}")
        prior = check_log_prior(freq_log_prior, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                                owner="vctree head")
        word_vectors = checked_word_vectors(word_vectors, num_obj_classes=num_obj_classes, owner="vctree head")
        if word_vectors is not None:
            embed_dim = int(word_vectors.shape[1])
        self.num_obj_classes = int(num_obj_classes)
        self.hidden_dim = int(hidden_dim)
        self.binary_loss_weight = float(binary_loss_weight)
        self.ctx_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)   # KT obj_embed1
        self.edge_embed = class_embedding(num_obj_classes, embed_dim, word_vectors)  # KT obj_embed2
        self.position_embed = PositionEncoder(position_dim)
        self.tree_scores = TreeScoreNet(obj_feature_dim=obj_feature_dim, embed_dim=embed_dim, hidden_dim=hidden_dim,
                                        freq_log_prior=prior)
        context_input = obj_feature_dim + embed_dim + position_dim
        self.obj_context = BiTreeLSTM(context_input, hidden_dim, num_layers=num_obj_layers, dropout=dropout)
        self.decoder = TreeLabelDecoder(input_dim=context_input + hidden_dim, embed_dim=embed_dim,
                                        hidden_dim=hidden_dim, num_obj_classes=num_obj_classes,
                                        word_vectors=word_vectors, dropout=dropout)
        self.edge_context = BiTreeLSTM(embed_dim + obj_feature_dim + hidden_dim, hidden_dim,
                                       num_layers=num_edge_layers, dropout=dropout)
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
        predcls = inputs.mode == "predcls"
        sizes = inputs.num_boxes
        count = inputs.num_images
        if predcls:
            class_logits = [one_hot_logits(labels, self.num_obj_classes) for labels in inputs.obj_labels]
            embedded = [self.ctx_embed(labels) for labels in inputs.obj_labels]
        else:
            class_logits = [logits.detach() for logits in inputs.obj_logits]
            embedded = [F.softmax(logits, dim=1) @ self.ctx_embed.weight for logits in class_logits]
        tree_logits = self.tree_scores(inputs.obj_features, embedded, class_logits, inputs.boxes, inputs.image_sizes)
        forest: Forest = build_forest([torch.sigmoid(l) for l in tree_logits], device=inputs.boxes[0].device)

        features = torch.cat(inputs.obj_features)
        positions = torch.cat(self.position_embed(inputs.boxes, inputs.image_sizes))
        ctx_input = torch.cat([features, torch.cat(embedded), positions], dim=1)
        obj_ctx = self.obj_context(forest, ctx_input, count)
        if predcls:
            labels = torch.cat(inputs.obj_labels)
            obj_logits = list(inputs.obj_logits)
        else:
            decoded, labels = self.decoder(forest, torch.cat([ctx_input, obj_ctx], dim=1), count)
            obj_logits = list(decoded.split(sizes))
        edge_ctx = self.edge_context(forest, torch.cat([self.edge_embed(labels), features, obj_ctx], dim=1), count)

        subject_rep, object_rep = F.relu(self.post_emb(edge_ctx)).chunk(2, dim=1)
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
            losses["loss_binary"] = self.binary_loss_weight * self._binary_loss(tree_logits, inputs.related)
        return RelationHeadOutputs(rel_logits=rel_logits, obj_logits=obj_logits, losses=losses)

    def _binary_loss(self, tree_logits: list[Tensor], related: list[Tensor]) -> Tensor:
        """Mean over images with boxes of the mean BCE of the (N, N) logits against ``related``."""
        per_image = [F.binary_cross_entropy_with_logits(logits, target.float())
                     for logits, target in zip(tree_logits, related) if logits.numel()]
        if not per_image:
            return sum(p.sum() for p in self.tree_scores.parameters()) * 0.0
        return torch.stack(per_image).mean()
