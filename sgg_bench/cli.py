"""The ``sgg-bench`` command line.

Each command group lives in its own module under ``sgg_bench/commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` on it. ``func(args)``
returns the process exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from sgg_bench import __version__
from sgg_bench.errors import SggBenchError

# Order here is the order in --help.
COMMAND_MODULES = ("data", "train", "eval", "leaderboard", "models", "captions", "pseudo_label", "convert")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sgg-bench",
        description="Scene graph generation benchmark: data, training, exact evaluation, leaderboard.")
    parser.add_argument("--version", action="version", version=f"sgg-bench {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an internal error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"sgg_bench.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # KEY=VALUE overrides may also follow options (``train ... --resume solver.max_iter=9``).
    if extra and hasattr(args, "overrides") and all("=" in text and not text.startswith("-") for text in extra):
        args.overrides = list(args.overrides) + list(extra)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SggBenchError as exc:
        print(f"sgg-bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sgg-bench: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, the traceback only on request
        if args.debug:
            raise
        where = f" (while reading {exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"sgg-bench {args.command}: internal error{where}: {type(exc).__name__}: "
              f"{' '.join(str(exc).split())[:300]}; rerun with --debug for the traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
