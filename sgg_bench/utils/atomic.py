"""Write files so that a crash never leaves a half-written result behind.

Every writer goes to a temporary file in the destination folder, flushes it to disk,
then renames it over the destination (rename is atomic on POSIX within one filesystem).
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it into place on success.

    The caller writes the temporary path by any means (h5py, torch.save, ...). On an
    exception the temporary file is removed and ``destination`` is left untouched.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates owner-only files; give the result the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, destination)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(destination: str | os.PathLike, text: str) -> None:
    with atomic_path(destination) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_json(destination: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    atomic_write_text(destination, json.dumps(obj, indent=indent, sort_keys=False) + "\n")


def open_partial_folder(partial: str | os.PathLike, params: dict) -> Path:
    """A resumable work folder: kept when its ``params.json`` equals ``params`` (an interrupted run with
    the same inputs), emptied otherwise; created with ``params.json`` written. The caller renames it
    into place when done."""
    import shutil

    partial = Path(partial)
    if partial.exists():
        try:
            same = json.loads((partial / "params.json").read_text(encoding="utf-8")) == params
        except (OSError, ValueError):
            same = False
        if not same:
            shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    atomic_write_json(partial / "params.json", params)
    return partial
