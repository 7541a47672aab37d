"""Predict speed: images per second of `sgg-bench predict` on CPU, SGDet, the synthetic Motifs run.

    python benchmarks/bench_predict.py [--run outputs/synth/motifs-sgdet] [--images 64] [--threads 2]
                                       [--repeat 3]

Needs the run (`sgg-bench train --model motifs --dataset synth --mode sgdet`) and its dataset.
Takes the first ``--images`` test images of the run's dataset and measures, interleaved
``--repeat`` times in this one process with ``torch.set_num_threads(--threads)``:

* **model**: reading + preparing the images and the model calls alone (``SceneGraphPredictor``,
  batches of the run's ``test.ims_per_batch``);
* **predict**: the whole ``predict_files`` (loading the run again, the same work, plus graph JSON, overlay, Graphviz SVG + PNG,
  display copy, predictions.h5 and the gallery), into a temporary folder.

Best wall time of the repeats is reported. The load average is printed before and after: on a
shared machine compare only figures from the same run.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="outputs/synth/motifs-sgdet")
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import torch

    from sgg_bench.data import open_dataset
    from sgg_bench.predict.model import load_model
    from sgg_bench.predict.pipeline import PredictRequest, predict_files

    torch.set_num_threads(args.threads)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; torch threads {args.threads}")
    model = load_model(args.run)
    dataset = open_dataset(model.run.dataset_root, "test")
    paths = [Path(dataset[i].image_path) for i in range(min(args.images, len(dataset)))]
    print(f"run {model.run.run_id} ({model.mode}), {len(paths)} test images, batch {model.batch_size}")

    def model_only() -> None:
        for start in range(0, len(paths), model.batch_size):
            batch = [model.prepare(p, image_id=k) for k, p in enumerate(paths[start:start + model.batch_size])]
            model.predict_prepared(batch)

    def whole(folder: Path) -> None:
        predict_files(PredictRequest(inputs=paths, run_dir=args.run, out_dir=folder, progress=False))

    model_only()  # warm-up: first-call allocations and lazy imports
    best = {"model": float("inf"), "predict": float("inf")}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeat):
            start = time.perf_counter()
            model_only()
            best["model"] = min(best["model"], time.perf_counter() - start)
            start = time.perf_counter()
            whole(Path(scratch) / f"out{repeat}")
            best["predict"] = min(best["predict"], time.perf_counter() - start)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| stage | seconds | images/s |")
    print("|---|---:|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} | {len(paths) / seconds:.1f} |")


if __name__ == "__main__":
    main()
