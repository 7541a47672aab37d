"""Results derived from annotation files, remembered in ``<folder>/.sgg-bench-cache`` across processes.

The key is each file's resolved path, size and modification time (ns), the same key the in-process
memo of ``files_fingerprint`` uses, so an edited file is never answered from the cache. A folder
that cannot be written only costs the recomputation.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

CACHE_DIR = ".sgg-bench-cache"


def stat_key(paths: Sequence[str | os.PathLike], extra: str = "") -> str:
    parts = [extra]
    for path in sorted(str(Path(p).resolve()) for p in paths):
        st = os.stat(path)
        parts.append(f"{path}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:20]


def cached_text(folder: Path, name: str, key: str, compute: Callable[[], str]) -> str:
    path = Path(folder) / CACHE_DIR / f"{name}_{key}.json"
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["value"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    value = compute()
    _store(path, lambda handle: handle.write(json.dumps({"value": value}).encode("utf-8")))
    return value


def cached_arrays(folder: Path, name: str, key: str, compute: Callable[[], tuple[np.ndarray, ...]]
                  ) -> tuple[np.ndarray, ...]:
    path = Path(folder) / CACHE_DIR / f"{name}_{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return tuple(stored[f"a{i}"] for i in range(len(stored.files)))
    except (OSError, ValueError, KeyError):
        pass
    values = compute()
    _store(path, lambda handle: np.savez(handle, **{f"a{i}": v for i, v in enumerate(values)}))
    return values


def _store(path: Path, write) -> None:
    from sgg_bench.utils.atomic import atomic_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            write(handle)
    except OSError:
        pass
