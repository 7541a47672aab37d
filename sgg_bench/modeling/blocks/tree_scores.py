"""VCTree's pair score network (KT ``VCTreeLSTMContext.vctree_score_net`` and its inputs).

Per box, a 512-d input: [obj_reduce(ROI feature), emb_reduce(class embedding), box_embed(9-d box
code), overlap_embed(6-d overlap summary)] (128 each; features and embeddings detached, as KT), then
  u = relu(pre(input)); s = relu(sub(u)); o = relu(obj(u))                        (hidden each)
For boxes i (row) and j (column) of one image, with p = softmax of the class logits (detached):
  co[i, j]    = p_i^T W p_j, W = the trainable (C, C) co-occurrence prior (init: S + S^T with
                S = pred_dist summed over predicates, KT's ``bi_freq_prior``)
  vis[i, j]   = vision_prior([s_j * o_i, s_j, o_i, co[i, j]])
  logit[i, j] = sigmoid(vis[i, j]) * co[i, j]     (the auxiliary binary loss's logits)
  score[i, j] = sigmoid(logit[i, j])               (the tree's scores: row = tree box, column = box
                                                     to attach)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.geometry import encode_box_geometry

OVERLAP_SCALE = 1024.0  # KT's IM_SCALE: areas are divided by 1024^2


def overlap_summary(boxes: Tensor) -> Tensor:
    """(N, 4) xyxy boxes of one image -> (N, 6) KT ``get_overlap_info``, over all boxes j including
    i itself, intersections and areas with KT's +1 pixel: number of boxes intersecting, summed
    intersection / 1024^2, summed IoU, the two sums divided by the count, area / 1024^2 (no +1)."""
    boxes = boxes.float()
    top_left = torch.maximum(boxes[:, None, :2], boxes[None, :, :2])
    bottom_right = torch.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    sides = (bottom_right - top_left + 1.0).clamp(min=0)
    intersection = sides[..., 0] * sides[..., 1]
    areas = (boxes[:, 2] - boxes[:, 0] + 1.0) * (boxes[:, 3] - boxes[:, 1] + 1.0)
    iou = intersection / (areas[:, None] + areas[None, :] - intersection + 1e-9)
    count = (intersection > 0).float().sum(1)
    inter_sum = intersection.sum(1) / OVERLAP_SCALE ** 2
    iou_sum = iou.sum(1)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) / OVERLAP_SCALE ** 2
    return torch.stack([count, inter_sum, iou_sum, inter_sum / (count + 1e-9), iou_sum / (count + 1e-9), area], 1)


class NormalisedEmbedding(nn.Module):
    """Linear -> BatchNorm1d (momentum 0.001, statistics over every box of the batch) -> ReLU
    (KT's ``box_embed`` / ``overlap_embed``). A training batch of one row uses the running statistics."""

    def __init__(self, in_dim: int, out_dim: int, *, momentum: float = 0.001):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        self.norm = nn.BatchNorm1d(out_dim, momentum=momentum)

    def forward(self, x: Tensor) -> Tensor:
        x = self.linear(x)
        x = F.batch_norm(x, self.norm.running_mean, self.norm.running_var, self.norm.weight, self.norm.bias,
                         training=self.training and x.shape[0] > 1, momentum=self.norm.momentum, eps=self.norm.eps)
        return F.relu(x)


def _xavier(layer: nn.Linear) -> nn.Linear:
    nn.init.xavier_normal_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class TreeScoreNet(nn.Module):
    """obj_feature_dim / embed_dim: sizes of the ROI features and class embeddings; hidden_dim:
    the score network's width (KT: CONTEXT_HIDDEN_DIM); freq_log_prior: (C, C, C_rel) pred_dist."""

    def __init__(self, *, obj_feature_dim: int, embed_dim: int, hidden_dim: int, freq_log_prior: Tensor,
                 reduced_dim: int = 128):
        super().__init__()
        num_obj = int(freq_log_prior.shape[0])
        self.num_obj_classes = num_obj
        self.box_embed = NormalisedEmbedding(9, reduced_dim)
        self.overlap_embed = NormalisedEmbedding(6, reduced_dim)
        self.obj_reduce = _xavier(nn.Linear(obj_feature_dim, reduced_dim))
        self.emb_reduce = _xavier(nn.Linear(embed_dim, reduced_dim))
        self.score_pre = _xavier(nn.Linear(4 * reduced_dim, hidden_dim))
        self.score_sub = _xavier(nn.Linear(hidden_dim, hidden_dim))
        self.score_obj = _xavier(nn.Linear(hidden_dim, hidden_dim))
        self.vision_prior = nn.Linear(3 * hidden_dim + 1, 1)
        # Named without "bias" so KT's weight-decay substring rule treats it as KT's bi_freq_prior.
        cooccurrence = freq_log_prior.float().sum(-1)
        self.cooccurrence_prior = nn.Parameter((cooccurrence + cooccurrence.t()).reshape(-1).clone())

    def forward(self, obj_features: list[Tensor], class_embeddings: list[Tensor], class_logits: list[Tensor],
                boxes: list[Tensor], image_sizes: list[tuple[int, int]]) -> list[Tensor]:
        """Per image (N_i, D) features, (N_i, E) class embeddings, (N_i, C) class logits, (N_i, 4)
        boxes -> list of (N_i, N_i) logits (``logit`` above; the tree scores are their sigmoid)."""
        sizes = [int(b.shape[0]) for b in boxes]
        codes = torch.cat([encode_box_geometry(b, s) for b, s in zip(boxes, image_sizes)])
        overlaps = torch.cat([overlap_summary(b) for b in boxes])
        inputs = torch.cat([self.obj_reduce(torch.cat(obj_features).detach()),
                            self.emb_reduce(torch.cat(class_embeddings).detach()),
                            self.box_embed(codes), self.overlap_embed(overlaps)], dim=1)
        shared = F.relu(self.score_pre(inputs))
        subjects, objects = F.relu(self.score_sub(shared)), F.relu(self.score_obj(shared))
        hidden = subjects.shape[1]
        weight, bias = self.vision_prior.weight[0], self.vision_prior.bias[0]
        w_product, w_sub, w_obj, w_co = (weight[:hidden], weight[hidden:2 * hidden], weight[2 * hidden:3 * hidden],
                                         weight[3 * hidden])
        prior = self.cooccurrence_prior.view(self.num_obj_classes, self.num_obj_classes)
        out = []
        for sub, obj, logits in zip(subjects.split(sizes), objects.split(sizes), class_logits):
            probs = F.softmax(logits.detach().float(), dim=1)
            co = probs @ prior @ probs.t()                                  # co[i, j]
            # The linear layer over [s_j * o_i, s_j, o_i, co_ij], without building the (N, N, 3h+1) tensor.
            vis = ((obj * w_product) @ sub.t() + (sub @ w_sub)[None, :] + (obj @ w_obj)[:, None]
                   + w_co * co + bias)
            out.append(torch.sigmoid(vis) * co)
        return out
