"""Detectors (torchvision Faster R-CNN variants), frozen feature extraction and checkpoint conversion."""
from sgg_bench.detector.build import build_detector, load_weights  # registers the variants

__all__ = ["build_detector", "load_weights"]
