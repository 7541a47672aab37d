"""Batches of scene graph images as a pure function of (seed, iteration).

``SceneGraphBatches.batch_at(i)`` always returns the same images for the same seed and
iteration, so a resumed run sees exactly the batches an uninterrupted run would have seen:
there is no sampler state to checkpoint.

Order: the global stream of image positions ``p = i * batch_size + k`` walks through epochs;
epoch ``e = p // len(dataset)`` uses the permutation ``default_rng(seed + e)``. A batch may
straddle two epochs. Under ``torch.distributed`` each rank keeps the slots ``k`` with
``k % world_size == rank`` of every global batch (the DistributedSampler split, per batch).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from PIL import Image


def decode_image(path: str | Path) -> torch.Tensor:
    """Read an image file as a (3, H, W) uint8 RGB tensor at its original size."""
    with Image.open(path) as image:
        array = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


class SceneGraphBatches:
    """Deterministic batches over an ``SGGDataset`` (or anything with ``len`` and ``[i]`` ->
    ``ImageRecord``).

    Args:
        dataset: records with ``image_id``, ``image_path``, ``width``, ``height``, ``boxes``
            (G, 4) float32 xyxy original pixels, ``labels`` (G,) int64, ``relations`` (R, 3)
            int64 and ``training_relations(rng)``.
        batch_size: images per *global* batch (all ranks together).
        seed: base seed of the epoch permutations and the duplicate-relation filtering.
        shuffle: permute each epoch; ``False`` walks the dataset in order.
        training: items carry ``training_relations`` (de-duplicated, seeded per
            (seed, iteration, slot)); otherwise the raw relation list.
        rank, world_size: this process's share of every global batch.
        cache_images: keep decoded images in memory (small datasets only).
    """

    def __init__(self, dataset: Any, *, batch_size: int, seed: int, shuffle: bool = True,
                 training: bool = True, rank: int = 0, world_size: int = 1,
                 cache_images: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world of size {world_size}")
        if batch_size < world_size:
            raise ValueError(f"global batch_size {batch_size} is smaller than world_size {world_size}: "
                             "some ranks would get no images")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.shuffle = bool(shuffle)
        self.training = bool(training)
        self.rank = int(rank)
        self.world_size = int(world_size)
        self.cache_images = bool(cache_images)
        self._image_cache: dict[int, torch.Tensor] = {}
        self._orders: dict[int, np.ndarray] = {}  # at most two epochs: a batch may straddle them

    def __len__(self) -> int:
        return len(self.dataset)

    def _epoch_order(self, epoch: int) -> np.ndarray:
        order = self._orders.get(epoch)
        if order is None:
            size = len(self.dataset)
            order = np.random.default_rng(self.seed + epoch).permutation(size) if self.shuffle else np.arange(size)
            self._orders = {epoch - 1: self._orders[epoch - 1]} if epoch - 1 in self._orders else {}
            self._orders[epoch] = order
        return order

    def indices_at(self, iteration: int) -> list[int]:
        """Dataset indices of this rank's share of global batch ``iteration``."""
        size = len(self.dataset)
        if size == 0:
            raise ValueError("cannot draw batches from an empty dataset")
        if iteration < 0:
            raise ValueError(f"iteration must be >= 0, got {iteration}")
        indices = []
        for slot in range(self.rank, self.batch_size, self.world_size):
            position = iteration * self.batch_size + slot
            epoch, offset = divmod(position, size)
            indices.append(int(self._epoch_order(epoch)[offset]))
        return indices

    def batch_at(self, iteration: int) -> list[dict]:
        """This rank's items of global batch ``iteration`` (see the module docstring)."""
        items = []
        slots = range(self.rank, self.batch_size, self.world_size)
        for slot, index in zip(slots, self.indices_at(iteration)):
            rng = np.random.default_rng([self.seed, iteration, slot])
            items.append(self.load_item(index, rng=rng))
        return items

    def iterate_once(self, batch_size: int | None = None) -> Iterator[list[dict]]:
        """Every image exactly once, in dataset order (inference); ``batch_size`` defaults to
        the constructor's. Ignores the rank split: callers decide who runs inference."""
        step = int(batch_size or self.batch_size)
        for start in range(0, len(self.dataset), step):
            stop = min(start + step, len(self.dataset))
            yield [self.load_item(index) for index in range(start, stop)]

    def load_item(self, index: int, rng: np.random.Generator | None = None) -> dict:
        """One item: ``image`` (3, H, W) float32 RGB in [0, 1] at original size, ``image_id``,
        ``image_path``, ``width``, ``height``, ``boxes`` (G, 4) float32 xyxy original pixels, ``labels`` (G,)
        int64, ``relations`` (R, 3) int64 (subject index, object index, predicate)."""
        record = self.dataset[index]
        if self.training and rng is not None:
            relations = record.training_relations(rng)
        else:
            relations = record.relations
        return {
            "image": self._image(index, record.image_path).float().div_(255.0),
            "image_id": int(record.image_id),
            "image_path": str(record.image_path),
            "width": int(record.width),
            "height": int(record.height),
            "boxes": torch.as_tensor(np.asarray(record.boxes, dtype=np.float32).reshape(-1, 4)),
            "labels": torch.as_tensor(np.asarray(record.labels, dtype=np.int64).reshape(-1)),
            "relations": torch.as_tensor(np.asarray(relations, dtype=np.int64).reshape(-1, 3)),
        }

    def _image(self, index: int, path: str | Path) -> torch.Tensor:
        if not self.cache_images:
            return decode_image(path)
        if index not in self._image_cache:
            self._image_cache[index] = decode_image(path)
        return self._image_cache[index]


class PrefetchingBatches:
    """Wraps anything with ``batch_at`` and computes the next ``depth`` batches in background
    threads while the current step runs (image decoding in PIL releases the GIL).

    Because ``batch_at`` is a pure function of the iteration, prefetching changes no result:
    ``PrefetchingBatches(b).batch_at(i) == b.batch_at(i)`` for every ``i``, in any order.
    Worth it when a step is short next to decoding (GPU training on real images); on a small
    CPU machine the threads compete with the step itself.
    """

    def __init__(self, batches: Any, *, depth: int = 2, workers: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        if depth < 1 or workers < 1:
            raise ValueError(f"depth and workers must be >= 1, got {depth} and {workers}")
        self.batches = batches
        self.depth = int(depth)
        self._pool = ThreadPoolExecutor(max_workers=int(workers), thread_name_prefix="sgg-prefetch")
        self._pending: dict = {}

    def __len__(self) -> int:
        return len(self.batches)

    def batch_at(self, iteration: int) -> list[dict]:
        future = self._pending.pop(iteration, None)
        # Anything queued for other iterations is stale once the caller jumps (e.g. resume).
        for stale in [i for i in self._pending if not iteration < i <= iteration + self.depth]:
            self._pending.pop(stale).cancel()
        for ahead in range(iteration + 1, iteration + 1 + self.depth):
            if ahead not in self._pending:
                self._pending[ahead] = self._pool.submit(self.batches.batch_at, ahead)
        return future.result() if future is not None else self.batches.batch_at(iteration)

    def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)
