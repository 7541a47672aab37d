"""How good are the grounded pseudo labels? Measured against the synthetic (or any) localized ground truth.

A grounded positive pair (detection i, detection j, predicate) becomes a triplet in the dataset
vocabulary through the first entry of ``class_to_dataset`` / ``predicate_to_dataset`` (no entry: it
cannot be right). It is **correct** when the image has a ground-truth relation with the same subject
class, predicate and object class whose boxes overlap detections i and j with IoU >= 0.5 each.
Precision = correct / grounded triplets; recall = ground-truth relations (unique rows) hit by at least
one correct triplet / ground-truth relations. Both overall and per dataset predicate.

``sampled``: the training-time sample of docs/LANGUAGE.md §8.2 (<= 4 per triplet, <= 4 per image), averaged over seeds
(one seed = one epoch's draw). ``candidates``: every candidate pair before the sub-sampling (one draw
of the random label assignment per seed, averaged). ``graph``: the caption (or weak) graph itself at class level
(no boxes): a caption triplet is correct when the image has a ground-truth relation with that subject
class, predicate and object class; it bounds what any grounding can reach.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from sgg_bench.language.grounding import KIND_POSITIVE, GroundingConfig, box_iou, ground

ALL_CANDIDATES = GroundingConfig(pairs_per_image=10 ** 6, positive_fraction=1.0, samples_per_triplet=10 ** 6)


def _first(mapping: dict, key: int) -> int:
    values = mapping.get(int(key), ())
    return int(values[0]) if values else 0


class _Counter:
    def __init__(self, num_predicates: int):
        self.pred_total = np.zeros(num_predicates, np.int64)
        self.pred_correct = np.zeros(num_predicates, np.int64)
        self.gt_total = np.zeros(num_predicates, np.int64)
        self.gt_hit = np.zeros(num_predicates, np.int64)

    def summary(self, names: Sequence[str]) -> dict:
        def ratio(a, b):
            return round(float(a) / float(b), 4) if b else None
        per = {names[p]: {"precision": ratio(self.pred_correct[p], self.pred_total[p]),
                          "recall": ratio(self.gt_hit[p], self.gt_total[p]),
                          "pseudo": int(self.pred_total[p]), "ground_truth": int(self.gt_total[p])}
               for p in range(1, len(names)) if self.pred_total[p] or self.gt_total[p]}
        return {"precision": ratio(self.pred_correct.sum(), self.pred_total.sum()),
                "recall": ratio(self.gt_hit.sum(), self.gt_total.sum()),
                "pseudo": int(self.pred_total.sum()), "ground_truth": int(self.gt_total.sum()), "per_predicate": per}


def _score_image(counter: _Counter, triplets: np.ndarray, gt: tuple, boxes: np.ndarray | None) -> None:
    """triplets (P, 3) dataset (subject class, object class, predicate); with ``boxes`` (P, 2, 4) the boxes too."""
    gt_boxes, gt_labels, gt_rels = gt
    hit = np.zeros(len(gt_rels), bool)
    if len(triplets) and len(gt_rels):
        same = ((gt_labels[gt_rels[:, 0]][None] == triplets[:, 0:1]) & (gt_labels[gt_rels[:, 1]][None] == triplets[:, 1:2])
                & (gt_rels[:, 2][None] == triplets[:, 2:3]))                                        # (P, R)
        if boxes is not None:
            same &= box_iou(boxes[:, 0], gt_boxes[gt_rels[:, 0]]) >= 0.5
            same &= box_iou(boxes[:, 1], gt_boxes[gt_rels[:, 1]]) >= 0.5
        correct = same.any(1)
        hit = same.any(0)
    else:
        correct = np.zeros(len(triplets), bool)
    np.add.at(counter.pred_total, triplets[:, 2], 1)
    np.add.at(counter.pred_correct, triplets[correct, 2], 1)
    np.add.at(counter.gt_total, gt_rels[:, 2], 1)
    np.add.at(counter.gt_hit, gt_rels[hit, 2], 1)


def _ground_truth(dataset_root, image_ids) -> dict[int, tuple]:
    """Image id -> (boxes, labels, unique relations) from every split of the dataset (no filters)."""
    from sgg_bench.data import open_dataset

    wanted, found = {int(i) for i in image_ids}, {}
    for split in ("train", "val", "test"):
        dataset = open_dataset(dataset_root, split, filter_empty_rels=False)
        for k in range(len(dataset)):
            record = dataset[k]
            if int(record.image_id) in wanted:
                rels = np.unique(np.asarray(record.relations, np.int64).reshape(-1, 3), axis=0)
                found[int(record.image_id)] = (np.asarray(record.boxes, np.float32), np.asarray(record.labels, np.int64), rels)
    return found


def _merge(summaries: list[dict]) -> dict:
    """Mean of per-seed figures (the counts are the first seed's)."""
    def mean(values):
        values = [v for v in values if v is not None]
        return round(float(np.mean(values)), 4) if values else None
    merged = dict(summaries[0])
    merged["precision"] = mean([s["precision"] for s in summaries])
    merged["recall"] = mean([s["recall"] for s in summaries])
    merged["per_predicate"] = {name: dict(entry, precision=mean([s["per_predicate"].get(name, {}).get("precision")
                                                                 for s in summaries]),
                                          recall=mean([s["per_predicate"].get(name, {}).get("recall") for s in summaries]))
                               for name, entry in summaries[0]["per_predicate"].items()}
    merged["seeds"] = len(summaries)
    return merged


def pseudo_label_quality(pseudo_labels, dataset_root=None, *, ground_truth: dict | None = None,
                         seeds: Sequence[int] = (0, 1, 2), config: GroundingConfig = GroundingConfig()) -> dict:
    """Precision and recall of ``pseudo_labels`` (a ``PseudoLabelSet``) against ``dataset_root``'s ground
    truth, or ``ground_truth`` = {image id: (boxes (G, 4), labels (G,), relations (R, 3))} in dataset ids."""
    vocab = pseudo_labels.vocab
    names = vocab.dataset_predicates
    truth = ground_truth if ground_truth is not None else _ground_truth(dataset_root, pseudo_labels.image_ids)
    truth = {int(k): (np.asarray(b, np.float32).reshape(-1, 4), np.asarray(l, np.int64).reshape(-1),
                      np.unique(np.asarray(r, np.int64).reshape(-1, 3), axis=0)) for k, (b, l, r) in truth.items()}
    missing = [int(i) for i in pseudo_labels.image_ids if int(i) not in truth]
    if missing:
        raise ValueError(f"{dataset_root}: {len(missing)} pseudo-label images have no ground truth (first: {missing[0]})")
    to_dataset = np.vectorize(lambda c: _first(vocab.class_to_dataset, c), otypes=[np.int64])
    to_predicate = np.vectorize(lambda p: _first(vocab.predicate_to_dataset, p), otypes=[np.int64])
    graph = _Counter(len(names))
    for image in pseudo_labels:
        gt = truth[int(image.image_id)]
        t = image.triplets
        mapped = np.stack([to_dataset(image.node_classes[t[:, 0]]), to_dataset(image.node_classes[t[:, 1]]),
                           to_predicate(t[:, 2])], axis=1) if len(t) else np.zeros((0, 3), np.int64)
        _score_image(graph, np.unique(mapped, axis=0), gt, None)
    result = {"graph": graph.summary(names)}
    for name, grounding in (("sampled", config), ("candidates", replace(ALL_CANDIDATES, require_overlap=config.require_overlap))):
        per_seed = []
        for seed in seeds:
            counter = _Counter(len(names))
            for index, image in enumerate(pseudo_labels):
                targets = ground(image, detector_to_classes=vocab.detector_to_classes, config=grounding,
                                 rng=np.random.default_rng([int(seed), index]), transformer_variant=False)
                keep = targets.pair_kind == KIND_POSITIVE
                pairs, predicates = targets.pairs[keep], targets.pair_predicates[keep]
                labels = targets.box_labels
                triplets = np.stack([to_dataset(labels[pairs[:, 0]]), to_dataset(labels[pairs[:, 1]]),
                                     to_predicate(predicates)], axis=1) if len(pairs) else np.zeros((0, 3), np.int64)
                boxes = np.stack([image.boxes[pairs[:, 0]], image.boxes[pairs[:, 1]]], axis=1) if len(pairs) \
                    else np.zeros((0, 2, 4), np.float32)
                _score_image(counter, triplets, truth[int(image.image_id)], boxes)
            per_seed.append(counter.summary(names))
        result[name] = _merge(per_seed)
    result["images"] = len(pseudo_labels)
    return result


def quality_markdown(result: dict) -> str:
    """The overall and per-predicate figures as Markdown tables (fractions shown as percentages)."""
    def pct(v):
        return "-" if v is None else f"{100 * v:.1f}"
    lines = ["| pseudo triplets | count | precision % | recall % |", "|---|---|---|---|"]
    for name in ("graph", "candidates", "sampled"):
        r = result[name]
        lines.append(f"| {name} | {r['pseudo']} | {pct(r['precision'])} | {pct(r['recall'])} |")
    lines += ["", "| predicate | GT rows | sampled P % | sampled R % | candidates P % | candidates R % | graph P % |",
              "|---|---|---|---|---|---|---|"]
    names = sorted(set(result["sampled"]["per_predicate"]) | set(result["candidates"]["per_predicate"])
                   | set(result["graph"]["per_predicate"]))
    for name in names:
        s, c, k = (result[key]["per_predicate"].get(name, {}) for key in ("sampled", "candidates", "graph"))
        gt = s.get("ground_truth", c.get("ground_truth", 0))
        lines.append(f"| {name} | {gt} | {pct(s.get('precision'))} | {pct(s.get('recall'))} | "
                     f"{pct(c.get('precision'))} | {pct(c.get('recall'))} | {pct(k.get('precision'))} |")
    return "\n".join(lines) + "\n"
