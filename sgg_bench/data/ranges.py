"""Vectorised helpers for per-image row ranges stored as (start, count) or offsets."""
from __future__ import annotations

import numpy as np


def concat_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for every (s, c) pair without a Python loop.

    starts, counts: (N,) integers -> (sum(counts),) int64.
    """
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    counts = np.asarray(counts, dtype=np.int64).reshape(-1)
    total = int(counts.sum()) if counts.size else 0
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, counts)


def counts_to_offsets(counts: np.ndarray) -> np.ndarray:
    """(N,) counts -> (N + 1,) int64 offsets; image i owns rows ``offsets[i]:offsets[i + 1]``."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(np.asarray(counts, dtype=np.int64), out=offsets[1:])
    return offsets


def owner_of_rows(counts: np.ndarray) -> np.ndarray:
    """(N,) counts -> (sum(counts),) int64: for each concatenated row, the index of its owner."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)
