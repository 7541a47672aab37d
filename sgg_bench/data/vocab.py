"""Class vocabularies of the two dataset formats, with ``__background__`` at index 0.

VG150 (``VG-SGG-dicts*.json``): ``idx_to_label`` / ``idx_to_predicate`` / optional
``idx_to_attribute`` map the strings "1".."N" to names (docs/FORMATS.md).
OpenImages (``categories_dict.json``): ``{"obj": [...], "rel": [...]}``, 0-based lists
without background (docs/FORMATS.md).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sgg_bench.errors import DataFormatError, what_is_at
from sgg_bench.structures import DatasetVocabulary

BACKGROUND = "__background__"


def read_json(path: str | os.PathLike, *, encoding: str = "utf-8", kind: str = "JSON") -> Any:
    """Parse a JSON file; a missing file or bad JSON is a DataFormatError naming the file.
    ``encoding="utf-8-sig"`` also accepts a byte-order mark; ``kind`` names the format in errors."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "file", "an existing file", what_is_at(path))
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, f"byte {exc.start}", f"UTF-8 text ({kind})",
                              f"byte 0x{raw[exc.start]:02x} that is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, f"line {exc.lineno} column {exc.colno}", "valid JSON", exc.msg) from None
    except RecursionError:
        raise DataFormatError(path, "top level", "JSON nested at most a few hundred levels deep",
                              "nesting deeper than the reader's recursion limit") from None
    except ValueError as exc:  # an integer literal longer than Python converts (4300 digits)
        raise DataFormatError(path, "top level", "JSON numbers of ordinary size",
                              " ".join(str(exc).split())[:120]) from None


def _indexed_names(path: Path, mapping: Any, key: str, allow_empty: bool = False) -> list[str]:
    """``{"1": name, ..., "N": name}`` -> ``[__background__, name_1, ..., name_N]``.

    ``allow_empty``: ``{}`` gives ``[]`` (custom data without attributes, which KT's loader accepts).
    """
    if allow_empty and isinstance(mapping, dict) and not mapping:
        return []
    if not isinstance(mapping, dict) or not mapping:
        raise DataFormatError(path, key, "a non-empty mapping from '1'..'N' to names", type(mapping).__name__)
    names = [BACKGROUND] * (len(mapping) + 1)
    for index_text, name in mapping.items():
        try:
            index = int(index_text)
        except (TypeError, ValueError):
            raise DataFormatError(path, f"{key}[{index_text!r}]", "an integer key", repr(index_text)) from None
        if not 1 <= index <= len(mapping):
            raise DataFormatError(path, f"{key}[{index_text!r}]", f"an index in 1..{len(mapping)} (contiguous)", index)
        if not isinstance(name, str):
            raise DataFormatError(path, f"{key}[{index_text!r}]", "a class name string", repr(name))
        names[index] = name
    return names


def load_vg_vocabulary(path: str | os.PathLike) -> DatasetVocabulary:
    """Read ``VG-SGG-dicts-with-attri.json`` or ``VG-SGG-dicts.json``.

    Attributes are optional: absent or empty ``idx_to_attribute`` gives ``attribute_classes == []``.
    """
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataFormatError(path, "top level", "a JSON object", type(data).__name__)
    for key in ("idx_to_label", "idx_to_predicate"):
        if key not in data:
            raise DataFormatError(path, key, "this key to be present", "missing")
    attributes = (_indexed_names(path, data["idx_to_attribute"], "idx_to_attribute", allow_empty=True)
                  if "idx_to_attribute" in data else [])
    return DatasetVocabulary(object_classes=_indexed_names(path, data["idx_to_label"], "idx_to_label"),
                             predicate_classes=_indexed_names(path, data["idx_to_predicate"], "idx_to_predicate"),
                             attribute_classes=attributes)


def load_openimages_vocabulary(path: str | os.PathLike) -> DatasetVocabulary:
    """Read ``categories_dict.json``; prepend background to both 0-based lists."""
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataFormatError(path, "top level", "a JSON object", type(data).__name__)
    lists = {}
    for key in ("obj", "rel"):
        if key not in data:
            raise DataFormatError(path, key, "this key to be present", "missing")
        names = data[key]
        if not isinstance(names, list) or not names:
            raise DataFormatError(path, key, "a non-empty list of class names", type(names).__name__)
        for row, name in enumerate(names):
            if not isinstance(name, str):
                raise DataFormatError(path, f"{key}[{row}]", "a class name string", repr(name))
        lists[key] = [BACKGROUND] + list(names)
    return DatasetVocabulary(object_classes=lists["obj"], predicate_classes=lists["rel"])
