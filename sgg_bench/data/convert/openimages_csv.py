"""``sgg-bench data convert --from openimages-csv SRC --out DIR``: the official OpenImages V6
relationship CSVs -> the BGNN/PySGG json layout our OpenImages reader reads (docs/FORMATS.md).

SRC holds, per split, the relationship file (``oidv6-train-annotations-vrd.csv``,
``validation-annotations-vrd.csv``, ``test-annotations-vrd.csv``; columns ImageID, LabelName1,
LabelName2, XMin1, XMax1, YMin1, YMax1, XMin2, XMax2, YMin2, YMax2, RelationshipLabel, box
corners as fractions of the image size), optionally the box file of the split (``*-bbox.csv``:
ImageID, LabelName, XMin, XMax, YMin, YMax, ...; its boxes join the images of the relationship
file as objects), the class descriptions (``*class-descriptions*.csv``: label id, display name,
with or without a header) and the images in ``images/`` (or ``train/``, ``validation/``, ``test/``).

Objects of an image are its distinct (class, box) pairs in first-seen order; image sizes are
read from the image files. The attribute relation ``is`` is dropped, as BGNN/PySGG do.
"""
from __future__ import annotations

import csv
from pathlib import Path

from tqdm import tqdm

from sgg_bench.data.convert.report import ConversionReport
from sgg_bench.data.openimages import stays_in_image_folder
from sgg_bench.errors import DataFormatError

SPLIT_FILES = {"train": ("*train*vrd*.csv",), "val": ("*validation*vrd*.csv", "*val*vrd*.csv"),
               "test": ("*test*vrd*.csv",)}
BOX_FILES = {"train": "*train*bbox*.csv", "val": "*validation*bbox*.csv", "test": "*test*bbox*.csv"}
IMAGE_FOLDERS = {"train": ("images", "train"), "val": ("images", "validation", "val"), "test": ("images", "test")}
VRD_COLUMNS = ("ImageID", "LabelName1", "LabelName2", "XMin1", "XMax1", "YMin1", "YMax1", "XMin2", "XMax2", "YMin2",
               "YMax2", "RelationshipLabel")
BOX_COLUMNS = ("ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax")
ATTRIBUTE_RELATION = "is"


def find_one(src: Path, patterns: tuple[str, ...], what: str, required: bool = True) -> Path | None:
    for pattern in patterns:
        matches = sorted(src.glob(pattern))
        if len(matches) > 1:
            raise DataFormatError(src, what, f"one file matching {pattern}", ", ".join(p.name for p in matches))
        if matches:
            return matches[0]
    if required:
        raise DataFormatError(src / patterns[0], "file", what, "missing")
    return None


def read_class_names(path: Path) -> dict[str, str]:
    """label id (e.g. ``/m/011k07``) -> display name; a first row that is not a label id is a header."""
    names = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row_number, row in enumerate(csv.reader(handle), start=1):
            if not row:
                continue
            if len(row) < 2:
                raise DataFormatError(path, f"row {row_number}", "label id, display name", repr(row))
            if row_number == 1 and not row[0].startswith("/"):
                continue
            names[row[0]] = row[1]
    return names


def _rows(path: Path, columns: tuple[str, ...]):
    """(row number, dict) per data row; the header must hold every column."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(path, "header", f"the columns {', '.join(columns)}", f"missing {', '.join(missing)}")
        for row_number, row in enumerate(reader, start=2):
            yield row_number, row


def _fraction(path: Path, row_number: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not 0.0 <= value <= 1.0:
        raise DataFormatError(path, f"row {row_number} column {column}", "a box corner as a fraction in [0, 1]",
                              repr(text))
    return value


def _box(path: Path, row_number: int, row: dict, suffix: str) -> tuple[float, float, float, float]:
    x1, x2, y1, y2 = (_fraction(path, row_number, f"{c}{suffix}", row[f"{c}{suffix}"])
                      for c in ("XMin", "XMax", "YMin", "YMax"))
    if x2 < x1 or y2 < y1:
        raise DataFormatError(path, f"row {row_number} columns XMin{suffix}..YMax{suffix}",
                              "XMax >= XMin and YMax >= YMin", (x1, x2, y1, y2))
    return x1, y1, x2, y2


def _label(path: Path, row_number: int, column: str, mid: str, class_names: dict[str, str]) -> str:
    if mid not in class_names:
        raise DataFormatError(path, f"row {row_number} column {column}", "a label id of the class descriptions", mid)
    return class_names[mid]


class _Image:
    def __init__(self):
        self.objects: dict[tuple, int] = {}
        self.relations: list[tuple[int, int, str]] = []

    def object_index(self, name: str, box: tuple) -> int:
        return self.objects.setdefault((name, box), len(self.objects))


def read_split(path: Path, box_path: Path | None, class_names: dict[str, str], report: ConversionReport
               ) -> dict[str, _Image]:
    images: dict[str, _Image] = {}
    for row_number, row in _rows(path, VRD_COLUMNS):
        image_id = row["ImageID"]
        if not image_id or not stays_in_image_folder(image_id):
            raise DataFormatError(path, f"row {row_number} column ImageID", "an image file stem", repr(image_id))
        image = images.setdefault(image_id, _Image())
        predicate = row["RelationshipLabel"]
        if predicate == ATTRIBUTE_RELATION:
            report.drop("relations", "attribute relation 'is' (dropped as BGNN/PySGG do)")
            continue
        if not predicate:
            raise DataFormatError(path, f"row {row_number} column RelationshipLabel", "a relationship label", "empty")
        subject = image.object_index(_label(path, row_number, "LabelName1", row["LabelName1"], class_names),
                                     _box(path, row_number, row, "1"))
        obj = image.object_index(_label(path, row_number, "LabelName2", row["LabelName2"], class_names),
                                 _box(path, row_number, row, "2"))
        if subject == obj:
            report.drop("relations", "subject equals object (same class and box)")
            continue
        image.relations.append((subject, obj, predicate))
    if box_path is not None:
        for row_number, row in _rows(box_path, BOX_COLUMNS):
            image = images.get(row["ImageID"])
            if image is None:
                continue          # images without relationships are not part of the relationship data set
            box = _box(box_path, row_number, row, "")
            image.object_index(_label(box_path, row_number, "LabelName", row["LabelName"], class_names), box)
    return images


def _image_path(src: Path, split: str, image_id: str) -> Path | None:
    for folder in IMAGE_FOLDERS[split]:
        path = src / folder / f"{image_id}.jpg"
        if path.is_file():
            return path
    return None


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image
    try:
        with Image.open(path) as image:
            return image.size
    except Exception as exc:  # PIL raises many types for unreadable files
        raise DataFormatError(path, "image file", "an image whose size can be read", f"{type(exc).__name__}: {exc}")


def _objects_in_use(images: dict[str, _Image]) -> list[str]:
    names = {name for image in images.values() for name, _ in image.objects}
    return sorted(names)


def convert_openimages_csv(src: str | Path, out: str | Path, *, vocab: str | Path | None = None,
                           images_mode: str = "link") -> ConversionReport:
    from sgg_bench.data.convert.vg_writer import place_image
    from sgg_bench.data.vocab import load_openimages_vocabulary
    from sgg_bench.utils.atomic import atomic_write_json
    src, out = Path(src), Path(out)
    report = ConversionReport(source=f"openimages-csv {src}", target="openimages", out=str(out))
    class_path = find_one(src, ("*class-descriptions-boxable*.csv", "*class-descriptions*.csv"),
                          "the class descriptions csv (label id, display name)")
    class_names = read_class_names(class_path)
    splits = {}
    for split, patterns in SPLIT_FILES.items():
        path = find_one(src, patterns, f"the {split} relationship csv", required=split != "val")
        box_path = find_one(src, (BOX_FILES[split],), f"the {split} box csv", required=False)
        splits[split] = {} if path is None else read_split(path, box_path, class_names, report)
    if vocab is not None:
        given = load_openimages_vocabulary(vocab)
        objects, predicates = given.object_classes[1:], given.predicate_classes[1:]
    else:
        objects = sorted({name for images in splits.values() for name in _objects_in_use(images)})
        predicates = sorted({p for images in splits.values() for image in images.values() for _, _, p in image.relations})
    object_index = {name: i for i, name in enumerate(objects)}
    predicate_index = {name: i for i, name in enumerate(predicates)}
    documents, placements = {}, []
    for split, images in splits.items():       # everything is read and checked before anything is written
        entries = []
        for image_id, image in tqdm(images.items(), desc=f"reading {split} image sizes", unit="image",
                                    disable=None, leave=False):
            source = _image_path(src, split, image_id)
            if source is None:
                report.drop("images", "image file missing")
                report.drop("objects", "image dropped", len(image.objects))
                report.drop("relations", "image dropped", len(image.relations))
                continue
            width, height = _image_size(source)
            entries.append(_entry(image_id, image, width, height, object_index, predicate_index, report))
            placements.append((source, image_id))
        documents[split] = entries
    annotation_dir = out / "annotations"
    for split, entries in documents.items():
        atomic_write_json(annotation_dir / f"vrd-{split}-anno.json", entries, indent=None)
    atomic_write_json(annotation_dir / "categories_dict.json", {"obj": objects, "rel": predicates}, indent=None)
    if images_mode != "none":
        (out / "images").mkdir(parents=True, exist_ok=True)
        for source, image_id in placements:
            place_image(source, out / "images" / f"{image_id}.jpg", images_mode)
    report.notes.append(f"{len(objects)} object classes, {len(predicates)} predicates; "
                        + ", ".join(f"{split} {len(images)} images listed" for split, images in splits.items()))
    return report


def _entry(image_id: str, image: _Image, width: int, height: int, object_index: dict, predicate_index: dict,
           report: ConversionReport) -> dict:
    bbox, labels, local = [], [], {}
    for (name, (x1, y1, x2, y2)), k in image.objects.items():
        if name not in object_index:
            report.drop("objects", "class not in the object vocabulary")
            continue
        local[k] = len(labels)
        bbox.append([x1 * width, y1 * height, x2 * width, y2 * height])
        labels.append(object_index[name])
    rel = []
    for s, o, p in image.relations:
        if s not in local or o not in local:
            report.drop("relations", "subject or object dropped")
        elif p not in predicate_index:
            report.drop("relations", "predicate not in the vocabulary")
        else:
            rel.append([local[s], local[o], predicate_index[p]])
    report.keep("images")
    report.keep("objects", len(labels))
    report.keep("relations", len(rel))
    return {"bbox": bbox, "det_labels": labels, "rel": rel, "img_size": [width, height], "img_fn": image_id}
