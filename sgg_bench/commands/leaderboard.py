"""`sgg-bench leaderboard`: render your result records and the shipped reference runs into a
static page and exports."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "leaderboard", help="render result records into a self-contained HTML page (+ Markdown, CSV)",
        description="Render the result records of --results (your runs) and --reference (the shipped "
                    "reference runs) into one static HTML page with sortable tables, provenance and "
                    "per-predicate charts, beside the published (reported) numbers; seeds of one "
                    "configuration are averaged (mean ± sd). Also writes Markdown and CSV exports. Bad "
                    "record files are reported and skipped.")
    parser.add_argument("--results", default="leaderboard/results",
                        help="folder of your result records (*.json), as written by `sgg-bench eval --all`")
    parser.add_argument("--reference", default="leaderboard/reference",
                        help="folder of the shipped reference records ('' = none)")
    parser.add_argument("--out", default="leaderboard/index.html", help="HTML page to write")
    parser.add_argument("--markdown", default="leaderboard/exports/leaderboard.md",
                        help="Markdown export path ('' = none)")
    parser.add_argument("--csv", default="leaderboard/exports/leaderboard.csv", help="CSV export path ('' = none)")
    parser.add_argument("--no-published", action="store_true", help="leave out the reported (published) rows")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when a record file was skipped or a run_id appears twice in one folder")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sgg_bench.errors import ConfigError
    from sgg_bench.leaderboard.build import build_leaderboard
    from sgg_bench.leaderboard.published import PUBLISHED_PATH

    for flag, folder in (("--results", args.results), ("--reference", args.reference)):
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            raise ConfigError(f"{flag} {folder}: expected a folder of result records, found a file")
    summary = build_leaderboard(args.results, args.out, reference_dir=args.reference or None,
                                markdown_path=args.markdown or None, csv_path=args.csv or None,
                                published_path=None if args.no_published else PUBLISHED_PATH)
    for problem in summary.problems:
        print(f"sgg-bench leaderboard: skipped {problem}", file=sys.stderr)
    for notice in summary.notices:
        print(f"sgg-bench leaderboard: note: {notice}", file=sys.stderr)
    for label, folder in (("your results", args.results), ("reference runs", args.reference)):
        if folder and not Path(folder).is_dir():
            print(f"sgg-bench leaderboard: no folder {folder} ({label}): nothing shown from it", file=sys.stderr)
    written = [str(p) for p in (summary.html_path, summary.markdown_path, summary.csv_path) if p]
    print(f"leaderboard: {summary.runs} run(s) of yours, {summary.reference_runs} reference run(s), "
          f"{summary.reported_rows} reported row(s), {summary.tables} table(s), "
          f"{len(summary.problems)} skipped file(s) -> {', '.join(written)}")
    return 1 if (args.strict and (summary.problems or summary.duplicates)) else 0
