"""Read result records from the user's folder (``leaderboard/results``) and the shipped reference
runs (``leaderboard/reference``).

A bad file (invalid JSON, a number too large for a float, JSON nested deeper than
``MAX_NESTING``, wrong types, unknown schema version, missing fields or metrics) is listed by
name and skipped; it never stops the page from being built. Two records of one folder with the
same ``run_id`` are both kept and reported; a user record with the run_id of a shipped reference
record is shown beside it, both labelled.
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

USER, REFERENCE = "user", "reference"  # where a record came from (``Entry.origin``)
MAX_NESTING = 64  # deeper JSON is refused before anything walks it recursively
_TYPE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One readable, valid record file."""

    origin: str        # USER or REFERENCE
    path: Path
    record: Mapping[str, Any]

    @property
    def anchor(self) -> str:
        """HTML id of the record's provenance block: unique per file, readable part from the run_id."""
        return run_anchor(self.record["run_id"], key=f"{self.origin}/{self.path.name}")


@dataclasses.dataclass
class LoadedRecords:
    entries: list[Entry]
    problems: list[str]    # one line per skipped file: "<path>: <why>"
    duplicates: list[str]  # one line per run_id in more than one file of the same folder
    shared_ids: list[str]  # one line per run_id both in the user's folder and the reference runs


def load_records(results_dir: str | os.PathLike | None,
                 reference_dir: str | os.PathLike | None = None) -> LoadedRecords:
    """Every ``*.json`` of both folders (sorted by file name; a missing folder is empty)."""
    entries: list[Entry] = []
    problems: list[str] = []
    for origin, folder in ((USER, results_dir), (REFERENCE, reference_dir)):
        if folder is None or not Path(folder).is_dir():
            continue
        for path in sorted(Path(folder).glob("*.json")):
            try:
                record = read_checked(path)
            except SggBenchError as exc:
                problems.append(f"{path}: {_strip_path(str(exc), path)}")
                continue
            entries.append(Entry(origin, path, record))
    duplicates, shared_ids = _duplicates(entries)
    return LoadedRecords(entries, problems, duplicates, shared_ids)


def read_checked(path: Path) -> dict:
    """Parse and check one file; every way it can be bad becomes ``DataFormatError``."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, "file", "a readable UTF-8 file", str(exc)) from None
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, "file", "valid JSON", str(exc)) from None
    except RecursionError:
        raise DataFormatError(path, "file", f"JSON nested at most {MAX_NESTING} levels deep", "deeper") from None
    except ValueError as exc:  # an integer literal with more digits than Python converts
        raise DataFormatError(path, "file", "JSON numbers of ordinary size",
                              f"a number too long to read ({str(exc).split(':')[0].split(';')[0]})") from None
    if nesting_depth(record) > MAX_NESTING:
        raise DataFormatError(path, "file", f"JSON nested at most {MAX_NESTING} levels deep", "deeper")
    try:
        check_record(record, path)
    except _TYPE_ERRORS as exc:  # a value of a type no check foresaw: still only this file
        raise DataFormatError(path, "record", "a valid result record", f"{type(exc).__name__}: {exc}") from None
    return record


def check_record(record: Any, path: Path) -> None:
    """Raise ``DataFormatError`` unless ``record`` is a result record the page can show.

    The contract's ``validate_record`` (schema version, identity fields, metric values,
    provenance, setting, tie ranges), then what the page needs: at least one available metric
    and plain numbers where it computes with provenance values.
    """
    validate_record(record, path)
    if not any(value is not None for value in record["metrics"].values()):
        raise DataFormatError(path, "metrics", "at least one available (non-null) metric", "all null")
    provenance = record.get("provenance") or {}
    for key in ("train_seconds", "eval_seconds"):
        value = provenance.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not _finite(value)):
            raise DataFormatError(path, f"provenance/{key}", "a finite number of seconds or null", type(value).__name__)


def nesting_depth(obj: Any) -> int:
    """Depth of nested lists/objects, walked without recursion (a scalar is depth 0)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def run_anchor(name: str, *, key: str | None = None, prefix: str = "run") -> str:
    """A valid, unique HTML id: readable part from ``name`` plus a short hash of ``key`` (or name)."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "x"
    return f"{prefix}-{readable}-{hashlib.sha1((key or name).encode('utf-8')).hexdigest()[:8]}"


def _duplicates(entries: list[Entry]) -> tuple[list[str], list[str]]:
    """(run_ids repeated within one folder, run_ids in both folders), one line each."""
    by_run: dict[str, list[Entry]] = {}
    for entry in entries:
        by_run.setdefault(entry.record["run_id"], []).append(entry)
    duplicates, shared = [], []
    for run_id, group in by_run.items():
        for origin in (USER, REFERENCE):
            same = [e for e in group if e.origin == origin]
            if len(same) > 1:
                duplicates.append(f"run_id {run_id!r} appears in {len(same)} files "
                                  f"({', '.join(str(e.path) for e in same)}); each is shown")
        if {e.origin for e in group} == {USER, REFERENCE}:
            shared.append(f"run_id {run_id!r} is both yours ({', '.join(str(e.path) for e in group if e.origin == USER)}) "
                          f"and a shipped reference run "
                          f"({', '.join(str(e.path) for e in group if e.origin == REFERENCE)}); both are shown, labelled")
    return duplicates, shared


def _finite(value: float) -> bool:
    try:
        return float(value) - float(value) == 0.0
    except OverflowError:
        return False


def _strip_path(message: str, path: Path) -> str:
    """The problem list already names the file; drop the leading path from error messages."""
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
