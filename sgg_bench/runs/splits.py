"""Opening the dataset split a config names."""
from __future__ import annotations

from typing import Any, Mapping


def open_split(cfg: Mapping[str, Any], split: str):
    """``cfg.dataset``'s ``split`` as an ``SGGDataset``."""
    from sgg_bench.data import open_dataset

    data = cfg["dataset"]
    return open_dataset(data["root"], split, num_val_im=data.get("num_val_im"), num_im=int(data.get("num_im", -1)),
                        filter_empty_rels=bool(data["filter_empty_rels"]),
                        filter_non_overlap=bool(data["filter_non_overlap"]),
                        filter_duplicate_rels=bool(data["filter_duplicate_rels"]))


SMALL_DATASET = 5000  # decoded images of a dataset this small are kept in memory
