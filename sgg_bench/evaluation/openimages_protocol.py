"""The OpenImages protocol of PySGG / RelDN (docs/EVALUATION.md), vectorised across images.

Per image: top-2 predicates per pair, global top-100 by ``s_subj * s_obj * p``, keep scores
> 1e-5. Recall is a dataset-level ratio (IoU >= 0.5); per-predicate AP is VOC all-point with
greedy matching at IoU > 0.5 (strict) for relation (min of subject/object IoU) and phrase
(union box) overlap.
"""
from __future__ import annotations

import numpy as np

from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch, rank_in_segment, segment_ids
from sgg_bench.evaluation.matching import (Triplets, first_hit_rank, label_matches, match_overlap,
                                           match_triplets, row_max, segmented_topk)

OI_KS = (1, 5, 10, 20, 50, 100)
PREDICATES_PER_PAIR = 2
CANDIDATES_PER_IMAGE = 100
SCORE_THRESHOLD = 1e-5


class OpenImagesEvaluator:
    """Accumulates ``oi/R@K``, ``mAP_rel``, ``wmAP_rel``, ``mAP_phr``, ``wmAP_phr``, ``final_score``, ``score_wtd``.

    Boxes, labels and object scores are used as delivered (§15.1: not forced even in predcls).
    """

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, ks=OI_KS, iou_threshold: float = 0.5):
        self.num_obj_classes = int(num_obj_classes)
        self.num_rel_classes = int(num_rel_classes)
        self.ks = tuple(int(k) for k in ks)
        self.iou_threshold = float(iou_threshold)
        self.reset()

    def reset(self) -> None:
        self.hits = np.zeros(len(self.ks), dtype=np.int64)
        self.total = 0
        self.npos = np.zeros(self.num_rel_classes, dtype=np.int64)
        self.gt_rows_seen = 0
        self._detections: list[dict[str, np.ndarray]] = []

    def process(self, gt: GroundTruthBatch, pred: PredictionBatch) -> None:
        if not np.array_equal(gt.image_ids, pred.image_ids):
            raise ValueError("OpenImagesEvaluator.process: ground truth and predictions are not aligned")
        gt_triplets = _gt_triplets(gt)
        self.npos += np.bincount(gt.relations[:, 2], minlength=self.num_rel_classes)[: self.num_rel_classes]
        self.total += len(gt.relations)
        candidates, confidence, rank = self._candidates(pred)
        p_idx, g_idx = match_triplets(gt_triplets, candidates, num_obj_classes=self.num_obj_classes,
                                      num_rel_classes=self.num_rel_classes, iou_threshold=self.iou_threshold)
        first = first_hit_rank(len(gt_triplets), p_idx, g_idx, rank)
        for ki, k in enumerate(self.ks):
            self.hits[ki] += int((first < k).sum())
        # AP: each detection's best GT row (first maximum) and its overlap, for both overlap rules.
        p_all, g_all = label_matches(gt_triplets, candidates, self.num_obj_classes, self.num_rel_classes)
        record = {"predicate": candidates.predicates, "confidence": confidence}
        for rule in ("rel", "phr"):
            overlap = match_overlap(gt_triplets, candidates, p_all, g_all, "triplet" if rule == "rel" else "phrase")
            best_overlap, best_gt = _best_gt(len(candidates), p_all, g_all, overlap)
            record[f"{rule}_overlap"] = best_overlap
            record[f"{rule}_gt"] = np.where(best_gt >= 0, best_gt + self.gt_rows_seen, -1)
        self._detections.append(record)
        self.gt_rows_seen += len(gt.relations)

    def _candidates(self, pred: PredictionBatch) -> tuple[Triplets, np.ndarray, np.ndarray]:
        """§15.2 candidates, ranked per image: (triplets, confidence (T,), rank in image (T,))."""
        image = segment_ids(pred.rel_offsets)
        subj = pred.box_offsets[image] + pred.rel_pairs[:, 0]
        obj = pred.box_offsets[image] + pred.rel_pairs[:, 1]
        scores = pred.scores.astype(np.float32)
        foreground = pred.rel_scores[:, 1:]
        top = min(PREDICATES_PER_PAIR, foreground.shape[1])
        best, best_scores = _top_predicates(foreground, top)
        spo = ((scores[subj] * scores[obj])[:, None] * best_scores).reshape(-1)
        flat, offsets = segmented_topk(spo, pred.rel_offsets * top, CANDIDATES_PER_IMAGE)
        keep = spo[flat].astype(np.float64) > SCORE_THRESHOLD
        rank = rank_in_segment(offsets)[keep]
        flat = flat[keep]
        rows = flat // top
        predicates = best.reshape(-1)[flat] + 1
        cand_image = image[rows]
        triplets = Triplets(image=cand_image, subject_boxes=pred.boxes[subj[rows]], object_boxes=pred.boxes[obj[rows]],
                            subject_labels=pred.labels[subj[rows]], object_labels=pred.labels[obj[rows]],
                            predicates=predicates)
        return triplets, spo[flat].astype(np.float64), rank

    def evaluate(self) -> dict[str, float | None]:
        metrics: dict[str, float | None] = {}
        for ki, k in enumerate(self.ks):
            metrics[f"oi/R@{k}"] = float(self.hits[ki] / (self.total + 1e-12))
        dets = {key: np.concatenate([d[key] for d in self._detections]) if self._detections else np.zeros(0)
                for key in ("predicate", "confidence", "rel_overlap", "rel_gt", "phr_overlap", "phr_gt")}
        npos = self.npos[1:]
        for rule in ("rel", "phr"):
            ap = per_predicate_ap(dets["predicate"].astype(np.int64), dets["confidence"], dets[f"{rule}_overlap"],
                                  dets[f"{rule}_gt"].astype(np.int64), self.npos, self.iou_threshold)[1:]
            metrics[f"mAP_{rule}"] = float(ap.sum() / len(ap)) if len(ap) else None
            metrics[f"wmAP_{rule}"] = float((ap * npos).sum() / npos.sum()) if npos.sum() else 0.0
        r50 = metrics.get("oi/R@50")
        if r50 is None:
            metrics["final_score"] = metrics["score_wtd"] = None
        else:
            metrics["final_score"] = 0.2 * r50 + 0.4 * metrics["mAP_rel"] + 0.4 * metrics["mAP_phr"]
            metrics["score_wtd"] = 0.2 * r50 + 0.4 * metrics["wmAP_rel"] + 0.4 * metrics["wmAP_phr"]
        return metrics


def _top_predicates(foreground: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """(M, W) scores -> (M, top) columns and values of each row's best entries, descending.

    Repeated row maxima (equal scores: lowest column first) are much faster than a per-row sort
    on short rows; ``top`` is 2 in the protocol.
    """
    columns = np.zeros((len(foreground), top), dtype=np.int64)
    values = np.zeros((len(foreground), top), dtype=foreground.dtype)
    if len(foreground) == 0 or top == 0:
        return columns, values
    remaining = foreground if top == 1 else foreground.copy()
    rows = np.arange(len(foreground))
    for rank in range(top):
        values[:, rank], columns[:, rank] = row_max(remaining)
        if rank + 1 < top:
            remaining[rows, columns[:, rank]] = -np.inf
    return columns, values


def _best_gt(num_detections: int, p_idx: np.ndarray, g_idx: np.ndarray,
             overlap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per detection: max overlap over label-valid GT rows of its class and image, first maximum.

    GT rows with other labels have overlap 0 in the reference, so they can only be the argmax
    when every overlap is 0, and then the detection is a false positive anyway.
    """
    best_overlap = np.zeros(num_detections, dtype=np.float32)
    best_gt = np.full(num_detections, -1, dtype=np.int64)
    if len(p_idx) == 0:
        return best_overlap, best_gt
    order = np.lexsort((g_idx, -overlap, p_idx))           # by detection, overlap desc, GT index asc
    p_sorted = p_idx[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = p_sorted[1:] != p_sorted[:-1]
    chosen = order[first]
    best_overlap[p_idx[chosen]] = overlap[chosen]
    best_gt[p_idx[chosen]] = g_idx[chosen]
    return best_overlap, best_gt


def per_predicate_ap(predicate: np.ndarray, confidence: np.ndarray, overlap: np.ndarray, best_gt: np.ndarray,
                     npos: np.ndarray, threshold: float) -> np.ndarray:
    """§15.4 VOC all-point AP of every predicate class: (C,) float64 (class 0 unused, 0 when npos = 0).

    A detection is a TP iff its best overlap is > threshold and its best GT row was not already
    taken by a higher-confidence detection (no fall-back to the second best GT row).
    """
    ap = np.zeros(len(npos), dtype=np.float64)
    order = np.lexsort((-confidence, predicate))           # by class, confidence descending
    predicate, overlap, best_gt = predicate[order], overlap[order], best_gt[order]
    candidate = overlap > np.float32(threshold)
    tp = np.zeros(len(order), dtype=bool)
    cand_rows = np.flatnonzero(candidate)
    _, first = np.unique(best_gt[cand_rows], return_index=True)   # first (highest-ranked) claim of each GT row
    tp[cand_rows[first]] = True
    bounds = np.searchsorted(predicate, np.arange(len(npos) + 1))
    for c in range(1, len(npos)):
        if npos[c] == 0:
            continue
        lo, hi = bounds[c], bounds[c + 1]
        true_pos = np.cumsum(tp[lo:hi]).astype(np.float64)
        false_pos = np.cumsum(~tp[lo:hi]).astype(np.float64)
        recall = true_pos / (npos[c] + 1e-12)
        precision = true_pos / np.maximum(true_pos + false_pos, np.finfo(np.float64).eps)
        ap[c] = voc_ap(recall, precision)
    return ap


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC all-point AP: precision envelope from the right, summed over recall changes."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    change = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(((mrec[change + 1] - mrec[change]) * mpre[change + 1]).sum())


def _gt_triplets(gt: GroundTruthBatch) -> Triplets:
    image, subj, obj = gt.global_relations()
    return Triplets(image=image, subject_boxes=gt.boxes[subj], object_boxes=gt.boxes[obj],
                    subject_labels=gt.labels[subj], object_labels=gt.labels[obj], predicates=gt.relations[:, 2])
