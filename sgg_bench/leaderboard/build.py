"""Build the leaderboard: results folder -> index.html plus Markdown and CSV exports."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from pathlib import Path

from sgg_bench.leaderboard.load import load_records
from sgg_bench.leaderboard.published import PUBLISHED_PATH, load_published
from sgg_bench.leaderboard.render_html import render_page
from sgg_bench.leaderboard.render_text import render_csv, render_markdown
from sgg_bench.leaderboard.tables import build_tables
from sgg_bench.utils.atomic import atomic_write_text


@dataclasses.dataclass
class BuildSummary:
    html_path: Path
    markdown_path: Path | None
    csv_path: Path | None
    runs: int
    reported_rows: int
    tables: int
    problems: list[str]


def build_leaderboard(results_dir: str | os.PathLike = "leaderboard/results",
                      out_html: str | os.PathLike = "leaderboard/index.html", *,
                      markdown_path: str | os.PathLike | None = "leaderboard/exports/leaderboard.md",
                      csv_path: str | os.PathLike | None = "leaderboard/exports/leaderboard.csv",
                      published_path: str | os.PathLike | None = PUBLISHED_PATH,
                      generated: str | None = None) -> BuildSummary:
    """Render the page and the exports (each written atomically); bad records are listed, not fatal.

    ``published_path=None`` leaves out the reported rows.
    """
    loaded = load_records(results_dir)
    reported, sources = load_published(published_path) if published_path is not None else ([], [])
    tables = build_tables(loaded.rows + reported)
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    _write_public(out_html, render_page(tables, sources, problems=loaded.problems, generated=generated))
    if markdown_path is not None:
        _write_public(markdown_path, render_markdown(tables, generated=generated))
    if csv_path is not None:
        _write_public(csv_path, render_csv(tables))
    shown_reported = sum(1 for t in tables for r in t.rows if r.reported)
    return BuildSummary(Path(out_html), Path(markdown_path) if markdown_path else None,
                        Path(csv_path) if csv_path else None, runs=len(loaded.rows),
                        reported_rows=shown_reported, tables=len(tables), problems=loaded.problems)


def _write_public(path: str | os.PathLike, text: str) -> None:
    """Atomic write, then the usual umask permissions (the temp file behind it is owner-only),
    so a web server or another user can read the published page."""
    atomic_write_text(path, text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
