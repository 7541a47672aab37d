"""Loss class weights of the caption settings (LANGUAGE.md §5, SGNLS ``*2vg_weights.npy``).

For a target (caption) class c that maps to dataset class m(c) (its first mapping, §3.2/3.3):

    w[c] = p_dataset(m(c)) / p_caption(c)
    p_caption(c)   = n_caption(c) / sum over foreground c' of n_caption(c')
    p_dataset(d)   = n_dataset(d) / sum over foreground d' of n_dataset(d')

n_caption counts the class over the pseudo-label graphs (nodes for objects, triplets for
predicates), n_dataset over the dataset's training annotations. Background, unmapped classes and
classes with a zero count on either side keep w = 1. Concepts that captions over-state relative to
the target annotations are damped ("painted on" 0.048 in SGNLS's CC+COCO file), those that
captions under-state are boosted ("tail" 21.6, "has" 7.87).

The direction (dataset over caption, not the inverse a secondary source gives) was checked on
SGNLS's released files: dividing the VG150 object frequencies of ``VG-SGG-dicts-with-attri.json``
by the released CC+COCO object weights gives an implied caption distribution that sums to 1.018
over the 148 mapped concepts (0.971 for the COCO file), as it must if w = p_VG / p_caption.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def class_weights(caption_counts: Sequence[float], dataset_counts: Sequence[float],
                  mapping: Mapping[int, Sequence[int]]) -> np.ndarray:
    """(C_t,) float32 weights; ``caption_counts`` (C_t,) and ``dataset_counts`` (C_ds,) are indexed
    by class id (index 0 = background, ignored), ``mapping`` target class -> dataset classes."""
    caption = np.asarray(caption_counts, dtype=np.float64).reshape(-1)
    dataset = np.asarray(dataset_counts, dtype=np.float64).reshape(-1)
    if (caption < 0).any() or (dataset < 0).any():
        raise ValueError("class_weights: counts must be non-negative")
    weights = np.ones(len(caption), dtype=np.float64)
    caption_total, dataset_total = caption[1:].sum(), dataset[1:].sum()
    if caption_total <= 0 or dataset_total <= 0:
        return weights.astype(np.float32)
    for c in range(1, len(caption)):
        targets = [int(t) for t in mapping.get(c, [])]
        if not targets or caption[c] <= 0:
            continue
        first = targets[0]
        if not 0 < first < len(dataset) or dataset[first] <= 0:
            continue
        weights[c] = (dataset[first] / dataset_total) / (caption[c] / caption_total)
    return weights.astype(np.float32)
