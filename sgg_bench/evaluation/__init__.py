"""Exact SGG evaluation: predictions file, VG (KT) and OpenImages (PySGG) protocols, detection mAP."""
from sgg_bench.evaluation.api import EVALUATOR_VERSION, evaluate, evaluate_predictions, run_evaluation

__all__ = ["EVALUATOR_VERSION", "evaluate", "evaluate_predictions", "run_evaluation"]
