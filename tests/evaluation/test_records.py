"""Result records: build, atomic write, and validation errors."""
import json

import pytest

from sgg_bench.errors import DataFormatError
from sgg_bench.leaderboard.records import (PROVENANCE_FIELDS, SCHEMA_VERSION, build_record, read_record,
                                           validate_record, write_record)


def record(**kw):
    args = dict(run_id="vg-motifs-predcls", model="motifs", dataset="vg", split="test", mode="predcls",
                protocol="vg", metrics={"R@50": 0.5, "zR@50": None}, per_predicate={50: {"on": 0.25}},
                provenance={"seed": 3, "predictions_sha256": "ab" * 32})
    args.update(kw)
    return build_record(**args)


def test_build_fills_provenance():
    r = record()
    assert r["schema"] == SCHEMA_VERSION == 1
    assert set(r["provenance"]) == set(PROVENANCE_FIELDS)
    assert r["provenance"]["seed"] == 3 and r["provenance"]["evaluator_version"]
    assert r["provenance"]["versions"]["python"]
    assert r["per_predicate"] == {"50": {"on": 0.25}}
    assert r["reported"] is False


def test_write_and_read_round_trip(tmp_path):
    path = tmp_path / "results" / "x.json"
    write_record(path, record())
    assert read_record(path) == json.loads(path.read_text())
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_reported_rows_need_a_source():
    r = record(reported=True, source="Tang et al. 2020, Table 1", provenance=None)
    assert r["reported"] is True
    bad = dict(r)
    del bad["source"]
    with pytest.raises(DataFormatError, match="source"):
        validate_record(bad, "paper.json")


def test_invalid_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(DataFormatError, match="bad.json: file: expected valid JSON"):
        read_record(path)
    with pytest.raises(DataFormatError, match="valid JSON"):
        validate_record("{", "text")


def test_unknown_schema():
    r = record()
    r["schema"] = 2
    with pytest.raises(DataFormatError, match="schema: expected known schema version 1, found 2"):
        validate_record(r, "r.json")
    del r["schema"]
    with pytest.raises(DataFormatError, match="schema"):
        validate_record(r, "r.json")


@pytest.mark.parametrize("field", ["run_id", "model", "dataset", "split", "mode", "protocol"])
def test_missing_identity_field(field):
    r = record()
    del r[field]
    with pytest.raises(DataFormatError, match=f"r.json: {field}: expected a non-empty string"):
        validate_record(r, "r.json")


def test_missing_or_bad_metrics():
    r = record()
    r["metrics"] = {}
    with pytest.raises(DataFormatError, match="metrics"):
        validate_record(r, "r.json")
    r["metrics"] = {"R@50": "high"}
    with pytest.raises(DataFormatError, match="metrics/R@50"):
        validate_record(r, "r.json")
    r["metrics"] = {"R@50": float("nan")}
    with pytest.raises(DataFormatError, match="finite"):
        validate_record(r, "r.json")


def test_missing_provenance_field():
    r = record()
    del r["provenance"]["git_commit"]
    with pytest.raises(DataFormatError, match="provenance/git_commit"):
        validate_record(r, "r.json")


def test_not_an_object():
    with pytest.raises(DataFormatError, match="a JSON object"):
        validate_record([1, 2], "r.json")


def test_write_refuses_invalid_record(tmp_path):
    r = record()
    r["metrics"] = {}
    with pytest.raises(DataFormatError):
        write_record(tmp_path / "x.json", r)
    assert not (tmp_path / "x.json").exists()
