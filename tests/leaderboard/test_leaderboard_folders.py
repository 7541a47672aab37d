"""Your results (leaderboard/results, git-ignored) and the shipped reference runs
(leaderboard/reference, tracked): both read, every row labelled by where it came from."""
from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from leaderboard_testlib import body_rows, build_all, label_of, make_record, parse_html, write_records

from sgg_bench.cli import main
from sgg_bench.leaderboard.load import load_records

REPO = Path(__file__).resolve().parents[2]


def test_shipped_reference_records_are_valid_and_tracked_apart_from_results():
    loaded = load_records(None, REPO / "leaderboard" / "reference")
    assert loaded.problems == [] and loaded.duplicates == []
    assert all(e.origin == "reference" for e in loaded.entries)
    records = {e.record["run_id"]: e.record for e in loaded.entries}
    # The model-zoo sweep (docs/RESULTS.md): every visual head and the frequency baseline, PredCls
    # and SGCls over seeds 0-2, SGDet over seed 0, one record per seed, plus the detector.
    heads = ("frequency", "imp", "motifs", "vctree", "transformer", "vtranse", "causal", "msdn", "grcnn",
             "reldn", "bgnn", "gpsnet")
    expected = {f"synth-{head}-predcls-s{seed}" for head in heads for seed in (0, 1, 2)}
    expected |= {f"synth-{head}-sgcls-s{seed}" for head in heads for seed in (0, 1, 2)}
    expected |= {f"synth-{head}-sgdet-s0" for head in heads}
    assert expected <= set(records) and "synth-detector-tiny" in records
    # Variants name their setting, so they are never averaged with the default configs: causal's
    # effects (one training run, one record per effect), its other contexts, and IMP with the
    # frequency bias (the default is KT's bias-free IMP).
    assert records["synth-causal-predcls-s1"]["setting"] == "motifs none"
    assert records["synth-causal-predcls-s1+TDE"]["setting"] == "motifs TDE"
    assert records["synth-imp-predcls-s0"].get("setting", "") == ""
    assert records["synth-imp_bias-predcls-s0"]["setting"] == "bias"
    assert records["synth-causal_vctree-predcls-s0+TDE"]["setting"] == "vctree TDE"
    # A shipped record names no folder of the machine it ran on.
    assert not [run_id for run_id, record in records.items() if "/work/" in str(record) or "/tmp/" in str(record)]
    ignored = subprocess.run(["git", "check-ignore", "-q", "leaderboard/results/x.json"], cwd=REPO)
    tracked = subprocess.run(["git", "check-ignore", "-q", "leaderboard/reference/x.json"], cwd=REPO)
    assert ignored.returncode == 0 and tracked.returncode == 1


def test_same_run_id_in_both_folders_shows_both_labelled(tmp_path):
    mine = make_record("synth-motifs-predcls", model="motifs", metrics={"R@50": 0.66})
    shipped = make_record("synth-motifs-predcls", model="motifs", metrics={"R@50": 0.70})
    summary, doc, csv_rows, markdown = build_all(tmp_path, mine, reference=[shipped])
    assert (summary.runs, summary.reference_runs, summary.duplicates) == (1, 1, [])
    (notice,) = summary.notices
    assert "both yours" in notice and "shipped reference run" in notice
    rows = body_rows(doc)
    assert [label_of(r) for r in rows] == ["reference motifs", "yours motifs"]
    assert [r.classes for r in rows] == [{"run", "reference"}, {"run", "user"}]
    blocks = [doc.find("article", id=r.find("a", cls="name").attrs["href"][1:]) for r in rows]
    assert blocks[0].attrs["id"] != blocks[1].attrs["id"]
    assert "shipped reference run" in blocks[0].text and "your run" in blocks[1].text
    assert [(r["kind"], r["R@50"]) for r in csv_rows] == [("reference", "70.0000"), ("user", "66.0000")]
    kinds = [line.split("|")[1].strip() for line in markdown.splitlines() if "synth-motifs-predcls" in line]
    assert kinds == ["reference", "yours"]


def test_reported_rows_are_the_third_kind(tmp_path):
    _, doc, csv_rows, _ = build_all(tmp_path, make_record("vg-imp", model="imp", dataset="vg"), published=True)
    rows = body_rows(doc, "t-vg-vg-predcls-test")
    assert rows[0].find("span", cls="badge").text == "yours"
    assert {r.find("span", cls="badge").text for r in rows[1:]} == {"reported"}
    assert {r["kind"] for r in csv_rows} == {"user", "reported"}


def test_command_reads_both_default_folders_and_takes_flags(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_records(tmp_path / "leaderboard" / "results", make_record("synth-mine", model="mine"))
    write_records(tmp_path / "leaderboard" / "reference", make_record("synth-shipped", model="shipped"))
    write_records(tmp_path / "other", make_record("synth-other", model="other"))
    assert main(["leaderboard", "--no-published"]) == 0
    assert "1 run(s) of yours, 1 reference run(s)" in capsys.readouterr().out
    exported = list(csv.DictReader(io.StringIO((tmp_path / "leaderboard/exports/leaderboard.csv").read_text())))
    assert sorted((r["kind"], r["model"]) for r in exported) == [("reference", "shipped"), ("user", "mine")]
    doc = parse_html((tmp_path / "leaderboard" / "index.html").read_text())
    assert {label_of(r) for r in body_rows(doc)} == {"yours mine", "reference shipped"}

    assert main(["leaderboard", "--no-published", "--results", "other", "--reference", "", "--csv", "x.csv"]) == 0
    exported = list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text())))
    assert [(r["kind"], r["model"]) for r in exported] == [("user", "other")]
    assert main(["leaderboard", "--no-published", "--results", "missing", "--csv", "y.csv"]) == 0
    captured = capsys.readouterr()
    assert "no folder missing (your results)" in captured.err and "0 run(s) of yours" in captured.out
