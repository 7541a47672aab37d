"""`sgg-bench eval --all`: (re)evaluate every run folder whose inputs changed since its record.

A run folder is ``<outputs>/<dataset>/<run name>/`` with ``run.json``, ``config.yaml``,
``predictions.h5`` and a checkpoint (team brief, run folder contract). A run is evaluated again
only when the sha256 of its predictions or checkpoint, or ``EVALUATOR_VERSION``, differs from the
provenance of its record in ``<results>/<run_id>.json``; so a second call with nothing changed
evaluates nothing, and an interrupted call resumes where it stopped (records are written one by
one, atomically). A broken run is reported and skipped; the others still run.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

from tqdm import tqdm

from sgg_bench.errors import DataFormatError, SggBenchError
from sgg_bench.leaderboard.records import SCHEMA_VERSION, software_versions
from sgg_bench.leaderboard.run_folder import RunFolder, discover_run_dirs, read_run_folder
from sgg_bench.utils.hashing import sha256_file

EVALUATED, UP_TO_DATE, FAILED, NOT_READY = "evaluated", "up to date", "failed", "not ready"


@dataclasses.dataclass
class RunOutcome:
    run_dir: Path
    status: str        # one of EVALUATED, UP_TO_DATE, FAILED, NOT_READY
    run_id: str | None
    detail: str        # why it was (not) evaluated, or the error


def evaluate_all(outputs_dir: str | os.PathLike = "outputs", results_dir: str | os.PathLike = "leaderboard/results",
                 *, evaluate_fn: Callable[..., Mapping[str, Any]] | None = None,
                 build_record_fn: Callable[..., dict] | None = None,
                 write_record_fn: Callable[[Path, dict], None] | None = None,
                 evaluator_version: str | None = None, force: bool = False,
                 progress: bool = True, stream: TextIO | None = None) -> int:
    """Evaluate every stale run of ``outputs_dir``; write ``results_dir/<run_id>.json`` per run.

    The ``*_fn`` arguments default to ``sgg_bench.evaluation.evaluate_predictions`` and
    ``sgg_bench.leaderboard.records.build_record`` / ``write_record`` (tests inject fakes).
    ``force=True`` re-evaluates every run. Returns the exit code: 0, or 1 when any run failed.
    """
    outcomes = evaluate_runs(outputs_dir, results_dir, evaluate_fn=evaluate_fn, build_record_fn=build_record_fn,
                             write_record_fn=write_record_fn, evaluator_version=evaluator_version, force=force,
                             progress=progress, stream=stream)
    stream = stream or sys.stdout
    counts = {status: sum(1 for o in outcomes if o.status == status)
              for status in (EVALUATED, UP_TO_DATE, FAILED, NOT_READY)}
    summary = (f"eval --all: {len(outcomes)} run(s) in {outputs_dir}: {counts[EVALUATED]} evaluated, "
               f"{counts[UP_TO_DATE]} up to date, {counts[FAILED]} failed")
    if counts[NOT_READY]:
        summary += f", {counts[NOT_READY]} without predictions.h5 yet"
    print(summary, file=stream)
    for outcome in outcomes:
        if outcome.status == FAILED:
            print(f"  FAILED {outcome.run_dir}: {outcome.detail}", file=stream)
    return 1 if counts[FAILED] else 0


def evaluate_runs(outputs_dir: str | os.PathLike, results_dir: str | os.PathLike, *,
                  evaluate_fn=None, build_record_fn=None, write_record_fn=None, evaluator_version=None,
                  force: bool = False, progress: bool = True, stream: TextIO | None = None) -> list[RunOutcome]:
    """The work of ``evaluate_all``, returning one ``RunOutcome`` per run folder found."""
    stream = stream or sys.stdout
    evaluate_fn, evaluator_version = _evaluator(evaluate_fn, evaluator_version)
    build_record_fn, write_record_fn = _record_functions(build_record_fn, write_record_fn)
    results_dir = Path(results_dir)
    run_dirs = discover_run_dirs(outputs_dir)
    outcomes: list[RunOutcome] = []
    seen_ids: dict[str, Path] = {}
    bar = tqdm(run_dirs, desc="eval --all", unit="run", disable=not progress, file=sys.stderr, leave=False)
    for run_dir in bar:
        try:
            folder = read_run_folder(run_dir)
            if folder.run_id in seen_ids:
                raise DataFormatError(run_dir / "run.json", "run_id",
                                      f"an id used by one run folder only (also in {seen_ids[folder.run_id]})",
                                      repr(folder.run_id))
            seen_ids[folder.run_id] = run_dir
            bar.set_postfix_str(folder.run_id)
            outcome = _process(folder, results_dir, evaluate_fn, build_record_fn, write_record_fn,
                               evaluator_version, force)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one broken run must never stop the others
            detail = str(exc) if isinstance(exc, SggBenchError) else f"{type(exc).__name__}: {exc}"
            outcome = RunOutcome(run_dir, FAILED, None, detail)
        outcomes.append(outcome)
        label = outcome.run_id or str(run_dir)
        tqdm.write(f"[{outcome.status}] {label}: {outcome.detail}", file=stream)
    bar.close()
    return outcomes


def needs_evaluation(record_path: Path, *, predictions_sha256: str, checkpoint_sha256: str | None,
                     evaluator_version: str) -> str | None:
    """Why the run must be evaluated again, or None when its record is current."""
    if not record_path.is_file():
        return "no record yet"
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "existing record unreadable"
    if not isinstance(record, dict) or not isinstance(record.get("provenance"), dict):
        return "existing record has no provenance"
    if record.get("schema") != SCHEMA_VERSION:
        return f"record schema {record.get('schema')!r} -> {SCHEMA_VERSION}"
    provenance = record["provenance"]
    if provenance.get("predictions_sha256") != predictions_sha256:
        return "predictions changed"
    if provenance.get("checkpoint_sha256") != checkpoint_sha256:
        return "checkpoint changed"
    if provenance.get("evaluator_version") != evaluator_version:
        return f"evaluator version {provenance.get('evaluator_version')} -> {evaluator_version}"
    return None


def _process(folder: RunFolder, results_dir: Path, evaluate_fn, build_record_fn, write_record_fn,
             evaluator_version: str, force: bool) -> RunOutcome:
    if not folder.predictions_path.is_file():
        if str(folder.model).startswith("detector") and (folder.path / "result.json").is_file():
            return _publish_detector_record(folder, results_dir, force)
        return RunOutcome(folder.path, NOT_READY, folder.run_id, "no predictions.h5 yet; skipped")
    predictions_sha = sha256_file(folder.predictions_path)
    checkpoint_sha = sha256_file(folder.checkpoint_path) if folder.checkpoint_path else None
    record_path = results_dir / f"{folder.run_id}.json"
    reason = "forced" if force else needs_evaluation(
        record_path, predictions_sha256=predictions_sha, checkpoint_sha256=checkpoint_sha,
        evaluator_version=evaluator_version)
    if reason is None:
        return RunOutcome(folder.path, UP_TO_DATE, folder.run_id, "record current")
    started = time.perf_counter()
    result = evaluate_fn(str(folder.predictions_path), str(folder.dataset_root), split=folder.split,
                         protocol=folder.protocol, **_evaluation_options(folder, evaluate_fn))
    eval_seconds = time.perf_counter() - started
    if not isinstance(result, Mapping) or not isinstance(result.get("metrics"), Mapping):
        raise DataFormatError(folder.predictions_path, "evaluation result", "a dict with a 'metrics' mapping",
                              type(result).__name__)
    provenance = build_provenance(folder, result, predictions_sha256=predictions_sha,
                                  checkpoint_sha256=checkpoint_sha, evaluator_version=evaluator_version,
                                  eval_seconds=eval_seconds)
    record = build_record_fn(run_id=folder.run_id, model=folder.model, dataset=folder.dataset, split=folder.split,
                             mode=folder.mode, protocol=folder.protocol, metrics=dict(result["metrics"]),
                             per_predicate=dict(result.get("per_predicate") or {}), provenance=provenance,
                             info=result.get("info"))
    write_record_fn(record_path, record)
    return RunOutcome(folder.path, EVALUATED, folder.run_id, f"{reason}; {eval_seconds:.1f} s")


def _publish_detector_record(folder: RunFolder, results_dir: Path, force: bool) -> RunOutcome:
    """Detector runs have no relation predictions: their detection mAP is computed when the
    detector is trained and stored in the run's own ``result.json``. Publish that record when the
    checkpoint it describes differs from the published one."""
    from sgg_bench.leaderboard.records import read_record, write_record

    record = read_record(folder.path / "result.json")
    checkpoint_sha = sha256_file(folder.checkpoint_path) if folder.checkpoint_path else None
    if (record.get("provenance") or {}).get("checkpoint_sha256") != checkpoint_sha:
        raise DataFormatError(folder.path / "result.json", "provenance.checkpoint_sha256",
                              "the sha256 of the run's checkpoint (re-train or re-score the detector)",
                              (record.get("provenance") or {}).get("checkpoint_sha256"))
    record_path = results_dir / f"{folder.run_id}.json"
    if not force and record_path.is_file():
        try:
            published = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            published = None
        if published == record:
            return RunOutcome(folder.path, UP_TO_DATE, folder.run_id, "detector record current")
    write_record(record_path, record)
    return RunOutcome(folder.path, EVALUATED, folder.run_id, "detector record published")


def build_provenance(folder: RunFolder, result: Mapping[str, Any], *, predictions_sha256: str,
                     checkpoint_sha256: str | None, evaluator_version: str, eval_seconds: float) -> dict[str, Any]:
    """Provenance of a record: run.json + resolved config + content hashes + versions."""
    info = result.get("info") if isinstance(result.get("info"), Mapping) else {}
    run_section = folder.config.get("run") if isinstance(folder.config.get("run"), Mapping) else {}
    return {
        "config": folder.config,
        "git_commit": folder.run.get("git_commit"),
        "seed": folder.run.get("seed"),
        "checkpoint_sha256": checkpoint_sha256,
        "predictions_sha256": predictions_sha256,
        "dataset_fingerprint": _dataset_fingerprint(folder, info),
        "versions": software_versions(),
        "device": folder.run.get("device") or run_section.get("device"),
        "train_seconds": folder.run.get("train_seconds"),
        "eval_seconds": round(eval_seconds, 3),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "evaluator_version": evaluator_version,
    }


def _evaluation_options(folder: RunFolder, evaluate_fn) -> dict[str, Any]:
    """Keyword options for ``evaluate_predictions`` taken from the run's resolved config.

    ``zeroshot`` and ``allow_missing`` are passed when the function names them; the evaluator
    options ``iou_threshold`` and ``motifs_rule`` (config ``eval.skip_images_without_predictions:
    false``) when it names them or takes ``**options``. Nothing else, so a config key the
    evaluator does not know never becomes an unexpected-argument error.
    """
    dataset = folder.config.get("dataset") or {}
    test = folder.config.get("test") or {}
    evaluation = folder.config.get("eval") or {}
    named_options: dict[str, Any] = {
        "zeroshot": _resolve(dataset.get("zeroshot_list")) if dataset.get("zeroshot_list") else None,
        "allow_missing": bool(test.get("allow_missing", False)),
    }
    extra_options: dict[str, Any] = {"iou_threshold": evaluation.get("iou_threshold")}
    if "skip_images_without_predictions" in evaluation:
        extra_options["motifs_rule"] = not bool(evaluation["skip_images_without_predictions"])
    try:
        parameters = inspect.signature(evaluate_fn).parameters
    except (TypeError, ValueError):
        return {}
    named = {name for name, p in parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    takes_options = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    options = {k: v for k, v in named_options.items() if k in named and v is not None}
    options.update({k: v for k, v in extra_options.items() if (k in named or takes_options) and v is not None})
    return options


def _dataset_fingerprint(folder: RunFolder, info: Mapping[str, Any]) -> str | None:
    """The evaluator's fingerprint when it reports one, else the data layer's; None if unavailable."""
    if info.get("dataset_fingerprint"):
        return str(info["dataset_fingerprint"])
    try:
        from sgg_bench.data import open_dataset
        return str(open_dataset(folder.dataset_root, folder.split, check_images=False).fingerprint)
    except Exception:  # provenance is best effort here; the evaluation itself already succeeded
        return None


def _resolve(path: str) -> str:
    return str(Path(path).expanduser())


def _evaluator(evaluate_fn, evaluator_version):
    if evaluate_fn is not None and evaluator_version is not None:
        return evaluate_fn, evaluator_version
    from sgg_bench import evaluation  # imported only when needed: it pulls in the numeric stack
    return (evaluate_fn or evaluation.evaluate_predictions,
            evaluator_version if evaluator_version is not None else str(evaluation.EVALUATOR_VERSION))


def _record_functions(build_record_fn, write_record_fn):
    from sgg_bench.leaderboard import records
    return build_record_fn or records.build_record, write_record_fn or records.write_record
