"""sgg-bench: scene graph generation benchmark suite.

``from sgg_bench import load_model`` is resolved lazily, so ``import sgg_bench`` stays cheap.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "load_model":
        from sgg_bench.predict.model import load_model
        return load_model
    raise AttributeError(f"module 'sgg_bench' has no attribute {name!r}")
