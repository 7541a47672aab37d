"""Time the pieces of `sgg-bench train --model motifs --dataset synth` on CPU.

    python benchmarks/bench_engine.py --root datasets/synth/vg [--threads 2] [--steps 20]
        [--generate DIR] [--parts detector,motifs-predcls,...]

Reports seconds per training step (4 images, the synth config's batch) and test-time images per
second for the tiny detector and each relation head / mode, with random weights (speed does not
depend on them). The detector's input size and the heads' sizes come from the shipped synth configs.
Run on an otherwise idle machine; pin cores with `taskset -c 0,1` to mimic 2 cores.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sgg_bench.runs.configs import resolve_run_config as resolve_config  # noqa: E402
from sgg_bench.engine.loader import SceneGraphBatches  # noqa: E402
from sgg_bench.runs.relation import build_relation_model  # noqa: E402
from sgg_bench.runs.splits import open_split  # noqa: E402
from sgg_bench.engine.schedule import build_optimizer  # noqa: E402


def _time_steps(model, batches, steps: int) -> float:
    """Median seconds per optimizer step after one warm-up step."""
    model.train()
    optimizer = build_optimizer(model.parameters(), name="sgd", base_lr=0.001)
    times = []
    for iteration in range(steps + 1):
        batch = batches.batch_at(iteration)
        started = time.perf_counter()
        loss = sum(model(batch).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if iteration:
            times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


@torch.no_grad()
def _images_per_second(predict, batches, images: int) -> float:
    done, started = 0, None
    for items in batches.iterate_once():
        if started is None:  # first batch is a warm-up
            predict(items)
            started = time.perf_counter()
            continue
        predict(items)
        done += len(items)
        if done >= images:
            break
    return done / (time.perf_counter() - started)


def bench_detector(root: str, steps: int, images: int) -> dict:
    from sgg_bench.detector.build import build_detector
    from sgg_bench.detector.training import DetectionModule

    cfg = resolve_config(model="detector", dataset="synth", mode=None, config=None,
                         overrides=[f"dataset.root={root}"])
    train_set = open_split(cfg, "train")
    detector = build_detector(cfg.detector.name, num_classes=train_set.vocab.num_object_classes,
                              **dict(cfg.detector.args))
    module = DetectionModule(detector)
    batches = SceneGraphBatches(train_set, batch_size=int(cfg.solver.ims_per_batch), seed=0, cache_images=True)
    step = _time_steps(module, batches, steps)
    detector.eval()
    test = SceneGraphBatches(open_split(cfg, "test"), batch_size=int(cfg.test.ims_per_batch), seed=0,
                             shuffle=False, training=False)
    rate = _images_per_second(lambda items: detector([i["image"] for i in items]), test, images)
    return {"part": "detector-tiny", "train_s_per_step": step, "test_images_per_s": rate,
            "train_images": len(train_set)}


def bench_relation(root: str, head: str, mode: str, steps: int, images: int) -> dict:
    cfg = resolve_config(model=head, dataset="synth", mode=mode, config=None, overrides=[f"dataset.root={root}"])
    train_set = open_split(cfg, "train")
    model = build_relation_model(cfg, train_set.vocab, torch.device("cpu"))
    batches = SceneGraphBatches(train_set, batch_size=int(cfg.solver.ims_per_batch), seed=0, cache_images=True)
    step = _time_steps(model, batches, steps) if model.requires_training else None
    model.eval()
    test_set = open_split(cfg, "test")
    test = SceneGraphBatches(test_set, batch_size=int(cfg.test.ims_per_batch), seed=0, shuffle=False, training=False)
    rate = _images_per_second(model.predict, test, images)
    return {"part": f"{head}-{mode}", "train_s_per_step": step, "test_images_per_s": rate,
            "test_images": len(test_set), "max_iter": int(cfg.solver.max_iter) if step else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="datasets/synth/vg")
    parser.add_argument("--generate", default=None, help="generate the default synthetic data into DIR first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--parts", default="detector,frequency-predcls,motifs-predcls,motifs-sgcls,motifs-sgdet,"
                                           "imp-predcls,imp-sgcls,imp-sgdet")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    info = {"threads": args.threads, "torch": torch.__version__}
    if args.generate:
        from sgg_bench.data.synthetic import generate_synthetic
        started = time.perf_counter()
        generate_synthetic(args.generate, size="default", seed=0, progress=False)
        info["generate_seconds"] = time.perf_counter() - started
    print(json.dumps(info), flush=True)
    for part in args.parts.split(","):
        if part == "detector":
            result = bench_detector(args.root, args.steps, args.images)
        else:
            head, mode = part.split("-")
            result = bench_relation(args.root, head, mode, args.steps, args.images)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
