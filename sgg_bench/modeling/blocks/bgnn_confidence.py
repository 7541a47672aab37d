"""BGNN's relation confidence estimation (RCE) and its loss, with the layout of PySGG's
``RelAwareRelFeature`` (``rel_proposal_network/models.py``, predictor type "hybrid", visual
features on) and ``RelAwareLoss`` (``rel_proposal_network/loss.py``, "focal_fgbg_norm").

Per pair (subject s, object o):
  symbolic = ReLU -> Linear(2E + 2G, H) of [box(s), class(s), box(o), class(o)], where box is
             Linear(9, G) - ReLU - Linear(G, G) of the 9-d box code and class the class
             distribution (one-hot GT in PredCls, the detector's softmax otherwise) times a
             class-embedding table (initialised from the word vectors);
  visual   = ReLU -> Linear(D_in, H) of the pair's relation feature (detached);
  fused    = LayerNorm(2H) - ReLU - Linear(2H, H) of [visual, symbolic];
  logits   = LayerNorm(H) - ReLU - Linear(H, C_rel - 1): one score per foreground predicate,
  binary   = Linear(C_rel - 1, 1) of those logits; confidence = sigmoid(binary).
Both inputs that come from elsewhere (relation feature, class distribution) are detached, as
PySGG: the RCE is trained by its own loss and by the gates it scales.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.class_embedding import class_embedding
from sgg_bench.modeling.blocks.geometry import encode_box_geometry


class RelationConfidence(nn.Module):
    """input_dim: size of the relation features it reads; word_vectors: (C_obj, E)."""

    def __init__(self, *, input_dim: int, word_vectors: Tensor, num_rel_classes: int, hidden_dim: int = 512,
                 geometry_dim: int = 128):
        super().__init__()
        num_classes, embed_dim = word_vectors.shape
        self.class_embed = class_embedding(num_classes, embed_dim, word_vectors)
        self.box_embed = nn.Sequential(nn.Linear(9, geometry_dim), nn.ReLU(), nn.Linear(geometry_dim, geometry_dim))
        self.symbolic = nn.Sequential(nn.ReLU(), nn.Linear(2 * embed_dim + 2 * geometry_dim, hidden_dim))
        self.visual = nn.Sequential(nn.ReLU(), nn.Linear(input_dim, hidden_dim))
        self.fusion = nn.Sequential(nn.LayerNorm(2 * hidden_dim), nn.ReLU(), nn.Linear(2 * hidden_dim, hidden_dim))
        self.predicate_logits = nn.Sequential(nn.LayerNorm(hidden_dim), nn.ReLU(),
                                              nn.Linear(hidden_dim, num_rel_classes - 1))
        self.binary_logit = nn.Linear(num_rel_classes - 1, 1)

    def forward(self, rel_features: Tensor, class_probs: Tensor, box_codes: Tensor, pairs: Tensor
                ) -> tuple[Tensor, Tensor]:
        """rel_features (M, input_dim); class_probs (N, C_obj) and box_codes (N, 9) of every box
        of the batch; pairs (M, 2) into those rows -> logits (M, C_rel) (the C_rel - 1 predicate
        logits, then the binary one) and confidence (M,) = sigmoid(binary)."""
        boxes = self.box_embed(box_codes)
        classes = class_probs.detach() @ self.class_embed.weight
        subj, obj = pairs[:, 0], pairs[:, 1]
        symbolic = self.symbolic(torch.cat([boxes[subj], classes[subj], boxes[obj], classes[obj]], dim=1))
        fused = self.fusion(torch.cat([self.visual(rel_features.detach()), symbolic], dim=1))
        predicate = self.predicate_logits(fused)
        binary = self.binary_logit(predicate)
        return torch.cat([predicate, binary], dim=1), torch.sigmoid(binary.squeeze(1))


def batch_box_codes(boxes: list[Tensor], image_sizes: list[tuple[int, int]]) -> Tensor:
    """(sum N_i, 9) box codes of every image's boxes (``encode_box_geometry``)."""
    return torch.cat([encode_box_geometry(b, size) for b, size in zip(boxes, image_sizes)], dim=0)


def focal_loss_fgbg(logits: Tensor, targets: Tensor, *, alpha: float, gamma: float) -> Tensor:
    """PySGG ``FocalLossFGBGNormalization``: focal BCE with logits, summed over the last axis,
    divided by (number of non-zero targets + 1), then averaged over what is left (the pairs of
    a (M, K) input; nothing for a (M,) input, whose sum is already a scalar)."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    focal = alpha * (1.0 - torch.exp(-bce)) ** gamma * bce
    return (focal.sum(-1) / (torch.count_nonzero(targets) + 1)).mean(-1)


def confidence_loss(logits: Tensor, rel_labels: Tensor, *, alpha: float = 0.2, gamma: float = 2.0,
                    binary_weight: float = 0.8) -> Tensor:
    """PySGG's hybrid RCE loss: ``binary_weight`` x focal loss of the binary logit against
    "the pair has a predicate" + (1 - ``binary_weight``) x focal loss of the C_rel - 1 predicate
    logits against the one-hot foreground label (all zeros for background pairs).

    logits (M, C_rel) from ``RelationConfidence``; rel_labels (M,) int64, 0 = background.
    An exact 0 that keeps the graph when there are no pairs (PySGG skips the term)."""
    if rel_labels.numel() == 0:
        return logits.sum() * 0.0
    predicate, binary = logits[:, :-1], logits[:, -1]
    foreground = rel_labels > 0
    one_hot = torch.zeros_like(predicate)
    one_hot[foreground, rel_labels[foreground] - 1] = 1.0
    return (binary_weight * focal_loss_fgbg(binary, foreground.to(binary.dtype), alpha=alpha, gamma=gamma)
            + (1.0 - binary_weight) * focal_loss_fgbg(predicate, one_hot, alpha=alpha, gamma=gamma))
