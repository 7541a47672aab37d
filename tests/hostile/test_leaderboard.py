"""Hostile leaderboard records (category 6): one bad record file never stops the page, it is listed
as skipped with the field; values outside [0, 1] are flagged and never starred; the Markdown export
escapes HTML and link syntax in every cell and heading; the CSV export quotes CR/LF and guards a
leading = + - @ tab CR; a repeated run_id is reported. Inputs are generated; each outcome exact."""
from __future__ import annotations

import csv
import io
import json
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "leaderboard"))
from leaderboard_testlib import body_rows, build_all, label_of, make_record  # noqa: E402

from sgg_bench.cli import main  # noqa: E402
from sgg_bench.leaderboard.render_text import csv_text, md_escape  # noqa: E402


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def _record_text(**replace) -> str:
    record = make_record("synth-bad")
    record.update(replace)
    return json.dumps(record)


def _with_raw(field_json: str, field: str = "metrics") -> str:
    """A record whose ``field`` is the literal JSON text ``field_json`` (numbers json.dumps cannot write)."""
    text = _record_text(**{field: "__RAW__"})
    return text.replace('"__RAW__"', field_json)


HOSTILE_FILES = {
    # file name: (file text, what the problem line must say)
    "huge-int-literal.json": (_with_raw('{"R@50": 1' + "0" * 5000 + "}"), "JSON numbers of ordinary size"),
    "huge-int-metric.json": (_with_raw('{"R@50": 1' + "0" * 400 + "}"), "metrics/R@50: expected a finite number"),
    "huge-int-seconds.json": (_record_text(provenance={**make_record("x")["provenance"],
                                                       "train_seconds": 10 ** 400}), "provenance/train_seconds"),
    "infinite.json": (_with_raw('{"R@50": 1e999}'), "metrics/R@50: expected a finite number"),
    "nan.json": (_with_raw('{"R@50": NaN}'), "metrics/R@50: expected a finite number"),
    "deep-config.json": (_record_text(provenance="__RAW__").replace('"__RAW__"', _nested(100)), "nested"),
    "very-deep.json": ("[" * 200_000 + "]" * 200_000, "nested"),
    "model-int.json": (_record_text(model=5), "model: expected a non-empty string"),
    "metrics-list.json": (_record_text(metrics=[0.5]), "metrics: expected a non-empty object"),
    "metric-string.json": (_record_text(metrics={"R@50": "0.5"}), "metrics/R@50"),
    "metric-bool.json": (_record_text(metrics={"R@50": True}), "metrics/R@50"),
    "per-predicate.json": (_record_text(per_predicate={"50": {"on": {"x": 1}}}), "per_predicate/50/on"),
    "setting-list.json": (_record_text(setting=["a"]), "setting: expected a string"),
    "ties-string.json": (_record_text(tie_ranges="R@50"), "tie_ranges: expected an object"),
    "provenance-list.json": (_record_text(provenance=[1]), "provenance: expected an object"),
    "seed-string.json": (_record_text(provenance={**make_record("x")["provenance"], "seed": "0"}), "provenance/seed"),
    "reported-string.json": (_record_text(reported="yes"), "reported: expected true or false"),
    "top-list.json": ("[1, 2]", "record: expected a JSON object"),
    "top-null.json": ("null", "record: expected a JSON object"),
    "not-utf8.json": (None, "a readable UTF-8 file"),
}


def _write_hostile(results: Path, name: str) -> None:
    text = HOSTILE_FILES[name][0]
    if text is None:
        (results / name).write_bytes(b'{"schema": 1, "model": "\xff\xfe"}')
    else:
        (results / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_one_bad_record_is_listed_as_skipped_and_the_page_is_built(tmp_path, capsys, name):
    results = tmp_path / "results"
    results.mkdir()
    (results / "synth-good.json").write_text(json.dumps(make_record("synth-good")), encoding="utf-8")
    _write_hostile(results, name)
    args = ["leaderboard", "--results", str(results), "--reference", "", "--no-published",
            "--out", str(tmp_path / "page.html"), "--markdown", str(tmp_path / "lb.md"), "--csv", str(tmp_path / "lb.csv")]
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [entry for entry in err.splitlines() if entry.startswith("sgg-bench leaderboard: skipped ")]
    assert name in line and HOSTILE_FILES[name][1] in line and len(line) < 450
    rows = list(csv.DictReader(io.StringIO((tmp_path / "lb.csv").read_text(encoding="utf-8"), newline="")))
    assert [r["run_ids"] for r in rows] == ["synth-good"]
    assert name in (tmp_path / "page.html").read_text(encoding="utf-8")     # listed on the page too
    assert main(args + ["--strict"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lb.csv", "lb.md", "page.html", "results"]


def test_all_bad_records_together(tmp_path):
    (tmp_path / "results").mkdir()
    for name in HOSTILE_FILES:
        _write_hostile(tmp_path / "results", name)
    summary, doc, csv_rows, _ = build_all(tmp_path, make_record("synth-good"))
    assert summary.runs == 1 and [r["run_ids"] for r in csv_rows] == ["synth-good"]
    assert sorted(Path(p.split(": ")[0]).name for p in summary.problems) == sorted(HOSTILE_FILES)
    assert len(doc.find("section", id="problems").find_all("li")) == len(HOSTILE_FILES)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                     max_leaves=8)
_FIELDS = ["run_id", "model", "dataset", "split", "mode", "protocol", "metrics", "per_predicate", "provenance",
           "reported", "source", "setting", "tie_ranges", "schema"]


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(_FIELDS), value=_JSON, metric_value=_JSON)
def test_generated_wrong_types_never_stop_the_page(tmp_path_factory, field, value, metric_value):
    """Any JSON in any field (and as a metric value): the record is shown or listed, never both,
    never neither, and the good record beside it is always shown."""
    tmp_path = tmp_path_factory.mktemp("gen")
    record = make_record("synth-generated", model="gen")
    record[field] = value
    record["metrics"] = record["metrics"] if field == "metrics" else {"R@50": metric_value, "mR@50": 0.1}
    summary, doc, csv_rows, _ = build_all(tmp_path, make_record("synth-good", model="good"),
                                          extra_files=[("generated.json", json.dumps(record))])
    shown = [r for r in csv_rows if r["run_ids"] != "synth-good"]
    skipped = [p for p in summary.problems if "generated.json" in p]
    assert len(shown) + len(skipped) == 1
    assert any(r["run_ids"] == "synth-good" for r in csv_rows)


def test_markdown_escapes_html_and_link_syntax_in_cells_and_headings(tmp_path):
    evil = "[click](https://evil.example/x) ![img](x.png) <img src=x onerror=alert(1)> **b** `c` a|b &amp; ~s~\nnext"
    record = make_record("synth-md", model=evil, dataset="<b>ds</b> [x](y)", setting="_i_ #h")
    _, _, _, markdown = build_all(tmp_path, record)
    assert md_escape("a[b](c)<d>&e|f\r\ng") == "a\\[b\\]\\(c\\)&lt;d&gt;&amp;e\\|f g"
    heading = next(line for line in markdown.splitlines() if line.startswith("## "))
    assert heading.startswith("## &lt;b&gt;ds&lt;/b&gt; \\[x\\]\\(y\\) · PredCls")
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)
    html = html[html.index("<h2>"):]  # from the first table heading on (the legend has its own emphasis)
    for tag in ("<a ", "<img", "<code", "<em", "<del", "<b>", "<h1>ds"):
        assert tag not in html
    # The only bold is the best mark (a lone row is best in each of its columns).
    assert re.findall(r"<strong>(.*?)</strong>", html) == ["50.00 ★", "60.00 ★", "70.00 ★", "10.00 ★", "20.00 ★",
                                                          "30.00 ★"]
    assert "[click](https://evil.example/x)" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    # The row stays one table line of 9 cells (kind, model, n, six metrics): no pipe or newline leaked.
    body = next(line for line in markdown.splitlines() if "synth-md" in line)
    assert len(re.split(r"(?<!\\)\|", body.strip())[1:-1]) == 9 and "next (synth-md" in body


def test_csv_quotes_line_breaks_and_guards_formula_starts(tmp_path):
    names = ["=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(1)", "\tx", "\rx", "line1\r\nline2", "ok, \"quoted\""]
    records = [make_record(f"synth-c{i}", model=name, metrics={"R@50": 0.5 - i / 100})
               for i, name in enumerate(names)]
    _, _, _, _ = build_all(tmp_path, *records)
    with open(tmp_path / "lb.csv", encoding="utf-8", newline="") as handle:
        raw = handle.read()
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    assert [r["model"] for r in rows] == ["'=cmd|' /C calc'!A0", "'+1+1", "'-1+1", "'@SUM(1)", "'\tx", "'\rx",
                                         "line1\r\nline2", "ok, \"quoted\""]
    assert '"line1\r\nline2"' in raw and '"\'\rx"' in raw and '"ok, ""quoted"""' in raw
    assert raw.count("\r\n") == len(names) + 2  # header + rows (CRLF ends), plus the quoted CR LF
    assert [csv_text(v) for v in ("=1", "a=1", "", "-")] == ["'=1", "a=1", "", "'-"]


def test_two_records_with_one_run_id_are_reported_and_both_shown(tmp_path):
    first = make_record("synth-twice", model="imp", metrics={"R@50": 0.5}, seed=1)
    second = make_record("synth-twice", model="imp", metrics={"R@50": 0.6}, seed=2)
    extra = [("synth-twice-copy.json", json.dumps(second))]
    summary, doc, _, _ = build_all(tmp_path, first, extra_files=extra)
    (duplicate,) = summary.duplicates
    assert "'synth-twice' appears in 2 files" in duplicate
    assert "synth-twice.json" in duplicate and "synth-twice-copy.json" in duplicate
    assert [label_of(r) for r in body_rows(doc)] == ["yours imp", "yours imp"]  # same run_id: never averaged
    text = doc.find("section", id="notices").text
    assert "appears in 2 files" in text and "a run_id repeats" in text
    args = ["leaderboard", "--results", str(tmp_path / "results"), "--reference", "", "--no-published",
            "--out", str(tmp_path / "p.html"), "--markdown", "", "--csv", ""]
    assert main(args) == 0 and main(args + ["--strict"]) == 1


MD_TOKENS = {
    "script tag": "<script>alert(1)</script>", "link": "[click](https://evil.example/x)",
    "image": "![img](x.png)", "anchor tag": "<a href=https://evil.example>y</a>", "code span": "`rm -rf`",
    "emphasis stars": "*em* **strong**", "emphasis underscores": "_em_ __strong__", "strikethrough": "~~del~~",
    "entity": "&lt;b&gt; &amp;", "line break": "one\ntwo\r\nthree", "pipe": "a|b||c", "heading mark": "# big",
    "pre-escaped link": "\\[x\\](y)", "autolink": "<https://evil.example>", "html comment": "<!-- x -->",
}
ALLOWED_TAGS = {"h2", "p", "strong", "table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize("token", sorted(MD_TOKENS))
def test_markdown_escapes_every_cell_and_heading(tmp_path, token):
    evil = MD_TOKENS[token]
    record = make_record("synth-md", model=evil, dataset=evil, seed=7)
    record["setting"] = evil
    _, _, _, markdown = build_all(tmp_path, record)
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)
    html = html[html.index("<h2>"):]
    assert set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html)) <= ALLOWED_TAGS, html
    assert re.findall(r"<strong>(.*?)</strong>", html) == ["50.00 ★", "60.00 ★", "70.00 ★", "10.00 ★", "20.00 ★",
                                                          "30.00 ★"]
    body = [line for line in markdown.splitlines() if "synth-md" in line]
    assert len(body) == 1 and len(re.split(r"(?<!\\)\|", body[0].strip())[1:-1]) == 9


CSV_STARTS = {"equals": "=1+1", "plus": "+1", "minus": "-2", "at": "@SUM(A1)", "tab": "\tx", "carriage return": "\rx"}


@pytest.mark.parametrize("start", sorted(CSV_STARTS))
def test_csv_guards_formula_starts_in_every_text_cell(tmp_path, start):
    value = CSV_STARTS[start] + ",\r\nnext"
    record = make_record("synth-c", model=value, dataset=value)
    record["setting"] = value
    build_all(tmp_path, record)
    with open(tmp_path / "lb.csv", encoding="utf-8", newline="") as handle:
        raw = handle.read()
    (row,) = list(csv.DictReader(io.StringIO(raw, newline="")))
    for field in ("model", "setting", "dataset"):
        assert row[field] == "'" + value, field
    assert raw.count('"\'' + value + '"') == 3       # quoted (comma, CR, LF inside), guarded


@pytest.mark.parametrize("value,flagged", [(-0.0001, True), (1.0000001, True), (1.5, True), (100.0, True),
                                           (1e300, True), (0.0, False), (1.0, False)])
def test_metric_outside_0_1_flagged_and_never_best(tmp_path, value, flagged):
    odd = make_record("synth-odd", model="odd", metrics={"R@50": value, "mR@50": 0.1})
    fine = make_record("synth-fine", model="fine", metrics={"R@50": 0.5, "mR@50": 0.2})
    summary, doc, rows, markdown = build_all(tmp_path, odd, fine)
    by_model = {r["model"]: r for r in rows}
    assert ("R@50" in by_model["odd"]["out of range"].split()) is flagged
    assert ("R@50" in by_model["odd"]["best"].split()) is (not flagged and value > 0.5)
    assert ("R@50" in by_model["fine"]["best"].split()) is (flagged or value < 0.5)
    assert [n for n in summary.notices if "outside [0, 1]" in n] == (
        [n for n in summary.notices if "synth-odd" in n and "metrics/R@50" in n] if flagged else [])
    assert len([n for n in summary.notices if "outside [0, 1]" in n]) == int(flagged)
    odd_line = next(line for line in markdown.splitlines() if "synth-odd" in line)
    assert ("⚠" in odd_line) is flagged and ("★" in odd_line.split("|")[4]) is (not flagged and value > 0.5)
