"""Run log files: everything under the ``sgg_bench`` logger goes to ``<run_dir>/log.txt``."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def attach_log_file(run_dir: str | os.PathLike, *, console: bool = True) -> list[logging.Handler]:
    """Send the ``sgg_bench`` logger (INFO and up) to ``<run_dir>/log.txt`` (appending, so a
    resumed run keeps its history) and, with ``console``, to stderr. Returns the handlers for
    ``detach_log``."""
    root = logging.getLogger("sgg_bench")
    root.setLevel(logging.INFO)
    path = Path(run_dir) / "log.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S"))
        root.addHandler(handler)
    return handlers


def detach_log(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger("sgg_bench")
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()
