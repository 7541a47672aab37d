"""SIGKILL mid-run, then ``--resume``: the same final weights as an uninterrupted run, and
never a half-written checkpoint that could be loaded."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from engine_toy import build_trainer
from sgg_bench.engine import checkpoint as ckpt
from sgg_bench.errors import DataFormatError

TOY = Path(__file__).with_name("engine_toy.py")
MAX_ITER = 30


def _command(run_dir, data_dir, *extra):
    return [sys.executable, str(TOY), "--run-dir", str(run_dir), "--data-dir", str(data_dir),
            "--max-iter", str(MAX_ITER), "--period", "5", *extra]


def _train_in_process(run_dir, data_dir, resume=False):
    """The same training as the script, in this process (saves a torch start-up)."""
    build_trainer(run_dir=run_dir, data_dir=data_dir, max_iter=MAX_ITER, period=5).train(resume=resume)


def _wait_for(predicate, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process.poll() is not None:
            raise AssertionError(f"toy run exited early with code {process.returncode}")
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the toy run")


def _kill(process):
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _final_weights(run_dir):
    return ckpt.load_checkpoint(Path(run_dir) / "checkpoints" / "model_final.pth")["model"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    _train_in_process(root / "run", root / "data")
    return root / "data", _final_weights(root / "run")


def _assert_same(weights, expected):
    assert weights.keys() == expected.keys()
    for key in expected:
        assert torch.equal(weights[key], expected[key]), key  # bit-identical, not merely close


def test_sigkill_between_checkpoints_then_resume(tmp_path, reference):
    data_dir, expected = reference
    run_dir = tmp_path / "run"
    checkpoints = run_dir / "checkpoints"
    process = subprocess.Popen(_command(run_dir, data_dir, "--step-sleep", "0.1"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: (checkpoints / "model_0000010.pth").exists(), process)
    _kill(process)
    assert not (checkpoints / "model_final.pth").exists()
    for path in checkpoints.iterdir():  # every finished name loads; anything else is a temporary
        if path.name.endswith(".pth"):
            ckpt.load_checkpoint(path)
        else:
            assert path.name.endswith(".tmp"), path
    _train_in_process(run_dir, data_dir, resume=True)
    _assert_same(_final_weights(run_dir), expected)
    assert not [p for p in checkpoints.iterdir() if p.name.endswith(".tmp")]


def test_sigkill_during_checkpoint_write_then_resume(tmp_path, reference):
    data_dir, expected = reference
    run_dir = tmp_path / "run"
    checkpoints = run_dir / "checkpoints"
    process = subprocess.Popen(_command(run_dir, data_dir, "--hang-on-save-at", "10"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    temporaries = lambda: [p for p in checkpoints.glob(".model_0000010.pth.*.tmp") if p.stat().st_size > 0]  # noqa: E731
    _wait_for(lambda: bool(temporaries()), process)
    _kill(process)
    half = temporaries()[0]
    assert not (checkpoints / "model_0000010.pth").exists()
    assert ckpt.latest_checkpoint(checkpoints).name == "model_0000005.pth"
    assert ckpt.load_checkpoint(checkpoints / "last.pth")["iteration"] == 5
    with pytest.raises(DataFormatError):
        ckpt.load_checkpoint(half)
    _train_in_process(run_dir, data_dir, resume=True)
    _assert_same(_final_weights(run_dir), expected)
    assert not half.exists()
