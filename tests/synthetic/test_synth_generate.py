"""generate_synthetic: determinism, reuse, refusal to overwrite, resume from a partial run, bad arguments."""
import json
from pathlib import Path

import pytest

from sgg_bench.data.synthetic import generate_synthetic
from sgg_bench.errors import ConfigError


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tmp_path, tiny_root):
    again = tmp_path / "again"
    generate_synthetic(again, size="tiny", seed=0, progress=False, workers=1)
    assert _tree(again) == _tree(tiny_root)


def test_different_seed_gives_different_data(tmp_path, tiny_root):
    other = tmp_path / "other"
    generate_synthetic(other, size="tiny", seed=1, progress=False, workers=1)
    a, b = _tree(tiny_root), _tree(other)
    assert a["vg/VG-SGG-with-attri.h5"] != b["vg/VG-SGG-with-attri.h5"]
    assert a["captions/captions_test.json"] != b["captions/captions_test.json"]


def test_existing_output_is_reused_or_refused(tiny_root):
    summary = generate_synthetic(tiny_root, size="tiny", seed=0, progress=False)
    assert summary["reused"] is True and summary["num_images"] == 48
    with pytest.raises(ConfigError, match="seed=3"):
        generate_synthetic(tiny_root, size="tiny", seed=3, progress=False)


def test_resume_keeps_rendered_images(tmp_path, tiny_root):
    out = tmp_path / "resumed"
    partial = tmp_path / ".resumed.partial"
    (partial / "vg" / "VG_100K").mkdir(parents=True)
    (partial / "params.json").write_text(json.dumps({"generator": "sgg_bench.data.synthetic/1", "size": "tiny",
                                                     "seed": 0}))
    first = sorted((tiny_root / "vg" / "VG_100K").iterdir())[:5]
    for path in first:   # pretend these five were rendered before an interruption
        (partial / "vg" / "VG_100K" / path.name).write_bytes(path.read_bytes())
    summary = generate_synthetic(out, size="tiny", seed=0, progress=False, workers=1)
    assert summary["reused"] is False and not partial.exists()
    assert _tree(out) == _tree(tiny_root)


def test_summary_reports_counts(tiny_root):
    summary = json.loads((tiny_root / "summary.json").read_text())
    assert summary["num_images"] == summary["num_train"] + summary["num_test"] == 48
    assert sum(summary["predicate_histogram"].values()) == summary["num_relations"]
    assert summary["openimages_images"]["val"] == summary["num_val_im"]


@pytest.mark.parametrize("size, seed", [("huge", 0), ("tiny", -1), ("tiny", "0")])
def test_bad_arguments(tmp_path, size, seed):
    with pytest.raises(ConfigError):
        generate_synthetic(tmp_path / "x", size=size, seed=seed, progress=False)


def test_process_pool_gives_the_same_bytes(tmp_path, tiny_root):
    pooled = tmp_path / "pooled"
    generate_synthetic(pooled, size="tiny", seed=0, progress=False, workers=2)
    assert _tree(pooled) == _tree(tiny_root)
