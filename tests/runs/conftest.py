"""A hand-built 9-image VG folder with real image files, and a tiny detector trained on it once."""
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from sgg_data_builders import IMAGE_DATA, write_vg_folder  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_helpers import FAST  # noqa: E402


@pytest.fixture(scope="session")
def vg_root(tmp_path_factory):
    root = write_vg_folder(tmp_path_factory.mktemp("vg") / "vg")
    rng = np.random.default_rng(0)
    for entry in IMAGE_DATA:  # real (small-content) images of the declared sizes
        size = (entry["width"], entry["height"])
        pixels = rng.integers(0, 255, size=(8, 8, 3), dtype=np.uint8)
        Image.fromarray(pixels).resize(size).save(root / "VG_100K" / f"{entry['image_id']}.jpg")
    return root


@pytest.fixture(scope="session")
def detector_weights(tmp_path_factory, vg_root):
    """A tiny detector trained three steps on ``vg_root`` through the CLI."""
    from sgg_bench.cli import main

    outputs = tmp_path_factory.mktemp("detector-outputs")
    assert main(["train", "--model", "detector", "--dataset", "vg", "--output-root", str(outputs),
                 f"dataset.root={vg_root}", *FAST]) == 0
    return outputs / "vg" / "detector-tiny" / "checkpoints" / "model_final.pth"
