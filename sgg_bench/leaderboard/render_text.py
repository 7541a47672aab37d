"""Markdown and CSV exports of the same table frames as the HTML page (values in percent), written
with pandas (``DataFrame.to_markdown``, ``DataFrame.to_csv``).

Markdown: every text cell and heading escapes HTML (``& < >`` as entities) and Markdown syntax
(``\\ ` * _ [ ] ( ) | ! ~ #`` with a backslash), and line breaks become spaces, so a record can
neither inject HTML nor a link. CSV: RFC 4180 (CRLF line ends; a cell with a comma, quote, CR or LF
is quoted) and a text cell starting with ``= + - @``, tab or CR gets a leading ``'`` so spreadsheets
never run it as a formula.
"""
from __future__ import annotations

import csv
import math
import re
from typing import Sequence

import pandas as pd

from sgg_bench.leaderboard.tables import BoardTable, Cell, Column

KIND_LABELS = {"user": "yours", "reference": "reference", "reported": "reported"}
_CSV_TEXT = ("dataset", "protocol", "mode", "split", "kind", "model", "setting", "supervision", "vocabulary",
             "seeds", "run_ids", "source",
             "note", "best", "not ranked", "out of range")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()|!~#])")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_markdown(tables: Sequence[BoardTable], *, generated: str = "") -> str:
    """One Markdown table per dataset x protocol x mode x split and panel; best values bold with ★."""
    lines = ["# sgg-bench leaderboard", ""]
    lines.append("All values in %. Kind: *yours* = your run, *reference* = shipped reference run, "
                 "*reported* = copied from the named source, not run here. **Bold ★** = best in the column "
                 "of that table; ± = sample sd over n seeds; [low–high] = range over tie-breaking orders; "
                 "≈ = leads within the noise of another row (not ranked); ⚠ = outside [0, 100] (never ranked)."
                 + (f" Generated {md_escape(generated)}." if generated else ""))
    for table in tables:
        lines += ["", f"## {md_escape(table.title)} — {md_escape(table.subtitle)}"]
        for panel in table.panels:
            lines += ["", f"**{md_escape(panel.title)}**", ""] if panel.title else [""]
            frame = panel_frame(table, panel)
            aligns = ("left", "left", "right") + ("right",) * len(panel.columns)
            lines.append(frame.to_markdown(index=False, tablefmt="pipe", colalign=aligns, disable_numparse=True))
    return "\n".join(lines) + "\n"


def panel_frame(table: BoardTable, panel) -> pd.DataFrame:
    """The Markdown cells of one panel: Kind, Model, n, then one column per metric (all escaped)."""
    header = ["Kind", "Model", "n"] + [md_escape(_flat_label(c)) for c in panel.columns]
    body = []
    for board in panel.rows:
        row = table.rows.loc[board]
        cells = [KIND_LABELS[row["kind"]], _md_model(row), str(row["n"]) if row["kind"] != "reported" else ""]
        cells += [_md_value(table.cell(board, c.key), row["n"]) for c in panel.columns]
        body.append(cells)
    return pd.DataFrame(body, columns=header, dtype=object)


def render_csv(tables: Sequence[BoardTable]) -> str:
    """One CSV row per table row; metric columns = every column used by any table.

    Lines end in CRLF (RFC 4180): the csv writer quotes a cell holding any character of the line
    terminator, so with CRLF both a lone CR and a lone LF inside a cell are quoted."""
    return export_frame(tables).to_csv(index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def export_frame(tables: Sequence[BoardTable]) -> pd.DataFrame:
    """The CSV as a frame: identity and kind, then per metric its value and ``<key> sd`` (and
    ``<key> tie low/high`` where some row has a tie range); ours with four decimals, reported
    values as published."""
    columns: list[Column] = []
    for table in tables:
        for panel in table.panels:
            columns += [c for c in panel.columns if c.key not in {known.key for known in columns}]
    tied = {c.key for c in columns if any(cell.tie for t in tables for cell in _cells_of(t, c.key))}
    records = []
    for table in tables:
        for board, row in table.rows.iterrows():
            out = dict(dataset=table.dataset, protocol=table.protocol, mode=table.mode, split=table.split,
                       kind=row["kind"], model=row["model"], setting=row["setting"],
                       supervision=row["supervision"], vocabulary=row["vocabulary"],
                       n="" if row["kind"] == "reported" else str(row["n"]),
                       seeds=" ".join("" if s is None else str(s) for s in row["seeds"]) if row["kind"] != "reported"
                       else "", run_ids=" ".join(r for r in row["run_ids"] if r),
                       source=row["source_detail"] or row["source_label"] or "", note=row["note"] or "")
            marks = {"best": [], "not ranked": [], "out of range": []}
            for column in columns:
                cell = table.cell(board, column.key)
                out[column.key] = _csv_number(cell, row["kind"])
                out[f"{column.key} sd"] = "" if cell is None or math.isnan(cell.sd) else f"{cell.sd:.4f}"
                if column.key in tied:
                    out[f"{column.key} tie low"] = f"{cell.low:.4f}" if cell is not None and cell.tie else ""
                    out[f"{column.key} tie high"] = f"{cell.high:.4f}" if cell is not None and cell.tie else ""
                if cell is not None:
                    for name, flag in (("best", cell.best), ("not ranked", cell.noise),
                                       ("out of range", cell.out_of_range)):
                        if flag:
                            marks[name].append(column.key)
            out.update({name: " ".join(keys) for name, keys in marks.items()})
            records.append(out)
    metric_names = [name for c in columns for name in
                    ([c.key, f"{c.key} sd"] + ([f"{c.key} tie low", f"{c.key} tie high"] if c.key in tied else []))]
    order = ["dataset", "protocol", "mode", "split", "kind", "model", "setting", "supervision", "vocabulary", "n",
             "seeds", "run_ids", "source",
             "note"] + metric_names + ["best", "not ranked", "out of range"]
    frame = pd.DataFrame(records, columns=order, dtype=object)
    for name in _CSV_TEXT:
        frame[name] = frame[name].map(csv_text)
    return frame


def md_escape(text: object) -> str:
    """Plain text for a Markdown table cell or heading: no HTML, no links, no emphasis, one line."""
    text = _LINE_BREAKS.sub(" ", str(text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def csv_text(value: object) -> str:
    """A text cell spreadsheets show as text: a leading ``= + - @``, tab or CR gets a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cells_of(table: BoardTable, key: str) -> list[Cell]:
    return [cell for board in table.rows.index if (cell := table.cell(board, key)) is not None]


def _flat_label(column: Column) -> str:
    return column.key if column.group.endswith("@K") else f"{column.group} {column.label}"


def _md_model(row: pd.Series) -> str:
    name = md_escape(row["model"]) + (f" {md_escape(row['setting'])}" if row["setting"] else "")
    if row["kind"] == "reported":
        note = f" ⚑ {md_escape(row['note'])}" if row["note"] else ""
        return f"{name} ({md_escape(row['source_detail'] or row['source_label'] or '')}){note}"
    seeds = ", ".join("n/a" if s is None else str(s) for s in row["seeds"])
    runs = ", ".join(md_escape(r) for r in row["run_ids"])
    return f"{name} ({runs}; seed{'s' if len(row['seeds']) > 1 else ''} {md_escape(seeds)})"


def _md_value(cell: Cell | None, row_n: int) -> str:
    if cell is None:
        return "–"
    text = md_escape(cell.text)
    if cell.n > 1 and not math.isnan(cell.sd):
        text += f" ± {cell.sd:.2f}"
    if cell.n < row_n:
        text += f" (n={cell.n})"
    if cell.tie:
        text += f" \\[{cell.low:.2f}–{cell.high:.2f}\\]"
    if cell.best:
        text = f"**{text} ★**"
    elif cell.noise:
        text += " ≈"
    if cell.out_of_range:
        text += " ⚠"
    return text


def _csv_number(cell: Cell | None, kind: str) -> str:
    if cell is None:
        return ""
    if kind == "reported" and cell.text is not None:
        return cell.text  # exactly as published (records with "reported": true: their number)
    return f"{cell.mean:.4f}"
