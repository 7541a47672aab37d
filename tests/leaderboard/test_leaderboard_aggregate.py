"""Seeds averaged (mean ± sample sd, n), settings kept apart, the noise rule for best values,
tie ranges and out-of-range values: on the page, in the CSV and in the Markdown export.

Expected numbers are worked by hand in the comments.
"""
from __future__ import annotations

from leaderboard_testlib import body_rows, build_all, label_of, make_record


def _seeds(model, values, *, setting="", metric="R@50", **extra):
    records = []
    for seed, value in enumerate(values, start=1):
        record = make_record(f"synth-{model}-{setting or 'default'}-s{seed}", model=model, seed=seed,
                             metrics={metric: value, **extra})
        if setting:
            record["setting"] = setting
        records.append(record)
    return records


def _cell(row, key):
    return row.find("td", data_key=key)


def _md_cells(markdown, needle):
    line = next(line for line in markdown.splitlines() if needle in line)
    return [c.strip() for c in line.strip().strip("|").split(" | ")]


def test_three_seeds_become_one_row_with_mean_sd_and_n(tmp_path):
    # R@50 = 60, 62, 67 %: mean 63; deviations -3, -1, 4 -> sum of squares 26; sample var 26/2 = 13;
    # sd = sqrt(13) = 3.6056.
    summary, doc, csv_rows, markdown = build_all(tmp_path, *_seeds("motifs", [0.60, 0.62, 0.67]))
    assert summary.runs == 3 and summary.notices == []
    (row,) = body_rows(doc)
    cell = _cell(row, "R@50")
    assert cell.find("span", cls="sd").text == "±3.61"
    assert cell.text == "63.00★±3.61" and cell.attrs["data-value"] == "63.0"
    assert "n=3 seeds" in row.find("th", cls="model").text
    seed_links = [a.attrs["href"][1:] for a in row.find("span", cls="src").find_all("a")]
    assert len(seed_links) == 3 and all(doc.find("article", id=anchor) for anchor in seed_links)
    (line,) = csv_rows
    assert (line["R@50"], line["R@50 sd"], line["n"], line["seeds"]) == ("63.0000", "3.6056", "3", "1 2 3")
    assert line["run_ids"] == "synth-motifs-default-s1 synth-motifs-default-s2 synth-motifs-default-s3"
    assert _md_cells(markdown, "synth-motifs-default-s1")[2:] == ["3", "**63.00 ± 3.61 ★**"]


def test_single_seed_shows_the_value_and_n_1(tmp_path):
    _, doc, csv_rows, _ = build_all(tmp_path, *_seeds("imp", [0.5]))
    (row,) = body_rows(doc)
    assert _cell(row, "R@50").find("span", cls="sd") is None and _cell(row, "R@50").text == "50.00★"
    assert row.find("span", cls="src").text == "synth-imp-default-s1 · seed 1 · n=1"
    assert csv_rows[0]["n"] == "1" and csv_rows[0]["R@50 sd"] == ""


def test_settings_models_and_kinds_are_separate_rows(tmp_path):
    records = (_seeds("imp", [0.5, 0.52]) + _seeds("imp", [0.4, 0.42], setting="bias=off")
               + _seeds("motifs", [0.45]))
    reference = _seeds("imp", [0.7])
    reference[0]["run_id"] = "synth-imp-reference"
    _, doc, csv_rows, _ = build_all(tmp_path, *records, reference=reference)
    assert [label_of(r) for r in body_rows(doc)] == ["reference imp", "yours imp", "yours motifs",
                                                     "yours imp bias=off"]
    assert [(r["kind"], r["model"], r["setting"], r["n"]) for r in csv_rows] == [
        ("reference", "imp", "", "1"), ("user", "imp", "", "2"), ("user", "motifs", "", "1"),
        ("user", "imp", "bias=off", "2")]
    assert [r["R@50"] for r in csv_rows] == ["70.0000", "51.0000", "45.0000", "41.0000"]


def test_shared_seed_is_not_averaged_and_is_reported(tmp_path):
    a, b = _seeds("imp", [0.5, 0.6])
    b["provenance"]["seed"] = a["provenance"]["seed"]
    summary, doc, _, _ = build_all(tmp_path, a, b)
    assert len(body_rows(doc)) == 2
    (notice,) = summary.notices
    assert "not averaged" in notice and "seeds [1, 1]" in notice
    assert "not averaged" in doc.find("section", id="notices").text


def test_a_metric_missing_in_one_seed_shows_its_own_n(tmp_path):
    records = _seeds("imp", [0.5, 0.6, 0.7])
    records[0]["metrics"]["mR@50"] = 0.1
    records[1]["metrics"]["mR@50"] = 0.2
    records[2]["metrics"]["mR@50"] = None
    _, doc, csv_rows, _ = build_all(tmp_path, *records)
    (row,) = body_rows(doc)
    # mR@50 over two seeds: mean 15, sd sqrt(((10-15)^2 + (20-15)^2) / 1) = 7.0711.
    assert _cell(row, "mR@50").find("span", cls="nk").text == "n=2"
    assert csv_rows[0]["mR@50"] == "15.0000" and csv_rows[0]["mR@50 sd"] == "7.0711"


def test_no_best_mark_when_the_leader_is_within_the_noise(tmp_path):
    # Noisy row: 60, 62, 67 -> 63 ± 3.61, interval [59.39, 66.61].
    noisy = _seeds("motifs", [0.60, 0.62, 0.67])
    # A single run at 65 leads (65 > 63) but 65 lies inside [59.39, 66.61]: no star, "≈" instead.
    _, doc, csv_rows, markdown = build_all(tmp_path, *noisy, *_seeds("imp", [0.65]))
    leader = body_rows(doc)[0]
    assert label_of(leader) == "yours imp"
    assert "best" not in _cell(leader, "R@50").classes and "noise" in _cell(leader, "R@50").classes
    assert not doc.find_all("td", cls="best")
    assert csv_rows[0]["not ranked"] == "R@50" and csv_rows[0]["best"] == ""
    assert _md_cells(markdown, "synth-imp-default-s1")[3] == "65.00 ≈"
    # At 67 the leader clears 66.61: starred.
    _, doc, csv_rows, _ = build_all(tmp_path / "clear", *noisy, *_seeds("imp", [0.67]))
    assert "best" in _cell(body_rows(doc)[0], "R@50").classes
    assert [r["best"] for r in csv_rows] == ["R@50", ""]


def test_tie_ranges_are_shown_and_widen_the_noise_interval(tmp_path):
    tied = _seeds("imp", [0.62])[0]
    tied["tie_ranges"] = {"R@50": [0.60, 0.64]}
    # 63 leads 62 but lies inside the tie range [60, 64]: not ranked.
    _, doc, csv_rows, markdown = build_all(tmp_path, tied, *_seeds("motifs", [0.63]))
    rows = {label_of(r): r for r in body_rows(doc)}
    cell = _cell(rows["yours imp"], "R@50")
    assert "tie" in cell.classes and cell.find("span", cls="tie").text == "60.0–64.0"
    assert "tie range 60.00–64.00" in cell.attrs["title"]
    assert "noise" in _cell(rows["yours motifs"], "R@50").classes
    imp = next(r for r in csv_rows if r["model"] == "imp")
    assert (imp["R@50 tie low"], imp["R@50 tie high"]) == ("60.0000", "64.0000")
    assert _md_cells(markdown, "synth-imp-default-s1")[3] == "62.00 \\[60.00–64.00\\]"


def test_tie_range_of_a_mean(tmp_path):
    # Seed 1: 62 with ties [60, 64]; seed 2: 66 without ties. Mean 64, low (60+66)/2 = 63, high (64+66)/2 = 65.
    a, b = _seeds("imp", [0.62, 0.66])
    a["tie_ranges"] = {"R@50": [0.60, 0.64]}
    _, _, csv_rows, _ = build_all(tmp_path, a, b)
    assert [csv_rows[0][k] for k in ("R@50", "R@50 tie low", "R@50 tie high")] == ["64.0000", "63.0000", "65.0000"]


def test_values_outside_0_1_are_flagged_never_best_and_never_first(tmp_path):
    wild = make_record("synth-wild", model="wild", metrics={"R@50": 1.25, "mR@50": -0.1})
    fine = make_record("synth-fine", model="fine", metrics={"R@50": 0.5, "mR@50": 0.2})
    summary, doc, csv_rows, markdown = build_all(tmp_path, wild, fine)
    rows = body_rows(doc)
    assert [label_of(r) for r in rows] == ["yours fine", "yours wild"]  # 125 % does not rank first
    for key in ("R@50", "mR@50"):
        cell = _cell(rows[1], key)
        assert "oor" in cell.classes and "best" not in cell.classes and cell.find("span", cls="flag")
        assert "best" in _cell(rows[0], key).classes
    assert csv_rows[1]["out of range"] == "R@50 mR@50" and csv_rows[1]["R@50"] == "125.0000"
    assert _md_cells(markdown, "synth-wild")[3:] == ["125.00 ⚠", "-10.00 ⚠"]
    assert len(summary.notices) == 2 and all("outside [0, 1]" in n for n in summary.notices)
