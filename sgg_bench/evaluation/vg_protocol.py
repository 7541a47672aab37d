"""The VG protocol with KT semantics (docs/EVALUATION.md), vectorised across images.

``VGEvaluator`` follows the reset / process / evaluate protocol of docs/FORMATS.md: ``process``
takes a ``GroundTruthBatch`` and an aligned ``PredictionBatch`` (same image order) and only adds to
small per-K / per-predicate sums, so any number of batches can be fed in any order.
"""
from __future__ import annotations

import numpy as np

from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch, rank_in_segment, segment_ids
from sgg_bench.evaluation.matching import (Triplets, first_hit_rank, first_max_column, match_triplets,
                                           no_graph_ranked, row_max_values)
from sgg_bench.evaluation.ties import TieRanges, tie_blocks

VG_KS = (20, 50, 100)
MODES_WITH_GT_BOXES = ("predcls", "sgcls", "preddet")
MODES = ("predcls", "sgcls", "sgdet", "phrdet", "preddet")


def zeroshot_flags(gt: GroundTruthBatch, zeroshot: np.ndarray | None, num_obj_classes: int,
                   num_rel_classes: int) -> np.ndarray:
    """(R,) bool: GT row's (subject class, object class, predicate) is in the zero-shot list (Z, 3)."""
    if zeroshot is None or len(gt.relations) == 0:
        return np.zeros(len(gt.relations), dtype=bool)
    _, subj, obj = gt.global_relations()
    keys = (gt.labels[subj] * num_obj_classes + gt.labels[obj]) * num_rel_classes + gt.relations[:, 2]
    z = np.asarray(zeroshot, dtype=np.int64).reshape(-1, 3)
    zkeys = (z[:, 0] * num_obj_classes + z[:, 1]) * num_rel_classes + z[:, 2]
    return _isin(keys, zkeys)


def _isin(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``np.isin`` for non-negative int64 keys; a lookup table when their range is small (much faster)."""
    if len(values) == 0 or len(reference) == 0:
        return np.zeros(len(values), dtype=bool)
    span = int(max(values.max(), reference.max())) - int(min(values.min(), reference.min())) + 1
    return np.isin(values, reference, kind="table" if span <= 1 << 24 else None)


class VGEvaluator:
    """Accumulates R@K, ngR@K, mR@K, ng-mR@K, zR@K, ng-zR@K and A@K.

    mode: predcls | sgcls | sgdet (KT), or the neural-motifs alternatives phrdet (union-box
    matching, no graph constraint) and preddet (GT boxes and labels, no graph constraint).
    zeroshot: (Z, 3) int64 rows (subject class, object class, predicate), or None (zR = None).
    motifs_rule: an image with GT relations but no predicted pair counts as recall 0 (NM) instead
    of being skipped (KT). multiple_preds: R@K is computed from the no-graph-constraint candidates
    (NM ``multiple_preds``); implied by phrdet / preddet.
    """

    def __init__(self, *, mode: str, num_obj_classes: int, num_rel_classes: int, ks=VG_KS,
                 zeroshot: np.ndarray | None = None, iou_threshold: float = 0.5, motifs_rule: bool = False,
                 multiple_preds: bool = False, match_rule: str | None = None, ng_candidates: int = 100):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        self.mode = mode
        self.num_obj_classes = int(num_obj_classes)
        self.num_rel_classes = int(num_rel_classes)
        self.ks = tuple(int(k) for k in ks)
        self.zeroshot = None if zeroshot is None else np.asarray(zeroshot, dtype=np.int64).reshape(-1, 3)
        self.iou_threshold = float(iou_threshold)
        self.motifs_rule = bool(motifs_rule)
        self.multiple_preds = bool(multiple_preds) or mode in ("phrdet", "preddet")
        self.match_rule = match_rule or ("phrase" if mode == "phrdet" else "triplet")
        self.ng_candidates = int(ng_candidates)
        self.reset()

    def reset(self) -> None:
        nk, c = len(self.ks), self.num_rel_classes
        self.images_seen = 0
        self.images_counted = 0
        self.images_no_gt = 0
        self.images_no_prediction = 0
        self.recall_sum = {name: np.zeros(nk) for name in ("R", "ngR", "zR", "ng-zR")}
        self.predicate_sum = {name: np.zeros((nk, c)) for name in ("mR", "ng-mR")}
        self.predicate_images = np.zeros(c, dtype=np.int64)
        self.zeroshot_images = 0
        self.pair_hits = np.zeros(nk, dtype=np.int64)
        self.pair_total = 0
        self._pair_cache = None
        self.ties = TieRanges(self.ks, self.num_rel_classes)

    # ------------------------------------------------------------------ process
    def process(self, gt: GroundTruthBatch, pred: PredictionBatch) -> None:
        """Add B images; ``pred.image_ids`` must equal ``gt.image_ids`` element by element."""
        if not np.array_equal(gt.image_ids, pred.image_ids):
            raise ValueError("VGEvaluator.process: ground truth and predictions are not aligned by image id")
        num_rels = np.diff(gt.rel_offsets)
        num_pairs = np.diff(pred.rel_offsets)
        self.images_seen += len(gt)
        self.images_no_gt += int((num_rels == 0).sum())
        self.images_no_prediction += int(((num_rels > 0) & (num_pairs == 0)).sum())
        counted = (num_rels > 0) & ((num_pairs > 0) | self.motifs_rule)         # skip rules A and B
        self.images_counted += int(counted.sum())
        if not counted.any():
            return
        boxes, labels, scores, box_offsets = self._objects(gt, pred, num_pairs)
        gt_triplets = _gt_triplets(gt)
        max_k = max(self.ks)
        foreground = pred.rel_scores[:, 1:]
        # Row maxima of every pair bound the ngR top-k; the argmax (the graph-constrained predicate)
        # is only needed for the first max_k pairs of an image and for the A@K pairs.
        best_val = row_max_values(foreground)
        rank = rank_in_segment(pred.rel_offsets)
        pairs_in_gt = self._pairs_in_gt(gt, pred, box_offsets) if self.mode in ("predcls", "sgcls") else None
        needed = np.zeros(len(foreground), dtype=bool) if self.multiple_preds else rank < max_k
        if pairs_in_gt is not None:
            needed |= pairs_in_gt[0] & (pairs_in_gt[1] < max_k)
        # Graph constraint: delivered order. Rows tied (equal r*s_i*s_j) with the max_k-th one beyond it
        # are matched too (ranks >= max_k never count as hits) so that tie ranges can be computed.
        triplet_score = self._triplet_scores(pred, scores, box_offsets, best_val)
        gc_blocks = {} if self.multiple_preds else {
            ki: tie_blocks(triplet_score, pred.rel_offsets, k) for ki, k in enumerate(self.ks)}
        gc_rows = np.flatnonzero(rank < max_k)
        if len(gc_blocks) and len(gc_blocks[self.ks.index(max_k)][0]):
            images, _, ends = gc_blocks[self.ks.index(max_k)]
            extra = np.concatenate([np.arange(pred.rel_offsets[b] + max_k, pred.rel_offsets[b] + e)
                                    for b, e in zip(images.tolist(), ends.tolist())])
            needed[extra] = True
            gc_rows = np.union1d(gc_rows, extra)
        ng = self._no_graph_first_hits(gt_triplets, pred, boxes, labels, scores, box_offsets, best_val)
        # The ngR candidates hold most rows' maximum entries; the argmax is computed only for the rest.
        predicates = ng[7].copy()
        missing = needed & (predicates < 0)
        if missing.any():
            predicates[missing] = first_max_column(foreground, best_val, missing)[missing]
        predicates += 1
        ng_first = ng[0]
        if self.multiple_preds:
            gc = ng
        else:
            gc = self._first_hits(gt_triplets, pred, boxes, labels, box_offsets, gc_rows, rank, predicates,
                                  with_matches=True)
        gc_first = gc[0]
        row_image = segment_ids(gt.rel_offsets)
        row_counted = counted[row_image]
        zero = zeroshot_flags(gt, self.zeroshot, self.num_obj_classes, self.num_rel_classes)
        zero_count = np.bincount(row_image, weights=zero, minlength=len(gt))
        z_images = counted & (zero_count > 0)
        self.zeroshot_images += int(z_images.sum())
        # Per (image, predicate) GT counts n_p for mR; duplicates count.
        cell = row_image * self.num_rel_classes + gt.relations[:, 2]
        cell_total = np.bincount(cell[row_counted], minlength=len(gt) * self.num_rel_classes)
        present = cell_total > 0
        self.predicate_images += np.bincount(np.flatnonzero(present) % self.num_rel_classes,
                                             minlength=self.num_rel_classes)
        for ki, k in enumerate(self.ks):
            for name, first in (("", gc_first), ("ng", ng_first)):
                hit = (first < k) & row_counted
                hits = np.bincount(row_image, weights=hit, minlength=len(gt))
                prefix = "ngR" if name else "R"
                self.recall_sum[prefix][ki] += (hits[counted] / num_rels[counted]).sum()
                cell_hits = np.bincount(cell[hit], minlength=len(cell_total))
                ratio = cell_hits[present] / cell_total[present]
                self.predicate_sum["ng-mR" if name else "mR"][ki] += np.bincount(
                    np.flatnonzero(present) % self.num_rel_classes, weights=ratio, minlength=self.num_rel_classes)
                z_hits = np.bincount(row_image, weights=hit & zero, minlength=len(gt))
                self.recall_sum["ng-zR" if name else "zR"][ki] += (z_hits[z_images] / zero_count[z_images]).sum()
        self._record_ties(gt, counted, row_image, num_rels, cell, cell_total, zero, zero_count, gc, ng, gc_blocks,
                          triplet_score, pred.rel_offsets)
        if self.mode in ("predcls", "sgcls"):
            self._pair_accuracy(gt, gt_triplets, pred, boxes, labels, box_offsets, counted, row_image, predicates,
                                pairs_in_gt)
        self._pair_cache = None                 # do not keep the batch alive

    def _objects(self, gt, pred, num_pairs):
        """Boxes, labels and object scores the matching uses, after the mode overrides (§2.6)."""
        if self.mode in ("predcls", "preddet"):
            has_pairs = num_pairs > 0
            pred_boxes = np.diff(pred.box_offsets)
            gt_boxes = np.diff(gt.box_offsets)
            bad = np.flatnonzero(has_pairs & (pred_boxes != gt_boxes))
            if len(bad):
                b = bad[0]
                raise ValueError(f"{self.mode}: image {int(gt.image_ids[b])} has {int(pred_boxes[b])} predicted "
                                 f"boxes but {int(gt_boxes[b])} GT boxes; in {self.mode} the boxes must be the "
                                 "GT boxes in GT order")
            return gt.boxes, gt.labels, np.ones(len(gt.labels), dtype=np.float32), gt.box_offsets
        return pred.boxes, pred.labels, pred.scores.astype(np.float32), pred.box_offsets

    def _pairs(self, pred, box_offsets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(M,) image index, global subject row and global object row of every predicted pair (cached per batch)."""
        if self._pair_cache is None or self._pair_cache[0] is not pred:
            image = segment_ids(pred.rel_offsets)
            base = box_offsets[image]
            self._pair_cache = (pred, (image, base + pred.rel_pairs[:, 0], base + pred.rel_pairs[:, 1]))
        return self._pair_cache[1]

    def _pred_triplets(self, pred, boxes, labels, box_offsets, rows, predicates) -> Triplets:
        pair_image, pair_subj, pair_obj = self._pairs(pred, box_offsets)
        subj, obj = pair_subj[rows], pair_obj[rows]
        return Triplets(image=pair_image[rows], subject_boxes=None, object_boxes=None, subject_labels=labels[subj],
                        object_labels=labels[obj], predicates=predicates, box_table=boxes, subject_rows=subj,
                        object_rows=obj)

    def _first_hits(self, gt_triplets, pred, boxes, labels, box_offsets, rows, rank, predicates,
                    with_matches: bool = False):
        """(G,) first-hit rank of each GT row over the predictions ``rows``; with_matches: also
        (first, match entry, match GT row, entry rank, entry image, entry values) for the tie ranges."""
        triplets = self._pred_triplets(pred, boxes, labels, box_offsets, rows, predicates[rows])
        p_idx, g_idx = match_triplets(gt_triplets, triplets, num_obj_classes=self.num_obj_classes,
                                      num_rel_classes=self.num_rel_classes, iou_threshold=self.iou_threshold,
                                      rule=self.match_rule)
        first = first_hit_rank(len(gt_triplets), p_idx, g_idx, rank[rows])
        if not with_matches:
            return first
        return first, p_idx, g_idx, rank[rows], triplets.image

    def _no_graph_first_hits(self, gt_triplets, pred, boxes, labels, scores, box_offsets, best_val):
        """§6: top-100 (pair, predicate) candidates by s_i * s_j * p[m, c], cut before matching, in the
        reference's order (ties included). Returns what ``_first_hits(with_matches=True)`` does, plus
        the candidates' values and offsets and each row's argmax column where known (else -1)."""
        _, subj, obj = self._pairs(pred, box_offsets)
        pair_score = scores[subj] * scores[obj]
        rows, cols, values, offsets, row_argmax = no_graph_ranked(pred.rel_scores[:, 1:], pair_score, best_val,
                                                                  pred.rel_offsets, self.ng_candidates, cuts=self.ks)
        predicates = cols.astype(np.int64) + 1
        triplets = self._pred_triplets(pred, boxes, labels, box_offsets, rows, predicates)
        p_idx, g_idx = match_triplets(gt_triplets, triplets, num_obj_classes=self.num_obj_classes,
                                      num_rel_classes=self.num_rel_classes, iou_threshold=self.iou_threshold,
                                      rule=self.match_rule)
        entry_rank = rank_in_segment(offsets)
        return (first_hit_rank(len(gt_triplets), p_idx, g_idx, entry_rank), p_idx, g_idx, entry_rank,
                triplets.image, values, offsets, row_argmax)

    def _triplet_scores(self, pred, scores, box_offsets, best_val) -> np.ndarray:
        """(M,) float32 r * s_i * s_j of every delivered row (the post-processor's ranking key, §3)."""
        if self.mode in ("predcls", "preddet"):
            return best_val
        _, subj, obj = self._pairs(pred, box_offsets)
        return best_val * scores[subj] * scores[obj]

    def _record_ties(self, gt, counted, row_image, num_rels, cell, cell_total, zero, zero_count, gc, ng, gc_blocks,
                     triplet_score, rel_offsets) -> None:
        """Hand the tie blocks of this batch (both rankings, every K) to ``self.ties``."""
        ng_values, ng_offsets = ng[5], ng[6]
        ng_blocks = {ki: tie_blocks(ng_values, ng_offsets, k) for ki, k in enumerate(self.ks)}
        if not any(len(b[0]) for b in ng_blocks.values()) and not any(len(b[0]) for b in gc_blocks.values()):
            self.ties.next_batch(len(gt.relations))
            return
        base = self.ties.next_batch(len(gt.relations))
        attrs = {"rels": num_rels[row_image], "predicate": gt.relations[:, 2], "n_p": cell_total[cell],
                 "zero": zero.astype(bool), "zero_count": zero_count[row_image]}
        kinds = [("ng", ng, ng_blocks)] + ([("gc", ng, ng_blocks)] if self.multiple_preds else
                                           [("gc", gc, gc_blocks)])
        for kind, found, blocks in kinds:
            first, p_idx, g_idx, entry_rank, entry_image = found[:5]
            for ki, block in blocks.items():
                keep = counted[block[0]]
                self.ties.add(kind, ki, tuple(x[keep] for x in block), entry_image, entry_rank, p_idx, g_idx, first,
                              base, attrs)

    def tie_ranges(self, metrics: dict) -> dict[str, list[float]]:
        """{metric: [lowest, highest]} over all orders of tied candidates, only where they differ."""
        images = np.maximum(self.predicate_images, 1)

        def weights_for(name, records):
            if name == "R":
                return 1.0 / (records["rels"] * max(self.images_counted, 1))
            if name == "mR":
                return 1.0 / (records["n_p"] * images[records["predicate"]] * (self.num_rel_classes - 1))
            if not self.zeroshot_images:
                return None
            return np.where(records["zero"], 1.0 / (np.maximum(records["zero_count"], 1) * self.zeroshot_images), 0.0)
        return self.ties.ranges(metrics, weights_for)

    def _pairs_in_gt(self, gt, pred, box_offsets) -> tuple[np.ndarray, np.ndarray]:
        """(M,) bool: the pair is, by index, the pair of a GT row; (M,) int64 rank among those of its image."""
        pair_image = self._pairs(pred, box_offsets)[0]
        row_image = segment_ids(gt.rel_offsets)
        base = int(max(np.diff(gt.box_offsets).max(initial=0), np.diff(pred.box_offsets).max(initial=0))) + 1
        pred_keys = (pair_image * base + pred.rel_pairs[:, 0]) * base + pred.rel_pairs[:, 1]
        gt_keys = (row_image * base + gt.relations[:, 0]) * base + gt.relations[:, 1]
        in_gt = _isin(pred_keys, gt_keys)
        cumulative = np.cumsum(in_gt) - in_gt
        return in_gt, cumulative - cumulative[pred.rel_offsets[pair_image]]

    def _pair_accuracy(self, gt, gt_triplets, pred, boxes, labels, box_offsets, counted, row_image,
                       predicates, pairs_in_gt) -> None:
        """§9 A@K: matches of predictions whose pair is a GT pair by index, first K of those."""
        in_gt, in_gt_rank = pairs_in_gt
        max_k = max(self.ks)
        rows = np.flatnonzero(in_gt & (in_gt_rank < max_k))
        first = self._first_hits(gt_triplets, pred, boxes, labels, box_offsets, rows, in_gt_rank, predicates)
        row_counted = counted[row_image]
        for ki, k in enumerate(self.ks):
            self.pair_hits[ki] += int(((first < k) & row_counted).sum())
        self.pair_total += int(np.diff(gt.rel_offsets)[counted].sum())

    # ------------------------------------------------------------------ evaluate
    def per_predicate(self, name: str = "mR") -> dict[int, np.ndarray]:
        """{K: (C,) recall r_p@K}; entry 0 (background) is unused; absent predicates are 0."""
        images = np.maximum(self.predicate_images, 1)
        return {k: np.where(self.predicate_images > 0, self.predicate_sum[name][ki] / images, 0.0)
                for ki, k in enumerate(self.ks)}

    def evaluate(self) -> dict[str, float | None]:
        """Flat metrics; a metric without any counted image is None (never 0)."""
        metrics: dict[str, float | None] = {}
        n = self.images_counted
        for ki, k in enumerate(self.ks):
            for name in ("R", "ngR"):
                metrics[f"{name}@{k}"] = float(self.recall_sum[name][ki] / n) if n else None
        for name in ("mR", "ng-mR"):
            for k, recalls in self.per_predicate(name).items():
                metrics[f"{name}@{k}"] = float(recalls[1:].sum() / (self.num_rel_classes - 1)) if n else None
        for ki, k in enumerate(self.ks):
            for name in ("zR", "ng-zR"):
                z = self.zeroshot_images
                metrics[f"{name}@{k}"] = float(self.recall_sum[name][ki] / z) if z else None
        for ki, k in enumerate(self.ks):
            if self.mode in ("predcls", "sgcls") and self.pair_total:
                metrics[f"A@{k}"] = float(self.pair_hits[ki] / self.pair_total)
            else:
                metrics[f"A@{k}"] = None
        for k in self.ks:
            metrics[f"F@{k}"] = f_score(metrics[f"R@{k}"], metrics[f"mR@{k}"])
        return metrics

    def info(self) -> dict:
        return {"images": self.images_seen, "images_counted": self.images_counted,
                "images_without_gt_relations": self.images_no_gt,
                "images_without_predicted_pairs": self.images_no_prediction,
                "images_with_zeroshot_gt": self.zeroshot_images,
                "skip_rule": "motifs (no prediction = recall 0)" if self.motifs_rule else "kt (skipped)",
                "match_rule": self.match_rule, "multiple_preds": self.multiple_preds}


def f_score(recall: float | None, mean_recall: float | None) -> float | None:
    """§10 harmonic mean of R@K and mR@K; 0 when both are 0; None when either is unavailable."""
    if recall is None or mean_recall is None:
        return None
    if recall + mean_recall == 0:
        return 0.0
    return 2.0 * recall * mean_recall / (recall + mean_recall)


def _gt_triplets(gt: GroundTruthBatch) -> Triplets:
    image, subj, obj = gt.global_relations()
    return Triplets(image=image, subject_boxes=None, object_boxes=None, subject_labels=gt.labels[subj],
                    object_labels=gt.labels[obj], predicates=gt.relations[:, 2], box_table=gt.boxes,
                    subject_rows=subj, object_rows=obj)
