import json

import pytest

from sgg_bench.errors import DataFormatError
from sgg_bench.language.vocabularies import builtin_vg150, find_vocabulary_file, load_vocabulary
from langtest_utils import SHARED_DATA

REAL_VG_DICT = SHARED_DATA / "VG-SGG-dicts-with-attri.json"


def test_builtin_vg150_sizes_and_background():
    vocab = builtin_vg150()
    assert len(vocab.object_classes) == 151 and len(vocab.predicate_classes) == 51
    assert vocab.object_classes[0] == vocab.predicate_classes[0] == "__background__"
    assert load_vocabulary(None).object_classes == vocab.object_classes


@pytest.mark.skipif(not REAL_VG_DICT.is_file(), reason="shared VG150 dictionary not present")
def test_builtin_names_equal_the_real_vg150_dictionary():
    real = load_vocabulary(REAL_VG_DICT)
    builtin = builtin_vg150()
    assert real.object_classes == builtin.object_classes
    assert real.predicate_classes == builtin.predicate_classes


def test_folder_search_for_vg_and_openimages(tmp_path):
    vg = tmp_path / "vg"
    vg.mkdir()
    (vg / "VG-SGG-dicts.json").write_text(json.dumps({"idx_to_label": {"1": "cat"}, "idx_to_predicate": {"1": "on"}}))
    assert load_vocabulary(vg).object_classes == ["__background__", "cat"]
    oi = tmp_path / "oi"
    (oi / "annotations").mkdir(parents=True)
    (oi / "annotations" / "categories_dict.json").write_text(json.dumps({"obj": ["Man"], "rel": ["holds"]}))
    assert find_vocabulary_file(oi).name == "categories_dict.json"
    assert load_vocabulary(oi).predicate_classes == ["__background__", "holds"]


def test_missing_or_empty_vocabulary_folder(tmp_path):
    with pytest.raises(DataFormatError, match="nothing at this path"):
        load_vocabulary(tmp_path / "missing")
    with pytest.raises(DataFormatError, match="categories_dict.json"):
        load_vocabulary(tmp_path)
