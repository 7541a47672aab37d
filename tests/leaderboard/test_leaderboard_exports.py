"""Markdown and CSV exports, and the `sgg-bench leaderboard` command."""
from __future__ import annotations

import csv
import io
import re

from leaderboard_testlib import make_record, write_records

from sgg_bench.cli import main
from sgg_bench.leaderboard.build import build_leaderboard
from sgg_bench.leaderboard.frames import board_frames
from sgg_bench.leaderboard.load import load_records
from sgg_bench.leaderboard.render_text import render_csv, render_markdown
from sgg_bench.leaderboard.tables import build_tables


def _tables(tmp_path, *records):
    loaded = load_records(write_records(tmp_path / "results", *records))
    assert loaded.problems == []
    return build_tables(board_frames(loaded.entries))


def _cells(line):
    """The cells of one Markdown table line, padding stripped (escaped pipes stay inside cells)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_markdown_marks_best_and_escapes_pipes(tmp_path):
    tables = _tables(tmp_path, make_record("synth-a", model="a|b", metrics={"R@50": 0.61, "mR@50": 0.1}),
                     make_record("synth-b", model="c", metrics={"R@50": 0.5, "mR@50": 0.2}))
    text = render_markdown(tables)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| Kind"))
    assert _cells(header) == ["Kind", "Model", "n", "R@50", "mR@50"]
    row_a = next(line for line in lines if "a\\|b" in line)
    assert _cells(row_a) == ["yours", "a\\|b (synth-a; seed 3)", "1", "**61.00 ★**", "10.00"]
    assert "## Synthetic · PredCls — VG protocol \\(KT rules\\) · test split" in text


def test_markdown_of_empty_leaderboard_has_only_the_heading():
    assert render_markdown([]).startswith("# sgg-bench leaderboard")


def test_csv_has_one_row_per_table_row_with_percentages(tmp_path):
    tables = _tables(tmp_path, make_record("synth-a", model="=cmd()", metrics={"R@50": 0.61234, "mR@50": None}),
                     make_record("vg-b", model="b", dataset="vg", mode="sgdet", metrics={"R@50": 0.5, "mAP": 0.25}))
    rows = list(csv.DictReader(io.StringIO(render_csv(tables))))
    assert [r["run_ids"] for r in rows] == ["vg-b", "synth-a"]
    assert rows[1]["R@50"] == "61.2340" and rows[1]["mAP"] == ""
    assert "mR@50" not in rows[1]  # a column no row has is left out
    assert rows[0]["mAP"] == "25.0000" and rows[0]["kind"] == "user" and rows[0]["mode"] == "sgdet"
    assert rows[1]["model"] == "'=cmd()"  # never a spreadsheet formula


def test_csv_keeps_published_values_exactly(tmp_path):
    summary = build_leaderboard(tmp_path / "none", tmp_path / "i.html", markdown_path=tmp_path / "l.md",
                                csv_path=tmp_path / "l.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "l.csv").read_text())))
    assert len(rows) == summary.reported_rows
    imp = next(r for r in rows if r["model"] == "IMP" and r["mode"] == "sgdet" and r["protocol"] == "vg"
               and r["source"].endswith("§1.1–§1.5"))
    assert imp["mR@100"] == "5.30" and imp["kind"] == "reported"
    assert imp["source"].startswith("KaihuaTang/Scene-Graph-Benchmark.pytorch")


def test_command_writes_page_and_exports(tmp_path, capsys):
    results = write_records(tmp_path / "results", make_record("synth-a"))
    (results / "bad.json").write_text("[]")
    out = tmp_path / "site" / "index.html"
    args = ["leaderboard", "--results", str(results), "--out", str(out),
            "--markdown", str(tmp_path / "x.md"), "--csv", str(tmp_path / "x.csv")]
    assert main(args) == 0
    assert out.is_file() and (tmp_path / "x.md").is_file() and (tmp_path / "x.csv").is_file()
    captured = capsys.readouterr()
    assert "1 run(s) of yours" in captured.out and "bad.json" in captured.err
    assert main(args + ["--strict"]) == 1
    assert not list(out.parent.glob(".*.tmp"))  # atomic writes leave no temp files
