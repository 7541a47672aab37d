"""Bi-level resampling of the training images (BGNN, Li et al. 2021; PySGG
``pysgg/data/datasets/bi_lvl_rsmp.py``), usable by any relation head (``dataset.resampling``).

Image level (repeat factor sampling): with f_c the share of predicate c among the training
relations (one predicate per (subject, object) pair, as the training targets) and t the
``repeat_factor``, each predicate gets r_c = max(1, sqrt(t / f_c)), rounded to an integer
stochastically (floor + 1 with probability equal to the fraction, one draw per predicate, as
PySGG); an image is repeated r_i = max of r_c over its predicates (1 without relations).

Instance level (predicate drop-out): each time a repeated image (r_i > 1) is loaded for training,
each of its relations is dropped with probability clip((1 - r_c / r_i) * ``drop_rate``, 0, 1),
so the frequent predicates of images repeated for a rare one are not repeated with them. A
dropped relation leaves the targets (the pair may then be drawn as background, as in PySGG).

Determinism: the rounding draws come from ``numpy.random.default_rng([seed, ROUNDING_STREAM])``
and the drops from the per-(seed, iteration, slot) generator the loader hands to
``training_relations``, so batches stay a pure function of (seed, iteration) and resume exactly.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from sgg_bench.data.dataset import ImageRecord

ROUNDING_STREAM = 0xB1  # separates the rounding / counting draws from the loader's streams
EPS = 1e-11             # PySGG's guard in both formulas


def predicate_counts(dataset: Any, num_predicates: int, rng: np.random.Generator) -> np.ndarray:
    """(C_rel,) int64 counts of each predicate among the training targets of every image
    (``training_relations``: de-duplicated to one predicate per pair where the split is)."""
    counts = np.zeros(num_predicates, dtype=np.int64)
    for index in range(len(dataset)):
        predicates = dataset[index].training_relations(rng)[:, 2]
        counts += np.bincount(predicates, minlength=num_predicates)[:num_predicates]
    return counts


def class_repeat_factors(counts: np.ndarray, *, repeat_factor: float, rng: np.random.Generator) -> np.ndarray:
    """(C_rel,) predicate counts (column 0 = background, ignored) -> (C_rel,) int64 repeat
    factors r_c (r_0 = 1)."""
    counts = np.asarray(counts, dtype=np.float64)
    frequency = counts / (counts.sum() + EPS)
    factors = np.sqrt(repeat_factor / (frequency[1:] + EPS))
    factors = np.clip(factors, 1.0, factors.max(initial=1.0) + 1)
    whole = np.floor(factors)
    rounded = whole + (rng.random(factors.shape) < factors - whole)
    return np.concatenate([[1], rounded]).astype(np.int64)


def image_repeat_factor(predicates: np.ndarray, class_repeats: np.ndarray) -> int:
    """r_i = max of r_c over the image's predicates; 1 for an image without relations."""
    predicates = np.asarray(predicates, dtype=np.int64)
    return int(class_repeats[predicates].max()) if predicates.size else 1


def drop_probabilities(predicates: np.ndarray, class_repeats: np.ndarray, image_repeat: int,
                       drop_rate: float) -> np.ndarray:
    """(R,) probability of dropping each relation of an image repeated ``image_repeat`` times."""
    predicates = np.asarray(predicates, dtype=np.int64)
    if image_repeat <= 1:
        return np.zeros(predicates.shape, dtype=np.float64)
    share = class_repeats[predicates] / (image_repeat + EPS)
    return np.clip((1.0 - share) * drop_rate, 0.0, 1.0)


@dataclass
class DroppingImageRecord(ImageRecord):
    """An ``ImageRecord`` whose training relations go through the instance-level drop-out."""

    class_repeats: np.ndarray | None = None
    image_repeat: int = 1
    drop_rate: float = 0.0

    def training_relations(self, rng: np.random.Generator | None = None) -> np.ndarray:
        rng = rng if rng is not None else np.random.default_rng()
        relations = super().training_relations(rng)
        if self.image_repeat <= 1 or len(relations) == 0:
            return relations
        dropped = rng.random(len(relations)) < drop_probabilities(relations[:, 2], self.class_repeats,
                                                                  self.image_repeat, self.drop_rate)
        return relations[~dropped]


class BilevelResampledDataset:
    """``dataset`` with image i listed r_i times (consecutively) and the drop-out on its items.

    Attributes other than ``len`` and ``[j]`` (vocab, split, root, ...) are the dataset's own.
    class_repeats (C_rel,), image_repeats (N,): the factors, for reports and tests.
    """

    def __init__(self, dataset: Any, *, repeat_factor: float, drop_rate: float, seed: int):
        if repeat_factor <= 0:
            raise ValueError(f"bilevel resampling: repeat_factor: expected > 0, found {repeat_factor}")
        if drop_rate < 0:
            raise ValueError(f"bilevel resampling: drop_rate: expected >= 0, found {drop_rate}")
        self.dataset = dataset
        self.repeat_factor, self.drop_rate = float(repeat_factor), float(drop_rate)
        rng = np.random.default_rng([int(seed), ROUNDING_STREAM])
        num_predicates = dataset.vocab.num_predicate_classes
        self.class_repeats = class_repeat_factors(predicate_counts(dataset, num_predicates, rng),
                                                  repeat_factor=self.repeat_factor, rng=rng)
        # The image factors use the same kind of targets as the counts (one predicate per pair).
        self.image_repeats = np.array([image_repeat_factor(dataset[i].training_relations(rng)[:, 2],
                                                           self.class_repeats) for i in range(len(dataset))],
                                      dtype=np.int64)
        self.positions = np.repeat(np.arange(len(dataset), dtype=np.int64), self.image_repeats)

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def __getitem__(self, j: int) -> DroppingImageRecord:
        index = int(self.positions[j])
        record = self.dataset[index]
        return DroppingImageRecord(**{f.name: getattr(record, f.name) for f in dataclasses.fields(ImageRecord)},
                                   class_repeats=self.class_repeats, image_repeat=int(self.image_repeats[index]),
                                   drop_rate=self.drop_rate)

    def __getattr__(self, name: str):
        if name == "dataset":  # not yet set (copy / unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def summary(self) -> dict:
        """What a run folder records about the resampling."""
        return {"method": "bilevel", "repeat_factor": self.repeat_factor, "drop_rate": self.drop_rate,
                "images": len(self.dataset), "resampled_images": len(self),
                "class_repeats": self.class_repeats.tolist()}


def resample_for_training(dataset: Any, resampling: Mapping[str, Any], *, seed: int) -> Any:
    """The training view ``dataset.resampling`` asks for: the dataset itself for ``none``."""
    method = resampling.get("method", "none")
    if method == "none":
        return dataset
    if method == "bilevel":
        return BilevelResampledDataset(dataset, repeat_factor=float(resampling["repeat_factor"]),
                                       drop_rate=float(resampling["drop_rate"]), seed=seed)
    raise ValueError(f"dataset.resampling.method: expected none | bilevel, found {method!r}")
