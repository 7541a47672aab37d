"""Whole-process time of ``sgg-bench eval`` against reading the file and one argmax per row.

    python benchmarks/bench_eval_process.py [--workdir /tmp/sgg_bench_eval_process] [--repeat 3]
                                            [--test-images 26446] [--train-images 62723]

Builds (once, then reuses) a VG150-format dataset folder (random content; every image has
relations, so the test split has exactly ``--test-images`` images, the size of the VG150 test
split) and a PredCls predictions file for its test split (GT boxes, all ordered pairs, 51-way
distributions, ranked; the same generator as ``bench_evaluator.py``). Then times, each as a
fresh subprocess, in the same run:

* ``baseline``: a Python process that opens predictions.h5 with h5py, reads ``rel_scores`` in
  slices of 2^17 rows and takes one ``argmax`` per row (interpreter start-up and imports included);
* ``sgg-bench eval``: ``python -m sgg_bench.cli eval --predictions F --dataset D`` (start-up, parser,
  ground-truth loading, evaluation, table; ``--out`` writes the record as well).

Wall = ``perf_counter`` around ``subprocess.run``; CPU = the child's user + sys. ``--repeat N``
runs each N times, alternating, and keeps the fastest. The frequency statistics (for the
head/body/tail groups) are computed once before timing and then read from the dataset's cache, as
after training. BLAS/OpenMP threads = 1.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_evaluator import NUM_OBJ, NUM_REL, write_predictions_file  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

BASELINE = """
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r", rdcc_nbytes=0) as f:
    data = f["rel_scores"]
    rows, step = data.shape[0], 1 << 17
    buffer = np.empty((min(step, rows), data.shape[1]), np.float32)
    total = 0
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        data.read_direct(buffer, np.s_[start:stop], np.s_[0:stop - start])
        total += int(buffer[:stop - start].argmax(axis=1).sum())
print(total)
"""


def build_dataset(root: Path, train_images: int, test_images: int, seed: int = 0) -> None:
    """A VG150 folder: h5 (1024 grid), dicts, image_data.json; no image files (eval does not need them)."""
    import h5py
    if (root / "VG-SGG-with-attri.h5").is_file():
        return
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = train_images + test_images
    box_counts = np.clip(rng.poisson(12, n), 2, 40)
    rel_counts = np.minimum(np.clip(rng.poisson(6, n), 1, 40), box_counts * (box_counts - 1))
    first_box = np.cumsum(box_counts) - box_counts
    first_rel = np.cumsum(rel_counts) - rel_counts
    n_obj, n_rel = int(box_counts.sum()), int(rel_counts.sum())
    w = rng.integers(8, 400, n_obj)
    h = rng.integers(8, 400, n_obj)
    cx = w // 2 + rng.integers(0, 1024 - w)
    cy = h // 2 + rng.integers(0, 1024 - h)
    owner = np.repeat(np.arange(n), rel_counts)
    sub = (rng.random(n_rel) * box_counts[owner]).astype(np.int64)
    obj = (sub + 1 + (rng.random(n_rel) * (box_counts[owner] - 1)).astype(np.int64)) % box_counts[owner]
    split = np.where(np.arange(n) < train_images, 0, 2).astype(np.int32)
    with h5py.File(root / "VG-SGG-with-attri.h5", "w") as handle:
        handle["boxes_1024"] = np.stack([cx, cy, w, h], axis=1).astype(np.int32)
        handle["labels"] = rng.integers(1, NUM_OBJ, (n_obj, 1))
        handle["attributes"] = np.zeros((n_obj, 10), np.int64)
        handle["img_to_first_box"] = first_box.astype(np.int32)
        handle["img_to_last_box"] = (first_box + box_counts - 1).astype(np.int32)
        handle["relationships"] = np.stack([first_box[owner] + sub, first_box[owner] + obj], axis=1).astype(np.int32)
        handle["predicates"] = rng.integers(1, NUM_REL, (n_rel, 1))
        handle["img_to_first_rel"] = first_rel.astype(np.int32)
        handle["img_to_last_rel"] = (first_rel + rel_counts - 1).astype(np.int32)
        handle["split"] = split
    names = {"idx_to_label": {str(i): f"object{i}" for i in range(1, NUM_OBJ)},
             "idx_to_predicate": {str(i): f"predicate{i}" for i in range(1, NUM_REL)}}
    (root / "VG-SGG-dicts-with-attri.json").write_text(json.dumps(names))
    sizes = rng.integers(200, 1300, (n, 2))
    (root / "image_data.json").write_text(json.dumps(
        [{"image_id": i + 10000, "width": int(a), "height": int(b)} for i, (a, b) in enumerate(sizes)]))
    print(f"built {root}: {n} images ({test_images} test), {n_obj} objects, {n_rel} relations", file=sys.stderr)


def build_predictions(root: Path, path: Path, seed: int = 0) -> None:
    if path.is_file():
        return
    from sgg_bench.data import load_ground_truth
    _, images = load_ground_truth(root, "test")
    gt = {"image_ids": np.array([g.image_id for g in images], dtype=np.int64),
          "box_counts": np.array([len(g.labels) for g in images]),
          "rel_counts": np.array([len(g.relations) for g in images]),
          "boxes": np.concatenate([g.boxes for g in images]).astype(np.float32),
          "labels": np.concatenate([g.labels for g in images]),
          "relations": np.concatenate([g.relations for g in images])}
    write_predictions_file(path, gt, "predcls", np.random.default_rng(seed))


def timed_child(cmd: list[str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/sgg_bench_eval_process")
    parser.add_argument("--train-images", type=int, default=62723)
    parser.add_argument("--test-images", type=int, default=26446)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", action="store_true", help="also write the result record (--out)")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    root, predictions = workdir / "vg", workdir / "predcls.h5"
    build_dataset(root, args.train_images, args.test_images)
    build_predictions(root, predictions)
    from sgg_bench.data.statistics import get_frequency_statistics
    get_frequency_statistics(root)                     # fills the cache, as training would have

    env_python = [sys.executable]
    baseline = env_python + ["-c", BASELINE, str(predictions)]
    evaluate = env_python + ["-m", "sgg_bench.cli", "eval", "--predictions", str(predictions), "--dataset", str(root)]
    if args.out:
        evaluate += ["--out", str(workdir / "record.json")]
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "eval": []}
    for _ in range(max(args.repeat, 1)):
        for name, cmd in (("baseline", baseline), ("eval", evaluate)):
            wall, cpu, stdout = timed_child(cmd)
            runs[name].append((wall, cpu))
            if name == "eval" and len(runs[name]) == 1:
                print(stdout, file=sys.stderr)
    for name, values in runs.items():
        print(f"  {name}: wall s {[round(w, 2) for w, _ in values]}, CPU s {[round(c, 2) for _, c in values]}",
              file=sys.stderr)
    best = {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in runs.items()}
    print("| process | wall s | CPU s |")
    print("|---|---|---|")
    print(f"| baseline: read rel_scores + one argmax per row | {best['baseline'][0]:.2f} | {best['baseline'][1]:.2f} |")
    print(f"| `sgg-bench eval --predictions F --dataset D`{' --out' if args.out else ''} | "
          f"{best['eval'][0]:.2f} | {best['eval'][1]:.2f} |")
    print(f"| ratio eval / baseline | **{best['eval'][0] / best['baseline'][0]:.2f}x** | "
          f"{best['eval'][1] / best['baseline'][1]:.2f}x |")


if __name__ == "__main__":
    main()
