"""``sgg-bench eval --all``: bring every run folder's record up to date and publish it.

For each run folder under ``outputs`` (``sgg_bench.runs.folder``), the run's own
``result.json`` is current when the sha256 of its predictions and checkpoint and the
``EVALUATOR_VERSION`` equal its provenance; otherwise the run is evaluated again with
``evaluate_run`` (the function ``train`` uses). The current record is then published to
``<results>/<run_id>.json`` when that copy differs. A second call with nothing changed evaluates
nothing; an interrupted call resumes where it stopped (records are written one by one,
atomically; the hidden temporary a killed call left is removed by the next). A broken run is reported and skipped; the others still run.
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

from tqdm import tqdm

from sgg_bench.errors import DataFormatError, SggBenchError
from sgg_bench.runs.evaluate import RESULT_NAME, evaluate_run
from sgg_bench.runs.folder import RunFolder, discover_run_dirs, read_run_folder
from sgg_bench.utils.atomic import remove_temporaries
from sgg_bench.utils.hashing import sha256_file

EVALUATED, PUBLISHED, UP_TO_DATE, FAILED, NOT_READY = "evaluated", "published", "up to date", "failed", "not ready"


@dataclasses.dataclass
class RunOutcome:
    run_dir: Path
    status: str        # one of EVALUATED, PUBLISHED, UP_TO_DATE, FAILED, NOT_READY
    run_id: str | None
    detail: str        # why it was (not) evaluated, or the error


def evaluate_all(outputs_dir: str | os.PathLike = "outputs", results_dir: str | os.PathLike = "leaderboard/results",
                 *, evaluate_fn: Callable[..., Mapping[str, Any]] | None = None, evaluator_version: str | None = None,
                 force: bool = False, progress: bool = True, stream: TextIO | None = None) -> int:
    """Evaluate every stale run of ``outputs_dir`` and publish its record to ``results_dir``.

    ``evaluate_fn`` defaults to ``sgg_bench.evaluation.evaluate_predictions`` (tests inject
    fakes). ``force=True`` re-evaluates every relation run. Returns the exit code: 0, or 1 when
    any run failed.
    """
    outcomes = evaluate_runs(outputs_dir, results_dir, evaluate_fn=evaluate_fn, evaluator_version=evaluator_version,
                             force=force, progress=progress, stream=stream)
    stream = stream or sys.stdout
    counts = {status: sum(1 for o in outcomes if o.status == status)
              for status in (EVALUATED, PUBLISHED, UP_TO_DATE, FAILED, NOT_READY)}
    summary = (f"eval --all: {len(outcomes)} run(s) in {outputs_dir}: {counts[EVALUATED]} evaluated, "
               f"{counts[PUBLISHED]} published as recorded, {counts[UP_TO_DATE]} up to date, {counts[FAILED]} failed")
    if counts[NOT_READY]:
        summary += f", {counts[NOT_READY]} not finished yet"
    print(summary, file=stream)
    for outcome in outcomes:
        if outcome.status == FAILED:
            print(f"  FAILED {outcome.run_dir}: {outcome.detail}", file=stream)
    return 1 if counts[FAILED] else 0


def evaluate_runs(outputs_dir: str | os.PathLike, results_dir: str | os.PathLike, *, evaluate_fn=None,
                  evaluator_version=None, force: bool = False, progress: bool = True,
                  stream: TextIO | None = None) -> list[RunOutcome]:
    """The work of ``evaluate_all``, returning one ``RunOutcome`` per run folder found."""
    stream = stream or sys.stdout
    if evaluator_version is None:
        from sgg_bench.evaluation import EVALUATOR_VERSION
        evaluator_version = str(EVALUATOR_VERSION)
    results_dir = Path(results_dir)
    remove_temporaries(results_dir)   # a killed earlier call's half-published record (never renamed in)
    outcomes: list[RunOutcome] = []
    seen_ids: dict[str, Path] = {}
    run_dirs = discover_run_dirs(outputs_dir)
    bar = tqdm(run_dirs, desc="eval --all", unit="run", disable=not progress, file=sys.stderr, leave=False)
    for run_dir in bar:
        remove_temporaries(run_dir, RESULT_NAME)
        if not (run_dir / "run.json").is_file() and (run_dir / "config.yaml").is_file():
            # A run of ours that stopped before it finished (run.json is written last).
            outcomes.append(RunOutcome(run_dir, NOT_READY, None, "unfinished run (no run.json): finish it with "
                                                                 "`sgg-bench train ... --resume`; skipped"))
            tqdm.write(f"[{NOT_READY}] {run_dir}: {outcomes[-1].detail}", file=stream)
            continue
        try:
            folder = read_run_folder(run_dir)
            if folder.run_id in seen_ids:
                raise DataFormatError(run_dir / "run.json", "run_id",
                                      f"an id used by one run folder only (also in {seen_ids[folder.run_id]})",
                                      repr(folder.run_id))
            seen_ids[folder.run_id] = run_dir
            bar.set_postfix_str(folder.run_id)
            outcome = _process(folder, results_dir, evaluate_fn, evaluator_version, force)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one broken run must never stop the others
            detail = str(exc) if isinstance(exc, SggBenchError) else f"{type(exc).__name__}: {exc}"
            outcome = RunOutcome(run_dir, FAILED, None, detail)
        outcomes.append(outcome)
        tqdm.write(f"[{outcome.status}] {outcome.run_id or run_dir}: {outcome.detail}", file=stream)
    bar.close()
    return outcomes


def stale_reason(record: Any, *, predictions_sha256: str | None, checkpoint_sha256: str | None,
                 evaluator_version: str | None) -> str | None:
    """Why ``record`` no longer describes the run's files, or None when it is current.
    ``evaluator_version`` None skips that check (detector records)."""
    from sgg_bench.leaderboard.records import SCHEMA_VERSION

    if not isinstance(record, dict) or not isinstance(record.get("provenance"), dict):
        return "no usable record yet"
    if record.get("schema") != SCHEMA_VERSION:
        return f"record schema {record.get('schema')!r} -> {SCHEMA_VERSION}"
    given = record["provenance"]
    if given.get("predictions_sha256") != predictions_sha256:
        return "predictions changed"
    if given.get("checkpoint_sha256") != checkpoint_sha256:
        return "checkpoint changed"
    if evaluator_version is not None and given.get("evaluator_version") != evaluator_version:
        return f"evaluator version {given.get('evaluator_version')} -> {evaluator_version}"
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None


def _process(folder: RunFolder, results_dir: Path, evaluate_fn, evaluator_version: str, force: bool) -> RunOutcome:
    from sgg_bench.leaderboard.records import validate_record, write_record

    checkpoint_sha = sha256_file(folder.checkpoint_path) if folder.checkpoint_path else None
    own = _read_json(folder.path / RESULT_NAME)
    if folder.is_detector:
        # Detector runs carry the detection mAP computed when they were trained.
        reason = stale_reason(own, predictions_sha256=None, checkpoint_sha256=checkpoint_sha, evaluator_version=None)
        if reason is not None:
            raise DataFormatError(folder.path / RESULT_NAME, "provenance",
                                  "the record of the run's own checkpoint (re-train or re-score the detector)", reason)
        status, detail = PUBLISHED, "detector record"
    elif not folder.predictions_path.is_file():
        return RunOutcome(folder.path, NOT_READY, folder.run_id, "no predictions.h5 yet; skipped")
    else:
        reason = "forced" if force else stale_reason(
            own, predictions_sha256=sha256_file(folder.predictions_path), checkpoint_sha256=checkpoint_sha,
            evaluator_version=evaluator_version)
        if reason is not None:
            own = evaluate_run(folder.path, evaluate_fn=evaluate_fn)
            status, detail = EVALUATED, f"{reason}; {own['provenance']['eval_seconds']:.1f} s"
        else:
            status, detail = PUBLISHED, "run's record current"
    validate_record(own, folder.path / RESULT_NAME)
    published_path = results_dir / f"{folder.run_id}.json"
    if _read_json(published_path) == own:
        return RunOutcome(folder.path, UP_TO_DATE if status == PUBLISHED else status, folder.run_id,
                          "published record current" if status == PUBLISHED else detail)
    write_record(published_path, own)
    return RunOutcome(folder.path, status, folder.run_id, detail)
