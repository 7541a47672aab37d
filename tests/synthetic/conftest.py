"""One tiny synthetic dataset per test session (about a second to generate)."""
from pathlib import Path

import pytest

from sgg_bench.data.synthetic import generate_synthetic, sample_scenes, SIZES


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "tiny"
    generate_synthetic(out, size="tiny", seed=0, progress=False, workers=1)
    return out


@pytest.fixture(scope="session")
def tiny_scenes():
    return sample_scenes(SIZES["tiny"], 0)
