"""Public entry points: ``evaluate`` (in-memory) and ``evaluate_predictions`` (files).

Both return ``{"metrics": {flat key: float | None}, "per_predicate": {K: {name: recall}},
"info": {...}, "tie_ranges": {metric: [low, high]}}``; a metric that cannot be computed is None
(JSON null), never 0. ``tie_ranges`` holds the metrics whose value depends on how tied candidates
are ordered at a cut: the lowest and highest value over all tie orders (ties.py).
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from sgg_bench.errors import DataFormatError
from sgg_bench.evaluation.batches import GroundTruthBatch, PredictionBatch
from sgg_bench.evaluation.longtail import frequency_groups, group_mean_recall
from sgg_bench.evaluation.openimages_protocol import OpenImagesEvaluator
from sgg_bench.evaluation.vg_protocol import VGEvaluator
from sgg_bench.structures import ImageGroundTruth, ImagePrediction

EVALUATOR_VERSION = "1.1.0"   # 1.1: ngR ties ranked exactly as KT (numpy default argsort)
PROTOCOLS = ("vg", "oi")
VARIANTS = ("phrdet", "preddet")


def evaluate(ground_truth: Sequence[ImageGroundTruth], predictions: Mapping[int, ImagePrediction], *,
             mode: str, protocol: str = "vg", predicate_names: Sequence[str] | None = None,
             num_rel_classes: int | None = None, num_obj_classes: int | None = None,
             zeroshot: np.ndarray | None = None, allow_missing: bool = False, **options) -> dict:
    """Score in-memory predictions (image id -> ImagePrediction) against ``ground_truth``.

    predicate_names: (C,) names with ``__background__`` first; C may instead be given as
    ``num_rel_classes``. Other options: see ``run_evaluation``.
    """
    if num_rel_classes is None:
        if predicate_names is None:
            raise ValueError("evaluate: give predicate_names or num_rel_classes")
        num_rel_classes = len(predicate_names)
    gt = GroundTruthBatch.from_images(list(ground_truth))
    if num_obj_classes is None:
        labels = [gt.labels] + [np.asarray(p.labels).reshape(-1) for p in predictions.values()]
        num_obj_classes = int(max((int(x.max()) for x in labels if len(x)), default=0)) + 1
    ids = np.array([int(i) for i in predictions], dtype=np.int64)

    def batches(wanted_ids: np.ndarray) -> Iterator[PredictionBatch]:
        wanted = [predictions[int(i)] for i in wanted_ids]
        for start in range(0, len(wanted), 4096):
            yield PredictionBatch.from_images(wanted[start:start + 4096], num_rel_classes)

    return run_evaluation(gt, ids, batches, mode=mode, protocol=protocol, num_obj_classes=num_obj_classes,
                          num_rel_classes=num_rel_classes, predicate_names=predicate_names, zeroshot=zeroshot,
                          allow_missing=allow_missing, source="predictions", **options)


def run_evaluation(gt: GroundTruthBatch, prediction_ids: np.ndarray, load_batches, *, mode: str, protocol: str,
                   num_obj_classes: int, num_rel_classes: int, predicate_names: Sequence[str] | None = None,
                   zeroshot: np.ndarray | None = None, allow_missing: bool = False, motifs_rule: bool = False,
                   variant: str | None = None, predicate_counts: Sequence[int] | None = None,
                   longtail_groups: Mapping[str, Sequence[int]] | None = None, detection: bool | None = None,
                   multiple_preds: bool = False, iou_threshold: float = 0.5, source: str = "predictions",
                   progress: bool = False, late_options=None) -> dict:
    """Shared core. ``load_batches(ids)`` yields PredictionBatch objects covering exactly the images ``ids``
    (any grouping, any order). Images of ``gt`` without predictions raise unless ``allow_missing``; then
    they count as having no prediction (skipped under KT rules, recall 0 under ``motifs_rule``).
    Predictions for images not in ``gt`` raise unless ``allow_missing``; then they are ignored and counted.
    late_options: optional callable returning more keyword options (``predicate_counts``) once the
    images are scored, for values computed meanwhile.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {PROTOCOLS}")
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    started = time.perf_counter()
    gt_index = _IdIndex(gt.image_ids)
    if len(np.unique(gt.image_ids)) != len(gt.image_ids):
        raise ValueError("ground truth holds an image id twice")
    prediction_ids = np.asarray(prediction_ids, dtype=np.int64)
    known = gt_index.contains(prediction_ids)
    extra = prediction_ids[~known]
    missing = np.setdiff1d(gt.image_ids, prediction_ids)
    if len(missing) and not allow_missing:
        raise DataFormatError(source, "image_ids", f"predictions for every {len(gt)} ground-truth images",
                              f"{len(missing)} missing, e.g. {_examples(missing)} (use --allow-missing)")
    if len(extra) and not allow_missing:
        raise DataFormatError(source, "image_ids", "only images of the evaluated split",
                              f"{len(extra)} unknown, e.g. {_examples(extra)}")
    eval_mode = variant or mode
    vg = VGEvaluator(mode=eval_mode, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                     zeroshot=zeroshot, iou_threshold=iou_threshold, motifs_rule=motifs_rule,
                     multiple_preds=multiple_preds)
    oi = OpenImagesEvaluator(num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                             iou_threshold=iou_threshold) if protocol == "oi" else None
    detection = (mode == "sgdet" and variant is None) if detection is None else detection
    box_batches: list[PredictionBatch] = []
    wanted = prediction_ids[known]
    batches: Iterable[PredictionBatch] = load_batches(wanted)
    if progress:
        from tqdm import tqdm
        batches = tqdm(batches, desc="evaluating", unit="batch")
    for batch in batches:
        batch = _drop_unknown(batch, gt_index)
        positions = gt_index.positions(batch.image_ids)
        gt_part = gt.subset(positions)
        if eval_mode in ("predcls", "preddet"):
            _check_gt_boxes(source, gt_part, batch, eval_mode)
        vg.process(gt_part, batch)
        if oi is not None:
            oi.process(gt_part, batch)
        if detection:
            box_batches.append(_boxes_only(batch, num_rel_classes))
    if len(missing):
        positions = gt_index.positions(missing)
        empty = PredictionBatch.empty(missing, num_rel_classes)
        vg.process(gt.subset(positions), empty)
        if oi is not None:
            oi.process(gt.subset(positions), empty)

    metrics = vg.evaluate()
    tie_ranges = vg.tie_ranges(metrics)
    per_k = vg.per_predicate("mR")
    names = list(predicate_names) if predicate_names is not None else [str(c) for c in range(num_rel_classes)]
    per_predicate = {str(k): {names[p]: float(r[p]) for p in range(1, num_rel_classes)} for k, r in per_k.items()}
    info = {"mode": mode, "variant": variant, "protocol": protocol, "num_rel_classes": num_rel_classes,
            "images_in_ground_truth": len(gt), "images_missing_predictions": int(len(missing)),
            "images_ignored_not_in_ground_truth": int(len(extra)), **vg.info()}
    if vg.images_counted == 0:
        per_predicate = {}
    if late_options is not None:
        predicate_counts = late_options().get("predicate_counts", predicate_counts)
    groups = dict(longtail_groups) if longtail_groups else (
        frequency_groups(predicate_counts) if predicate_counts is not None else None)
    if groups:
        values = group_mean_recall(per_k, groups)
        metrics.update({key: (value if vg.images_counted else None) for key, value in values.items()})
        info["longtail_groups"] = {name: [names[p] for p in members] for name, members in groups.items()}
        info["longtail_source"] = "given groups" if longtail_groups else "training-frequency thirds"
    if zeroshot is not None:
        z = np.ascontiguousarray(np.asarray(zeroshot, dtype=np.int64).reshape(-1, 3))
        info["zeroshot"] = {"rows": int(len(z)), "sha256": hashlib.sha256(z.tobytes()).hexdigest()}
    else:
        info["zeroshot"] = None
    if oi is not None:
        metrics.update(oi.evaluate())
    if detection:
        from sgg_bench.evaluation.detection import detection_map
        metrics.update(detection_map(gt, box_batches, num_obj_classes=num_obj_classes))
    if not vg.ties.exact:
        info["tie_ranges_exact"] = False
    info["eval_seconds"] = round(time.perf_counter() - started, 3)
    return {"metrics": metrics, "per_predicate": per_predicate, "info": info, "tie_ranges": tie_ranges}


def evaluate_predictions(predictions_path: str | os.PathLike, dataset_root: str | os.PathLike, *,
                         split: str = "test", protocol: str | None = None, zeroshot=None,
                         allow_missing: bool = False, longtail: bool = True, **options) -> dict:
    """Score a predictions file against the ground truth of ``dataset_root``'s ``split``.

    protocol: "vg" | "oi" | None (= "oi" for OpenImages-format datasets, else "vg").
    zeroshot: None, an (Z, 3) array, a path (.npy or text rows), or "derive" (test minus train triplets).
    longtail: head/body/tail mean recall from training predicate counts when the data layer provides them.
    Other options as ``run_evaluation`` (motifs_rule, variant, detection, iou_threshold, ...).
    """
    from sgg_bench import data as data_layer
    from sgg_bench.data.ground_truth import ground_truth_arrays
    from sgg_bench.evaluation.predictions import read_predictions

    predictions_path = Path(predictions_path)
    if protocol is None:
        protocol = "oi" if data_layer.detect_format(dataset_root) == "openimages" else "vg"
    dataset = data_layer.open_dataset(dataset_root, split, check_images=False, attributes=False)
    vocab = dataset.vocab
    want_counts = longtail and options.get("predicate_counts") is None and options.get("longtail_groups") is None
    # Hashing the annotation files and reading the cached training statistics need no GIL for most
    # of their time, so they run beside the evaluation instead of before it.
    background = _Background(lambda: (str(dataset.fingerprint),
                                      _training_predicate_counts(dataset_root) if want_counts else None))
    gt_batch = (GroundTruthBatch(**ground_truth_arrays(dataset)) if hasattr(dataset, "table")
                else GroundTruthBatch.from_images(dataset.ground_truth()))
    info_extra = {"dataset_root": str(dataset_root)}
    with read_predictions(predictions_path, check_rows=False) as predictions:
        attrs = predictions.attrs
        if attrs["split"] != split:
            raise DataFormatError(predictions_path, "attrs/split", repr(split), repr(attrs["split"]))
        if predictions.num_rel_classes != vocab.num_predicate_classes:
            raise DataFormatError(predictions_path, "attrs/num_rel_classes",
                                  f"{vocab.num_predicate_classes} (the dataset's predicates + background)",
                                  predictions.num_rel_classes)
        if predictions.num_obj_classes != vocab.num_object_classes:
            raise DataFormatError(predictions_path, "attrs/num_obj_classes",
                                  f"{vocab.num_object_classes} (the dataset's objects + background)",
                                  predictions.num_obj_classes)
        zeroshot_rows = _resolve_zeroshot(zeroshot, dataset_root, vocab)

        def load_batches(ids: np.ndarray) -> Iterator[PredictionBatch]:
            # run_evaluation keeps nothing of a batch's relation arrays, so the read buffers are reused.
            for _, batch in predictions.batches(reuse_buffers=True):
                yield batch

        def longtail_counts() -> dict:
            fingerprint, counted = background.result()
            info_extra["dataset_fingerprint"] = fingerprint
            if counted is None:
                return {}
            counts, info_extra["longtail_note"] = counted
            return {} if counts is None else {"predicate_counts": counts}

        result = run_evaluation(
            gt_batch, predictions.image_ids, load_batches, mode=attrs["mode"],
            protocol=protocol, num_obj_classes=vocab.num_object_classes, num_rel_classes=vocab.num_predicate_classes,
            predicate_names=vocab.predicate_classes, zeroshot=zeroshot_rows, allow_missing=allow_missing,
            source=str(predictions_path), late_options=longtail_counts, **options)
    result["info"].update(info_extra)
    result["info"].update({"dataset": attrs["dataset"], "split": split, "predictions": str(predictions_path),
                           "evaluator_version": EVALUATOR_VERSION})
    if isinstance(zeroshot, (str, os.PathLike)) and result["info"]["zeroshot"] is not None:
        result["info"]["zeroshot"]["source"] = str(zeroshot)
    return result


def _resolve_zeroshot(zeroshot, dataset_root, vocab) -> np.ndarray | None:
    if zeroshot is None:
        return None
    if isinstance(zeroshot, str) and zeroshot == "derive":
        from sgg_bench.data.zeroshot import derive_zeroshot_triplets
        return derive_zeroshot_triplets(dataset_root)
    if isinstance(zeroshot, (str, os.PathLike)):
        from sgg_bench.data.zeroshot import load_zeroshot_list
        return load_zeroshot_list(zeroshot, num_object_classes=vocab.num_object_classes,
                                  num_predicate_classes=vocab.num_predicate_classes)
    return np.asarray(zeroshot, dtype=np.int64).reshape(-1, 3)


def _training_predicate_counts(dataset_root) -> tuple[np.ndarray | None, str]:
    try:
        from sgg_bench.data.statistics import get_frequency_statistics
        stats = get_frequency_statistics(dataset_root)
        counts = np.asarray(stats["fg_matrix"]).sum(axis=(0, 1))
        counts[0] = 0
        return counts, "head/body/tail: thirds of the training predicate frequencies (fg_matrix)"
    except Exception as exc:  # statistics are optional for evaluation; say why they are absent
        return None, f"head/body/tail not computed: {type(exc).__name__}: {exc}"


def _check_gt_boxes(source: str, gt: GroundTruthBatch, batch: PredictionBatch, mode: str) -> None:
    """predcls pairs index the GT boxes, so an image with pairs must list exactly the GT boxes."""
    gt_counts, pred_counts = np.diff(gt.box_offsets), np.diff(batch.box_offsets)
    bad = np.flatnonzero((np.diff(batch.rel_offsets) > 0) & (gt_counts != pred_counts))
    if len(bad):
        b = int(bad[0])
        raise DataFormatError(source, f"boxes (image {int(batch.image_ids[b])})",
                              f"the {int(gt_counts[b])} GT boxes in GT order ({mode})", f"{int(pred_counts[b])} boxes")


class _Background:
    """Run ``work()`` in a daemon thread; ``result()`` waits for it and re-raises its exception."""

    def __init__(self, work):
        import threading
        self._value, self._error = None, None

        def target():
            try:
                self._value = work()
            except BaseException as exc:    # handed to the caller of result()
                self._error = exc
        self._thread = threading.Thread(target=target, daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class _IdIndex:
    """Positions of image ids in ``ids`` (N,) int64 (unique), looked up for many ids at once."""

    def __init__(self, ids: np.ndarray):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.order = np.argsort(self.ids, kind="stable")
        self.sorted = self.ids[self.order]

    def _slots(self, query: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(self.sorted, query), max(len(self.sorted) - 1, 0))

    def contains(self, query: np.ndarray) -> np.ndarray:
        query = np.asarray(query, dtype=np.int64)
        if len(self.sorted) == 0:
            return np.zeros(len(query), dtype=bool)
        return self.sorted[self._slots(query)] == query

    def positions(self, query: np.ndarray) -> np.ndarray:
        """(Q,) int64 positions; every query id must be present."""
        return self.order[self._slots(np.asarray(query, dtype=np.int64))]


def _drop_unknown(batch: PredictionBatch, gt_index: _IdIndex) -> PredictionBatch:
    keep = gt_index.contains(batch.image_ids)
    if keep.all():
        return batch
    from sgg_bench.evaluation.batches import gather_segments
    idx = np.flatnonzero(keep)
    box_rows, box_offsets = gather_segments(batch.box_offsets, idx)
    rel_rows, rel_offsets = gather_segments(batch.rel_offsets, idx)
    return PredictionBatch(image_ids=batch.image_ids[idx], boxes=batch.boxes[box_rows], labels=batch.labels[box_rows],
                           scores=batch.scores[box_rows], box_offsets=box_offsets, rel_pairs=batch.rel_pairs[rel_rows],
                           rel_scores=batch.rel_scores[rel_rows], rel_offsets=rel_offsets)


def _boxes_only(batch: PredictionBatch, num_rel_classes: int) -> PredictionBatch:
    empty = PredictionBatch.empty(batch.image_ids, num_rel_classes)
    empty.boxes, empty.labels, empty.scores, empty.box_offsets = batch.boxes, batch.labels, batch.scores, batch.box_offsets
    return empty


def _examples(ids: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(i)) for i in ids[:limit])
    return shown + (", ..." if len(ids) > limit else "")
