"""Target vocabularies for concept linking: built-in VG150 names, or a dataset's dictionary file.

``load_vocabulary(None)`` -> built-in VG150 (150 objects, 50 predicates, names shipped in
``data/vg150_*.txt``). ``load_vocabulary(path)`` accepts a VG ``VG-SGG-dicts*.json`` file, an
OpenImages ``categories_dict.json`` file, or a dataset folder holding one of them (VG at the top
level; OpenImages at the top level or under ``annotations/``).
"""
from __future__ import annotations

import os
from pathlib import Path

from sgg_bench.data.vocab import BACKGROUND, load_openimages_vocabulary, load_vg_vocabulary
from sgg_bench.errors import DataFormatError
from sgg_bench.structures import DatasetVocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"


def _names(file_name: str) -> list[str]:
    lines = (DATA_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def builtin_vg150() -> DatasetVocabulary:
    """VG150 class names with ``__background__`` at index 0 (151 objects, 51 predicates)."""
    return DatasetVocabulary(object_classes=[BACKGROUND] + _names("vg150_objects.txt"),
                             predicate_classes=[BACKGROUND] + _names("vg150_predicates.txt"))


def find_vocabulary_file(path: str | os.PathLike) -> Path:
    """The dictionary file for ``path`` (a file is returned as is, a folder is searched)."""
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise DataFormatError(path, "vocabulary", "a dataset folder or a VG-SGG-dicts*.json / categories_dict.json file",
                              "nothing at this path")
    vg_files = sorted(path.glob("VG-SGG-dicts*.json"), key=lambda p: ("with-attri" not in p.name, p.name))
    if vg_files:
        return vg_files[0]
    for candidate in (path / "categories_dict.json", path / "annotations" / "categories_dict.json"):
        if candidate.is_file():
            return candidate
    raise DataFormatError(path, "vocabulary", "a VG-SGG-dicts*.json, categories_dict.json or "
                          "annotations/categories_dict.json file in this folder", "none of them")


def load_vocabulary(path: str | os.PathLike | None = None) -> DatasetVocabulary:
    """Built-in VG150 when ``path`` is None, else the vocabulary of that dataset file or folder."""
    if path is None:
        return builtin_vg150()
    file = find_vocabulary_file(path)
    if file.name == "categories_dict.json":
        return load_openimages_vocabulary(file)
    return load_vg_vocabulary(file)
