"""sgg-bench: scene graph generation benchmark suite."""

__version__ = "0.1.0"
