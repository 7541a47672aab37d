"""Markdown and CSV exports of the same tables as the HTML page (values in percent)."""
from __future__ import annotations

import csv
import io
from typing import Sequence

from sgg_bench.leaderboard.rows import BoardRow
from sgg_bench.leaderboard.tables import BoardTable, Column

_CSV_FIXED = ("dataset", "protocol", "mode", "split", "model", "kind", "run_id", "source")


def render_markdown(tables: Sequence[BoardTable], *, generated: str = "") -> str:
    """One Markdown table per dataset x protocol x mode x split and panel; best values bold with ★."""
    lines = ["# sgg-bench leaderboard", ""]
    lines.append("All values in %. **Bold ★** = best in the column of that table. "
                 "*reported* rows are copied from the named source, not run here."
                 + (f" Generated {generated}." if generated else ""))
    for table in tables:
        lines += ["", f"## {table.title} — {table.subtitle}"]
        for panel in table.panels:
            lines += ["", f"**{panel.title}**", ""] if panel.title else [""]
            header = ["Model"] + [_flat_label(c) for c in panel.columns]
            lines.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            lines.append("| --- | " + " | ".join("---:" for _ in panel.columns) + " |")
            for row in panel.rows:
                cells = [_md_model(row)]
                for column in panel.columns:
                    text = row.texts.get(column.key)
                    if text is None:
                        cells.append("–")
                    elif table.is_best(row, column.key):
                        cells.append(f"**{_md_cell(text)} ★**")
                    else:
                        cells.append(_md_cell(text))
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_csv(tables: Sequence[BoardTable]) -> str:
    """One CSV row per table row; metric columns = every column used by any table."""
    columns: list[Column] = []
    for table in tables:
        for panel in table.panels:
            for column in panel.columns:
                if column.key not in {c.key for c in columns}:
                    columns.append(column)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(_CSV_FIXED) + [c.key for c in columns])
    for table in tables:
        for row in table.rows:
            fixed = [table.dataset, table.protocol, table.mode, table.split, row.model,
                     "reported" if row.reported else "run", row.run_id or "", row.source_detail or row.source_label or ""]
            metrics = [_csv_number(row, c.key) for c in columns]
            writer.writerow([_csv_text(v) for v in fixed] + metrics)
    return buffer.getvalue()


def _flat_label(column: Column) -> str:
    return column.key if column.group.endswith("@K") else f"{column.group} {column.label}"


def _md_model(row: BoardRow) -> str:
    if row.reported:
        return f"*reported* {_md_cell(row.model)} ({_md_cell(row.source_detail or row.source_label or '')})"
    return f"{_md_cell(row.model)} (`{_md_cell(row.run_id or '')}`)"


def _md_cell(text: str) -> str:
    # Pipes would split the cell; newlines would end the table; keep HTML inert in renderers.
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _csv_number(row: BoardRow, key: str) -> str:
    if key not in row.values:
        return ""
    if row.reported:
        return row.texts[key]  # exactly as published
    return f"{row.values[key]:.4f}"


def _csv_text(value: str) -> str:
    # A leading = + - @ makes spreadsheets evaluate the cell as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
