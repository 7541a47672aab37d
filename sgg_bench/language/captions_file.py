"""Read and validate a COCO-captions-style file, parse every caption, link triplets per image.

Input: ``{"images": [{"id": ...}, ...], "annotations": [{"image_id": ..., "caption": "..."}, ...]}``
(``images`` optional). Handling of bad input:

* not JSON, top level not an object, ``annotations`` missing or not a list, an annotation that is
  not an object or lacks ``image_id`` / ``caption``, a caption that is not a string, an image id
  that is not an int or str, an ``images`` entry without ``id`` or with an id listed before, a
  number too long to convert: the file is the wrong format ->
  ``DataFormatError`` naming the file, the field (with the annotation index) and what was expected;
  nothing is written.
* a file that is not UTF-8 (the offending byte offset is named), JSON nested deeper than Python's
  recursion limit, or a non-string value nested deeply where a caption or id belongs: one-line
  ``DataFormatError`` as above (values are described by type and length, never printed whole).
* an empty / whitespace-only caption, a caption longer than ``max_length`` characters, or an
  annotation whose image is not listed in ``images``: real datasets contain a few of these ->
  the caption is skipped and listed under ``skipped`` (index, image id, reason); every other
  caption and image keeps its result.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sgg_bench.data.vocab import read_json
from sgg_bench.errors import DataFormatError
from sgg_bench.language.linking import ConceptLinker
from sgg_bench.language.parallel_parse import parse_captions

DEFAULT_MAX_LENGTH = 1000


@dataclass
class CaptionRecord:
    index: int          # position in "annotations"
    image_id: int | str
    caption: str


def _describe(value) -> str:
    """A short description of a JSON value for an error message (containers never printed: they may be huge or deep)."""
    if isinstance(value, (list, dict)):
        return f"{type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__} {value!r}"[:80]


def _check_image_id(path: Path, field: str, value) -> int | str:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DataFormatError(path, field, "an integer or string image id", _describe(value))
    return value


def read_captions_json(path: Path):
    """The parsed JSON of ``path``; missing, non-UTF-8, malformed or too deeply nested -> DataFormatError."""
    return read_json(path, encoding="utf-8-sig", kind="COCO captions JSON")


def read_captions_file(path: str | os.PathLike, *, max_length: int = DEFAULT_MAX_LENGTH):
    """-> (image ids in order, list[CaptionRecord], skipped list). Raises DataFormatError (see module doc)."""
    path = Path(path)
    data = read_captions_json(path)
    if not isinstance(data, dict):
        raise DataFormatError(path, "top level", "a JSON object with an 'annotations' list", type(data).__name__)
    if "annotations" not in data:
        raise DataFormatError(path, "annotations", "this key to be present (COCO captions format)", "missing")
    annotations = data["annotations"]
    if not isinstance(annotations, list):
        raise DataFormatError(path, "annotations", "a list of {image_id, caption} objects", type(annotations).__name__)
    image_ids: list = []
    first_row: dict = {}
    listed: set | None = None
    if "images" in data:
        images = data["images"]
        if not isinstance(images, list):
            raise DataFormatError(path, "images", "a list of {id, ...} objects", type(images).__name__)
        for i, image in enumerate(images):
            if not isinstance(image, dict) or "id" not in image:
                raise DataFormatError(path, f"images[{i}].id", "an image object with an 'id'",
                                      type(image).__name__ if not isinstance(image, dict) else "missing")
            image_id = _check_image_id(path, f"images[{i}].id", image["id"])
            if image_id in first_row:
                raise DataFormatError(path, f"images[{i}].id", f"an id not already listed (images[{first_row[image_id]}])",
                                      _describe(image_id))
            first_row[image_id] = i
            image_ids.append(image_id)
        listed = set(image_ids)
    records: list[CaptionRecord] = []
    skipped: list[dict] = []
    seen_ids = set(image_ids)
    for i, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            raise DataFormatError(path, f"annotations[{i}]", "an object with 'image_id' and 'caption'", type(annotation).__name__)
        for key in ("image_id", "caption"):
            if key not in annotation:
                raise DataFormatError(path, f"annotations[{i}].{key}", "this key to be present", "missing")
        image_id = _check_image_id(path, f"annotations[{i}].image_id", annotation["image_id"])
        caption = annotation["caption"]
        if not isinstance(caption, str):
            raise DataFormatError(path, f"annotations[{i}].caption", "a string", _describe(caption))
        reason = None
        if not caption.strip():
            reason = "empty caption"
        elif len(caption) > max_length:
            reason = f"caption longer than {max_length} characters ({len(caption)})"
        elif listed is not None and image_id not in listed:
            reason = "image_id not listed in 'images'"
        if reason is not None:
            skipped.append({"annotation_index": i, "image_id": image_id, "reason": reason})
            continue
        if image_id not in seen_ids:
            seen_ids.add(image_id)
            image_ids.append(image_id)
        records.append(CaptionRecord(index=i, image_id=image_id, caption=caption))
    return image_ids, records, skipped


def parse_and_link(records: list[CaptionRecord], image_ids: list, *, parser, linker: ConceptLinker,
                   progress: bool = True, workers: int = 1) -> list[dict]:
    """Per image (in ``image_ids`` order): parsed lemma triplets, linked triplets, unlinked leftovers.

    Each distinct caption text is parsed once (``workers`` > 1: in forked processes)."""
    parsed = parse_captions([record.caption for record in records], parser, workers=workers, progress=progress)
    per_image: dict = {image_id: {"image_id": image_id, "num_captions": 0, "triplets": []} for image_id in image_ids}
    seen: dict = {image_id: set() for image_id in image_ids}
    for record in records:
        entry = per_image[record.image_id]
        entry["num_captions"] += 1
        for triplet in parsed[record.caption]:
            if triplet not in seen[record.image_id]:
                seen[record.image_id].add(triplet)
                entry["triplets"].append(list(triplet))
    results = []
    links: dict[tuple, tuple] = {}  # triplet -> (subject, predicate, object) class lists, linked once
    for image_id in image_ids:
        entry = per_image[image_id]
        linked, linked_seen, unlinked = [], set(), []
        for subject, predicate, obj in entry["triplets"]:
            key = (subject, predicate, obj)
            if key not in links:
                links[key] = (linker.link_noun(subject), linker.link_predicate(predicate), linker.link_noun(obj))
            s, p, o = links[key]
            if s and p and o:
                key = (s[0], p[0], o[0])
                if key not in linked_seen:
                    linked_seen.add(key)
                    linked.append({"subject": s[0], "predicate": p[0], "object": o[0],
                                   "indices": [linker.noun_index[s[0]], linker.predicate_index[p[0]], linker.noun_index[o[0]]],
                                   "from": [subject, predicate, obj]})
            else:
                missing = [name for name, hit in (("subject", s), ("predicate", p), ("object", o)) if not hit]
                unlinked.append({"triplet": [subject, predicate, obj], "unlinked": missing})
        entry.update(linked=linked, unlinked=unlinked, num_triplets=len(entry["triplets"]),
                     num_linked=len(linked), num_unlinked=len(unlinked))
        results.append(entry)
    return results
