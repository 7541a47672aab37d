"""`sgg-bench --help` and every subcommand's --help answer without importing torch (the reason
they start in well under a second; the time itself is measured in benchmarks/bench_cli_startup.py)."""
import subprocess
import sys

import pytest

from sgg_bench.cli import COMMAND_MODULES

PROBE = """
import sys
from sgg_bench.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(name for name in ("torch", "torchvision", "h5py", "PIL") if name in sys.modules)
print("HEAVY:" + ",".join(heavy))
"""


COMMANDS = [name.replace("_", "-") for name in COMMAND_MODULES] + ["pseudo-label-quality", "pseudo-label-export"]


@pytest.mark.parametrize("args", [["--help"]] + [[name, "--help"] for name in COMMANDS])
def test_help_imports_no_torch(args):
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    heavy = result.stdout.strip().splitlines()[-1]
    assert heavy == "HEAVY:", f"{' '.join(args)} imported {heavy[6:]}"


def test_an_unexpected_error_is_one_line_with_a_debug_hint(monkeypatch, capsys):
    """The CLI's last line of defence: exit 1, one line naming the command and the hint; with
    --debug the traceback is shown (the exception propagates)."""
    from sgg_bench import cli

    def broken(args):
        raise OSError(5, "Input/output error", "leaderboard/results/x.json")

    real_build = cli.build_parser

    def build():
        parser = real_build()
        for action in parser._subparsers._group_actions:
            action.choices["leaderboard"].set_defaults(func=broken)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)
    assert cli.main(["leaderboard"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("sgg-bench leaderboard: internal error (while reading leaderboard/results/x.json)")
    assert "--debug" in err and "Traceback" not in err
    with pytest.raises(OSError):
        cli.main(["--debug", "leaderboard"])
