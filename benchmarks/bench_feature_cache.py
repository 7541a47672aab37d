"""Relation-head training speed with frozen extractors: features recomputed every step vs read
from the feature cache, side by side in one run (plus trainable extractors for scale).

Usage:
    .venv/bin/python benchmarks/bench_feature_cache.py [--head motifs] [--mode predcls]
        [--images 64] [--batch-size 4] [--threads 1] [--dataset datasets/synth/vg]

The model is built exactly as `sgg-bench train --dataset synth` builds it (shipped configs, the
dataset's trained detector when outputs/synth/detector-tiny exists, else random detector weights:
PredCls speed does not depend on them). The same --images training images are used by every
variant; the cache is warmed by one pass first (that pass is timed too: it is the cost of the
first epoch). Reported: images/s of forward + backward + SGD step, best of --passes passes.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from sgg_bench.engine.loader import SceneGraphBatches
from sgg_bench.runs.configs import resolve_run_config
from sgg_bench.runs.relation import build_relation_model
from sgg_bench.runs.splits import open_split
from sgg_bench.runs.train import ensure_synthetic


def build(head: str, mode: str, overrides: list[str]):
    cfg = resolve_run_config(model=head, dataset="synth", mode=mode, overrides=overrides)
    ensure_synthetic(cfg)
    detector = Path("outputs/synth/detector-tiny/checkpoints/model_final.pth")
    if detector.is_file():
        cfg.detector.weights = str(detector)
    train = open_split(cfg, "train")
    model = build_relation_model(cfg, train.vocab, torch.device("cpu"))
    return cfg, train, model


def train_pass(model, optimizer, batches) -> float:
    started = time.perf_counter()
    for batch in batches:
        losses = model(batch)
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    return sum(len(b) for b in batches) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--head", default="motifs")
    parser.add_argument("--mode", default="predcls")
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cache_root = tempfile.mkdtemp(prefix="sgg-feature-cache-")
    variants = {
        "frozen, recomputed every step": ["model.features.cache=false"],
        "frozen, feature cache": ["model.features.cache=true", f"run.output_root={cache_root}"],
        "trainable extractors + mask branch": ["model.features.freeze=false", "model.features.rect_masks=true"],
    }
    results = {}
    for name, overrides in variants.items():
        torch.manual_seed(0)
        cfg, train, model = build(args.head, args.mode, overrides)
        loader = SceneGraphBatches(train, batch_size=args.batch_size, seed=0, cache_images=True)
        batches = [loader.batch_at(i) for i in range(args.images // args.batch_size)]
        model.train()
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.001, momentum=0.9)
        first = train_pass(model, optimizer, batches)  # warms the cache (and the allocator)
        best = max(train_pass(model, optimizer, batches) for _ in range(args.passes))
        results[name] = (first, best)
    baseline = results["frozen, recomputed every step"][1]
    print(f"{args.head} {args.mode}, {args.images} synthetic train images, batch {args.batch_size}, "
          f"{args.threads} thread(s)")
    print("| features | first pass img/s | steady img/s | vs recomputed |\n|---|---|---|---|")
    for name, (first, best) in results.items():
        print(f"| {name} | {first:.1f} | {best:.1f} | {best / baseline:.2f}x |")


if __name__ == "__main__":
    main()
