"""Vectorised triplet matching (METRICS.md §4) and per-image top-k, for many images at once.

Matching is done by key first and IoU second: a predicted triplet can only match a GT row of
the same image with the same (subject label, predicate, object label), so both are encoded
into one int64 key, GT keys are sorted once, and ``searchsorted`` finds each prediction's
candidate rows. IoU is computed only for those candidates, which keeps memory proportional to
the number of label matches rather than predictions x GT rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sgg_bench.evaluation.boxes import paired_iou, union_boxes


@dataclass
class Triplets:
    """T triplets of one or many images as flat arrays.

    image (T,) int64 image index; subject_boxes, object_boxes (T, 4) float32 xyxy pixels;
    subject_labels, object_labels, predicates (T,) int64.
    """

    image: np.ndarray
    subject_boxes: np.ndarray
    object_boxes: np.ndarray
    subject_labels: np.ndarray
    object_labels: np.ndarray
    predicates: np.ndarray

    def __len__(self) -> int:
        return len(self.image)

    def keys(self, num_obj_classes: int, num_rel_classes: int) -> np.ndarray:
        """(T,) int64 key equal for two triplets iff image and all three labels are equal."""
        key = self.image * num_obj_classes + self.subject_labels
        key = key * num_obj_classes + self.object_labels
        return key * num_rel_classes + self.predicates


def label_matches(gt: Triplets, pred: Triplets, num_obj_classes: int,
                  num_rel_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """All (prediction, GT) index pairs of the same image with equal labels, sorted by prediction.

    Within one prediction, GT indices come out in increasing order.
    """
    gt_keys = gt.keys(num_obj_classes, num_rel_classes)
    order = np.argsort(gt_keys, kind="stable")
    unique_keys, first, run_length = np.unique(gt_keys[order], return_index=True, return_counts=True)
    pred_keys = pred.keys(num_obj_classes, num_rel_classes)
    slot = np.minimum(np.searchsorted(unique_keys, pred_keys), max(len(unique_keys) - 1, 0))
    found = unique_keys[slot] == pred_keys if len(unique_keys) else np.zeros(len(pred_keys), dtype=bool)
    lo = first[slot] if len(unique_keys) else np.zeros(len(pred_keys), dtype=np.int64)
    counts = np.where(found, run_length[slot] if len(unique_keys) else 0, 0)
    total = int(counts.sum())
    pred_index = np.repeat(np.arange(len(pred), dtype=np.int64), counts)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    gt_index = order[start + np.arange(total, dtype=np.int64)]
    return pred_index, gt_index


def match_overlap(gt: Triplets, pred: Triplets, pred_index: np.ndarray, gt_index: np.ndarray,
                  rule: str = "triplet") -> np.ndarray:
    """Overlap of each candidate (prediction, GT) pair: (P,) float32.

    rule "triplet": min(IoU of subjects, IoU of objects); rule "phrase": IoU of the union boxes.
    """
    if rule == "phrase":
        return paired_iou(union_boxes(gt.subject_boxes[gt_index], gt.object_boxes[gt_index]),
                          union_boxes(pred.subject_boxes[pred_index], pred.object_boxes[pred_index]))
    if rule != "triplet":
        raise ValueError(f"unknown match rule {rule!r}; expected 'triplet' or 'phrase'")
    return np.minimum(paired_iou(gt.subject_boxes[gt_index], pred.subject_boxes[pred_index]),
                      paired_iou(gt.object_boxes[gt_index], pred.object_boxes[pred_index]))


def match_triplets(gt: Triplets, pred: Triplets, *, num_obj_classes: int, num_rel_classes: int,
                   iou_threshold: float = 0.5, rule: str = "triplet") -> tuple[np.ndarray, np.ndarray]:
    """METRICS.md §4: (prediction index, GT index) of every match; labels equal and IoU >= threshold.

    No one-to-one assignment: a prediction may match several GT rows and the reverse.
    """
    pred_index, gt_index = label_matches(gt, pred, num_obj_classes, num_rel_classes)
    overlap = match_overlap(gt, pred, pred_index, gt_index, rule)
    keep = overlap >= np.float32(iou_threshold)
    return pred_index[keep], gt_index[keep]


def first_hit_rank(num_gt: int, pred_index: np.ndarray, gt_index: np.ndarray,
                   pred_rank: np.ndarray) -> np.ndarray:
    """(num_gt,) smallest rank of a prediction matching each GT row; a large value when none does.

    ``pred_rank`` (T,) is each prediction's rank inside its own image, so GT row g is recalled at
    K iff ``first_hit_rank[g] < K`` (the union of ``pred_to_gt[:K]``).
    """
    first = np.full(num_gt, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, gt_index, pred_rank[pred_index])
    return first


def segmented_topk(values: np.ndarray, offsets: np.ndarray, k: int,
                   max_block: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    """The k largest values of every segment, in descending order.

    values (V,) float; offsets (B+1,) int64. Returns (flat indices into ``values``, offsets
    (B+1,) of the result), each segment sorted by value descending (ties: arbitrary, as the
    reference's ``argsort`` of negated scores). Segments are grouped by length and padded, so
    each group is one ``argpartition`` call of at most about ``max_block`` elements.
    """
    lengths = np.diff(offsets)
    num = len(lengths)
    kept = np.minimum(lengths, k)
    out_offsets = np.zeros(num + 1, dtype=np.int64)
    np.cumsum(kept, out=out_offsets[1:])
    result = np.empty(int(out_offsets[-1]), dtype=np.int64)
    by_length = np.argsort(lengths, kind="stable")
    position = 0
    while position < num:
        # Grow the group while the padded block stays small and padding stays under ~25 %:
        # lengths ascend, so the last segment sets the group's width.
        first = max(int(lengths[by_length[position]]), 1)
        stop = position + 1
        while stop < num:
            width = max(int(lengths[by_length[stop]]), 1)
            if (stop - position + 1) * width > max_block or width > first * 1.25 + 16:
                break
            stop += 1
        group = by_length[position:stop]
        width = max(int(lengths[group].max()), 1)
        _topk_group(values, offsets, group, width, k, result, out_offsets)
        position = stop
    return result, out_offsets


def _topk_group(values, offsets, group, width, k, result, out_offsets) -> None:
    lengths = offsets[group + 1] - offsets[group]
    rows = len(group)
    # Store negated values so argpartition/argsort (ascending) give the largest first without a copy.
    block = np.full((rows, width), np.inf, dtype=values.dtype)
    row_index = np.repeat(np.arange(rows, dtype=np.int64), lengths)
    col_index = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    flat_source = np.repeat(offsets[group], lengths) + col_index
    block[row_index, col_index] = -values[flat_source]
    take = min(k, width)
    if width > take:
        cols = np.argpartition(block, take - 1, axis=1)[:, :take]
    else:
        cols = np.broadcast_to(np.arange(width), (rows, width)).copy()
    picked = np.take_along_axis(block, cols, axis=1)
    order = np.argsort(picked, axis=1, kind="stable")
    cols = np.take_along_axis(cols, order, axis=1)
    kept = np.minimum(lengths, k)
    valid = np.arange(take)[None, :] < kept[:, None]
    sources = offsets[group][:, None] + cols
    destinations = out_offsets[group][:, None] + np.arange(take)[None, :]
    result[destinations[valid]] = sources[valid]


def row_max(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, W) -> (M,) maximum of each row and (M,) int64 column of its first occurrence (= argmax).

    Faster than ``np.argmax(axis=1)`` on short rows: a max reduction, then the first equal entry.
    Scores must be finite (the predictions reader guarantees it).
    """
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        return np.zeros(scores.shape[0], dtype=scores.dtype), np.zeros(scores.shape[0], dtype=np.int64)
    best = scores.max(axis=1)
    return best, (scores == best[:, None]).argmax(axis=1).astype(np.int64)


def no_graph_topk(foreground: np.ndarray, pair_score: np.ndarray, best_val: np.ndarray, best_col: np.ndarray,
                  row_offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image, the k largest ``pair_score[m] * foreground[m, c]`` over all (row m, column c), descending.

    foreground (M, W) float32 (predicate scores without background); pair_score (M,) float32;
    best_val, best_col (M,) maximum and argmax of each foreground row (``row_max``);
    row_offsets (B+1,) rows per image.
    Returns (rows, cols, offsets (B+1,) of the result).

    Pruning keeps this linear in M: the k-th largest of the rows' best values is a lower bound t
    of an image's k-th largest entry, so only rows whose best value reaches t are expanded and
    only their entries >= t are ranked exactly (ties at t are kept, so nothing is lost).
    """
    num_images = len(row_offsets) - 1
    rows_total = len(foreground)
    if rows_total == 0 or foreground.shape[1] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(num_images + 1, dtype=np.int64)
    row_image = np.repeat(np.arange(num_images, dtype=np.int64), np.diff(row_offsets))
    row_best = pair_score * best_val
    threshold = _kth_largest(row_best, row_offsets, k)
    rows = np.flatnonzero(row_best >= threshold[row_image])
    if np.all(pair_score == 1):         # predcls: object scores are 1, skip the product
        candidates = foreground[rows]
    else:
        candidates = pair_score[rows, None] * foreground[rows]
    # Tighten the bound with the second-best entry of every expanded row (all are real entries).
    if candidates.shape[1] > 1:
        local = np.arange(len(rows))
        saved = candidates[local, best_col[rows]].copy()
        candidates[local, best_col[rows]] = -np.inf
        second = candidates.max(axis=1)
        candidates[local, best_col[rows]] = saved
        pool = np.concatenate([row_best, second])
        pool_image = np.concatenate([row_image, row_image[rows]])
        order = np.argsort(pool_image, kind="stable")
        pool_offsets = np.zeros(num_images + 1, dtype=np.int64)
        np.cumsum(np.bincount(pool_image, minlength=num_images), out=pool_offsets[1:])
        threshold = np.maximum(threshold, _kth_largest(pool[order], pool_offsets, k))
    keep_row, keep_col = np.nonzero(candidates >= threshold[row_image[rows]][:, None])
    values = candidates[keep_row, keep_col]
    counts = np.bincount(row_image[rows[keep_row]], minlength=num_images)
    offsets = np.zeros(num_images + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    chosen, out_offsets = segmented_topk(values, offsets, k)
    return rows[keep_row[chosen]], keep_col[chosen], out_offsets


def _kth_largest(values: np.ndarray, offsets: np.ndarray, k: int, max_block: int = 1 << 23) -> np.ndarray:
    """(B,) k-th largest value of each segment; -inf for segments with fewer than k values.

    Like ``segmented_topk`` (length-sorted, padded groups) but one ``np.partition`` per group and
    no sorting, since only the k-th value is needed.
    """
    lengths = np.diff(offsets)
    threshold = np.full(len(lengths), -np.inf, dtype=values.dtype)
    eligible = np.flatnonzero(lengths >= k)
    if len(eligible) == 0:
        return threshold
    eligible = eligible[np.argsort(lengths[eligible], kind="stable")]
    position = 0
    while position < len(eligible):
        first = int(lengths[eligible[position]])
        stop = position + 1
        while stop < len(eligible):
            width = int(lengths[eligible[stop]])
            if (stop - position + 1) * width > max_block or width > first * 1.25 + 16:
                break
            stop += 1
        group = eligible[position:stop]
        group_lengths = lengths[group]
        width = int(group_lengths.max())
        block = np.full((len(group), width), -np.inf, dtype=values.dtype)
        row_index = np.repeat(np.arange(len(group), dtype=np.int64), group_lengths)
        col_index = np.arange(int(group_lengths.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(group_lengths) - group_lengths, group_lengths)
        block[row_index, col_index] = values[np.repeat(offsets[group], group_lengths) + col_index]
        threshold[group] = np.partition(block, width - k, axis=1)[:, width - k]
        position = stop
    return threshold
