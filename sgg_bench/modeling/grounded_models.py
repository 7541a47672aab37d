"""Models trained on grounded pseudo labels (the language / weak / full settings of SGNLS,
docs/LANGUAGE.md): their inputs are a pseudo-label dataset's stored detections (boxes, the
off-the-shelf detector's class distributions and features), not images, and their targets the
grounding of ``sgg_bench.language.grounding`` redone every iteration
(``sgg_bench.language.grounded_batches``). All three share the §7 inference
(``language_postprocess.ranked_prediction``: target -> dataset vocabulary, class-wise NMS).

    SgnlsGroundedModel     the ``sgnls`` head with the §6 losses, class-weighted in caption settings
    ContractGroundedModel  any registered contract head (e.g. Motifs: "SGNLS + MotifNet") in SGDet
                           mode, the detector's distribution carried into the target vocabulary
    CaptionPriorModel      no training: predicate = the caption frequency prior of the two labels

Items (``GroundedBatches``): ``boxes`` (N, 4) original pixels, ``dists`` (N, C_det + 1),
``features`` (N, D), ``height``, ``width``; in training also ``box_labels`` (N,), ``pairs`` (M, 2),
``pair_predicates`` (M,).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.pair_sequences import average_over_pairs
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.language_postprocess import ranked_prediction
from sgg_bench.modeling.losses import RelationLoss
from sgg_bench.modeling.pair_sampling import all_ordered_pairs
from sgg_bench.modeling.sgnls_loss import sgnls_losses
from sgg_bench.structures import ImagePrediction


def detector_to_target_matrix(detector_to_classes: Mapping[int, Sequence[int]], num_detector: int,
                              num_target: int) -> Tensor:
    """(C_det + 1, C_t) row-stochastic map: a detector class spreads its probability evenly over
    the target classes it grounds to (§3.4); background and unlinked classes go to background."""
    matrix = torch.zeros((num_detector, num_target), dtype=torch.float32)
    for source in range(num_detector):
        targets = [int(t) for t in detector_to_classes.get(source, []) if 0 < int(t) < num_target]
        if source == 0 or not targets:
            matrix[source, 0] = 1.0
        else:
            matrix[source, targets] = 1.0 / len(targets)
    return matrix


class _GroundedBase(nn.Module):
    """Shared inference: ``_score(item) -> (obj_logits (N, C_t), pairs, rel_logits)``."""

    def __init__(self, *, obj_merge: Tensor, rel_merge: Tensor, nms_threshold: float = 0.5):
        super().__init__()
        self.register_buffer("obj_merge", torch.as_tensor(obj_merge, dtype=torch.float32), persistent=False)
        self.register_buffer("rel_merge", torch.as_tensor(rel_merge, dtype=torch.float32), persistent=False)
        self.nms_threshold = float(nms_threshold)

    requires_training = True

    @property
    def _device(self) -> torch.device:
        return self.obj_merge.device

    @torch.no_grad()
    def predict(self, items: list[dict]) -> list[ImagePrediction]:
        predictions = []
        for item in items:
            obj_logits, pairs, rel_logits = self._score(item)
            predictions.append(ranked_prediction(
                image_id=int(item["image_id"]), boxes=item["boxes"].reshape(-1, 4), obj_logits=obj_logits,
                pairs=pairs, rel_logits=rel_logits, obj_merge=self.obj_merge.cpu(), rel_merge=self.rel_merge.cpu(),
                nms_threshold=self.nms_threshold))
        return predictions

    def _score(self, item: dict):
        raise NotImplementedError


def _size(item: dict) -> tuple[int, int]:
    return int(item["height"]), int(item["width"])


class SgnlsGroundedModel(_GroundedBase):
    """head: an ``SgnlsHead`` whose tag vocabulary is the detector's (C_det + 1 rows) and whose
    targets are the pseudo-label vocabulary; rel/obj_class_weights: optional §5 loss weights."""

    def __init__(self, head: nn.Module, *, obj_merge: Tensor, rel_merge: Tensor, nms_threshold: float = 0.5,
                 rel_class_weights: Optional[Tensor] = None, obj_class_weights: Optional[Tensor] = None,
                 object_loss_weight: float = 0.5):
        super().__init__(obj_merge=obj_merge, rel_merge=rel_merge, nms_threshold=nms_threshold)
        self.head = head
        self.object_loss_weight = float(object_loss_weight)
        self.register_buffer("rel_class_weights", None if rel_class_weights is None
                             else torch.as_tensor(rel_class_weights, dtype=torch.float32), persistent=False)
        self.register_buffer("obj_class_weights", None if obj_class_weights is None
                             else torch.as_tensor(obj_class_weights, dtype=torch.float32), persistent=False)

    def _pairs_scored(self, item: dict, pairs: Tensor):
        device = self._device
        return self.head.score_pairs(features=item["features"].to(device).float(), boxes=item["boxes"].to(device),
                                     image_size=_size(item), det_dists=item["dists"].to(device).float(),
                                     pairs=pairs.to(device))

    def forward(self, batch: list[dict]) -> dict[str, Tensor]:
        rel, subject, obj, rel_labels, subject_labels, object_labels = [], [], [], [], [], []
        for item in batch:
            pairs = item["pairs"].to(self._device).reshape(-1, 2)
            r, s, o = self._pairs_scored(item, pairs)
            labels = item["box_labels"].to(self._device)
            rel.append(r), subject.append(s), obj.append(o)
            rel_labels.append(item["pair_predicates"].to(self._device))
            subject_labels.append(labels[pairs[:, 0]]), object_labels.append(labels[pairs[:, 1]])
        return sgnls_losses(rel_logits=torch.cat(rel), subject_logits=torch.cat(subject), object_logits=torch.cat(obj),
                            rel_labels=torch.cat(rel_labels), subject_labels=torch.cat(subject_labels),
                            object_labels=torch.cat(object_labels), rel_weights=self.rel_class_weights,
                            obj_weights=self.obj_class_weights, object_weight=self.object_loss_weight)

    def _score(self, item: dict):
        count = int(item["boxes"].shape[0])
        pairs = all_ordered_pairs(count, device=self._device)
        rel, subject, obj = self._pairs_scored(item, pairs)
        return average_over_pairs(subject, obj, pairs, count), pairs, rel


def _target_logits(dists: Tensor, detector_to_target: Tensor) -> Tensor:
    """The detector's distribution carried into the target vocabulary, as log-probabilities."""
    return torch.log((dists.float() @ detector_to_target).clamp(min=1e-6))


class ContractGroundedModel(_GroundedBase):
    """A registered relation head run in SGDet mode on the stored detections. Its ``obj_logits``
    input is ``_target_logits``; losses: the default ``RelationLoss`` (predicate CE over the
    grounded pairs, object CE on the head's refined logits against the grounded box labels)."""

    def __init__(self, head: nn.Module, *, detector_to_target: Tensor, obj_merge: Tensor, rel_merge: Tensor,
                 nms_threshold: float = 0.5, obj_loss_weight: float = 1.0):
        super().__init__(obj_merge=obj_merge, rel_merge=rel_merge, nms_threshold=nms_threshold)
        self.head = head
        self.register_buffer("detector_to_target", torch.as_tensor(detector_to_target, dtype=torch.float32),
                             persistent=False)
        self.loss = RelationLoss(obj_loss_weight=obj_loss_weight)

    def _inputs(self, items: list[dict], pairs: list[Tensor]) -> RelationHeadInputs:
        device = self._device
        return RelationHeadInputs(
            mode="sgdet", obj_features=[i["features"].to(device).float() for i in items],
            boxes=[i["boxes"].to(device).float().reshape(-1, 4) for i in items], image_sizes=[_size(i) for i in items],
            obj_logits=[_target_logits(i["dists"].to(device), self.detector_to_target) for i in items], pairs=pairs)

    def forward(self, batch: list[dict]) -> dict[str, Tensor]:
        pairs = [item["pairs"].to(self._device).reshape(-1, 2) for item in batch]
        outputs = self.head(self._inputs(batch, pairs))
        losses = dict(self.loss(outputs, [i["pair_predicates"].to(self._device) for i in batch],
                                [i["box_labels"].to(self._device) for i in batch],
                                object_loss=bool(getattr(self.head, "refines_objects", False))))
        losses.update(outputs.losses)
        return losses

    def _score(self, item: dict):
        pairs = all_ordered_pairs(int(item["boxes"].shape[0]), device=self._device)
        outputs = self.head(self._inputs([item], [pairs]))
        return outputs.obj_logits[0], pairs, outputs.rel_logits[0]


class CaptionPriorModel(_GroundedBase):
    """The caption frequency prior: boxes keep the detector's distribution carried into the
    target vocabulary; a pair's predicate logits are ``log_prior[label_s, label_o]`` (C_t, C_t, C_rel),
    counted over the pseudo-label graphs (``caption_log_prior``)."""

    requires_training = False

    def __init__(self, *, log_prior: Tensor, detector_to_target: Tensor, obj_merge: Tensor, rel_merge: Tensor,
                 nms_threshold: float = 0.5):
        super().__init__(obj_merge=obj_merge, rel_merge=rel_merge, nms_threshold=nms_threshold)
        self.register_buffer("log_prior", torch.as_tensor(log_prior, dtype=torch.float32))
        self.register_buffer("detector_to_target", torch.as_tensor(detector_to_target, dtype=torch.float32),
                             persistent=False)

    def _score(self, item: dict):
        obj_logits = _target_logits(item["dists"].to(self._device), self.detector_to_target)
        pairs = all_ordered_pairs(int(obj_logits.shape[0]), device=self._device)
        labels = obj_logits[:, 1:].argmax(dim=1) + 1 if obj_logits.shape[0] else obj_logits.new_zeros((0,)).long()
        return obj_logits, pairs, self.log_prior[labels[pairs[:, 0]], labels[pairs[:, 1]]]


def caption_log_prior(node_classes: Sequence, triplets: Sequence, *, num_obj_classes: int,
                      num_rel_classes: int) -> Tensor:
    """(C_t, C_t, C_rel) log prior from per-image graphs: counts of (class(s), class(o), predicate)
    over every triplet, the background column 1 (no boxes: no background pairs to count), then
    ``data.statistics.frequency_prior`` (KT's normalisation and epsilon)."""
    import numpy as np

    from sgg_bench.data.statistics import frequency_prior

    counts = np.zeros((num_obj_classes, num_obj_classes, num_rel_classes), dtype=np.int64)
    for nodes, rows in zip(node_classes, triplets):
        nodes, rows = np.asarray(nodes, np.int64), np.asarray(rows, np.int64).reshape(-1, 3)
        if len(rows):
            np.add.at(counts, (nodes[rows[:, 0]], nodes[rows[:, 1]], rows[:, 2]), 1)
    _, _, prior = frequency_prior(counts, np.zeros((num_obj_classes, num_obj_classes), dtype=np.int64))
    return torch.from_numpy(prior)
