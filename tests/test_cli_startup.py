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


@pytest.mark.parametrize("args", [["--help"]] + [[name, "--help"] for name in COMMAND_MODULES])
def test_help_imports_no_torch(args):
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    heavy = result.stdout.strip().splitlines()[-1]
    assert heavy == "HEAVY:", f"{' '.join(args)} imported {heavy[6:]}"
