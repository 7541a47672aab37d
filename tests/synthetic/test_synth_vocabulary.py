"""Every synthetic name is a real VG150 name (checked against the shared dict file when present)."""
import json
from pathlib import Path

import pytest

from sgg_bench.data.synthetic.appearance import DESCRIPTIONS, PALETTES
from sgg_bench.data.synthetic.vocabulary import ATTRIBUTES, OBJECT_CLASSES, PREDICATES

SHARED_DICT = Path(__file__).resolve().parents[3] / "shared" / "data" / "VG-SGG-dicts-with-attri.json"


def test_sizes_and_appearance_tables():
    assert len(OBJECT_CLASSES) >= 20 and len(PREDICATES) >= 15
    assert set(PALETTES) == set(OBJECT_CLASSES) == set(DESCRIPTIONS)
    colours = {name for variants in PALETTES.values() for name, _ in variants}
    assert colours <= set(ATTRIBUTES)


@pytest.mark.skipif(not SHARED_DICT.exists(), reason="shared VG150 dict file not available")
def test_names_come_from_vg150():
    real = json.loads(SHARED_DICT.read_text())
    assert set(OBJECT_CLASSES) <= set(real["label_to_idx"])
    assert set(PREDICATES) <= set(real["predicate_to_idx"])
    assert set(ATTRIBUTES) <= set(real["attribute_to_idx"])
