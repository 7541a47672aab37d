"""Train the ``tiny`` detector on the synthetic dataset and report seconds per iteration and
test-split detection mAP / AP50 (docs/BENCHMARKS.md, "Detector").

    python benchmarks/detector_tiny.py --size default --threads 2 [--config EXTRA.yaml]
        [--iters N] [--out DIR] [detector.args.min_size=192 solver.base_lr=0.02 ...]

Generates ``datasets/synth-<size>`` (or reuses it) and writes a run folder under ``--out``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import torch

from sgg_bench.runs.configs import resolve_run_config
from sgg_bench.data.synthetic import generate_synthetic
from sgg_bench.runs.detector import train_detector


def score_checkpoint(cfg, checkpoint: str) -> int:
    from sgg_bench.data import open_dataset
    from sgg_bench.detector import build_detector
    from sgg_bench.runs.detector import evaluate_detector

    test_set = open_dataset(cfg.dataset.root, "test", num_val_im=None)
    detector = build_detector(cfg.detector.name, num_classes=test_set.vocab.num_object_classes, weights=checkpoint,
                              **dict(cfg.detector.args or {}))
    started = time.perf_counter()
    metrics = evaluate_detector(detector, test_set, batch_size=int(cfg.test.ims_per_batch))
    print(json.dumps({"checkpoint": checkpoint, "test_images": len(test_set),
                      "eval_seconds": round(time.perf_counter() - started, 1), **metrics}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", choices=["tiny", "small", "default"])
    parser.add_argument("--data", default=None, help="synthetic dataset folder (default datasets/synth-<size>)")
    parser.add_argument("--config", default=None, help="an extra config layer over the shipped synth detector config")
    parser.add_argument("--iters", type=int, default=None, help="default: the config's solver.max_iter")
    parser.add_argument("--batch", type=int, default=None, help="default: the config's solver.ims_per_batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-test", action="store_true", help="train only (no test-split mAP)")
    parser.add_argument("--score", default=None, metavar="CHECKPOINT",
                        help="no training: test-split mAP of this detector checkpoint")
    parser.add_argument("--out", default=None, help="run folder (default: a temporary folder)")
    parser.add_argument("overrides", nargs="*", help="config overrides KEY=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = Path(args.data or f"datasets/synth-{args.size}")
    started = time.perf_counter()
    generate_synthetic(data, size=args.size, progress=False)
    generate_seconds = time.perf_counter() - started
    overrides = [f"dataset.root={data / 'vg'}", "dataset.num_val_im=null", "solver.checkpoint_period=0",
                 "solver.val_period=0", "detector.name=tiny"]
    overrides += [f"solver.max_iter={args.iters}"] if args.iters else []
    overrides += [f"solver.ims_per_batch={args.batch}"] if args.batch else []
    cfg = resolve_run_config(model="detector", dataset="synth", config=args.config,
                             overrides=overrides + list(args.overrides))
    if args.score:
        return score_checkpoint(cfg, args.score)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="detector-bench-"))
    result = train_detector(cfg, out, resume=False, evaluate=not args.no_test)
    summary = {
        "size": args.size, "iters": cfg.solver.max_iter, "ims_per_batch": cfg.solver.ims_per_batch,
        "base_lr": cfg.solver.base_lr, "threads": args.threads,
        "overrides": args.overrides, "generate_seconds": round(generate_seconds, 1),
        "train_seconds": round(result["train_seconds"], 1),
        "seconds_per_iter": round(result["train_seconds"] / max(1, cfg.solver.max_iter), 3),
        "eval_seconds": round(result["eval_seconds"], 1), **result["metrics"],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
