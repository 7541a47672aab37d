"""`sgg-bench eval` of one predictions file never imports torch or torchvision (start-up cost, no GPU stack).

Each check runs in a fresh interpreter: it evaluates a real VG folder end to end (parser, ground
truth, metrics, table, record) and then looks at ``sys.modules``.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.test_with_data_layer import perfect_predictions

builders = pytest.importorskip("data.sgg_data_builders")
REPO = Path(__file__).resolve().parents[2]

# Builds only the eval command's parser, so commands outside the evaluation path cannot interfere.
EVAL_ONLY = """
import argparse, json, sys
from sgg_bench.commands import eval as command
parser = argparse.ArgumentParser(); command.register(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
code = args.func(args)
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision"))}))
"""
FULL_CLI = """
import json, sys
from sgg_bench.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision"))}))
"""


@pytest.fixture
def eval_args(tmp_path):
    from sgg_bench.data.ground_truth import load_ground_truth
    root = builders.write_vg_folder(tmp_path / "vg")
    vocab, gts = load_ground_truth(root, "test")
    perfect_predictions(tmp_path / "p.h5", gts, vocab, "sgdet")        # sgdet: detection mAP runs too
    return ["eval", "--predictions", str(tmp_path / "p.h5"), "--dataset", str(root), "--zeroshot", "derive",
            "--out", str(tmp_path / "record.json")]


def run(code, args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO)] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_eval_path_imports_no_torch(eval_args, tmp_path):
    out = run(EVAL_ONLY, eval_args)
    assert out["code"] == 0 and (tmp_path / "record.json").is_file()
    assert out["loaded"] == []


def test_cli_main_eval_imports_no_torch(eval_args):
    out = run(FULL_CLI, eval_args)
    assert out["code"] == 0
    assert out["loaded"] == []
