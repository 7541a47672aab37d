"""A killed inference leaves hidden files (the writer's temporary file, rank shards); the next
inference into the same file removes them and leaves only the finished file."""
from pathlib import Path

from sgg_bench.engine.inference import remove_stale_files


def test_stale_inference_files_are_removed(tmp_path):
    target = tmp_path / "predictions.h5"
    stale = [tmp_path / ".predictions.h5.ab12cd.tmp", tmp_path / ".predictions.rank1.h5"]
    kept = [tmp_path / "predictions.h5", tmp_path / ".val_predictions.h5.x.tmp", tmp_path / "checkpoints.tmp"]
    for path in stale + kept:
        path.write_bytes(b"x")
    removed = remove_stale_files(target)
    assert sorted(removed) == sorted(stale)
    assert all(not p.exists() for p in stale) and all(p.exists() for p in kept)
    assert remove_stale_files(Path(tmp_path / "none.h5")) == []
