"""A small, hand-shaped pseudo-label dataset for tests of code that reads one.

Detector classes: person, animal, table. Target (caption) classes: man, woman, dog, table; predicates:
on, near, holding. Grounding vocabulary: person -> man, woman; animal -> dog; table -> table. Every image
has a person box overlapping a table box and an animal box away from both; the caption graph says
"man near table" and "dog near man" (odd images also "woman holding dog").
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sgg_bench.language.pseudo_labels import (PseudoLabelImage, PseudoLabelSet, PseudoLabelVocabulary,
                                              read_pseudo_labels, write_pseudo_labels)

BACKGROUND = "__background__"


def fixture_vocabulary() -> PseudoLabelVocabulary:
    return PseudoLabelVocabulary(
        ind_to_classes=[BACKGROUND, "man", "woman", "dog", "table"],
        ind_to_predicates=[BACKGROUND, "on", "near", "holding"],
        detector_classes=[BACKGROUND, "person", "animal", "table"],
        dataset_classes=[BACKGROUND, "dog", "man", "table", "woman"],
        dataset_predicates=[BACKGROUND, "holding", "near", "on"],
        detector_to_classes={0: [], 1: [1, 2], 2: [3], 3: [4]},
        class_to_dataset={1: [2], 2: [4], 3: [1], 4: [3]},
        predicate_to_dataset={1: [3], 2: [2], 3: [1]})


def _dists(labels: np.ndarray, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    dists = rng.uniform(0.0, 0.1, size=(len(labels), num_classes)).astype(np.float32)
    dists[np.arange(len(labels)), labels] += 1.0
    return dists / dists.sum(1, keepdims=True)


def fixture_image(image_id: int, *, rng: np.random.Generator, feature_dim: int, odd: bool) -> PseudoLabelImage:
    width, height = 200, 150
    # person (1) overlapping table (3); animal (2) on its own; a second person when odd.
    boxes = [[20, 20, 60, 120], [50, 70, 130, 130], [150, 90, 190, 140]]
    labels = [1, 3, 2]
    if odd:
        boxes.append([140, 60, 180, 145])  # a person overlapping the animal
        labels.append(1)
    boxes = np.asarray(boxes, np.float32) + rng.uniform(-2, 2, size=(len(boxes), 4)).astype(np.float32)
    labels = np.asarray(labels, np.int64)
    nodes = [1, 4, 3] + ([2] if odd else [])                     # man, table, dog (+ woman)
    triplets = [[0, 1, 2], [2, 0, 2]] + ([[3, 2, 3]] if odd else [])  # man near table, dog near man, woman holding dog
    return PseudoLabelImage(
        image_id=image_id, image_path=f"{image_id}.jpg", width=width, height=height, boxes=boxes,
        scores=rng.uniform(0.5, 1.0, size=len(labels)).astype(np.float32), labels=labels,
        dists=_dists(labels, 4, rng), features=rng.normal(size=(len(labels), feature_dim)).astype(np.float32),
        node_classes=np.asarray(nodes, np.int64), triplets=np.asarray(triplets, np.int64))


def tiny_pseudo_labels(root: str | os.PathLike, *, num_images: int = 6, seed: int = 0,
                       feature_dim: int = 8) -> PseudoLabelSet:
    """Write the fixture dataset to ``root`` and open it."""
    rng = np.random.default_rng(seed)
    images = [fixture_image(100 + i, rng=rng, feature_dim=feature_dim, odd=bool(i % 2)) for i in range(num_images)]
    write_pseudo_labels(Path(root), vocab=fixture_vocabulary(), images=images,
                        meta={"supervision": "language", "vocabulary": "open", "source": "fixture"})
    return read_pseudo_labels(root)
