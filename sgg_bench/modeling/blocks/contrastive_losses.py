"""RelDN's graphical contrastive losses (Zhang et al., CVPR 2019; Microsoft's
``relation_head/loss.py`` ``split_pos_neg_*``), on a batch of candidate pairs.

Every pair has a relatedness score r = 1 - softmax(logits)[0]. Pairs are grouped by a node: the
box in the subject role (the "_sbj" losses) or in the object role ("_obj"). Within a group, the
positive pairs carry a relation label > 0 and the negative pairs label 0. For each *key*
(defined below) that has at least one positive and one negative pair, the least related positive
must beat the most related negative by ``margin``:
    loss = mean over keys of max(0, margin - (min r_pos - max r_neg)),
with one dummy key of (1, 0) included in the mean, as the reference does so an empty batch gives
a zero loss.
  agnostic  key = the node
  so-aware  key = (node, the other box's class); negatives with the same other-box class
  p-aware   key = (node, predicate): positives by their labelled predicate, negatives by their
            predicted (foreground argmax) predicate
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def ranking_terms(scores: Tensor, pos_keys: Tensor, neg_keys: Tensor, positive: Tensor,
                  num_keys: int) -> tuple[Tensor, Tensor]:
    """scores (M,), keys (M,) in [0, num_keys), positive (M,) bool -> (min positive score,
    max negative score) of every key holding both kinds (K,) each."""
    big = scores.new_full((num_keys,), float("inf"))
    pos_min = big.scatter_reduce(0, pos_keys[positive], scores[positive], reduce="amin", include_self=True)
    neg_max = (-big).scatter_reduce(0, neg_keys[~positive], scores[~positive], reduce="amax", include_self=True)
    both = torch.isfinite(pos_min) & torch.isfinite(neg_max)
    return pos_min[both], neg_max[both]


def margin_loss(pos: Tensor, neg: Tensor, margin: float) -> Tensor:
    """Mean of max(0, margin - (pos - neg)) with the reference's dummy (1, 0) term included."""
    pos = torch.cat([pos.new_ones(1), pos])
    neg = torch.cat([neg.new_zeros(1), neg])
    return F.margin_ranking_loss(pos, neg, torch.ones_like(pos), margin=margin)


def contrastive_losses(rel_logits: Tensor, pairs: Tensor, rel_labels: Tensor, obj_labels: Tensor, *,
                       num_boxes: int, margins: tuple[float, float, float] = (0.2, 0.2, 0.2),
                       weights: tuple[float, float, float] = (1.0, 0.5, 0.1)) -> dict[str, Tensor]:
    """rel_logits (M, C_rel), pairs (M, 2) into ``num_boxes`` boxes, rel_labels (M,) (0 = none),
    obj_labels (num_boxes,) the boxes' training classes -> the six weighted losses
    ``loss_{,so_,p_}contrastive_{sbj,obj}``."""
    probs = F.softmax(rel_logits, dim=1)
    related = 1.0 - probs[:, 0]
    positive = rel_labels > 0
    num_classes = int(obj_labels.max()) + 1 if obj_labels.numel() else 1
    num_predicates = rel_logits.shape[1]
    predicted = probs[:, 1:].argmax(dim=1) + 1 if rel_logits.shape[0] else rel_labels
    losses = {}
    for role, suffix in ((0, "sbj"), (1, "obj")):
        node, other = pairs[:, role], obj_labels[pairs[:, 1 - role]]
        groups = {"contrastive": (node, node, num_boxes),
                  "so_contrastive": (node * num_classes + other, node * num_classes + other,
                                     num_boxes * num_classes),
                  "p_contrastive": (node * num_predicates + rel_labels, node * num_predicates + predicted,
                                    num_boxes * num_predicates)}
        for (name, (pos_keys, neg_keys, size)), margin, weight in zip(groups.items(), margins, weights):
            pos, neg = ranking_terms(related, pos_keys, neg_keys, positive, size)
            losses[f"loss_{name}_{suffix}"] = weight * margin_loss(pos, neg, margin)
    return losses
