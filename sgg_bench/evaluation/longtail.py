"""Head / body / tail mean recall (docs/EVALUATION.md).

PySGG's exact membership lists are not available to this project, so the default groups are
thirds of the predicates sorted by training frequency (most frequent first; ties by index);
``groups`` may be passed explicitly instead. Every value is stored with its K
(``mR@100/head``) because the published columns do not state K.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def frequency_groups(predicate_counts: Sequence[int] | np.ndarray) -> dict[str, list[int]]:
    """(C,) training counts (index 0 = background, ignored) -> {"head", "body", "tail": predicate ids}.

    With C-1 predicates not divisible by 3 the head gets the first extra one and the body the second
    (``np.array_split``).
    """
    counts = np.asarray(predicate_counts, dtype=np.int64).reshape(-1)
    predicates = np.arange(1, len(counts))
    order = predicates[np.lexsort((predicates, -counts[1:]))]
    head, body, tail = np.array_split(order, 3)
    return {"head": sorted(head.tolist()), "body": sorted(body.tolist()), "tail": sorted(tail.tolist())}


def group_mean_recall(per_predicate: Mapping[int, np.ndarray], groups: Mapping[str, Sequence[int]],
                      prefix: str = "mR") -> dict[str, float | None]:
    """{f"{prefix}@{K}/{group}": mean of r_p@K over the group's predicates}."""
    out: dict[str, float | None] = {}
    for k, recalls in per_predicate.items():
        for name, members in groups.items():
            members = list(members)
            out[f"{prefix}@{k}/{name}"] = float(np.mean(recalls[members])) if members else None
    return out
