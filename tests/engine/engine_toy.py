"""A toy dataset and model for the engine tests, runnable as a script (subprocess / torchrun).

Script use::

    python engine_toy.py --run-dir R --data-dir D --max-iter N [--period P] [--resume]
        [--step-sleep S] [--hang-on-save-at K] [--batch-size B] [--dropout p]

Under torchrun it joins the gloo group, each rank writes ``R/weights_rank<r>.pt``, and all ranks
predict the toy images into ``R/predictions.h5`` (sharded, merged by rank 0).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sgg_bench.engine import distributed as dist_utils  # noqa: E402
from sgg_bench.engine.hooks import Hook  # noqa: E402
from sgg_bench.engine.inference import write_predictions  # noqa: E402
from sgg_bench.engine.loader import SceneGraphBatches  # noqa: E402
from sgg_bench.engine.schedule import WarmupMultiStepLR, build_optimizer  # noqa: E402
from sgg_bench.engine.trainer import Trainer, seed_everything  # noqa: E402
from sgg_bench.structures import DatasetVocabulary, ImagePrediction  # noqa: E402


@dataclass
class ToyRecord:
    """Mimics ``sgg_bench.data.ImageRecord``."""

    image_id: int
    image_path: Path
    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray

    def training_relations(self, rng: np.random.Generator) -> np.ndarray:
        """One random predicate per (subject, object) pair, as the data layer does."""
        if len(self.relations) == 0:
            return self.relations
        keep = {}
        for row in rng.permutation(len(self.relations)):
            keep.setdefault(tuple(self.relations[row, :2]), row)
        return self.relations[sorted(keep.values())]


class ToyDataset:
    """Mimics ``SGGDataset``: ``len``, ``[i]``, ``vocab`` and ``split``."""

    vocab = DatasetVocabulary(["__background__", "a", "b", "c"], ["__background__", "p1", "p2", "p3", "p4"])
    split = "test"

    def __init__(self, records: list[ToyRecord]):
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> ToyRecord:
        return self.records[index]


def make_toy_dataset(directory: str | Path, num_images: int = 10, seed: int = 0) -> ToyDataset:
    """``num_images`` small random images with 1-3 boxes and duplicate relations."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    records = []
    for index in range(num_images):
        width, height = 12 + index % 3, 10
        path = directory / f"{index}.png"
        if not path.exists():
            pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path)
        count = 1 + index % 3
        boxes = np.array([[0, 0, 4 + i, 5] for i in range(count)], dtype=np.float32)
        labels = np.arange(1, count + 1, dtype=np.int64)
        relations = np.array([[0, count - 1, 1 + index % 4], [0, count - 1, 2]], dtype=np.int64)
        records.append(ToyRecord(index + 100, path, width, height, boxes, labels, relations))
    return ToyDataset(records)


class ToyModel(torch.nn.Module):
    """Regresses a relation-dependent target from image colour and box statistics.
    Returns a per-image mean loss, so DDP gradient averaging equals one big batch."""

    def __init__(self, dropout: float = 0.2):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                                       torch.nn.Linear(16, 1))

    def _outputs(self, batch: list[dict]) -> torch.Tensor:
        rows = []
        for item in batch:
            colour = item["image"].mean(dim=(1, 2))
            extra = torch.stack([item["boxes"].shape[0] * torch.ones(()), item["labels"].float().mean()])
            rows.append(torch.cat([colour, extra]))
        return self.net(torch.stack(rows)).squeeze(1)

    def forward(self, batch: list[dict]) -> dict:
        targets = torch.stack([item["relations"][:, 2].float().sum() / 4.0 for item in batch])
        return {"loss_mse": torch.nn.functional.mse_loss(self._outputs(batch), targets)}

    @torch.no_grad()
    def predict(self, batch: list[dict]) -> list[ImagePrediction]:
        """GT boxes, every ordered pair, a predicate distribution that depends on the weights."""
        predictions = []
        for item, value in zip(batch, self._outputs(batch)):
            n = item["boxes"].shape[0]
            pairs = [(s, o) for s in range(n) for o in range(n) if s != o]
            scores = torch.softmax(value * torch.arange(5.0), dim=0).repeat(len(pairs), 1)
            predictions.append(ImagePrediction(
                image_id=item["image_id"], boxes=item["boxes"].numpy(), labels=item["labels"].numpy(),
                scores=np.ones(n, np.float32), rel_pairs=np.array(pairs, np.int64).reshape(-1, 2),
                rel_scores=scores.numpy()))
        return predictions


class SleepHook(Hook):
    """Slows steps down so a test can kill the process mid-run."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def after_step(self, trainer) -> None:
        time.sleep(self.seconds)


def hang_on_save(iteration_to_hang: int) -> None:
    """Make the checkpoint save of ``iteration_to_hang`` write half a file, then block
    forever (the test kills the process while the temporary file is half-written)."""
    real_save = torch.save

    def partial_save(state, path, *args, **kwargs):
        if isinstance(state, dict) and state.get("iteration") == iteration_to_hang:
            with open(path, "wb") as handle:
                handle.write(b"PK\x03\x04 half a checkpoint")
                handle.flush()
                os.fsync(handle.fileno())
            while True:
                time.sleep(1)
        return real_save(state, path, *args, **kwargs)

    torch.save = partial_save


def build_trainer(*, run_dir, data_dir, max_iter, period, batch_size=4, dropout=0.2, hooks=(), seed=3,
                  keep_checkpoints=None):
    dataset = make_toy_dataset(data_dir)
    seed_everything(seed)
    model = ToyModel(dropout=dropout)
    model = dist_utils.wrap_model(model, torch.device("cpu"))
    optimizer = build_optimizer(model.parameters(), name="sgd", base_lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = WarmupMultiStepLR(optimizer, milestones=[max_iter // 2], gamma=0.5, warmup_iters=3)
    batches = SceneGraphBatches(dataset, batch_size=batch_size, seed=seed, rank=dist_utils.get_rank(),
                                world_size=dist_utils.get_world_size())
    return Trainer(model, optimizer, batches, max_iter=max_iter, run_dir=run_dir, scheduler=scheduler,
                   hooks=hooks, grad_clip=1.0, checkpoint_period=period, seed=seed,
                   keep_checkpoints=keep_checkpoints)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--max-iter", type=int, required=True)
    parser.add_argument("--period", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--step-sleep", type=float, default=0.0)
    parser.add_argument("--hang-on-save-at", type=int, default=-1)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    distributed = dist_utils.init_from_environment()
    if args.hang_on_save_at >= 0:
        hang_on_save(args.hang_on_save_at)
    hooks = [SleepHook(args.step_sleep)] if args.step_sleep > 0 else []
    trainer = build_trainer(run_dir=args.run_dir, data_dir=args.data_dir, max_iter=args.max_iter,
                            period=args.period, batch_size=args.batch_size, dropout=args.dropout, hooks=hooks)
    trainer.train(resume=args.resume)
    if distributed:  # every rank predicts its share; rank 0 merges the shards
        write_predictions(trainer.model, trainer.batches.dataset, Path(args.run_dir) / "predictions.h5",
                          dataset_name="toy", mode="predcls", batch_size=3, progress=False)
        weights = {k: v.clone() for k, v in trainer.model.module.state_dict().items()}
        torch.save(weights, Path(args.run_dir) / f"weights_rank{dist_utils.get_rank()}.pt")
        dist_utils.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
