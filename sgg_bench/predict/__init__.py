"""Scene graphs for any image: ``load_model``, drawings, the gallery and ``sgg-bench predict``.

Importing this package is cheap; the names below are resolved on first use.
"""
from __future__ import annotations

import importlib

_LAZY = {
    "load_model": "sgg_bench.predict.model",
    "SceneGraphPredictor": "sgg_bench.predict.model",
    "SceneGraph": "sgg_bench.predict.graph",
    "read_image": "sgg_bench.predict.images",
    "predict_files": "sgg_bench.predict.pipeline",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sgg_bench.predict' has no attribute {name!r}")
