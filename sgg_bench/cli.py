"""The ``sgg-bench`` command line.

Each command group lives in its own module under ``sgg_bench/commands`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` on it. ``func(args)``
returns the process exit code.

Exit status: 0 success; 1 an internal error (a bug, or a failure the code did not foresee: one
line naming the command, the file being processed when known, and ``--debug`` for the
traceback), or a command's own "something failed" result (``eval --all`` with a failed run,
``leaderboard --strict``); 2 bad input (a ``SggBenchError``: a file, field or value that is not
what was expected, one ``sgg-bench: error:`` line) or a bad command line (argparse usage);
130 interrupted.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from sgg_bench import __version__
from sgg_bench.errors import SggBenchError

# Order here is the order in --help.
COMMAND_MODULES = ("data", "train", "eval", "predict", "leaderboard", "models", "captions", "pseudo_label", "convert")
# Arguments naming a command's main input, in the order an internal error names them.
INPUT_ARGUMENTS = ("predictions", "file", "captions", "input", "dir", "src", "config", "results")


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
        print(f"sgg-bench {args.command}: internal error{_where(exc, args)}: {type(exc).__name__}: "
              f"{' '.join(str(exc).split())[:300]}; rerun with --debug for the traceback", file=sys.stderr)
        return 1


def _where(exc: Exception, args: argparse.Namespace) -> str:
    """`` (while reading FILE)`` for an OS error that names its file, else `` (processing INPUT)``
    with the command's main input argument, else nothing."""
    if getattr(exc, "filename", None):
        return f" (while reading {exc.filename})"
    for name in INPUT_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, (str, os.PathLike)) and str(value):
            return f" (processing {value})"
    return ""


if __name__ == "__main__":
    sys.exit(main())
