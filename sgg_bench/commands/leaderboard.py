"""`sgg-bench leaderboard`: render leaderboard/results/*.json into a static page and exports."""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "leaderboard", help="render result records into a self-contained HTML page (+ Markdown, CSV)",
        description="Render every result record of --results into one static HTML page with sortable "
                    "tables, provenance and per-predicate charts, beside the published (reported) numbers; "
                    "also writes Markdown and CSV exports. Bad record files are reported and skipped.")
    parser.add_argument("--results", default="leaderboard/results", help="folder of result records (*.json)")
    parser.add_argument("--out", default="leaderboard/index.html", help="HTML page to write")
    parser.add_argument("--markdown", default="leaderboard/exports/leaderboard.md",
                        help="Markdown export path ('' = none)")
    parser.add_argument("--csv", default="leaderboard/exports/leaderboard.csv", help="CSV export path ('' = none)")
    parser.add_argument("--no-published", action="store_true", help="leave out the reported (published) rows")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any record file was skipped")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sgg_bench.leaderboard.build import build_leaderboard
    from sgg_bench.leaderboard.published import PUBLISHED_PATH

    summary = build_leaderboard(args.results, args.out, markdown_path=args.markdown or None,
                                csv_path=args.csv or None,
                                published_path=None if args.no_published else PUBLISHED_PATH)
    for problem in summary.problems:
        print(f"sgg-bench leaderboard: skipped {problem}", file=sys.stderr)
    written = [str(p) for p in (summary.html_path, summary.markdown_path, summary.csv_path) if p]
    print(f"leaderboard: {summary.runs} run(s), {summary.reported_rows} reported row(s), "
          f"{summary.tables} table(s), {len(summary.problems)} skipped file(s) -> {', '.join(written)}")
    return 1 if (args.strict and summary.problems) else 0
