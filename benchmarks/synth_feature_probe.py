"""The frozen-feature probe: how well can the relation-stage features tell the predicates apart?

An MLP sees, for every ground-truth relation of an image, exactly what a PredCls head is given
for that pair: the two boxes' frozen ROI features, the pair's union feature (read from the
feature cache the relation runs fill, computed when missing) and the two ground-truth labels
(embedded), and predicts the predicate. It is trained on the train split's relations, its epoch is
chosen on the val split, and the test split's relations are scored: top-1 accuracy and its mean
over predicates (the mR analogue).

Why it is a ceiling: graph-constrained R@K counts a ground-truth triplet only when its pair's
top predicate is the right one, so even with a perfect ranking of the pairs a head's R@K cannot
exceed its top-1 accuracy on the ground-truth pairs. The probe's accuracy is what these
features allow a pair classifier to reach (heads also see context, so it is a reference line,
not a proof).

Usage (the paths of a ``benchmarks/synth_results_table.sh`` work folder):
    python benchmarks/synth_feature_probe.py --output-root WORK/out --dataset-root WORK/synth/vg \
        --detector WORK/out/synth/detector-tiny/checkpoints/model_final.pth [--epochs 30] [--seed 0]
Prints one JSON line (and writes it to --json when given).
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from torch import nn

from sgg_bench.engine.loader import SceneGraphBatches
from sgg_bench.modeling.cached_features import cached_image_features
from sgg_bench.modeling.features import pair_rows
from sgg_bench.runs.configs import resolve_run_config
from sgg_bench.runs.relation import build_relation_model
from sgg_bench.runs.splits import open_split
from sgg_bench.utils.atomic import atomic_write_json


def pair_inputs(model, cfg, split: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(features (R, 2B+U), label pairs (R, 2), predicates (R,)) of every GT relation in ``split``."""
    dataset = open_split(cfg, split)
    loader = SceneGraphBatches(dataset, batch_size=8, seed=0, shuffle=False, training=False)
    features, labels, predicates = [], [], []
    for batch in loader.iterate_once():
        images = cached_image_features(model.features, model.feature_cache, batch, box_source="gt",
                                       device=torch.device("cpu"))
        for item, image in zip(batch, images):
            relations = item["relations"]
            if not len(relations):
                continue
            pairs = relations[:, :2]
            rows = pair_rows(pairs, image.boxes.shape[0])
            features.append(torch.cat([image.box_features[pairs[:, 0]], image.box_features[pairs[:, 1]],
                                       image.pair_table[rows]], dim=1))
            labels.append(item["labels"][pairs])
            predicates.append(relations[:, 2])
    return torch.cat(features), torch.cat(labels), torch.cat(predicates)


class PairProbe(nn.Module):
    def __init__(self, *, in_dim: int, num_classes: int, num_predicates: int, hidden: int = 256):
        super().__init__()
        self.classes = nn.Embedding(num_classes, 32)
        self.mlp = nn.Sequential(nn.Linear(in_dim + 64, hidden), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_predicates))

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([features, self.classes(labels).flatten(1)], dim=1))


def scores(probe: PairProbe, data, num_predicates: int) -> tuple[float, float]:
    """(top-1 accuracy, mean over the predicates present of their accuracy); background excluded."""
    probe.eval()
    with torch.no_grad():
        logits = probe(data[0], data[1])
    logits[:, 0] = float("-inf")  # graph-constrained scoring never picks background
    hits = (logits.argmax(1) == data[2]).float()
    per_predicate = [hits[data[2] == p].mean().item() for p in range(1, num_predicates) if (data[2] == p).any()]
    return hits.mean().item(), sum(per_predicate) / len(per_predicate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-root", required=True, help="the runs' output root (its .cache/features is reused)")
    parser.add_argument("--dataset-root", required=True)
    parser.add_argument("--detector", required=True, help="tiny detector checkpoint")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    torch.set_num_threads(1)
    # The features of any PredCls run on this detector (the head is irrelevant: only its features are used).
    cfg = resolve_run_config(model="motifs", dataset="synth", mode="predcls", output_root=args.output_root,
                             overrides=[f"dataset.root={args.dataset_root}", f"detector.weights={args.detector}",
                                        "run.device=cpu"])
    start = time.perf_counter()
    train_set = open_split(cfg, "train")
    model = build_relation_model(cfg, train_set.vocab, torch.device("cpu")).eval()
    data = {split: pair_inputs(model, cfg, split) for split in ("train", "val", "test")}
    num_classes, num_predicates = train_set.vocab.num_object_classes, train_set.vocab.num_predicate_classes
    torch.manual_seed(args.seed)
    probe = PairProbe(in_dim=data["train"][0].shape[1], num_classes=num_classes, num_predicates=num_predicates)
    optimizer = torch.optim.Adam(probe.parameters(), 1e-3, weight_decay=1e-4)
    features, labels, predicates = data["train"]
    best = (-1.0, None)
    for epoch in range(args.epochs):
        probe.train()
        order = torch.randperm(len(predicates))
        for i in range(0, len(order), 256):
            idx = order[i:i + 256]
            loss = nn.functional.cross_entropy(probe(features[idx], labels[idx]), predicates[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val_accuracy, _ = scores(probe, data["val"], num_predicates)
        if val_accuracy > best[0]:  # the epoch is chosen on val, never on test
            best = (val_accuracy, {k: v.clone() for k, v in probe.state_dict().items()}, epoch)
    probe.load_state_dict(best[1])
    accuracy, mean_accuracy = scores(probe, data["test"], num_predicates)
    result = {"probe": "frozen-feature MLP, GT pairs + GT labels", "seed": args.seed, "epochs": args.epochs,
              "chosen_epoch": best[2], "val_top1": round(best[0], 4), "test_top1": round(accuracy, 4),
              "test_mean_per_predicate": round(mean_accuracy, 4),
              "relations": {split: int(len(d[2])) for split, d in data.items()},
              "seconds": round(time.perf_counter() - start, 1)}
    line = json.dumps(result)
    print(line)
    if args.json:
        atomic_write_json(args.json, result)


if __name__ == "__main__":
    main()
