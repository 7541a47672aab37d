"""Build the leaderboard: the user's results and the shipped reference runs -> index.html plus
Markdown and CSV exports, all from the same pandas frames."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from pathlib import Path

from sgg_bench.leaderboard.frames import board_frames
from sgg_bench.leaderboard.load import REFERENCE, USER, load_records
from sgg_bench.leaderboard.published import PUBLISHED_PATH, load_published
from sgg_bench.leaderboard.render_html import render_page
from sgg_bench.leaderboard.render_text import render_csv, render_markdown
from sgg_bench.leaderboard.tables import build_tables
from sgg_bench.utils.atomic import atomic_write_text, remove_temporaries


@dataclasses.dataclass
class BuildSummary:
    html_path: Path
    markdown_path: Path | None
    csv_path: Path | None
    runs: int            # the user's record files shown
    reference_runs: int  # shipped reference record files shown
    reported_rows: int
    tables: int
    problems: list[str]  # skipped files
    notices: list[str]   # duplicate run_ids, rows not averaged, values outside [0, 1]
    duplicates: list[str]  # run_ids repeated within one folder (also in notices)


DEFAULT_RESULTS = "leaderboard/results"      # the user's records (eval --all writes here; git-ignored)
DEFAULT_REFERENCE = "leaderboard/reference"  # the shipped reference records (tracked)


def build_leaderboard(results_dir: str | os.PathLike | None = DEFAULT_RESULTS,
                      out_html: str | os.PathLike = "leaderboard/index.html", *,
                      reference_dir: str | os.PathLike | None = None,
                      markdown_path: str | os.PathLike | None = "leaderboard/exports/leaderboard.md",
                      csv_path: str | os.PathLike | None = "leaderboard/exports/leaderboard.csv",
                      published_path: str | os.PathLike | None = PUBLISHED_PATH,
                      generated: str | None = None) -> BuildSummary:
    """Render the page and the exports (each written atomically); bad records are listed, not fatal.

    A missing folder (or ``None``) contributes nothing: the command passes ``DEFAULT_REFERENCE``
    for ``reference_dir``. ``published_path=None`` leaves out the reported rows.
    """
    loaded = load_records(results_dir, reference_dir)
    reported, sources = load_published(published_path) if published_path is not None else ([], [])
    frames = board_frames(loaded.entries, reported)
    tables = build_tables(frames)
    notices = loaded.duplicates + loaded.shared_ids + frames.notices
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    _write_public(out_html, render_page(tables, sources, problems=loaded.problems, notices=notices,
                                        generated=generated))
    if markdown_path is not None:
        _write_public(markdown_path, render_markdown(tables, generated=generated))
    if csv_path is not None:
        _write_public(csv_path, render_csv(tables))
    return BuildSummary(Path(out_html), Path(markdown_path) if markdown_path else None,
                        Path(csv_path) if csv_path else None,
                        runs=sum(1 for e in loaded.entries if e.origin == USER),
                        reference_runs=sum(1 for e in loaded.entries if e.origin == REFERENCE),
                        reported_rows=sum(t.count("reported") for t in tables), tables=len(tables),
                        problems=loaded.problems, notices=notices, duplicates=loaded.duplicates)


def _write_public(path: str | os.PathLike, text: str) -> None:
    """Atomic write, then the usual umask permissions (the temp file behind it is owner-only),
    so a web server or another user can read the published page. The temporary file of a
    build killed before its rename is removed first."""
    remove_temporaries(Path(path).parent, Path(path).name)
    atomic_write_text(path, text)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
