"""Parse the raw Visual Genome json files as published (objects.json, relationships.json,
image_data.json, attributes.json) into plain per-image records, tolerating their known quirks:
``name`` (older releases) vs ``names`` (list), ``id`` vs ``image_id`` in image_data.json,
upper-case names, the same object listed twice, and relation objects missing from objects.json.
Malformed values are a DataFormatError naming the file, the row and the field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

from tqdm import tqdm

from sgg_bench.data.convert.names import canonical
from sgg_bench.data.convert.report import ConversionReport
from sgg_bench.errors import DataFormatError


@dataclass
class RawObject:
    """One VG object: ``box`` is VG's (x, y, w, h) in pixels; ``ids`` grows when boxes merge."""

    ids: list[int]
    box: tuple[float, float, float, float]
    names: list[str]


@dataclass
class RawRelation:
    subject_id: int
    object_id: int
    predicate: str


@dataclass
class RawImage:
    image_id: int
    width: int
    height: int
    extra: dict
    objects: list[RawObject] = field(default_factory=list)
    relations: list[RawRelation] = field(default_factory=list)
    attributes: dict[int, list[str]] = field(default_factory=dict)   # object id -> names


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(path: Path, where: str, value) -> int:
    if not _is_int(value):
        raise DataFormatError(path, where, "an integer", repr(value))
    return value


def _number(path: Path, where: str, value) -> float:
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):     # fast path: millions of calls on real VG
        return float(value)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise DataFormatError(path, where, "a finite number", repr(value))
    return float(value)


def _list_of_images(path: Path, data, key: str) -> list:
    if not isinstance(data, list):
        raise DataFormatError(path, "top level", f"a JSON list of per-image entries with {key!r}", type(data).__name__)
    return data


def _image_key(path: Path, row: int, entry) -> int:
    if not isinstance(entry, dict):
        raise DataFormatError(path, f"[{row}]", "an object with image_id", type(entry).__name__)
    key = "image_id" if "image_id" in entry else "id"
    if key not in entry:
        raise DataFormatError(path, f"[{row}].image_id", "this key to be present", "missing")
    return _integer(path, f"[{row}].{key}", entry[key])


def parse_image_data(path: Path, data) -> list[RawImage]:
    images, seen = [], {}
    for row, entry in enumerate(_list_of_images(path, data, "image_id")):
        image_id = _image_key(path, row, entry)
        if image_id in seen:
            raise DataFormatError(path, f"[{row}].image_id", f"an id not already used (row {seen[image_id]})", image_id)
        seen[image_id] = row
        size = []
        for key in ("width", "height"):
            value = _integer(path, f"[{row}].{key}", entry.get(key))
            if value <= 0:
                raise DataFormatError(path, f"[{row}].{key}", "a positive image size in pixels", value)
            size.append(value)
        extra = {key: entry[key] for key in ("coco_id", "flickr_id", "url") if key in entry}
        images.append(RawImage(image_id=image_id, width=size[0], height=size[1], extra=extra))
    return images


def _names(path: Path, where: str, entry: dict) -> list[str]:
    if "names" in entry:
        names = entry["names"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise DataFormatError(path, f"{where}.names", "a list of name strings", repr(names))
        return names
    if "name" in entry:
        if not isinstance(entry["name"], str):
            raise DataFormatError(path, f"{where}.name", "a name string", repr(entry["name"]))
        return [entry["name"]]
    raise DataFormatError(path, f"{where}.names", "'names' (a list) or 'name' (a string)", "missing")


def parse_object(path: Path, where: str, entry, aliases: dict[str, str]) -> RawObject:
    if not isinstance(entry, dict):
        raise DataFormatError(path, where, "an object with object_id, x, y, w, h and names", type(entry).__name__)
    object_id = _integer(path, f"{where}.object_id", entry.get("object_id", entry.get("id")))
    box = tuple(_number(path, f"{where}.{key}", entry.get(key)) for key in ("x", "y", "w", "h"))
    names = [canonical(name, aliases) for name in _names(path, where, entry)]
    return RawObject(ids=[object_id], box=box, names=[n for n in names if n])


def _by_image(path: Path, data, key: str, known: dict[int, RawImage]):
    """(row, image, items) for every entry whose image is known; ``key`` holds the item list."""
    entries = _list_of_images(path, data, key)
    for row, entry in enumerate(tqdm(entries, desc=f"reading {path.name}", unit="image", disable=None, leave=False)):
        image_id = _image_key(path, row, entry)
        items = entry.get(key)
        if not isinstance(items, list):
            raise DataFormatError(path, f"[{row}].{key}", "a list", "missing" if key not in entry else repr(items))
        if image_id in known:
            yield row, known[image_id], items


def add_objects(path: Path, data, known: dict[int, RawImage], aliases: dict[str, str],
                report: ConversionReport) -> None:
    for row, image, items in _by_image(path, data, "objects", known):
        seen = {obj.ids[0] for obj in image.objects}
        for k, entry in enumerate(items):
            obj = parse_object(path, f"[{row}].objects[{k}]", entry, aliases)
            if obj.ids[0] in seen:
                report.drop("objects", "object_id listed twice in one image (first kept)")
                continue
            seen.add(obj.ids[0])
            image.objects.append(obj)


def add_relationships(path: Path, data, known: dict[int, RawImage], object_aliases: dict[str, str],
                      predicate_aliases: dict[str, str], report: ConversionReport) -> None:
    for row, image, items in _by_image(path, data, "relationships", known):
        seen = {obj.ids[0] for obj in image.objects}
        for k, entry in enumerate(items):
            where = f"[{row}].relationships[{k}]"
            if not isinstance(entry, dict):
                raise DataFormatError(path, where, "an object with predicate, subject and object", type(entry).__name__)
            if not isinstance(entry.get("predicate"), str):
                raise DataFormatError(path, f"{where}.predicate", "a predicate string", repr(entry.get("predicate")))
            ends = []
            for end in ("subject", "object"):
                value = entry.get(end)
                known_id = value.get("object_id") if isinstance(value, dict) else None
                if _is_int(known_id) and known_id in seen:
                    ends.append(known_id)
                    continue
                obj = parse_object(path, f"{where}.{end}", value, object_aliases)
                if obj.ids[0] not in seen:     # relation objects absent from objects.json join the image
                    seen.add(obj.ids[0])
                    image.objects.append(obj)
                    report.keep("objects added from relationships.json")
                ends.append(obj.ids[0])
            image.relations.append(RawRelation(ends[0], ends[1], canonical(entry["predicate"], predicate_aliases)))


def add_attributes(path: Path, data, known: dict[int, RawImage]) -> None:
    for row, image, items in _by_image(path, data, "attributes", known):
        for k, entry in enumerate(items):
            where = f"[{row}].attributes[{k}]"
            if not isinstance(entry, dict):
                raise DataFormatError(path, where, "an object with object_id and attributes", type(entry).__name__)
            object_id = _integer(path, f"{where}.object_id", entry.get("object_id"))
            names = entry.get("attributes", [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise DataFormatError(path, f"{where}.attributes", "a list of attribute strings", repr(names))
            target = image.attributes.setdefault(object_id, [])
            for name in names:
                cleaned = canonical(name, {})
                if cleaned and cleaned not in target:
                    target.append(cleaned)
