"""The printed summary of every converter (no --json): the kept counts and one line per drop
with its count and reason, the same figures as the JSON report."""
import json

import pytest
from test_convert_coco_rel import write_coco_rel
from test_convert_openimages_csv import write_openimages_csv
from test_convert_vg_json import write_raw_vg

from sgg_bench.cli import main


@pytest.mark.parametrize("source, writer", [("vg-json", write_raw_vg), ("coco-rel", write_coco_rel),
                                            ("openimages-csv", write_openimages_csv)])
def test_printed_summary_has_every_count_and_reason(tmp_path, capsys, source, writer):
    src = writer(tmp_path / "src")
    capsys.readouterr()
    assert main(["data", "convert", str(src), "--from", source, "--out", str(tmp_path / "a"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(["data", "convert", str(src), "--from", source, "--out", str(tmp_path / "b")]) == 0
    printed = capsys.readouterr().out.splitlines()
    kept = report["kept"]
    assert f"  kept: {kept['images']} images, {kept['objects']} objects, {kept['relations']} relations" in printed
    assert report["dropped"], "the hand-built inputs exercise drops"
    for row in report["dropped"]:
        assert f"    {row['count']} {row['kind']}: {row['reason']}" in printed
