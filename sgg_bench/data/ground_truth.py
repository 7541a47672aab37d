"""Evaluation ground truth of a split, in memory or dumped to JSON (``sgg-bench data dump``)."""
from __future__ import annotations

import os
from pathlib import Path

from sgg_bench.structures import DatasetVocabulary, ImageGroundTruth

DUMP_FORMAT = "sgg-bench/ground-truth"
DUMP_VERSION = 1


def load_ground_truth(root: str | os.PathLike, split: str = "test", **filters) -> tuple[DatasetVocabulary,
                                                                                      list[ImageGroundTruth]]:
    """(vocabulary, per-image GT) exactly as the evaluator sees it; image files are not needed.

    ``filters`` are ``open_dataset``'s keywords (num_val_im, num_im, filter_empty_rels, ...).
    """
    from sgg_bench.data.dataset import open_dataset
    filters.setdefault("check_images", False)
    dataset = open_dataset(root, split, **filters)
    return dataset.vocab, dataset.ground_truth()


def dump_ground_truth(root: str | os.PathLike, split: str, out: str | os.PathLike, **filters) -> dict:
    """Write the split's evaluation GT plus vocabularies to ``out`` (atomic JSON); return a summary.

    Document: ``{"format", "version", "dataset_format", "split", "fingerprint", "vocabulary":
    {"object_classes", "predicate_classes", "attribute_classes"}, "images": [ImageGroundTruth.to_json()]}``.
    """
    from sgg_bench.data.dataset import open_dataset
    from sgg_bench.utils.atomic import atomic_write_json
    filters.setdefault("check_images", False)
    dataset = open_dataset(root, split, **filters)
    images = [gt.to_json() for gt in dataset.ground_truth()]
    document = {
        "format": DUMP_FORMAT, "version": DUMP_VERSION, "dataset_format": dataset.format, "split": split,
        "fingerprint": dataset.fingerprint,
        "vocabulary": {"object_classes": dataset.vocab.object_classes,
                       "predicate_classes": dataset.vocab.predicate_classes,
                       "attribute_classes": dataset.vocab.attribute_classes},
        "images": images,
    }
    atomic_write_json(Path(out), document, indent=None)
    return {"images": len(images), "objects": sum(len(i["labels"]) for i in images),
            "relations": sum(len(i["relations"]) for i in images), "out": str(out)}
