"""Read result records from ``leaderboard/results/*.json`` into leaderboard rows.

A bad file (invalid JSON, unknown schema version, missing fields or metrics) is reported by
name and skipped; it never stops the page from being built.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Mapping

from sgg_bench.errors import DataFormatError, SggBenchError
from sgg_bench.leaderboard.records import validate_record
from sgg_bench.leaderboard.rows import BoardRow, percent_values


@dataclasses.dataclass
class LoadedRecords:
    rows: list[BoardRow]
    problems: list[str]  # one line per skipped file: "<file name>: <why>"


def load_records(results_dir: str | os.PathLike) -> LoadedRecords:
    """Load every ``*.json`` record of ``results_dir`` (sorted by file name; missing dir = empty)."""
    results_dir = Path(results_dir)
    rows: list[BoardRow] = []
    problems: list[str] = []
    if not results_dir.is_dir():
        return LoadedRecords(rows, problems)
    for path in sorted(results_dir.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{path.name}: not readable JSON ({exc})")
            continue
        try:
            check_record(record, path)
        except SggBenchError as exc:
            problems.append(f"{path.name}: {_strip_path(str(exc), path)}")
            continue
        rows.append(record_to_row(record))
    return LoadedRecords(rows, problems)


def check_record(record: Any, path: Path) -> None:
    """Raise ``DataFormatError`` unless ``record`` is a result record the page can show.

    The contract's ``validate_record`` (schema version, identity fields, metric values,
    provenance), then what a table row needs: at least one available metric.
    """
    validate_record(record, path)
    if not any(value is not None for value in record["metrics"].values()):
        raise DataFormatError(path, "metrics", "at least one available (non-null) metric", "all null")


def record_to_row(record: Mapping[str, Any]) -> BoardRow:
    """A validated record -> ``BoardRow`` (fractions become percentages)."""
    values, texts = percent_values(record["metrics"])
    reported = bool(record.get("reported", False))
    source = record.get("source")
    return BoardRow(anchor=run_anchor(record["run_id"]), model=record["model"], dataset=record["dataset"],
                    protocol=record["protocol"], split=record["split"], mode=record["mode"], reported=reported,
                    values=values, texts=texts, run_id=record["run_id"],
                    source_label=str(source) if reported and source else None,
                    source_detail=str(source) if reported and source else None, record=record)


def run_anchor(run_id: str) -> str:
    """A valid, unique HTML id for a run: readable part plus a short hash of the exact id."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", run_id).strip("-")[:60] or "run"
    return f"run-{readable}-{hashlib.sha1(run_id.encode('utf-8')).hexdigest()[:6]}"


def _strip_path(message: str, path: Path) -> str:
    """The problem list already names the file; drop the leading path from error messages."""
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
