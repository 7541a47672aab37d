"""Scene graphs for any image: ``load_model``, drawings, the gallery and ``sgg-bench predict``.

Importing this package is cheap; the names below are resolved on first use.
"""
from __future__ import annotations

from sgg_bench.utils.lazy import lazy_attributes

_LAZY = {
    "load_model": "sgg_bench.predict.model",
    "SceneGraphPredictor": "sgg_bench.predict.model",
    "SceneGraph": "sgg_bench.predict.graph",
    "read_image": "sgg_bench.predict.images",
    "predict_files": "sgg_bench.predict.pipeline",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_attributes(__name__, _LAZY)
