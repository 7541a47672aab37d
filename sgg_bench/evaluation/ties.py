"""Tied candidates: the reference's exact order, and the range of values any tie order gives.

Two rankings decide which candidates fall inside a cut K:

* graph constraint: the delivered rows (the model sorted them by ``r·s_i·s_j``; tied rows come out
  in whatever order its sort left them);
* no graph constraint: the ``(pair, predicate)`` scores ``s_i·s_j·p[c]``, which KT ranks with
  ``np.argsort`` (numpy's default, unstable sort) of the negated, flattened float32 array of the
  image. Only images where equal scores straddle a cut can differ from a stable order, so only
  those are re-ranked with that exact call (``reference_order``).

A *block* is a run of equal scores that contains rank K-1 and goes past it. Choosing which of the
block's candidates land before the cut is the only freedom a tie order has, so per image the
value of a recall metric at K ranges over the choices of ``q = K - (rank of the block's first
entry)`` of its candidates. ``TieRanges`` records, per cut, what each block candidate would add
(GT rows not already recalled by the candidates above the block) and solves the smallest and
largest total at the end, when the per-metric weights are known.
"""
from __future__ import annotations

import numpy as np

# Above this many GT rows in one group of overlapping candidates the exact search is skipped and
# the range widened to the trivial bounds (the result says so in info["tie_ranges_exact"]).
_EXACT_LIMIT = 18


def reference_order(foreground: np.ndarray, pair_score: np.ndarray, row_offsets: np.ndarray, images: np.ndarray,
                    k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """KT's top-k of the images ``images``, plus the entries tied with its k-th beyond it.

    foreground (M, W) float32, pair_score (M,) float32, row_offsets (B+1,). Per image KT ranks
    ``np.argsort(-(pair_score[:, None] * foreground).ravel())``; that exact call is made here.
    Returns (rows (T,), cols (T,), values (T,) float32, counts (len(images),)), image by image.
    """
    rows, cols, values, counts = [], [], [], []
    width = foreground.shape[1]
    for b in images:
        r0, r1 = int(row_offsets[b]), int(row_offsets[b + 1])
        flat = (pair_score[r0:r1, None] * foreground[r0:r1]).ravel()
        order = np.argsort(-flat)
        top = order[:k]
        if len(order) > k:
            last = flat[top[-1]]
            extra = int(np.count_nonzero(flat == last)) - int(np.count_nonzero(flat[top] == last))
            top = order[:k + extra]          # the argsort is sorted, so the rest of the tie follows
        local_row, col = np.divmod(top, width)
        rows.append(local_row + r0)
        cols.append(col)
        values.append(flat[top])
        counts.append(len(top))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, np.float32), empty
    return (np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64),
            np.concatenate(values), np.asarray(counts, dtype=np.int64))


def tie_blocks(values: np.ndarray, offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images whose run of equal ``values`` containing rank k-1 continues to rank k.

    values (T,) in rank order per image, offsets (B+1,). Returns (image, first rank of the run,
    end rank of the run (exclusive)), each (cases,) int64.
    """
    counts = np.diff(offsets)
    images = np.flatnonzero(counts > k)
    if len(images) == 0 or len(values) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    at = offsets[images] + k - 1
    straddle = values[at] == values[at + 1]
    images, at = images[straddle], at[straddle]
    if len(images) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    new_run = np.ones(len(values), dtype=bool)
    new_run[1:] = values[1:] != values[:-1]
    new_run[offsets[:-1][counts > 0]] = True
    starts = np.flatnonzero(new_run)
    run_of = np.cumsum(new_run) - 1
    ends = np.append(starts[1:], len(values))
    run = run_of[at]
    return images, starts[run] - offsets[images], ends[run] - offsets[images]


class TieRanges:
    """Collects tie blocks per (ranking, K) during ``process`` and solves the metric ranges at the end.

    ``add`` takes, for one ranking and one K, the blocks (image, a, b) of a batch, the per-entry
    rank and image of the ranked list, the matches (entry, GT row) and the first-hit rank of every
    GT row, plus per GT row the attributes the metric weights need.
    """

    def __init__(self, ks, num_rel_classes: int):
        self.ks = tuple(ks)
        self.num_rel_classes = num_rel_classes
        self.cases = {}          # (kind, ki) -> list of (q, n) arrays
        self.records = {}        # (kind, ki) -> list of record dicts
        self._case_count = {}
        self._gt_seen = 0
        self.exact = True

    def next_batch(self, num_gt: int) -> int:
        """Global id of the batch's first GT row; call once per batch before ``add``."""
        base = self._gt_seen
        self._gt_seen += num_gt
        return base

    def add(self, kind: str, ki: int, blocks, entry_image: np.ndarray, entry_rank: np.ndarray,
            match_entry: np.ndarray, match_gt: np.ndarray, first_hit: np.ndarray, gt_base: int,
            gt_attrs: dict) -> None:
        images, a, b = blocks
        if len(images) == 0:
            return
        k = self.ks[ki]
        key = (kind, ki)
        first_case = self._case_count.get(key, 0)
        self._case_count[key] = first_case + len(images)
        self.cases.setdefault(key, []).append(np.stack([k - a, b - a], axis=1))
        case_of_image = np.full(max(int(entry_image.max(initial=-1)), int(images.max())) + 1, -1, dtype=np.int64)
        case_of_image[images] = np.arange(len(images))
        case = case_of_image[entry_image[match_entry]] if len(match_entry) else np.zeros(0, np.int64)
        keep = case >= 0
        case, entry, gt = case[keep], match_entry[keep], match_gt[keep]
        item = entry_rank[entry] - a[case]
        inside = (item >= 0) & (item < (b - a)[case]) & (first_hit[gt] >= a[case])   # not recalled above the block
        case, item, gt = case[inside], item[inside], gt[inside]
        record = {"case": case + first_case, "item": item, "gid": gt + gt_base}
        record.update({name: values[gt] for name, values in gt_attrs.items()})
        self.records.setdefault(key, []).append(record)

    def ranges(self, metrics: dict, weights_for) -> dict[str, list[float]]:
        """{metric name: [low, high]} for metrics whose value depends on the tie order.

        weights_for(name, records) -> (records,) weight of each record's GT row in metric ``name``
        (name in R, mR, zR), or None when the metric is not available.
        """
        out = {}
        for kind, names in (("gc", ("R", "mR", "zR")), ("ng", ("ngR", "ng-mR", "ng-zR"))):
            for ki, k in enumerate(self.ks):
                key = (kind, ki)
                if key not in self.cases:
                    continue
                cases = np.concatenate(self.cases[key])
                parts = self.records[key]
                records = {field: np.concatenate([p[field] for p in parts]) for field in parts[0]}
                for base_name, name in zip(("R", "mR", "zR"), names):
                    metric = metrics.get(f"{name}@{k}")
                    if metric is None:
                        continue
                    weights = weights_for(base_name, records)
                    if weights is None:
                        continue
                    low, high = self._solve(cases, records, weights)
                    if high - low > 1e-12:
                        out[f"{name}@{k}"] = [float(metric + low), float(metric + high)]
        return out

    def _solve(self, cases: np.ndarray, records: dict, weights: np.ndarray) -> tuple[float, float]:
        """Sum over blocks of (smallest - current, largest - current) covered weight."""
        q, n = cases[:, 0], cases[:, 1]
        case, item, gid = records["case"], records["item"], records["gid"]
        if len(case) == 0:
            return 0.0, 0.0
        _, inverse, shared = np.unique(gid, return_inverse=True, return_counts=True)
        overlapping = np.zeros(len(cases), dtype=bool)
        overlapping[case[shared[inverse.reshape(-1)] > 1]] = True
        simple = ~overlapping[case]
        low, high = self._solve_disjoint(q, n, case[simple], item[simple], weights[simple], ~overlapping)
        for c in np.flatnonzero(overlapping):
            mine = case == c
            lo, hi = self._solve_overlapping(int(q[c]), int(n[c]), item[mine], gid[mine], weights[mine])
            low, high = low + lo, high + hi
        return low, high

    @staticmethod
    def _solve_disjoint(q, n, case, item, weights, usable) -> tuple[float, float]:
        """Every GT row is reachable from one candidate only: per candidate a gain; best/worst q of them."""
        item_base = np.zeros(len(n) + 1, dtype=np.int64)
        np.cumsum(np.where(usable, n, 0), out=item_base[1:])
        gain = np.bincount(item_base[case] + item, weights=weights, minlength=int(item_base[-1]))
        owner = np.repeat(np.arange(len(n)), np.where(usable, n, 0))
        local = np.arange(len(gain)) - item_base[owner]
        current = gain[local < q[owner]].sum()
        order = np.lexsort((gain, owner))                 # ascending gain within each block
        rank = np.arange(len(gain)) - item_base[owner[order]]
        sorted_gain, sorted_owner = gain[order], owner[order]
        smallest = sorted_gain[rank < q[sorted_owner]].sum()
        largest = sorted_gain[rank >= n[sorted_owner] - q[sorted_owner]].sum()
        return float(smallest - current), float(largest - current)

    def _solve_overlapping(self, q: int, n: int, item, gid, weights) -> tuple[float, float]:
        """Exact search over which candidates are chosen, by (count, covered GT rows) states."""
        rows = {int(g): i for i, g in enumerate(np.unique(gid))}
        weight_of = np.zeros(len(rows))
        masks: dict[int, int] = {}
        for it, g, w in zip(item.tolist(), gid.tolist(), weights.tolist()):
            weight_of[rows[g]] = w
            masks[it] = masks.get(it, 0) | (1 << rows[g])

        def covered(mask: int) -> float:
            return float(sum(weight_of[i] for i in range(len(rows)) if mask >> i & 1))

        current = 0
        for it, mask in masks.items():
            if it < q:
                current |= mask
        if len(rows) > _EXACT_LIMIT:
            self.exact = False
            return -covered(current), covered((1 << len(rows)) - 1) - covered(current)
        free = n - len(masks)                         # candidates that recall nothing new
        states = {(0, 0)}
        for mask in masks.values():
            states |= {(count + 1, m | mask) for count, m in states if count < q}
        reachable = [covered(m) for count, m in states if q - free <= count <= q]
        return min(reachable) - covered(current), max(reachable) - covered(current)
