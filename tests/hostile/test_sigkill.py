"""SIGKILL during inference, ``eval --all`` and ``leaderboard`` (training: tests/engine/
test_engine_resume_sigkill.py, killed between checkpoints and in the middle of a checkpoint write).
Each process is killed at a point it reaches deterministically (kill_helper.py hangs there and
leaves a mark), never after a fixed sleep. Afterwards every visible file is whole and valid (the
previous version where there was one), and the next run removes what the killed one left.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hostile_data import main, ranked_image, test_split_gt, write_prediction_file, write_vg_folder
from sgg_bench.config import load_config, save_config
from sgg_bench.evaluation.predictions import read_predictions
from sgg_bench.leaderboard.records import read_record
from sgg_bench.runs.folder import write_run_json

HELPER = Path(__file__).with_name("kill_helper.py")
sys.path.insert(0, str(HELPER.parents[1] / "engine"))


def _run_until_mark(tmp_path, fragment, nth, *command, timeout=120.0):
    """Start the helper, wait for its mark, SIGKILL it; returns nothing (asserts it was killed there)."""
    mark = tmp_path / "reached.mark"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(HELPER.parents[2]))
    process = subprocess.Popen([sys.executable, str(HELPER), str(mark), fragment, str(nth), *command],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    deadline = time.monotonic() + timeout
    while not mark.exists():
        if process.poll() is not None:
            raise AssertionError(f"helper exited with {process.returncode} before the kill point: "
                                 f"{process.stderr.read().decode()[-2000:]}")
        assert time.monotonic() < deadline, "the helper never reached its kill point"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    mark.unlink()


def _hidden(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def test_sigkill_during_inference_keeps_the_old_file_and_the_next_run_cleans_up(tmp_path):
    from engine_toy import ToyModel, make_toy_dataset  # noqa: F401  (the helper's own import path)
    from sgg_bench.engine.inference import write_predictions
    run, data = tmp_path / "run", tmp_path / "data"
    run.mkdir()
    dataset = make_toy_dataset(data)
    torch.manual_seed(0)
    model = ToyModel(dropout=0.0)
    write_predictions(model, dataset, run / "predictions.h5", dataset_name="toy", mode="predcls", batch_size=3,
                      progress=False)
    before = hashlib.sha256((run / "predictions.h5").read_bytes()).hexdigest()
    _run_until_mark(tmp_path, "-", 3, "toy-inference", str(run), str(data))   # killed in its 3rd of 4 batches
    assert hashlib.sha256((run / "predictions.h5").read_bytes()).hexdigest() == before   # the old file, whole
    with read_predictions(run / "predictions.h5") as old:
        assert len(old) == 10
    (stale,) = _hidden(run)                                  # the killed writer's half-written file
    assert stale.startswith(".predictions.h5.")
    write_predictions(model, dataset, run / "predictions.h5", dataset_name="toy", mode="predcls", batch_size=3,
                      progress=False)
    assert _hidden(run) == [] and sorted(p.name for p in run.iterdir()) == ["predictions.h5"]
    with read_predictions(run / "predictions.h5") as new:
        assert [int(i) for i in new.image_ids] == list(range(100, 110))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """outputs/vg/{a,b}: finished relation runs on the tiny VG folder (R@20 2/3 each)."""
    root = tmp_path_factory.mktemp("runs")
    vg = write_vg_folder(root / "vg", settings={"num_val_im": 1})
    for name in ("a", "b"):
        folder = root / "outputs" / "vg" / name
        (folder / "checkpoints").mkdir(parents=True)
        save_config(load_config(None, [f"dataset.root={vg}", "dataset.name=vg"]), folder / "config.yaml")
        (folder / "checkpoints" / "model_final.pth").write_bytes(name.encode())
        write_prediction_file(folder / "predictions.h5", [ranked_image(test_split_gt(vg))])
        write_run_json(folder, run_id=f"vg-{name}", model=name, dataset="vg", dataset_root=str(vg), mode="predcls",
                       split="test", protocol="vg", seed=0, checkpoint=folder / "checkpoints" / "model_final.pth",
                       train_seconds=1.0)
    return root


def test_sigkill_during_eval_all_then_the_next_call_finishes(two_runs, tmp_path, capsys):
    shutil.copytree(two_runs / "outputs", tmp_path / "outputs")
    args = ["eval", "--all", "--outputs", str(tmp_path / "outputs"), "--results", str(tmp_path / "results")]
    # Killed with the second run's published record written but not yet renamed into place.
    _run_until_mark(tmp_path, "vg-b.json", 1, "sgg-bench", *args)
    results = tmp_path / "results"
    assert sorted(p.name for p in results.iterdir() if not p.name.startswith(".")) == ["vg-a.json"]
    assert read_record(results / "vg-a.json")["metrics"]["R@20"] == pytest.approx(2 / 3)
    assert len(_hidden(results)) == 1
    for name in ("a", "b"):                                   # each run's own record: whole
        assert read_record(tmp_path / "outputs" / "vg" / name / "result.json")["run_id"] == f"vg-{name}"
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 evaluated, 1 published as recorded, 1 up to date, 0 failed" in out   # nothing scored twice
    assert sorted(p.name for p in results.iterdir()) == ["vg-a.json", "vg-b.json"]
    assert read_record(results / "vg-b.json")["metrics"]["R@20"] == pytest.approx(2 / 3)


def test_sigkill_during_eval_all_scoring_leaves_no_record(two_runs, tmp_path, capsys):
    shutil.copytree(two_runs / "outputs", tmp_path / "outputs")      # no run scored yet
    args = ["eval", "--all", "--outputs", str(tmp_path / "outputs"), "--results", str(tmp_path / "results")]
    _run_until_mark(tmp_path, "result.json", 2, "sgg-bench", *args)       # b's own record, before its rename
    b = tmp_path / "outputs" / "vg" / "b"
    assert not (b / "result.json").exists() and len(_hidden(b)) == 1
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["vg-a.json"]
    capsys.readouterr()
    assert main(args) == 0
    assert "1 evaluated" in capsys.readouterr().out
    assert _hidden(b) == [] and read_record(b / "result.json")["metrics"]["R@20"] == pytest.approx(2 / 3)


def _record(run_id, value):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "leaderboard"))
    from leaderboard_testlib import make_record
    return make_record(run_id, model=run_id, metrics={"R@50": value, "mR@50": value / 2})


def test_sigkill_during_leaderboard_keeps_the_old_page(tmp_path, capsys):
    target = "leaderboard.md"        # killed between the page (written) and the CSV (not yet)
    results = tmp_path / "results"
    results.mkdir()
    (results / "synth-one.json").write_text(json.dumps(_record("synth-one", 0.4)))
    args = ["leaderboard", "--results", str(results), "--reference", "", "--no-published",
            "--out", str(tmp_path / "site" / "index.html"), "--markdown", str(tmp_path / "site" / "leaderboard.md"),
            "--csv", str(tmp_path / "site" / "leaderboard.csv")]
    assert main(args) == 0
    site = tmp_path / "site"
    old = {p.name: p.read_bytes() for p in site.iterdir()}
    (results / "synth-two.json").write_text(json.dumps(_record("synth-two", 0.6)))
    _run_until_mark(tmp_path, target, 1, "sgg-bench", *args)
    visible = {p.name: p.read_bytes() for p in site.iterdir() if not p.name.startswith(".")}
    written_first = ["index.html", "leaderboard.md", "leaderboard.csv"]
    for name, data in visible.items():                # each file is the old one or a whole new one
        done = written_first.index(name) < written_first.index(target)
        assert (b"synth-two" in data) is done and (data == old[name]) is (not done)
        assert data.rstrip().endswith(b"</html>") if name == "index.html" else data.endswith(b"\n")
    assert _hidden(site) and all(target in name for name in _hidden(site))
    capsys.readouterr()
    assert main(args) == 0
    assert _hidden(site) == [] and sorted(p.name for p in site.iterdir()) == sorted(written_first)
    assert all(b"synth-two" in p.read_bytes() for p in site.iterdir())
