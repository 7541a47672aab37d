"""Results derived from annotation files, remembered in ``<folder>/.sgg-bench-cache`` across processes.

The key is each file's resolved path, size and modification time (ns), the same key the in-process
memo of ``files_fingerprint`` uses, so an edited file is never answered from the cache. Every entry
stores a sha256 of its content: an entry that is truncated, foreign or edited (checksum mismatch)
is recomputed and rewritten, never used. A folder that cannot be written only costs the
recomputation.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

CACHE_DIR = ".sgg-bench-cache"
ENTRY_VERSION = 2  # entries with a checksum; files of version 1 (none) are never read
logger = logging.getLogger("sgg_bench.data")


def stat_key(paths: Sequence[str | os.PathLike], extra: str = "") -> str:
    parts = [extra]
    for path in sorted(str(Path(p).resolve()) for p in paths):
        st = os.stat(path)
        parts.append(f"{path}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def _text_checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _arrays_checksum(values: Sequence[np.ndarray]) -> str:
    digest = hashlib.sha256()
    for value in values:
        value = np.ascontiguousarray(value)
        digest.update(f"{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _damaged(path: Path) -> None:
    logger.warning("statistics cache: %s is damaged (checksum mismatch); recomputing it", path)


def cached_text(folder: Path, name: str, key: str, compute: Callable[[], str]) -> str:
    path = Path(folder) / CACHE_DIR / f"{name}-v{ENTRY_VERSION}_{key}.json"
    if path.is_file():
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            value = entry["value"]
            if isinstance(value, str) and entry.get("sha256") == _text_checksum(value):
                return value
        except Exception:  # truncated, not JSON, foreign: recomputed below
            pass
        _damaged(path)
    value = compute()
    entry = {"value": value, "sha256": _text_checksum(value)}
    _store(path, lambda handle: handle.write(json.dumps(entry).encode("utf-8")))
    return value


def cached_arrays(folder: Path, name: str, key: str, compute: Callable[[], tuple[np.ndarray, ...]]
                  ) -> tuple[np.ndarray, ...]:
    path = Path(folder) / CACHE_DIR / f"{name}-v{ENTRY_VERSION}_{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                count = len(stored.files) - 1
                values = tuple(stored[f"a{i}"] for i in range(count))
                if str(stored["sha256"]) == _arrays_checksum(values):
                    return values
        except Exception:  # truncated zip, bad CRC, missing member, pickled object: recomputed below
            pass
        _damaged(path)
    values = compute()
    checksum = _arrays_checksum(values)
    _store(path, lambda handle: np.savez(handle, sha256=np.array(checksum),
                                         **{f"a{i}": v for i, v in enumerate(values)}))
    return values


def _store(path: Path, write) -> None:
    from sgg_bench.utils.atomic import atomic_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            write(handle)
    except OSError:
        pass
