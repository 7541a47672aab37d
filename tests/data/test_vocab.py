"""Vocabularies: the real VG150 dictionary and the OpenImages categories list."""
import json
from pathlib import Path

import pytest

from sgg_bench.data.vocab import load_openimages_vocabulary, load_vg_vocabulary
from sgg_bench.errors import DataFormatError

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED_DATA / "VG-SGG-dicts-with-attri.json").is_file(), reason="shared data absent")
def test_real_vg150_dictionary():
    vocab = load_vg_vocabulary(SHARED_DATA / "VG-SGG-dicts-with-attri.json")
    assert vocab.num_object_classes == 151 and vocab.num_predicate_classes == 51
    assert len(vocab.attribute_classes) == 201
    assert vocab.object_classes[0] == vocab.predicate_classes[0] == vocab.attribute_classes[0] == "__background__"
    assert vocab.object_classes[1] == "airplane"
    assert vocab.predicate_classes[1] == "above" and vocab.predicate_classes[50] == "with"


def test_vg_dictionary_errors(tmp_path):
    path = tmp_path / "dicts.json"
    path.write_text(json.dumps({"idx_to_label": {"1": "a"}}))
    with pytest.raises(DataFormatError, match=r"dicts\.json: idx_to_predicate: expected this key"):
        load_vg_vocabulary(path)
    path.write_text(json.dumps({"idx_to_label": {"1": "a", "3": "b"}, "idx_to_predicate": {"1": "on"}}))
    with pytest.raises(DataFormatError, match=r"idx_to_label\['3'\]"):
        load_vg_vocabulary(path)
    path.write_text("{not json")
    with pytest.raises(DataFormatError, match="valid JSON"):
        load_vg_vocabulary(path)


def test_openimages_categories(tmp_path):
    path = tmp_path / "categories_dict.json"
    path.write_text(json.dumps({"obj": ["Car", "Man"], "rel": ["on"]}))
    vocab = load_openimages_vocabulary(path)
    assert vocab.object_classes == ["__background__", "Car", "Man"]
    assert vocab.predicate_classes == ["__background__", "on"]
    path.write_text(json.dumps({"obj": ["Car"]}))
    with pytest.raises(DataFormatError, match=r"categories_dict\.json: rel"):
        load_openimages_vocabulary(path)
