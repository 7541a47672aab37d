"""Synthetic scene-graph dataset: rendered images written in the VG150 and OpenImages V6 formats plus captions.

Entry point: ``generate_synthetic(out_dir, size="default"|"small"|"tiny", seed=0)``. Scene sampling
(``sample_scenes``) is separate from rendering, so statistics can be checked without pixels.
Design, vocabulary and predicate rules: docs/SYNTHETIC.md.
"""
from .generate import GENERATOR, generate_synthetic
from .scenes import SIZES, sample_scene, sample_scenes

__all__ = ["GENERATOR", "SIZES", "generate_synthetic", "sample_scene", "sample_scenes"]
