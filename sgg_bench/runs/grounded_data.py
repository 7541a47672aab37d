"""What a grounded run reads, made when missing (docs/LANGUAGE.md, "Settings"):

    off-the-shelf detector   ``language.detector_run`` or <output_root>/<dataset>-det/detector-tiny
                             (trained first on the synthetic detection-only world when missing)
    train pseudo labels      ``language.pseudo_labels`` or <output_root>/<dataset>/.pseudo-labels/<kind>
                             kind: language-closed | language-open (captions), weak (GT graphs without
                             boxes; also the detections the full setting labels from the localized GT)
    test detections          ``language.test_detections`` or .../.pseudo-labels/detections-test
    the dataset's train / test splits (weights, the full setting's GT, evaluation)

A folder that exists is reused as it is (delete it to rebuild); each is written atomically by
``sgg-bench pseudo-label`` / ``build_pseudo_labels``, so a half-built one never appears.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from sgg_bench.errors import ConfigError

logger = logging.getLogger("sgg_bench.engine")
PSEUDO_LABEL_FILE = "pseudo-labels.json"


@dataclass
class GroundedData:
    train: Any                 # PseudoLabelSet of the training images
    test: Any                  # PseudoLabelSet of the test images (detections only)
    train_root: Path
    test_root: Path
    dataset_train: Any         # SGGDataset, train split
    dataset_test: Any          # SGGDataset, test split (the evaluator's ground truth)
    dataset_vocab: Any         # DatasetVocabulary of the dataset
    localized: Optional[Any]   # full setting: the localized GT of every training image, else None


class _Records:
    """The train and val records of a dataset as one indexable list (the pseudo-label train
    images may include the images the loader carves out for validation)."""

    def __init__(self, *parts):
        self.parts = [p for p in parts if p is not None]
        self.sizes = [len(p) for p in self.parts]

    def __len__(self) -> int:
        return sum(self.sizes)

    def __getitem__(self, i: int):
        for part, size in zip(self.parts, self.sizes):
            if i < size:
                return part[i]
            i -= size
        raise IndexError(i)


class TopDetections:
    """A ``PseudoLabelSet`` whose images keep only their ``limit`` best-scored detections (the stored
    ones are sorted by score); everything else is the set's own."""

    def __init__(self, pseudo_labels, limit: int):
        self.inner, self.limit = pseudo_labels, int(limit)
        self.vocab, self.image_ids, self.meta = pseudo_labels.vocab, pseudo_labels.image_ids, pseudo_labels.meta
        self.feature_dim, self.root = pseudo_labels.feature_dim, pseudo_labels.root

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, i: int):
        image = self.inner[i]
        order = np.argsort(-image.scores, kind="stable")[: self.limit]
        return dataclasses.replace(image, **{name: getattr(image, name)[order] for name in
                                             ("boxes", "scores", "labels", "dists", "features")})

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def class_counts(self):
        return self.inner.class_counts()


def detector_run_dir(cfg) -> Path:
    given = str(cfg.language.detector_run or "")
    if given:
        return Path(given)
    return Path(cfg.run.output_root) / f"{cfg.dataset.name}-det" / "detector-tiny"


def ensure_detector(cfg) -> Path:
    """The off-the-shelf detector's run folder; on the synthetic data it is trained when missing."""
    run_dir = detector_run_dir(cfg)
    if (run_dir / "checkpoints" / "model_final.pth").is_file():
        return run_dir
    if cfg.language.detector_run or cfg.dataset.name != "synth":
        raise ConfigError(f"language.detector_run: {run_dir}/checkpoints/model_final.pth does not exist "
                          f"(train the off-the-shelf detector first: sgg-bench train --model detector --dataset "
                          f"{cfg.dataset.name}-det)")
    from sgg_bench.runs.train import TrainRequest, _run, validate

    request = TrainRequest(model="detector", dataset="synth-det", output_root=str(cfg.run.output_root),
                           overrides=[f"run.device={cfg.run.device}"], resume=run_dir.exists())
    logger.info("no off-the-shelf detector at %s: training it on the detection-only world first", run_dir)
    _run(request, validate(request), console=False)
    return run_dir


def _captions_path(cfg) -> Path:
    given = str(cfg.language.captions or "")
    return Path(given) if given else Path(cfg.dataset.root).parent / "captions" / "captions_train.json"


def pseudo_label_dirs(cfg) -> tuple[Path, Path]:
    """(train folder, test-detections folder) of this config."""
    language = cfg.language
    base = Path(cfg.run.output_root) / cfg.dataset.name / ".pseudo-labels"
    kind = f"language-{language.vocabulary}" if language.supervision == "language" else "weak"
    train = Path(language.pseudo_labels) if language.pseudo_labels else base / kind
    test = Path(language.test_detections) if language.test_detections else base / "detections-test"
    return train, test


def _build(out_dir: Path, cfg, **options) -> None:
    from sgg_bench.language.pseudo_label_build import build_pseudo_labels

    logger.info("building pseudo labels %s", out_dir)
    build_pseudo_labels(str(out_dir), dataset_root=str(cfg.dataset.root), detector_run=str(ensure_detector(cfg)),
                        detections_per_image=int(cfg.language.detections_per_image), **options)


def ensure_pseudo_labels(cfg) -> tuple[Path, Path]:
    """Build the train pseudo labels and the test detections of ``cfg`` when missing."""
    train, test = pseudo_label_dirs(cfg)
    language = cfg.language
    if not (train / PSEUDO_LABEL_FILE).is_file():
        if language.pseudo_labels:
            raise ConfigError(f"language.pseudo_labels: {train}/{PSEUDO_LABEL_FILE} does not exist")
        if language.supervision == "language":
            captions = _captions_path(cfg)
            if not captions.is_file():
                raise ConfigError(f"language.captions: {captions} does not exist (the train images' captions)")
            _build(train, cfg, captions=str(captions), vocabulary=str(language.vocabulary))
        else:
            _build(train, cfg, weak=True, split="train")
    if not (test / PSEUDO_LABEL_FILE).is_file():
        if language.test_detections:
            raise ConfigError(f"language.test_detections: {test}/{PSEUDO_LABEL_FILE} does not exist")
        _build(test, cfg, split="test")
    return train, test


def prepare_grounded_data(cfg) -> GroundedData:
    from sgg_bench.language.pseudo_labels import read_pseudo_labels
    from sgg_bench.runs.splits import open_split

    if cfg.language.supervision != "language" and cfg.language.vocabulary == "open":
        raise ConfigError("language.vocabulary: 'open' keeps the caption vocabulary, so it needs "
                          f"--supervision language, found {cfg.language.supervision!r}")
    train_root, test_root = ensure_pseudo_labels(cfg)
    train, test = read_pseudo_labels(train_root), read_pseudo_labels(test_root)
    limit = int(cfg.language.max_detections)
    if limit > 0:
        train, test = TopDetections(train, limit), TopDetections(test, limit)
    dataset_train, dataset_test = open_split(cfg, "train"), open_split(cfg, "test")
    localized = None
    if cfg.language.supervision == "full":
        localized = _Records(dataset_train, open_split(cfg, "val"))
    return GroundedData(train=train, test=test, train_root=train_root, test_root=test_root,
                        dataset_train=dataset_train, dataset_test=dataset_test, dataset_vocab=dataset_test.vocab,
                        localized=localized)
