"""Vectorised triplet matching (docs/EVALUATION.md) and per-image top-k, for many images at once.

Matching is done by key first and IoU second: a predicted triplet can only match a GT row of
the same image with the same (subject label, predicate, object label), so both are encoded
into one int64 key, GT keys are sorted once, and ``searchsorted`` finds each prediction's
candidate rows. IoU is computed only for those candidates, which keeps memory proportional to
the number of label matches rather than predictions x GT rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sgg_bench.evaluation.batches import gather_segments, offsets_from_counts
from sgg_bench.evaluation.boxes import paired_iou, union_boxes


@dataclass
class Triplets:
    """T triplets of one or many images as flat arrays.

    image (T,) int64 image index; subject_boxes, object_boxes (T, 4) float32 xyxy pixels;
    subject_labels, object_labels, predicates (T,) int64.
    Boxes may instead be given lazily as ``box_table`` (N, 4) with ``subject_rows``/``object_rows``
    (T,) int64 rows of it, so that only the label-matched triplets' boxes are ever gathered.
    """

    image: np.ndarray
    subject_boxes: np.ndarray | None
    object_boxes: np.ndarray | None
    subject_labels: np.ndarray
    object_labels: np.ndarray
    predicates: np.ndarray
    box_table: np.ndarray | None = None
    subject_rows: np.ndarray | None = None
    object_rows: np.ndarray | None = None
    _key_index: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.image)

    def keys(self, num_obj_classes: int, num_rel_classes: int) -> np.ndarray:
        """(T,) int64 key equal for two triplets iff image and all three labels are equal."""
        key = self.image * num_obj_classes + self.subject_labels
        key = key * num_obj_classes + self.object_labels
        return key * num_rel_classes + self.predicates

    def subject_boxes_at(self, index: np.ndarray) -> np.ndarray:
        """(len(index), 4) subject boxes of the triplets ``index``."""
        if self.subject_boxes is not None:
            return self.subject_boxes[index]
        return self.box_table[self.subject_rows[index]]

    def object_boxes_at(self, index: np.ndarray) -> np.ndarray:
        """(len(index), 4) object boxes of the triplets ``index``."""
        if self.object_boxes is not None:
            return self.object_boxes[index]
        return self.box_table[self.object_rows[index]]


def _sorted_keys(gt: Triplets, num_obj_classes: int, num_rel_classes: int):
    """GT keys sorted once per Triplets object and reused by every match against it.

    Returns (order, unique keys, first position of each unique key, run lengths, (image, predicate)
    presence table or None).
    """
    cache_key = (num_obj_classes, num_rel_classes)
    if cache_key not in gt._key_index:
        gt_keys = gt.keys(num_obj_classes, num_rel_classes)
        order = np.argsort(gt_keys, kind="stable")
        unique_keys, first, run_length = np.unique(gt_keys[order], return_index=True, return_counts=True)
        table = None
        images = int(gt.image.max(initial=-1)) + 1
        if 0 < images * num_rel_classes <= 1 << 24:
            table = np.zeros(images * num_rel_classes, dtype=bool)
            table[gt.image * num_rel_classes + gt.predicates] = True
        gt._key_index[cache_key] = (order, unique_keys, first, run_length, table)
    return gt._key_index[cache_key]


def label_matches(gt: Triplets, pred: Triplets, num_obj_classes: int,
                  num_rel_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """All (prediction, GT) index pairs of the same image with equal labels, sorted by prediction.

    Within one prediction, GT indices come out in increasing order.
    """
    order, unique_keys, first, run_length, table = _sorted_keys(gt, num_obj_classes, num_rel_classes)
    if len(unique_keys) == 0 or len(pred) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    # Cheap pre-filter: most predictions name a predicate absent from their image's GT.
    candidates = None
    if table is not None:
        cell = pred.image * num_rel_classes + pred.predicates
        inside = (cell >= 0) & (cell < len(table))
        candidates = np.flatnonzero(inside & table[np.where(inside, cell, 0)])
    pred_keys = pred.keys(num_obj_classes, num_rel_classes)
    if candidates is not None:
        pred_keys = pred_keys[candidates]
    slot = np.minimum(np.searchsorted(unique_keys, pred_keys), len(unique_keys) - 1)
    counts = np.where(unique_keys[slot] == pred_keys, run_length[slot], 0)
    lo = first[slot]
    total = int(counts.sum())
    query = np.arange(len(pred_keys), dtype=np.int64) if candidates is None else candidates
    pred_index = np.repeat(query, counts)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    gt_index = order[start + np.arange(total, dtype=np.int64)]
    return pred_index, gt_index


def match_overlap(gt: Triplets, pred: Triplets, pred_index: np.ndarray, gt_index: np.ndarray,
                  rule: str = "triplet") -> np.ndarray:
    """Overlap of each candidate (prediction, GT) pair: (P,) float32.

    rule "triplet": min(IoU of subjects, IoU of objects); rule "phrase": IoU of the union boxes.
    """
    if rule == "phrase":
        return paired_iou(union_boxes(gt.subject_boxes_at(gt_index), gt.object_boxes_at(gt_index)),
                          union_boxes(pred.subject_boxes_at(pred_index), pred.object_boxes_at(pred_index)))
    if rule != "triplet":
        raise ValueError(f"unknown match rule {rule!r}; expected 'triplet' or 'phrase'")
    return np.minimum(paired_iou(gt.subject_boxes_at(gt_index), pred.subject_boxes_at(pred_index)),
                      paired_iou(gt.object_boxes_at(gt_index), pred.object_boxes_at(pred_index)))


def match_triplets(gt: Triplets, pred: Triplets, *, num_obj_classes: int, num_rel_classes: int,
                   iou_threshold: float = 0.5, rule: str = "triplet") -> tuple[np.ndarray, np.ndarray]:
    """docs/EVALUATION.md: (prediction index, GT index) of every match; labels equal and IoU >= threshold.

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
    best = row_max_values(scores)
    return best, first_max_column(scores, best)


def first_max_column(scores: np.ndarray, best: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """(M,) int64 column of the first entry equal to ``best`` (the row maxima) in each row (= argmax).

    rows: optional (M,) bool; rows not selected get 0 (the work is only done for selected rows
    when they are a minority, as in sgdet files with many pairs per image).
    """
    if rows is None or rows.all():
        return (scores == best[:, None]).argmax(axis=1).astype(np.int64)
    columns = np.zeros(len(scores), dtype=np.int64)
    if rows.mean() > 0.25:              # gathering rows costs more than it saves (measured)
        columns[rows] = (scores == best[:, None]).argmax(axis=1)[rows]
    else:
        index = np.flatnonzero(rows)
        columns[index] = (scores[index] == best[index, None]).argmax(axis=1)
    return columns


def row_max_values(scores: np.ndarray) -> np.ndarray:
    """(M, W) -> (M,) row maxima. For rows that are evenly spaced in one buffer (a C-contiguous
    array or a column slice of one, like ``rel_scores[:, 1:]``) a single ``np.maximum.reduceat``
    over the flat memory, which numpy runs about 1.5x faster than ``max(axis=1)`` on short rows."""
    rows, width = scores.shape
    item = scores.itemsize
    if width < 8 or scores.strides[1] != item or scores.strides[0] % item or scores.strides[0] < width * item:
        return scores.max(axis=1)
    step = scores.strides[0] // item
    flat = np.lib.stride_tricks.as_strided(scores, shape=((rows - 1) * step + width,), strides=(item,),
                                           writeable=False)
    starts = np.arange(rows, dtype=np.int64) * step
    # Segments alternate [row start, row end) and [row end, next row start); keep the first kind.
    bounds = np.empty(2 * rows - 1, dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = starts[:-1] + width
    return np.maximum.reduceat(flat, bounds)[0::2]


def no_graph_topk(foreground: np.ndarray, pair_score: np.ndarray, best_val: np.ndarray, best_col: np.ndarray,
                  row_offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image, the k largest ``pair_score[m] * foreground[m, c]`` over all (row m, column c), descending.

    foreground (M, W) float32 (predicate scores without background); pair_score (M,) float32 (>= 0);
    best_val (M,) maximum of each foreground row (``row_max``); best_col is not needed any more and
    only kept for callers; row_offsets (B+1,) rows per image.
    Returns (rows, cols, offsets (B+1,) of the result). Equal scores keep (row, column) order.

    Pruning keeps this linear in M without sorting whole images: the k-th largest of the rows' best
    values is a lower bound t of an image's k-th largest entry (images with fewer than k rows use
    the best few entries of every row instead), so only entries >= t of rows whose best reaches t
    are ranked exactly (ties at t are kept, so nothing is lost).
    """
    rows, cols, values, image, rank, _ = _sorted_candidates(foreground, pair_score, best_val, row_offsets, k)
    keep = rank < k
    return rows[keep], cols[keep], _offsets_of(image[keep], len(row_offsets) - 1)


def no_graph_ranked(foreground: np.ndarray, pair_score: np.ndarray, best_val: np.ndarray, row_offsets: np.ndarray,
                    k: int, cuts=()) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``no_graph_topk`` in the reference's exact order where it matters, plus the ties at k.

    Images where equal scores straddle one of ``cuts`` (or k) are re-ranked with KT's own call
    (``ties.reference_order``: numpy's default argsort of the image's negated float32 scores); in
    every other image the stable order selects the same candidates at each cut. Entries tied with
    an image's k-th one follow it (ranks >= k, never inside a cut), so tie ranges can be computed.
    Returns (rows, cols, values (T,) float32, offsets (B+1,), row_argmax (M,)): the last is the
    column of each row's first maximum where that entry was a candidate, else -1 (a by-product
    that spares most of the graph-constrained argmax).
    """
    from sgg_bench.evaluation.ties import reference_order
    num_images = len(row_offsets) - 1
    rows, cols, values, image, rank, row_argmax = _sorted_candidates(foreground, pair_score, best_val, row_offsets,
                                                                     k)
    counts = np.bincount(image, minlength=num_images)
    starts = np.zeros(num_images + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    tied = np.zeros(num_images, dtype=bool)
    for cut in sorted(set(int(c) for c in cuts) | {int(k)}):
        has = np.flatnonzero(counts > cut)
        at = starts[has] + cut - 1
        tied[has[values[at] == values[at + 1]]] = True
    keep = (rank < k) & ~tied[image]
    if not tied.any():
        return rows[keep], cols[keep], values[keep], _offsets_of(image[keep], num_images), row_argmax
    redo = np.flatnonzero(tied)
    ref_rows, ref_cols, ref_values, ref_counts = reference_order(foreground, pair_score, row_offsets, redo, k)
    all_image = np.concatenate([image[keep], np.repeat(redo, ref_counts)])
    order = np.argsort(all_image, kind="stable")      # whole images, each in its own order
    return (np.concatenate([rows[keep], ref_rows])[order], np.concatenate([cols[keep], ref_cols])[order],
            np.concatenate([values[keep], ref_values])[order], _offsets_of(all_image, num_images), row_argmax)


def _offsets_of(image: np.ndarray, num_images: int) -> np.ndarray:
    offsets = np.zeros(num_images + 1, dtype=np.int64)
    np.cumsum(np.bincount(image, minlength=num_images), out=offsets[1:])
    return offsets


def _sorted_candidates(foreground, pair_score, best_val, row_offsets, k):
    """Every entry that can be in an image's top k (and its ties), sorted by (image, value desc), stable.

    Returns (rows, cols, values, image, rank within image), each (T,), and (M,) the column of each
    row's first maximum where it was a candidate (else -1).
    """
    num_images = len(row_offsets) - 1
    if len(foreground) == 0 or foreground.shape[1] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, np.float32), empty, empty, np.full(len(foreground), -1, dtype=np.int64)
    width = foreground.shape[1]
    row_counts = np.diff(row_offsets)
    row_image = np.repeat(np.arange(num_images, dtype=np.int64), row_counts)
    unit_pairs = bool(np.all(pair_score == 1))          # predcls: object scores are 1, skip the product
    row_best = best_val if unit_pairs else pair_score * best_val
    threshold = _kth_largest_row(row_best, row_offsets, k)
    small = np.flatnonzero((row_counts < k) & (row_counts > 0))
    if len(small) and width > 1:
        threshold[small] = _small_image_bound(foreground, pair_score, unit_pairs, row_offsets, small, k)
    if not unit_pairs and (pair_score < 0).any():
        # A negative factor turns a row's best entry into its worst: no bound there, rank in full.
        threshold[np.unique(row_image[pair_score < 0])] = -np.inf
    rows = np.flatnonzero(row_best >= threshold[row_image])
    candidates = foreground[rows] if unit_pairs else pair_score[rows, None] * foreground[rows]
    flat = np.flatnonzero(candidates >= threshold[row_image[rows]][:, None])
    values = candidates.reshape(-1)[flat]
    local_row, cols = np.divmod(flat, width)
    entry_rows = rows[local_row]
    image = row_image[entry_rows]
    # Entries are in (row, column) order here: a row's first entry equal to its maximum is its argmax.
    is_max = (values if unit_pairs else foreground[entry_rows, cols]) == best_val[entry_rows]
    max_rows, max_cols = entry_rows[is_max], cols[is_max]
    first = np.ones(len(max_rows), dtype=bool)
    first[1:] = max_rows[1:] != max_rows[:-1]
    row_argmax = np.full(len(foreground), -1, dtype=np.int64)
    row_argmax[max_rows[first]] = max_cols[first]
    # One stable sort by (image, value descending); candidates are already in (image, row, column)
    # order, so ties keep it. The key packs the image above a descending-order code of the float32.
    order = _stable_order_by_image_then_value_desc(image, values)
    image = image[order]
    counts = np.bincount(image, minlength=num_images)
    starts = np.zeros(num_images + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    rank = np.arange(len(order), dtype=np.int64) - starts[image]
    return entry_rows[order], cols[order].astype(np.int64), values[order], image, rank, row_argmax


def _kth_largest_row(row_best: np.ndarray, row_offsets: np.ndarray, k: int) -> np.ndarray:
    """(B,) k-th largest of ``row_best`` per image (-inf below k rows). A ranked file (rows in
    descending order, docs/FORMATS.md) gives it by position; otherwise ``_kth_largest`` selects it."""
    if len(row_best) > 1:
        descending = row_best[1:] <= row_best[:-1]
        boundary = row_offsets[1:-1] - 1
        descending[boundary[(boundary >= 0) & (boundary < len(descending))]] = True
        if not descending.all():
            return _kth_largest(row_best, row_offsets, k)
    threshold = np.full(len(row_offsets) - 1, -np.inf, dtype=row_best.dtype)
    has = np.flatnonzero(np.diff(row_offsets) >= k)
    threshold[has] = row_best[row_offsets[has] + k - 1]
    return threshold


def _stable_order_by_image_then_value_desc(image: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Stable argsort by (image ascending, value descending); image (V,) int64 >= 0, values (V,) float."""
    if values.dtype != np.float32 or len(image) == 0 or int(image.max()) >= 1 << 31:
        return np.lexsort((-values, image))
    bits = (values + np.float32(0)).view(np.int32).astype(np.int64)     # + 0 turns -0.0 into 0.0
    ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF)          # signed integer order = float order
    return np.argsort((image << 32) | (0x7FFFFFFF - ascending), kind="stable")


def _small_image_bound(foreground, pair_score, unit_pairs, row_offsets, images, k, per_row: int = 4):
    """(len(images),) lower bound of the k-th largest entry of each image with fewer than k rows.

    The k-th largest of the best ``per_row`` entries of every row (distinct real entries, so a valid
    lower bound); -inf where the image has fewer than k such entries (it is then ranked in full).
    """
    row_index, offsets = gather_segments(row_offsets, images)
    width = foreground.shape[1]
    per_row = min(per_row, width)
    bound = np.full(len(images), -np.inf, dtype=foreground.dtype)
    if not (np.diff(offsets) * per_row >= k).any():
        return bound
    block = foreground[row_index] if unit_pairs else pair_score[row_index, None] * foreground[row_index]
    best = np.partition(block, width - per_row, axis=1)[:, width - per_row:]
    return _kth_largest(best.reshape(-1), offsets * per_row, k)


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
