"""The shipped published numbers: complete for the KT tables and identical to spec/PUBLISHED.md."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sgg_bench.leaderboard.published import load_published

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "PUBLISHED.md"
LANGUAGE_SPEC = SPEC.with_name("LANGUAGE.md")
LANGUAGE_BLOCKS = ("src-sgnls-paper", "src-llm4sgg-sgnls")


def test_kt_tables_cover_four_models_three_modes():
    rows, sources = load_published()
    kt = [r for r in rows if r.anchor == "src-kt-metrics"]
    assert {(r.model, r.mode) for r in kt} == {(m, mode) for m in ("IMP", "MOTIFS", "Transformer", "VCTree")
                                               for mode in ("predcls", "sgcls", "sgdet")}
    for row in kt:
        assert all(f"{p}@{k}" in row.values for p in ("R", "ngR", "mR", "zR") for k in (20, 50, 100))
        assert row.reported and row.dataset == "vg" and row.protocol == "vg" and row.split == "test"
    assert any(r.protocol == "oi" and "score_wtd" in r.values for r in rows)
    assert {s["anchor"] for s in sources} >= {r.anchor for r in rows}


def test_values_keep_published_text():
    rows, _ = load_published()
    imp = next(r for r in rows if r.anchor == "src-kt-metrics" and r.model == "IMP" and r.mode == "sgdet")
    assert imp.texts["mR@100"] == "5.30" and imp.values["mR@100"] == pytest.approx(5.3)


@pytest.mark.skipif(not SPEC.is_file(), reason=f"{SPEC} not available (outside the team checkout)")
def test_every_shipped_value_is_in_the_same_row_of_the_spec():
    """Each shipped row's values appear, in order of the spec's columns, in a spec row of that model."""
    spec_rows: dict[str, list[list[str]]] = {}
    section = None
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"### (\d+\.\d+)", line)
        if heading:
            section = heading.group(1)
        elif line.startswith("| ") and section and not set(line) <= set("|-: "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            spec_rows.setdefault(section, []).append(cells)
    rows, _ = load_published()
    for row in rows:
        if row.anchor in LANGUAGE_BLOCKS:
            continue  # checked against LANGUAGE.md §9 below
        sections = re.findall(r"\d+\.\d+", row.source_label)
        if "–" in row.source_label:  # a range like §1.1–§1.5
            first, last = sections[0].split("."), sections[1].split(".")
            sections = [f"{first[0]}.{i}" for i in range(int(first[1]), int(last[1]) + 1)]
        candidates = [cells for s in sections for cells in spec_rows[s][1:] if cells[0] == row.model]
        assert candidates, f"{row.model} not in spec sections {sections}"
        spec_values = {v for cells in candidates for v in cells[1:]}
        for key, text in row.texts.items():
            assert text in spec_values, f"{row.model} {row.mode} {key}={text} not in the spec row"
    # The KT tables (§1.1-§1.5), cell by cell: header "<mode word> <metric>" in the spec.
    words = {"sgdet": "SGGen", "sgcls": "SGCls", "predcls": "PredCls"}
    kt_cells = {}
    for s in ("1.1", "1.2", "1.3", "1.4", "1.5"):
        header, *body = spec_rows[s]
        for cells in body:
            for title, value in zip(header[1:], cells[1:]):
                kt_cells[(cells[0], title)] = value
    kt = [r for r in rows if r.anchor == "src-kt-metrics"]
    for row in kt:
        for key, text in row.texts.items():
            assert kt_cells[(row.model, f"{words[row.mode]} {key}")] == text
    assert sum(len(r.texts) for r in kt) == sum(1 for v in kt_cells.values() if v != "-")


@pytest.mark.skipif(not LANGUAGE_SPEC.is_file(), reason=f"{LANGUAGE_SPEC} not available (outside the team checkout)")
def test_sgnls_rows_are_rows_of_the_language_spec():
    """SGNLS's reported rows (language / weak / full, open vocabulary, LLM4SGG's rerun): R@50 and
    R@100 (and mR@K) side by side in one row of a table in LANGUAGE.md §9."""
    text = LANGUAGE_SPEC.read_text(encoding="utf-8")
    section = text[text.index("## 9."):text.index("## 10.")]
    table_rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
                  if line.startswith("|")]
    rows, _ = load_published()
    sgnls = [r for r in rows if r.anchor in LANGUAGE_BLOCKS]
    assert {r.supervision for r in sgnls} == {"language", "weak", "full"}
    assert any(r.vocabulary == "open" for r in sgnls)
    for row in sgnls:
        wanted = [row.texts["R@50"], row.texts["R@100"]]
        assert any(any(cells[i:i + 2] == wanted for i in range(len(cells) - 1)) for cells in table_rows), \
            f"{row.model} {row.supervision} {wanted} not side by side in a LANGUAGE.md §9 row"
        for key in ("mR@50", "mR@100"):
            if key in row.texts:
                assert any(row.texts[key] in cells and wanted[0] in cells for cells in table_rows)
