"""``sgg-bench data convert --from vg-json SRC --out DIR``: raw Visual Genome json -> VG150 folder.

SRC holds ``objects.json``, ``relationships.json``, ``image_data.json``, optionally
``attributes.json``, ``object_alias.txt`` and ``relationship_alias.txt`` (or
``predicate_alias.txt``), and the images in ``VG_100K/`` and/or ``VG_100K_2/``. Steps: see
``vg_recipe``; the split is DX's: the first 70 % of the kept images (file order) get flag 0, the
rest 2, and the reader carves val out of train.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from tqdm import tqdm

from sgg_bench.data.convert.names import read_alias_file
from sgg_bench.data.convert.report import ConversionReport
from sgg_bench.data.convert.vg_json_parse import (RawImage, add_attributes, add_objects, add_relationships,
                                                  parse_image_data)
from sgg_bench.data.convert.vg_recipe import choose_label, filter_small_objects, merge_duplicate_boxes, top_names
from sgg_bench.data.convert.vg_writer import VGImage, read_vocab_file, write_vg_folder
from sgg_bench.data.validate import VG_CORRUPTED_IMAGE_IDS
from sgg_bench.data.vocab import read_json
from sgg_bench.errors import DataFormatError

IMAGE_DIRS = ("VG_100K", "VG_100K_2", "images")
TRAIN_FRACTION = 0.7
MAX_ATTRIBUTES = 10


def _optional_alias(src: Path, *names: str) -> dict[str, str]:
    for name in names:
        if (src / name).is_file():
            return read_alias_file(src / name)
    return {}


def _source_image(src: Path, image_id: int) -> Path | None:
    for folder in IMAGE_DIRS:
        path = src / folder / f"{image_id}.jpg"
        if path.is_file():
            return path
    return None


def read_raw_vg(src: Path, report: ConversionReport, images_mode: str) -> list[RawImage]:
    for name in ("objects.json", "relationships.json", "image_data.json"):
        if not (src / name).is_file():
            raise DataFormatError(src / name, "file", "the raw Visual Genome file of this name", "missing")
    object_aliases = _optional_alias(src, "object_alias.txt")
    predicate_aliases = _optional_alias(src, "relationship_alias.txt", "predicate_alias.txt")
    images = []
    for image in parse_image_data(src / "image_data.json", read_json(src / "image_data.json")):
        if image.image_id in VG_CORRUPTED_IMAGE_IDS:
            report.drop("images", "one of the four corrupted VG images the standard loader skips")
        elif images_mode != "none" and _source_image(src, image.image_id) is None:
            report.drop("images", f"image file missing from {' / '.join(IMAGE_DIRS)}")
        else:
            images.append(image)
    known = {image.image_id: image for image in images}
    add_objects(src / "objects.json", read_json(src / "objects.json"), known, object_aliases, report)
    add_relationships(src / "relationships.json", read_json(src / "relationships.json"), known, object_aliases,
                      predicate_aliases, report)
    if (src / "attributes.json").is_file():
        add_attributes(src / "attributes.json", read_json(src / "attributes.json"), known)
    return images


def convert_vg_json(src: str | Path, out: str | Path, *, vocab: str | Path | None = None, num_objects: int = 150,
                    num_predicates: int = 50, num_attributes: int = 200, min_box_area_frac: float = 0.002,
                    num_val_im: int | None = None, images_mode: str = "link") -> ConversionReport:
    src, out = Path(src), Path(out)
    report = ConversionReport(source=f"vg-json {src}", target="vg150", out=str(out))
    images = read_raw_vg(src, report, images_mode)
    filter_small_objects(images, min_box_area_frac, report)
    for image in tqdm(images, desc="merging duplicate boxes", unit="image", disable=None, leave=False):
        merge_duplicate_boxes(image, report)
    name_counts = Counter(name for image in images for obj in image.objects for name in obj.names)
    if vocab is not None:
        objects, predicates, attributes = read_vocab_file(Path(vocab))
    else:
        predicate_counts = Counter(rel.predicate for image in images for rel in image.relations)
        attribute_counts = Counter(a for image in images for names in image.attributes.values() for a in names)
        objects, predicates = top_names(name_counts, num_objects), top_names(predicate_counts, num_predicates)
        attributes = top_names(attribute_counts, num_attributes) if attribute_counts else []
    object_index = {name: i + 1 for i, name in enumerate(objects)}
    predicate_index = {name: i + 1 for i, name in enumerate(predicates)}
    attribute_index = {name: i + 1 for i, name in enumerate(attributes)}
    converted = []
    for image in tqdm(images, desc="encoding", unit="image", disable=None, leave=False):
        converted.append(_encode_image(src, image, object_index, predicate_index, attribute_index, name_counts,
                                       report, images_mode))
    train_count = int(len(converted) * TRAIN_FRACTION)
    for row, image in enumerate(converted):
        image.split = 0 if row < train_count else 2
    settings = write_vg_folder(out, converted, objects=objects, predicates=predicates, attributes=attributes,
                               num_val_im=num_val_im, images_mode=images_mode)
    report.notes.append(f"{len(objects)} object classes, {len(predicates)} predicates, {len(attributes)} attributes; "
                        f"split: {train_count} train-flag images, {len(converted) - train_count} test; "
                        f"num_val_im = {settings['num_val_im']} (sgg-bench.json)")
    return report


def _encode_image(src: Path, image: RawImage, object_index: dict, predicate_index: dict, attribute_index: dict,
                  name_counts: Counter, report: ConversionReport, images_mode: str) -> VGImage:
    out = VGImage(image_id=image.image_id, width=image.width, height=image.height, split=0,
                  source_image=None if images_mode == "none" else _source_image(src, image.image_id),
                  extra=image.extra)
    row_of_id = {}
    for obj in image.objects:
        label = choose_label(obj.names, object_index, name_counts)
        if label is None:
            report.drop("objects", "no name in the object vocabulary")
            continue
        x, y, w, h = obj.box
        # VG boxes are (x, y, w, h) with 1-based x/y; the writer takes 0-based pixel corners.
        out.boxes.append((x - 1, y - 1, x - 1 + w, y - 1 + h))
        out.labels.append(label)
        ids = []
        for object_id in obj.ids:
            row_of_id[object_id] = len(out.labels) - 1
            ids += [attribute_index[a] for a in image.attributes.get(object_id, []) if a in attribute_index]
        out.attributes.append(list(dict.fromkeys(ids))[:MAX_ATTRIBUTES])
    for rel in image.relations:
        if rel.subject_id not in row_of_id or rel.object_id not in row_of_id:
            report.drop("relations", "subject or object dropped")
        elif rel.predicate not in predicate_index:
            report.drop("relations", "predicate outside the vocabulary")
        elif row_of_id[rel.subject_id] == row_of_id[rel.object_id]:
            report.drop("relations", "subject and object are the same (merged) box")
        else:
            out.relations.append((row_of_id[rel.subject_id], row_of_id[rel.object_id], predicate_index[rel.predicate]))
    report.keep("images")
    report.keep("objects", len(out.labels))
    report.keep("relations", len(out.relations))
    return out
