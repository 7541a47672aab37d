"""The vectorised building blocks against brute force."""
import numpy as np
import pytest

from sgg_bench.evaluation.batches import gather_segments, offsets_from_counts, rank_in_segment
from sgg_bench.evaluation.matching import no_graph_topk, row_max, segmented_topk


def brute_topk(values, offsets, k):
    out = []
    for b in range(len(offsets) - 1):
        seg = np.arange(offsets[b], offsets[b + 1])
        out.extend(seg[np.argsort(-values[seg], kind="stable")][:k].tolist())
    return out


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("max_block", [7, 1 << 23])
def test_segmented_topk(seed, max_block):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 40, 25)
    offsets = offsets_from_counts(counts)
    values = rng.random(int(offsets[-1])).astype(np.float32)
    flat, out_offsets = segmented_topk(values, offsets, 5, max_block=max_block)
    assert flat.tolist() == brute_topk(values, offsets, 5)
    assert np.diff(out_offsets).tolist() == np.minimum(counts, 5).tolist()


@pytest.mark.parametrize("seed", range(20))
def test_no_graph_topk_equals_flat_topk(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 30, 20)
    offsets = offsets_from_counts(counts)
    foreground = rng.random((int(offsets[-1]), 6)).astype(np.float32)
    pair_score = rng.random(len(foreground)).astype(np.float32)
    candidates = (pair_score[:, None] * foreground).reshape(-1)
    expected = brute_topk(candidates, offsets * 6, 10)
    best_val, best_col = row_max(foreground)
    assert best_col.tolist() == foreground.argmax(axis=1).tolist()
    rows, cols, out_offsets = no_graph_topk(foreground, pair_score, best_val, best_col, offsets, 10)
    assert (rows * 6 + cols).tolist() == expected
    assert np.diff(out_offsets).tolist() == np.minimum(counts * 6, 10).tolist()


def test_empty_inputs():
    flat, off = segmented_topk(np.zeros(0, np.float32), np.zeros(3, np.int64), 4)
    assert flat.size == 0 and off.tolist() == [0, 0, 0]
    rows, cols, off = no_graph_topk(np.zeros((0, 5), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32),
                                    np.zeros(0, np.int64), np.zeros(3, np.int64), 4)
    assert rows.size == 0 and off.tolist() == [0, 0, 0]


def test_gather_and_rank():
    offsets = np.array([0, 2, 2, 5])
    rows, new = gather_segments(offsets, np.array([2, 0, 1]))
    assert rows.tolist() == [2, 3, 4, 0, 1] and new.tolist() == [0, 3, 5, 5]
    assert rank_in_segment(offsets).tolist() == [0, 1, 0, 1, 2]


def test_row_max_ties_take_the_lowest_index():
    scores = np.array([[0.1, 0.5, 0.5], [0.7, 0.2, 0.7]], np.float32)
    best, col = row_max(scores)
    assert best.tolist() == pytest.approx([0.5, 0.7]) and col.tolist() == [1, 0]


@pytest.mark.parametrize("seed", range(5))
def test_kth_largest(seed):
    from sgg_bench.evaluation.matching import _kth_largest
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 30, 40)
    offsets = offsets_from_counts(counts)
    values = rng.random(int(offsets[-1])).astype(np.float32)
    got = _kth_largest(values, offsets, 7, max_block=50)
    for b in range(len(counts)):
        seg = np.sort(values[offsets[b]:offsets[b + 1]])[::-1]
        assert got[b] == (seg[6] if len(seg) >= 7 else -np.inf)
