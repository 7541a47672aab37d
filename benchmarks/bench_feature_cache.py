"""Relation-head training speed with frozen extractors: features recomputed every step vs read
from the feature cache, side by side in one run (plus trainable extractors for scale).

Usage:
    .venv/bin/python benchmarks/bench_feature_cache.py [--heads imp motifs] [--modes predcls sgcls sgdet]
        [--images 64] [--batch-size 4] [--threads 1]

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
    parser.add_argument("--heads", nargs="+", default=["imp", "motifs"])
    parser.add_argument("--modes", nargs="+", default=["predcls", "sgcls", "sgdet"])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{args.images} synthetic train images, batch {args.batch_size}, {args.threads} thread(s); img/s of "
          f"forward + backward + SGD step, steady = best of {args.passes} passes after the first")
    print("| head | mode | recomputed | cached (first pass) | cached (steady) | speed-up | trainable extractors |")
    print("|---|---|---|---|---|---|---|")
    for head in args.heads:
        for mode in args.modes:
            row = measure(head, mode, args)
            print(f"| {head} | {mode} | {row['recomputed'][1]:.1f} | {row['cached'][0]:.1f} | {row['cached'][1]:.1f} | "
                  f"{row['cached'][1] / row['recomputed'][1]:.2f}x | {row['trainable'][1]:.1f} |", flush=True)


def measure(head: str, mode: str, args) -> dict:
    """The three variants' first-pass and best images/s. After each one's first pass, their timed
    passes alternate (recomputed, cached, trainable, recomputed, ...) so that a change in the
    machine's load hits every variant alike."""
    cache_root = tempfile.mkdtemp(prefix="sgg-feature-cache-")
    variants = {
        "recomputed": ["model.features.cache=false"],
        "cached": ["model.features.cache=true", f"run.output_root={cache_root}"],
        "trainable": ["model.features.freeze=false", "model.features.rect_masks=true"],
    }
    runs, first = {}, {}
    for name, overrides in variants.items():
        torch.manual_seed(0)
        cfg, train, model = build(head, mode, overrides)
        loader = SceneGraphBatches(train, batch_size=args.batch_size, seed=0, cache_images=True)
        batches = [loader.batch_at(i) for i in range(args.images // args.batch_size)]
        model.train()
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.001, momentum=0.9)
        first[name] = train_pass(model, optimizer, batches)  # warms the cache (and the allocator)
        runs[name] = (model, optimizer, batches)
    best = {name: 0.0 for name in variants}
    for _ in range(args.passes):
        for name, (model, optimizer, batches) in runs.items():
            best[name] = max(best[name], train_pass(model, optimizer, batches))
    return {name: (first[name], best[name]) for name in variants}


if __name__ == "__main__":
    main()
