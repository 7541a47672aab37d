"""Error types whose messages name the file, the field and what was expected."""
from __future__ import annotations

import os


class SggBenchError(Exception):
    """Base class: an error the CLI reports as one clear line, without a traceback."""


class DataFormatError(SggBenchError):
    """A dataset or predictions file violates its format.

    ``DataFormatError(path, field, expected, found=None)`` renders as
    ``<path>: <field>: expected <expected>[, found <found>]``.
    """

    def __init__(self, path: str | os.PathLike, field: str, expected: str, found: object = None):
        self.path = str(path)
        self.field = field
        self.expected = expected
        self.found = found
        message = f"{self.path}: {field}: expected {expected}"
        if found is not None:
            message += f", found {found}"
        super().__init__(message)


class ConfigError(SggBenchError):
    """A config file or override is invalid (unknown key, bad _base_, bad value)."""


def what_is_at(path: str | os.PathLike) -> str:
    """``found ...`` text for a path that is not what was expected: a folder, a file, or nothing."""
    if os.path.isdir(path):
        return "a folder"
    return "a file" if os.path.exists(path) else "nothing at this path"
