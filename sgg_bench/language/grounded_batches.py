"""Training batches over a pseudo-label dataset, grounded anew for every (seed, iteration, slot).

``GroundedBatches`` walks the images exactly like ``engine.loader.SceneGraphBatches`` (same epoch
permutations, same rank split, no sampler state), but its items are the stored detections and graph
instead of decoded images, plus the grounding targets (docs/LANGUAGE.md §8.2) of ``grounding.ground`` (or ``ground_localized`` when a
localized ground-truth dataset is given: the full setting). Works with the engine's ``Trainer``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sgg_bench.engine.loader import SceneGraphBatches
from sgg_bench.language.grounding import GroundingConfig, ground, ground_localized

IMAGE_FIELDS = ("boxes", "scores", "labels", "dists", "features", "node_classes", "triplets")
TARGET_FIELDS = ("box_labels", "box_nodes", "pairs", "pair_predicates", "pair_kind")


class GroundedBatches(SceneGraphBatches):
    """Args: ``pseudo_labels`` (a ``PseudoLabelSet``), ``batch_size``, ``seed``, ``shuffle``, ``rank``,
    ``world_size`` as for ``SceneGraphBatches``; ``config`` the grounding settings; ``localized`` an
    ``SGGDataset`` of the same images (train split) for the full setting, else None;
    ``transformer_variant`` adds the background-box pairs (rule 3).

    ``batch_at(i)`` -> list of dicts: ``image_id``, ``image_path``, ``width``, ``height``, the image's
    arrays as tensors (``boxes`` (N, 4) float32, ``scores``, ``labels``, ``dists`` (N, C_det + 1),
    ``features`` (N, D), ``node_classes`` (K,), ``triplets`` (T, 3)) and the targets ``box_labels`` (N,),
    ``box_nodes`` (N,), ``pairs`` (M, 2), ``pair_predicates`` (M,), ``pair_kind`` (M,), all int64.
    ``iterate_once`` yields the same dicts without targets (inference)."""

    def __init__(self, pseudo_labels: Any, *, batch_size: int, seed: int, shuffle: bool = True, rank: int = 0,
                 world_size: int = 1, config: GroundingConfig = GroundingConfig(), localized: Any = None,
                 transformer_variant: bool = True):
        super().__init__(pseudo_labels, batch_size=batch_size, seed=seed, shuffle=shuffle, training=True,
                         rank=rank, world_size=world_size, cache_images=False)
        self.config = config
        self.transformer_variant = bool(transformer_variant)
        self.detector_to_classes = pseudo_labels.vocab.detector_to_classes
        self.localized = localized
        self._localized_index = None
        if localized is not None:
            self._localized_index = {int(localized[i].image_id): i for i in range(len(localized))}
            missing = [int(i) for i in pseudo_labels.image_ids if int(i) not in self._localized_index]
            if missing:
                raise ValueError(f"localized ground truth lacks {len(missing)} pseudo-label images (first: {missing[0]})")

    def targets(self, image, rng: np.random.Generator):
        """The grounded targets of one ``PseudoLabelImage`` with ``rng``."""
        if self.localized is None:
            return ground(image, detector_to_classes=self.detector_to_classes, rng=rng, config=self.config,
                          transformer_variant=self.transformer_variant)
        record = self.localized[self._localized_index[int(image.image_id)]]
        return ground_localized(image, gt_boxes=record.boxes, gt_labels=record.labels, gt_relations=record.relations,
                                rng=rng, config=self.config, transformer_variant=self.transformer_variant)

    def load_item(self, index: int, rng: np.random.Generator | None = None) -> dict:
        image = self.dataset[index]
        item = {"image_id": int(image.image_id), "image_path": image.image_path, "width": int(image.width),
                "height": int(image.height)}
        item.update({name: torch.from_numpy(np.ascontiguousarray(getattr(image, name))) for name in IMAGE_FIELDS})
        if rng is not None:
            targets = self.targets(image, rng)
            item.update({name: torch.from_numpy(getattr(targets, name)) for name in TARGET_FIELDS})
        return item
