"""The result record (DESIGN.md section 3): one JSON file per evaluated run or per paper row.

    {"schema": 1, "run_id", "model", "dataset", "split", "mode", "protocol",
     "metrics": {flat key: number | null}, "per_predicate": {K: {predicate: recall}},
     "provenance": {config, git_commit, seed, checkpoint_sha256, predictions_sha256, dataset_fingerprint,
                    versions, device, train_seconds, eval_seconds, date, evaluator_version},
     "reported": false}
Rows copied from papers carry ``"reported": true`` and ``"source"`` (citation or URL); their
provenance may be partial.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from sgg_bench.errors import DataFormatError
from sgg_bench.utils.atomic import atomic_write_json

SCHEMA_VERSION = 1
IDENTITY_FIELDS = ("run_id", "model", "dataset", "split", "mode", "protocol")
PROVENANCE_FIELDS = ("config", "git_commit", "seed", "checkpoint_sha256", "predictions_sha256",
                     "dataset_fingerprint", "versions", "device", "train_seconds", "eval_seconds", "date",
                     "evaluator_version")


def software_versions() -> dict[str, str | None]:
    """Versions of Python and the packages whose behaviour can change a number (without importing them)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("sgg-bench", "numpy", "torch", "torchvision", "h5py", "faster-coco-eval"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def build_record(*, run_id: str, model: str, dataset: str, split: str, mode: str, protocol: str,
                 metrics: Mapping[str, float | None], per_predicate: Mapping | None = None,
                 provenance: Mapping[str, Any] | None = None, reported: bool = False, source: str | None = None,
                 info: Mapping[str, Any] | None = None) -> dict:
    """A record ready for ``write_record``; missing provenance entries are filled (date, versions,
    evaluator version) or set to None. ``info`` (the evaluator's info dict) is kept for reference."""
    from sgg_bench.evaluation import EVALUATOR_VERSION

    given = dict(provenance or {})
    unknown = sorted(set(given) - set(PROVENANCE_FIELDS))
    if unknown:
        raise ValueError(f"build_record: unknown provenance fields {unknown}; expected some of {PROVENANCE_FIELDS}")
    full = {name: given.get(name) for name in PROVENANCE_FIELDS}
    if full["date"] is None:
        full["date"] = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    if full["versions"] is None and not reported:
        full["versions"] = software_versions()
    if full["evaluator_version"] is None and not reported:
        full["evaluator_version"] = EVALUATOR_VERSION
    record: dict[str, Any] = {"schema": SCHEMA_VERSION, "run_id": run_id, "model": model, "dataset": dataset,
                              "split": split, "mode": mode, "protocol": protocol,
                              "metrics": {str(k): _plain(v) for k, v in metrics.items()},
                              "per_predicate": {str(k): {str(p): _plain(v) for p, v in table.items()}
                                                for k, table in (per_predicate or {}).items()},
                              "provenance": full, "reported": bool(reported)}
    if reported or source is not None:
        record["source"] = source
    if info is not None:
        record["info"] = json.loads(json.dumps(info, default=str))
    validate_record(record, "build_record")
    return record


def write_record(path: str | os.PathLike, record: Mapping[str, Any]) -> None:
    """Validate, then write atomically as indented JSON."""
    validate_record(record, path)
    atomic_write_json(path, record)


def read_record(path: str | os.PathLike) -> dict:
    """Load and validate one record file."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(path, "file", "an existing result record", "no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, "file", "valid JSON", str(exc)) from None
    return validate_record(obj, path)


def validate_record(obj: Any, source: str | os.PathLike = "record") -> dict:
    """Check a parsed record; raise DataFormatError naming the field. Returns ``obj``.

    Accepts a JSON string too (invalid JSON -> DataFormatError).
    """
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise DataFormatError(source, "record", "valid JSON", str(exc)) from None
    if not isinstance(obj, Mapping):
        raise DataFormatError(source, "record", "a JSON object", type(obj).__name__)
    if "schema" not in obj:
        raise DataFormatError(source, "schema", f"schema version {SCHEMA_VERSION}", "missing")
    if obj["schema"] != SCHEMA_VERSION:
        raise DataFormatError(source, "schema", f"known schema version {SCHEMA_VERSION}", repr(obj["schema"]))
    for name in IDENTITY_FIELDS:
        if not isinstance(obj.get(name), str) or not obj.get(name):
            raise DataFormatError(source, name, "a non-empty string", repr(obj.get(name, "missing")))
    metrics = obj.get("metrics")
    if not isinstance(metrics, Mapping) or not metrics:
        raise DataFormatError(source, "metrics", "a non-empty object of metric values", repr(metrics))
    for key, value in metrics.items():
        if not _is_value(value):
            raise DataFormatError(source, f"metrics/{key}", "a finite number or null", repr(value))
    per_predicate = obj.get("per_predicate", {})
    if not isinstance(per_predicate, Mapping):
        raise DataFormatError(source, "per_predicate", "an object {K: {predicate: recall}}", type(per_predicate).__name__)
    for k, table in per_predicate.items():
        if not isinstance(table, Mapping):
            raise DataFormatError(source, f"per_predicate/{k}", "an object {predicate: recall}", type(table).__name__)
        for name, value in table.items():
            if not _is_value(value):
                raise DataFormatError(source, f"per_predicate/{k}/{name}", "a finite number or null", repr(value))
    reported = obj.get("reported", False)
    if not isinstance(reported, bool):
        raise DataFormatError(source, "reported", "true or false", repr(reported))
    if reported:
        if not isinstance(obj.get("source"), str) or not obj["source"]:
            raise DataFormatError(source, "source", "the paper or page the reported numbers come from",
                                  repr(obj.get("source", "missing")))
    provenance = obj.get("provenance")
    if provenance is None and reported:
        return dict(obj) if not isinstance(obj, dict) else obj
    if not isinstance(provenance, Mapping):
        raise DataFormatError(source, "provenance", "an object", repr(provenance))
    if not reported:
        missing = [name for name in PROVENANCE_FIELDS if name not in provenance]
        if missing:
            raise DataFormatError(source, f"provenance/{missing[0]}", "present (null when unknown)", "missing")
    return dict(obj) if not isinstance(obj, dict) else obj


def _is_value(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _plain(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
