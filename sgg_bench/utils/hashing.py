"""Content hashes for provenance (checkpoints, predictions, dataset fingerprints)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_files(paths: Iterable[str | os.PathLike], extra: str = "") -> str:
    """A short stable fingerprint of several files (name, size and content) plus free text."""
    digest = hashlib.sha256(extra.encode("utf-8"))
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode("utf-8"))
        digest.update(str(path.stat().st_size).encode("ascii"))
        digest.update(sha256_file(path).encode("ascii"))
    return digest.hexdigest()[:16]
