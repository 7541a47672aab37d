"""Time the synthetic generator and measure how hard its predicates are for the frequency prior.

Usage: python benchmarks/bench_synthetic.py [--out /tmp/synth_default] [--size default] [--seed 0]
       [--workers 1]

Generates into ``--out`` (unless it already holds this size/seed; then only the statistics run),
then reads the VG h5 back and prints
  * the predicate histogram over all relation rows,
  * the top-1 accuracy of the frequency prior on the test split: for every test relation row, the
    predicted predicate is the argmax of the train counts for its (subject class, object class)
    pair (train = split 0 minus the val carve-out, duplicates counted); pairs never seen in train
    count as misses,
  * the same accuracy with the oracle "most common predicate of the pair in the test split itself"
    (an upper bound for any pair-only model).
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import h5py
import numpy as np

from sgg_bench.data.synthetic import generate_synthetic


def relation_rows(h5_path: Path, rows) -> list[tuple[int, int, int]]:
    """(subject class, object class, predicate) for every relation row of the given image rows."""
    with h5py.File(h5_path, "r") as f:
        labels = f["labels"][:, 0]
        pairs = f["relationships"][()]
        predicates = f["predicates"][:, 0]
        first, last = f["img_to_first_rel"][()], f["img_to_last_rel"][()]
    out = []
    for i in rows:
        if first[i] < 0:
            continue
        for (s, o), p in zip(pairs[first[i]:last[i] + 1], predicates[first[i]:last[i] + 1]):
            out.append((int(labels[s]), int(labels[o]), int(p)))
    return out


def frequency_prior_accuracy(root: Path) -> dict:
    vg = root / "vg"
    meta = json.loads((vg / "sgg-bench.json").read_text())
    with h5py.File(vg / "VG-SGG-with-attri.h5", "r") as f:
        split, first_box, first_rel = f["split"][()], f["img_to_first_box"][()], f["img_to_first_rel"][()]
    train_rows = np.flatnonzero((split == 0) & (first_box >= 0) & (first_rel >= 0))[meta["num_val_im"]:]
    test_rows = np.flatnonzero(split == 2)
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for s, o, p in relation_rows(vg / "VG-SGG-with-attri.h5", train_rows):
        counts[(s, o)][p] += 1
    test = relation_rows(vg / "VG-SGG-with-attri.h5", test_rows)
    hits = sum(1 for s, o, p in test if counts.get((s, o)) and counts[(s, o)].most_common(1)[0][0] == p)
    oracle: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for s, o, p in test:
        oracle[(s, o)][p] += 1
    oracle_hits = sum(c.most_common(1)[0][1] for c in oracle.values())
    return {"test_relations": len(test), "frequency_prior_top1": hits / max(1, len(test)),
            "pair_oracle_top1": oracle_hits / max(1, len(test)), "class_pairs_in_test": len(oracle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/synth_default")
    parser.add_argument("--size", default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    summary = generate_synthetic(args.out, size=args.size, seed=args.seed, workers=args.workers)
    seconds = time.perf_counter() - start
    print(f"generation: {summary['num_images']} images, {summary['num_objects']} objects, "
          f"{summary['num_relations']} relations in {seconds:.1f} s (reused: {summary['reused']})")
    total = summary["num_relations"]
    print("predicate histogram:")
    for name, n in summary["predicate_histogram"].items():
        print(f"  {name:14s} {n:6d} {100.0 * n / total:5.1f} %")
    print(json.dumps(frequency_prior_accuracy(Path(args.out)), indent=1))


if __name__ == "__main__":
    main()
