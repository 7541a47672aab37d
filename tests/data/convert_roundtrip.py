"""Shared steps of the converter round-trip tests: images, `data check`, frequency statistics,
and (one place for the lead to adapt when the train command changes) train + evaluate."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from sgg_bench.cli import main


def write_jpeg(path: Path, width: int, height: int, seed: int = 0) -> None:
    """A real (small-content) JPEG of the given size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 255, size=(8, 8, 3), dtype=np.uint8)
    Image.fromarray(pixels).resize((width, height)).save(path, format="JPEG")


def data_check_json(root: Path, capsys) -> list[dict]:
    """``sgg-bench data check --decode --json`` must succeed; returns its summaries."""
    capsys.readouterr()
    assert main(["data", "check", str(root), "--decode", "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def convert(argv: list[str], capsys) -> dict:
    """``sgg-bench data convert ... --json``; returns the report."""
    capsys.readouterr()
    assert main(["data", "convert", *argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def dropped(report: dict) -> dict[tuple[str, str], int]:
    return {(row["kind"], row["reason"]): row["count"] for row in report["dropped"]}


def train_and_evaluate_frequency(dataset_root: Path, tmp_path: Path, *, dataset: str = "vg") -> dict:
    """Train the frequency baseline (PredCls) on ``dataset_root`` through the CLI, then score its
    predictions with ``sgg-bench eval``; returns the evaluation result.

    Relation runs on a real-format dataset need a detector: a 2-iteration tiny one is trained first.
    """
    outputs = tmp_path / "outputs"
    fast = ["detector.name=tiny", "dataset.num_val_im=null", "solver.ims_per_batch=2", "solver.val_period=0",
            "solver.log_period=1", "test.ims_per_batch=2", "model.args.pairs_per_image=8"]
    assert main(["train", "--model", "detector", "--dataset", dataset, "--output-root", str(outputs),
                 f"dataset.root={dataset_root}", *fast, "solver.max_iter=2", "solver.checkpoint_period=2"]) == 0
    assert main(["train", "--model", "frequency", "--dataset", dataset, "--output-root", str(outputs),
                 f"dataset.root={dataset_root}", *fast]) == 0
    predictions = outputs / dataset / "frequency-predcls" / "predictions.h5"
    out = tmp_path / "result.json"
    assert main(["eval", "--predictions", str(predictions), "--dataset", str(dataset_root), "--out", str(out)]) == 0
    return json.loads(out.read_text())
