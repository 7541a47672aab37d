"""COCO-style detection json with relations (RelTR's layout) <-> VG150.

Layout (RelTR ``datasets/coco.py``, ``data/process.py``; facts only): ``train.json``, ``val.json``,
``test.json`` are COCO detection files (``images``: id, file_name, width, height; ``annotations``:
id, image_id, bbox ``[x, y, w, h]`` in pixels, category_id, area, iscrowd; ``categories``: id, name),
images in ``images/<file_name>``, and ``rel.json`` = ``{"train": {"<image id>": [[subject, object,
predicate], ...]}, "val": ..., "test": ..., "rel_categories": [names]}``. Subject and object index
the image's annotations in file order. When ``rel_categories[0]`` is ``__background__`` (RelTR's VG
files) predicates are indices into the list as is; otherwise they are 0-based (its OpenImages files).
"""
from __future__ import annotations

from numbers import Real
from pathlib import Path

from sgg_bench.data.convert.report import ConversionReport
from sgg_bench.data.convert.vg_writer import VGImage, read_vocab_file, write_vg_folder
from sgg_bench.data.vocab import BACKGROUND, read_json
from sgg_bench.errors import DataFormatError

SPLITS = ("train", "val", "test")
NOT_A_CLASS = ("N/A", BACKGROUND)


def _int(path: Path, where: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataFormatError(path, where, "an integer", repr(value))
    return value


def _dict_list(path: Path, data: dict, key: str) -> list[dict]:
    items = data.get(key)
    if not isinstance(items, list):
        raise DataFormatError(path, key, "a list", "missing" if key not in data else type(items).__name__)
    for row, item in enumerate(items):
        if not isinstance(item, dict):
            raise DataFormatError(path, f"{key}[{row}]", "an object", type(item).__name__)
    return items


def _bbox(path: Path, where: str, value) -> tuple[float, float, float, float]:
    ok = isinstance(value, list) and len(value) == 4 and all(
        isinstance(v, Real) and not isinstance(v, bool) and v == v and abs(v) != float("inf") for v in value)
    if not ok:
        raise DataFormatError(path, where, "[x, y, w, h], four finite numbers", repr(value))
    return tuple(float(v) for v in value)


def read_categories(path: Path, data: dict) -> dict[int, str]:
    categories = {}
    for row, entry in enumerate(_dict_list(path, data, "categories")):
        category_id = _int(path, f"categories[{row}].id", entry.get("id"))
        if not isinstance(entry.get("name"), str):
            raise DataFormatError(path, f"categories[{row}].name", "a class name string", repr(entry.get("name")))
        categories[category_id] = entry["name"]
    return categories


def read_predicates(path: Path, rel: dict) -> tuple[list[str], int]:
    """(predicate names without background, offset added to a file predicate to get a 1-based id)."""
    names = rel.get("rel_categories")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DataFormatError(path, "rel_categories", "a non-empty list of predicate names", repr(names)[:80])
    if names[0] == BACKGROUND:
        return names[1:], 0
    return names, 1


def _split_images(src: Path, split: str, rel: dict, rel_path: Path, categories_out: dict, report: ConversionReport,
                  class_index: dict[str, int], num_predicates: int, offset: int, images_mode: str,
                  seen_ids: dict) -> list[VGImage]:
    path = src / f"{split}.json"
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataFormatError(path, "top level", "a COCO json object", type(data).__name__)
    categories = read_categories(path, data)
    categories_out.update(categories)
    images, by_id = [], {}
    for row, entry in enumerate(_dict_list(path, data, "images")):
        image_id = _int(path, f"images[{row}].id", entry.get("id"))
        if image_id in seen_ids:
            raise DataFormatError(path, f"images[{row}].id", f"an id not used before ({seen_ids[image_id]})", image_id)
        seen_ids[image_id] = f"{split}.json images[{row}]"
        size = [_int(path, f"images[{row}].{key}", entry.get(key)) for key in ("width", "height")]
        if min(size) <= 0:
            raise DataFormatError(path, f"images[{row}].width/height", "positive sizes in pixels", size)
        if not isinstance(entry.get("file_name"), str):
            raise DataFormatError(path, f"images[{row}].file_name", "a file name string", repr(entry.get("file_name")))
        image = VGImage(image_id=image_id, width=size[0], height=size[1], split=2 if split == "test" else 0,
                        source_image=src / "images" / entry["file_name"])
        image.extra["annotation_rows"] = []
        images.append(image)
        by_id[image_id] = image
    for row, ann in enumerate(_dict_list(path, data, "annotations")):
        image_id = _int(path, f"annotations[{row}].image_id", ann.get("image_id"))
        if image_id not in by_id:
            raise DataFormatError(path, f"annotations[{row}].image_id", f"an id of {path.name}'s images", image_id)
        category = _int(path, f"annotations[{row}].category_id", ann.get("category_id"))
        if category not in categories:
            raise DataFormatError(path, f"annotations[{row}].category_id", "an id of the categories list", category)
        by_id[image_id].extra["annotation_rows"].append((row, ann, category))
    relations = rel.get(split, {})
    if not isinstance(relations, dict):
        raise DataFormatError(rel_path, split, "an object mapping image ids to relation lists", type(relations).__name__)
    for key in relations:
        if not key.lstrip("-").isdigit() or int(key) not in by_id:
            raise DataFormatError(rel_path, f"{split}[{key!r}]", f"an image id of {path.name}", key)
    kept = []
    for image in images:
        rows = image.extra.pop("annotation_rows")
        rels = relations.get(str(image.image_id), [])
        if images_mode != "none" and not image.source_image.is_file():
            report.drop("images", "image file missing from images/")
            report.drop("objects", "image dropped", len(rows))
            report.drop("relations", "image dropped", len(rels) if isinstance(rels, list) else 0)
            continue
        if images_mode == "none":
            image.source_image = None
        _fill_image(path, rel_path, split, image, rows, rels, categories, class_index, num_predicates, offset, report)
        kept.append(image)
    return kept


def _fill_image(path, rel_path, split, image, rows, rels, categories, class_index, num_predicates, offset, report):
    local = {}
    for k, (row, ann, category) in enumerate(rows):
        x, y, w, h = _bbox(path, f"annotations[{row}].bbox", ann.get("bbox"))
        name = categories[category]
        if ann.get("iscrowd", 0) == 1:
            report.drop("objects", "iscrowd annotation")
        elif w <= 0 or h <= 0:
            report.drop("objects", "zero-size box")
        elif name not in class_index:
            report.drop("objects", "category not in the object vocabulary")
        else:
            local[k] = len(image.labels)
            image.boxes.append((x, y, x + w, y + h))
            image.labels.append(class_index[name])
    if not isinstance(rels, list):
        raise DataFormatError(rel_path, f"{split}['{image.image_id}']", "a list of [subject, object, predicate]",
                              type(rels).__name__)
    for k, triple in enumerate(rels):
        where = f"{split}['{image.image_id}'][{k}]"
        if not (isinstance(triple, list) and len(triple) == 3 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in triple)):
            raise DataFormatError(rel_path, where, "[subject, object, predicate] integers", repr(triple))
        s, o, p = triple
        if not (0 <= s < len(rows) and 0 <= o < len(rows)):
            raise DataFormatError(rel_path, where, f"annotation indices of this image in 0..{len(rows) - 1}", triple)
        if not 1 <= p + offset <= num_predicates:
            low = 1 - offset
            raise DataFormatError(rel_path, where, f"a predicate in {low}..{num_predicates - offset}", triple)
        if s not in local or o not in local:
            report.drop("relations", "subject or object dropped")
        elif s == o:
            report.drop("relations", "subject equals object")
        else:
            image.relations.append((local[s], local[o], p + offset))
    report.keep("images")
    report.keep("objects", len(image.labels))
    report.keep("relations", len(image.relations))


def convert_coco_rel_to_vg(src: str | Path, out: str | Path, *, vocab: str | Path | None = None,
                           num_val_im: int | None = None, images_mode: str = "link") -> ConversionReport:
    """The given val split becomes the first ``num_val_im`` train-flag images (val before train)."""
    src, out = Path(src), Path(out)
    report = ConversionReport(source=f"coco-rel {src}", target="vg150", out=str(out))
    rel_path = src / "rel.json"
    rel = read_json(rel_path)
    if not isinstance(rel, dict):
        raise DataFormatError(rel_path, "top level", "an object with rel_categories and per-split relations",
                              type(rel).__name__)
    predicates, offset = read_predicates(rel_path, rel)
    for split in ("train", "test"):
        if not (src / f"{split}.json").is_file():
            raise DataFormatError(src / f"{split}.json", "file", f"the COCO json of the {split} split", "missing")
    # Classes: a given vocabulary, or the categories of train.json in id order.
    train_categories = read_categories(src / "train.json", read_json(src / "train.json"))
    if vocab is not None:
        objects, vocab_predicates, _ = read_vocab_file(Path(vocab))
        if vocab_predicates != predicates:
            raise DataFormatError(Path(vocab), "idx_to_predicate", f"the predicates of {rel_path.name} in order",
                                  f"{len(vocab_predicates)} names that differ")
    else:
        objects = [train_categories[i] for i in sorted(train_categories) if train_categories[i] not in NOT_A_CLASS]
    class_index = {name: i + 1 for i, name in enumerate(objects)}
    seen_ids, categories, by_split = {}, {}, {}
    for split in SPLITS:
        if split == "val" and not (src / "val.json").is_file():
            by_split[split] = []
            continue
        by_split[split] = _split_images(src, split, rel, rel_path, categories, report, class_index,
                                        len(predicates), offset, images_mode, seen_ids)
    val_kept = sum(1 for image in by_split["val"] if image.labels and image.relations)
    images = by_split["val"] + by_split["train"] + by_split["test"]
    settings = write_vg_folder(out, images, objects=objects, predicates=predicates, attributes=[],
                               num_val_im=val_kept if num_val_im is None else num_val_im, images_mode=images_mode)
    report.notes.append(f"{len(objects)} object classes, {len(predicates)} predicates; val.json's images come "
                        f"first in train, num_val_im = {settings['num_val_im']} (sgg-bench.json)")
    return report


def _report_left_out(src: Path, report: ConversionReport) -> None:
    """What the standard splits leave out of the VG150 folder (images without objects or relations)."""
    from sgg_bench.data.vg150 import load_vg150
    _, _, arrays, _ = load_vg150(src)
    reason = "image without objects or relations (left out by the standard splits)"
    report.drop("images", reason, arrays.num_images - report.kept["images"])
    report.drop("objects", reason, len(arrays.labels) - report.kept["objects"])
    report.drop("relations", reason, len(arrays.predicates) - report.kept["relations"])


def convert_vg_to_coco_rel(src: str | Path, out: str | Path, *, images_mode: str = "link") -> ConversionReport:
    """The reader's standard splits (val carved by num_val_im, images without relations left out);
    boxes are the evaluation ground truth (pixels, clipped); predicates 1-based after ``__background__``."""
    from sgg_bench.data import open_dataset
    from sgg_bench.data.convert.vg_writer import place_image
    from sgg_bench.utils.atomic import atomic_write_json
    src, out = Path(src), Path(out)
    report = ConversionReport(source=f"vg150 {src}", target="coco-rel", out=str(out))
    relations_out: dict = {}
    next_annotation = 0
    (out / "images").mkdir(parents=True, exist_ok=True)
    documents = {}
    for split in SPLITS:
        dataset = open_dataset(src, split, check_images=images_mode != "none")
        vocab = dataset.vocab
        images, annotations, split_relations = [], [], {}
        for i in range(len(dataset)):
            gt = dataset.image_ground_truth(i)
            images.append({"id": gt.image_id, "file_name": f"{gt.image_id}.jpg", "width": gt.width,
                           "height": gt.height})
            for box, label in zip(gt.boxes.tolist(), gt.labels.tolist()):
                w, h = box[2] - box[0], box[3] - box[1]
                annotations.append({"id": next_annotation, "image_id": gt.image_id, "category_id": int(label),
                                    "bbox": [box[0], box[1], w, h], "area": w * h, "iscrowd": 0,
                                    "segmentation": None})
                next_annotation += 1
            split_relations[str(gt.image_id)] = gt.relations.tolist()
            report.keep("images")
            report.keep("objects", len(gt.labels))
            report.keep("relations", len(gt.relations))
            if images_mode != "none":
                place_image(Path(dataset.table.image_paths[i]), out / "images" / f"{gt.image_id}.jpg", images_mode)
        categories = [{"id": i, "name": name, "supercategory": name}
                      for i, name in enumerate(vocab.object_classes) if i > 0]
        documents[split] = {"images": images, "annotations": annotations, "categories": categories}
        relations_out[split] = split_relations
    relations_out["rel_categories"] = list(vocab.predicate_classes)
    _report_left_out(src, report)
    for split, document in documents.items():
        atomic_write_json(out / f"{split}.json", document, indent=None)
    atomic_write_json(out / "rel.json", relations_out, indent=None)
    report.notes.append("boxes are the evaluation ground truth: pixels, clipped to the image")
    return report
