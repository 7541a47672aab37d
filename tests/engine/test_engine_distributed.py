"""Two gloo processes under torchrun: both ranks end with the weights of one process that
sees the whole global batch, and sharded inference writes the same file as one process."""
import subprocess
import sys
from pathlib import Path

import torch

from engine_toy import build_trainer
from sgg_bench.engine import checkpoint as ckpt
from sgg_bench.engine.inference import write_predictions
from sgg_bench.evaluation.predictions import read_predictions

TOY = Path(__file__).with_name("engine_toy.py")


def test_two_gloo_ranks_match_single_process(tmp_path):
    data_dir = tmp_path / "data"
    single = build_trainer(run_dir=tmp_path / "single", data_dir=data_dir, max_iter=6, period=0, dropout=0.0)
    single.train()
    expected = ckpt.unwrap(single.model).state_dict()

    run_dir = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(TOY),
               "--run-dir", str(run_dir), "--data-dir", str(data_dir), "--max-iter", "6", "--period", "3",
               "--dropout", "0"]
    result = subprocess.run(command, timeout=180, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]

    rank0 = torch.load(run_dir / "weights_rank0.pt", weights_only=True)
    rank1 = torch.load(run_dir / "weights_rank1.pt", weights_only=True)
    saved = ckpt.load_checkpoint(run_dir / "checkpoints" / "model_final.pth")
    assert len(saved["rng"]) == 2  # every rank's generators are kept for an exact resume
    for key in expected:
        assert torch.equal(rank0[key], rank1[key]), key
        assert torch.allclose(rank0[key], expected[key], atol=1e-6), key
        assert torch.equal(saved["model"][key], rank0[key]), key

    write_predictions(single.model, single.batches.dataset, tmp_path / "single.h5", dataset_name="toy",
                      mode="predcls", batch_size=4, progress=False)
    with read_predictions(tmp_path / "single.h5") as one, read_predictions(run_dir / "predictions.h5") as two:
        assert list(one.image_ids) == list(two.image_ids) == [r.image_id for r in single.batches.dataset.records]
        for a, b in zip(one, two):
            assert a.image_id == b.image_id and (a.rel_pairs == b.rel_pairs).all()
            assert torch.allclose(torch.from_numpy(a.rel_scores), torch.from_numpy(b.rel_scores), atol=1e-6)
    assert sorted(p.name for p in run_dir.iterdir() if p.suffix == ".h5") == ["predictions.h5"]  # shards removed
