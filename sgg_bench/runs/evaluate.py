"""Evaluating one run folder: the single recipe behind ``train`` and ``eval --all``.

``evaluation_options(config)`` is the only place that turns a config into evaluator options, and
``evaluate_run(run_dir)`` the only place that scores a relation run and builds its record, so the
record ``train`` writes and the one ``eval --all`` recomputes agree key for key (up to the
evaluation's own time and date).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Mapping

from sgg_bench.errors import DataFormatError
from sgg_bench.runs.folder import RunFolder, read_run_folder
from sgg_bench.utils.hashing import sha256_file

RESULT_NAME = "result.json"


def evaluation_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``evaluate_predictions`` from a resolved config."""
    dataset, test, evaluation = config["dataset"], config["test"], config["eval"]
    zeroshot = dataset.get("zeroshot_list") or None
    if zeroshot and zeroshot != "derive":
        zeroshot = str(Path(zeroshot).expanduser())
    # dataset.num_im > 0 (a quick run on the first N images) predicts only part of the split
    subset = int(dataset.get("num_im", -1)) > 0
    return {"protocol": evaluation["protocol"], "zeroshot": zeroshot,
            "allow_missing": bool(test["allow_missing"]) or subset,
            "iou_threshold": float(evaluation["iou_threshold"]),
            "motifs_rule": not bool(evaluation["skip_images_without_predictions"])}


def provenance(folder: RunFolder, result: Mapping[str, Any], *, predictions_sha256: str | None,
               checkpoint_sha256: str | None, eval_seconds: float) -> dict[str, Any]:
    """Provenance of a record: run.json + resolved config + content hashes + versions."""
    from sgg_bench.leaderboard.records import software_versions

    info = result.get("info") if isinstance(result.get("info"), Mapping) else {}
    return {
        "config": folder.config,
        "git_commit": folder.run.get("git_commit"),
        "seed": folder.run.get("seed"),
        "checkpoint_sha256": checkpoint_sha256,
        "predictions_sha256": predictions_sha256,
        "dataset_fingerprint": info.get("dataset_fingerprint"),
        "versions": software_versions(),
        "device": folder.run.get("device"),
        "train_seconds": folder.run.get("train_seconds"),
        "eval_seconds": round(eval_seconds, 3),
        "evaluator_version": info.get("evaluator_version"),
    }


def evaluate_run(run_dir: str | Path, *, evaluate_fn: Callable[..., Mapping[str, Any]] | None = None) -> dict:
    """Score a finished relation run's ``predictions.h5`` with the options of its own config,
    write ``<run_dir>/result.json`` atomically and return the record."""
    from sgg_bench.leaderboard.records import build_record, write_record

    folder = read_run_folder(run_dir)
    if folder.is_detector:
        raise DataFormatError(folder.path / "run.json", "model",
                              "a relation run (detector runs are scored when trained)", folder.model)
    if not folder.predictions_path.is_file():
        raise DataFormatError(folder.predictions_path, "(file)", "the run's test-split predictions", "no such file")
    if evaluate_fn is None:
        from sgg_bench.evaluation import evaluate_predictions as evaluate_fn
    started = time.perf_counter()
    result = evaluate_fn(str(folder.predictions_path), str(folder.dataset_root), split=folder.split,
                         **evaluation_options(folder.config))
    eval_seconds = time.perf_counter() - started
    if not isinstance(result, Mapping) or not isinstance(result.get("metrics"), Mapping):
        raise DataFormatError(folder.predictions_path, "evaluation result", "a dict with a 'metrics' mapping",
                              type(result).__name__)
    checkpoint_sha = sha256_file(folder.checkpoint_path) if folder.checkpoint_path else None
    record = build_record(
        run_id=folder.run_id, model=folder.model, dataset=folder.dataset, split=folder.split, mode=folder.mode,
        protocol=folder.protocol, metrics=dict(result["metrics"]), per_predicate=dict(result.get("per_predicate") or {}),
        provenance=provenance(folder, result, predictions_sha256=sha256_file(folder.predictions_path),
                              checkpoint_sha256=checkpoint_sha, eval_seconds=eval_seconds),
        info=result.get("info"), setting=str(folder.run.get("setting") or ""),
        supervision=str(folder.run.get("supervision") or ""), vocabulary=str(folder.run.get("vocabulary") or ""),
        tie_ranges=dict(result.get("tie_ranges") or {}) or None)
    write_record(folder.path / RESULT_NAME, record)
    return record
