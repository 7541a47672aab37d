"""Dataset readers: VG150 (h5 + json) and OpenImages V6 (BGNN/PySGG json).

Importing this package is cheap: the public names below are resolved lazily, so
``import sgg_bench.data`` pulls in neither h5py nor the synthetic generator.

Public API (see ``datasets/README.md`` for the folder layouts):
    detect_format(root) -> "vg" | "openimages"
    open_dataset(root, split, *, num_val_im=None, num_im=-1, filter_empty_rels=True,
                 filter_non_overlap=False, filter_duplicate_rels=True, check_images=True) -> SGGDataset
    load_ground_truth(root, split, **filters) -> (DatasetVocabulary, list[ImageGroundTruth])
    SGGDataset, ImageRecord
"""
from __future__ import annotations

from sgg_bench.utils.lazy import lazy_attributes

_LAZY = {
    "detect_format": "sgg_bench.data.dataset",
    "open_dataset": "sgg_bench.data.dataset",
    "read_dataset_settings": "sgg_bench.data.dataset",
    "SGGDataset": "sgg_bench.data.dataset",
    "ImageRecord": "sgg_bench.data.dataset",
    "load_ground_truth": "sgg_bench.data.ground_truth",
    "dump_ground_truth": "sgg_bench.data.ground_truth",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_attributes(__name__, _LAZY)
