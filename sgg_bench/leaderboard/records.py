"""The result record (docs/FORMATS.md): one JSON file per evaluated run or per paper row.

    {"schema": 1, "run_id", "model", "dataset", "split", "mode", "protocol",
     "metrics": {flat key: number | null}, "per_predicate": {K: {predicate: recall}},
     "provenance": {config, git_commit, seed, checkpoint_sha256, predictions_sha256, dataset_fingerprint,
                    versions, device, train_seconds, eval_seconds, date, evaluator_version},
     "reported": false,
     "setting": "",                        # optional: variant shown next to the model, e.g. "bias=off"
     "supervision": "language",            # optional: training signal of a grounded run (language | weak | full)
     "vocabulary": "closed",               # optional, with supervision: closed | open
     "tie_ranges": {metric: [low, high]}}  # optional: the range a metric spans over tie-breaking orders
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
from typing import Any, Mapping, Sequence

from sgg_bench.errors import DataFormatError
from sgg_bench.utils.atomic import atomic_write_json

SCHEMA_VERSION = 1
IDENTITY_FIELDS = ("run_id", "model", "dataset", "split", "mode", "protocol")
_TIE_TOLERANCE = 1e-9  # float rounding between an evaluator's value and its tie bounds
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


SUPERVISIONS = ("language", "weak", "full")   # grounded runs (docs/LANGUAGE.md, "Settings")
VOCABULARIES = ("closed", "open")


def build_record(*, run_id: str, model: str, dataset: str, split: str, mode: str, protocol: str,
                 metrics: Mapping[str, float | None], per_predicate: Mapping | None = None,
                 provenance: Mapping[str, Any] | None = None, reported: bool = False, source: str | None = None,
                 info: Mapping[str, Any] | None = None, setting: str = "",
                 tie_ranges: Mapping[str, Sequence[float]] | None = None, supervision: str = "",
                 vocabulary: str = "") -> dict:
    """A record ready for ``write_record``; missing provenance entries are filled (date, versions,
    evaluator version) or set to None. ``info`` (the evaluator's info dict) is kept for reference.

    ``setting`` names a variant of the model ("bias=off", "effect=TDE"); records that differ only
    in their seed are averaged on the leaderboard, records with another setting are not.
    ``tie_ranges`` maps a metric to ``[low, high]`` (fractions, low <= value <= high): the values
    the metric takes over the possible orders of tied scores.
    """
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
    if setting:
        record["setting"] = setting
    if supervision:
        record["supervision"] = supervision
        record["vocabulary"] = vocabulary or "closed"
    if tie_ranges:
        record["tie_ranges"] = {str(k): [_plain(v) for v in bounds] for k, bounds in tie_ranges.items()}
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
        raise DataFormatError(source, "schema", f"known schema version {SCHEMA_VERSION}", _short(obj["schema"]))
    for name in IDENTITY_FIELDS:
        if not isinstance(obj.get(name), str) or not obj.get(name):
            raise DataFormatError(source, name, "a non-empty string", _short(obj.get(name, "missing")))
    metrics = obj.get("metrics")
    if not isinstance(metrics, Mapping) or not metrics:
        raise DataFormatError(source, "metrics", "a non-empty object of metric values", _short(metrics))
    for key, value in metrics.items():
        if not _is_value(value):
            raise DataFormatError(source, f"metrics/{key}", "a finite number or null", _short(value))
    per_predicate = obj.get("per_predicate", {})
    if not isinstance(per_predicate, Mapping):
        raise DataFormatError(source, "per_predicate", "an object {K: {predicate: recall}}", type(per_predicate).__name__)
    for k, table in per_predicate.items():
        if not isinstance(table, Mapping):
            raise DataFormatError(source, f"per_predicate/{k}", "an object {predicate: recall}", type(table).__name__)
        for name, value in table.items():
            if not _is_value(value):
                raise DataFormatError(source, f"per_predicate/{k}/{name}", "a finite number or null", _short(value))
    reported = obj.get("reported", False)
    if not isinstance(reported, bool):
        raise DataFormatError(source, "reported", "true or false", _short(reported))
    if reported:
        if not isinstance(obj.get("source"), str) or not obj["source"]:
            raise DataFormatError(source, "source", "the paper or page the reported numbers come from",
                                  _short(obj.get("source", "missing")))
    setting = obj.get("setting", "")
    if not isinstance(setting, str):
        raise DataFormatError(source, "setting", "a string (\"\" for the default setting)", _short(setting))
    for name, choices in (("supervision", SUPERVISIONS), ("vocabulary", VOCABULARIES)):
        if name in obj and obj[name] not in choices:
            raise DataFormatError(source, name, " | ".join(choices), _short(obj[name]))
    _validate_tie_ranges(obj.get("tie_ranges"), metrics, source)
    provenance = obj.get("provenance")
    if provenance is None and reported:
        return dict(obj) if not isinstance(obj, dict) else obj
    if not isinstance(provenance, Mapping):
        raise DataFormatError(source, "provenance", "an object", _short(provenance))
    if not reported:
        missing = [name for name in PROVENANCE_FIELDS if name not in provenance]
        if missing:
            raise DataFormatError(source, f"provenance/{missing[0]}", "present (null when unknown)", "missing")
    seed = provenance.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise DataFormatError(source, "provenance/seed", "an integer or null", _short(seed))
    return dict(obj) if not isinstance(obj, dict) else obj


def _validate_tie_ranges(tie_ranges: Any, metrics: Mapping[str, Any], source: str | os.PathLike) -> None:
    """``{metric: [low, high]}`` with 0 <= low <= value <= high <= 1 (absent or null = no ties)."""
    if tie_ranges is None:
        return
    if not isinstance(tie_ranges, Mapping):
        raise DataFormatError(source, "tie_ranges", "an object {metric: [low, high]}", _short(tie_ranges))
    for key, bounds in tie_ranges.items():
        field = f"tie_ranges/{key}"
        if key not in metrics or metrics[key] is None:
            raise DataFormatError(source, field, "a range of a metric the record has", "no such metric value")
        if (not isinstance(bounds, (list, tuple)) or len(bounds) != 2
                or not all(_is_value(b) and b is not None for b in bounds)):
            raise DataFormatError(source, field, "[low, high], two finite numbers", _short(bounds))
        low, high = float(bounds[0]), float(bounds[1])
        value = float(metrics[key])
        if not 0.0 <= low <= high <= 1.0:
            raise DataFormatError(source, field, "0 <= low <= high <= 1", _short(bounds))
        if not low - _TIE_TOLERANCE <= value <= high + _TIE_TOLERANCE:
            raise DataFormatError(source, field, f"low <= value <= high (value {value!r})", _short(bounds))


def _is_value(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float (JSON allows any number of digits)
        return False


def _short(value: Any, limit: int = 80) -> str:
    """repr() for error messages, cut so a huge value never floods the message."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _plain(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
