"""The record's optional ``setting`` and ``tie_ranges`` fields and the seed type, through
``build_record`` and ``validate_record``."""
from __future__ import annotations

import pytest
from leaderboard_testlib import make_record

from sgg_bench.errors import DataFormatError
from sgg_bench.leaderboard.records import build_record, validate_record


def _build(**extra):
    return build_record(run_id="synth-x", model="motifs", dataset="synth", split="test", mode="predcls",
                        protocol="vg", metrics={"R@50": 0.62, "mR@50": 0.2, "zR@50": None}, **extra)


def test_build_record_keeps_setting_and_tie_ranges():
    record = _build(setting="effect=TDE", tie_ranges={"R@50": [0.6, 0.64]})
    assert record["setting"] == "effect=TDE"
    assert record["tie_ranges"] == {"R@50": [0.6, 0.64]}
    plain = _build()
    assert "setting" not in plain and "tie_ranges" not in plain  # optional: absent means "" / no ties
    assert validate_record(plain) is plain


@pytest.mark.parametrize("field, value, expected_field", [
    ("setting", 3, "setting"),
    ("setting", ["bias"], "setting"),
    ("tie_ranges", "R@50", "tie_ranges"),
    ("tie_ranges", {"R@20": [0.1, 0.2]}, "tie_ranges/R@20"),       # no such metric in the record
    ("tie_ranges", {"zR@50": [0.0, 0.1]}, "tie_ranges/zR@50"),     # the metric is null
    ("tie_ranges", {"R@50": [0.6]}, "tie_ranges/R@50"),            # not a pair
    ("tie_ranges", {"R@50": [0.6, "0.7"]}, "tie_ranges/R@50"),     # not numbers
    ("tie_ranges", {"R@50": [0.64, 0.6]}, "tie_ranges/R@50"),      # low > high
    ("tie_ranges", {"R@50": [0.6, 1.5]}, "tie_ranges/R@50"),       # outside [0, 1]
    ("tie_ranges", {"R@50": [0.63, 0.64]}, "tie_ranges/R@50"),     # value 0.62 below low
    ("tie_ranges", {"R@50": [0.6, 10 ** 400]}, "tie_ranges/R@50"),  # too large for a float
])
def test_validate_record_names_the_bad_field(field, value, expected_field):
    record = make_record("synth-x", metrics={"R@50": 0.62, "mR@50": 0.2, "zR@50": None})
    record[field] = value
    with pytest.raises(DataFormatError) as caught:
        validate_record(record, "x.json")
    assert caught.value.field == expected_field and str(caught.value).startswith("x.json: ")


@pytest.mark.parametrize("seed", ["0", 1.5, True, [1]])
def test_seed_must_be_an_integer_or_null(seed):
    with pytest.raises(DataFormatError) as caught:
        validate_record(make_record("synth-x", seed=seed))
    assert caught.value.field == "provenance/seed"
    validate_record(make_record("synth-y", seed=None))
    validate_record(make_record("synth-z", seed=2 ** 70))  # any integer


def test_error_messages_stay_short_for_huge_values():
    record = make_record("synth-x")
    record["model"] = ["x" * 100_000]
    with pytest.raises(DataFormatError) as caught:
        validate_record(record, "x.json")
    assert caught.value.field == "model" and len(str(caught.value)) < 200
