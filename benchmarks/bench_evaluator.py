"""Evaluator speed and memory on a VG-test-sized predictions file (26,446 images).

    python benchmarks/bench_evaluator.py [--images 26446] [--workdir /tmp/sgg_bench_eval] [--sgdet-pairs 1024]

Writes random ground truth and two predictions files (PredCls-like: ~12 boxes per image, all
ordered pairs, 51-way distributions; SGDet-like: 80 boxes, the top ``--sgdet-pairs`` pairs),
then times, each in a fresh subprocess (so peak memory is its own):

* ``fast``: ``sgg_bench.evaluation`` (read the file + the full VG metric set: R, ngR, mR,
  ng-mR, zR, ng-zR, A, F at K = 20/50/100);
* ``loop``: a straightforward per-image loop over the same file, numpy inside each image (the
  way the reference evaluators are written), which must give the same numbers.

Timings are single-threaded (BLAS/OpenMP threads = 1). Each child imports everything it needs
first and times only the work after that (wall: ``perf_counter``; CPU: ``process_time``, user +
sys), the same way for every child, so interpreter start-up and imports count for none of them.
``--repeat N`` runs each of fast / loop N times and keeps the fastest. Results go to stdout as a
Markdown table; every run's figures go to stderr.
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

NUM_OBJ, NUM_REL, KS = 151, 51, (20, 50, 100)


# ---------------------------------------------------------------------------------------- data
def generate(workdir: Path, images: int, sgdet_pairs: int, seed: int = 0,
             modes: tuple[str, ...] = ("predcls", "sgdet")) -> None:
    rng = np.random.default_rng(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    num_boxes = np.clip(rng.poisson(12, images), 2, 40)
    num_rels = np.minimum(np.clip(rng.poisson(6, images), 1, 40), num_boxes * (num_boxes - 1))
    gt = {"image_ids": np.arange(images, dtype=np.int64) + 1, "box_counts": num_boxes, "rel_counts": num_rels}
    total_boxes = int(num_boxes.sum())
    xy = rng.uniform(0, 500, (total_boxes, 2))
    wh = rng.uniform(10, 200, (total_boxes, 2))
    gt["boxes"] = np.round(np.concatenate([xy, xy + wh], axis=1)).astype(np.float32)
    gt["labels"] = rng.integers(1, NUM_OBJ, total_boxes)
    rels = []
    for n, r in zip(num_boxes, num_rels):
        s = rng.integers(0, n, r)
        o = (s + rng.integers(1, n, r)) % n
        rels.append(np.stack([s, o, rng.integers(1, NUM_REL, r)], axis=1))
    gt["relations"] = np.concatenate(rels).astype(np.int64)
    np.savez(workdir / "gt.npz", **gt)
    zs = np.unique(np.stack([gt["labels"][rng.integers(0, total_boxes, 20000)],
                             gt["labels"][rng.integers(0, total_boxes, 20000)],
                             rng.integers(1, NUM_REL, 20000)], axis=1), axis=0)
    np.save(workdir / "zeroshot.npy", zs)
    for mode in modes:
        path = workdir / f"{mode}.h5"
        if not path.exists():
            write_predictions_file(path, gt, mode, rng, sgdet_pairs)


def write_predictions_file(path: Path, gt: dict, mode: str, rng: np.random.Generator, sgdet_pairs: int = 1024) -> None:
    """A ranked predictions file for ``gt`` (image_ids, box_counts, rel_counts, boxes, labels, relations).

    predcls: the GT boxes, all ordered pairs; sgdet: 80 jittered boxes, ``sgdet_pairs`` random pairs.
    Half of the GT pairs among the first 400 get their predicate's logit raised by 4.
    """
    from sgg_bench.evaluation.predictions import PredictionsWriter
    from sgg_bench.structures import ImagePrediction

    num_boxes, images = gt["box_counts"], len(gt["image_ids"])
    box_off = np.concatenate([[0], np.cumsum(num_boxes)])
    rel_off = np.concatenate([[0], np.cumsum(gt["rel_counts"])])

    def distribution(m: int, truth: dict, pairs: np.ndarray) -> np.ndarray:
        logits = rng.standard_normal((m, NUM_REL)).astype(np.float32)
        for row, (i, j) in enumerate(pairs[: min(m, 400)]):
            p = truth.get((int(i), int(j)))
            if p is not None and rng.random() < 0.5:
                logits[row, p] += 4.0
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)

    started = time.perf_counter()
    with PredictionsWriter(path, dataset="bench", split="test", mode=mode, num_obj_classes=NUM_OBJ,
                           num_rel_classes=NUM_REL) as writer:
        for b in range(images):
            boxes = gt["boxes"][box_off[b]:box_off[b + 1]]
            labels = gt["labels"][box_off[b]:box_off[b + 1]]
            r = gt["relations"][rel_off[b]:rel_off[b + 1]]
            truth = {(int(s), int(o)): int(p) for s, o, p in r}
            n = len(boxes)
            if mode == "predcls":
                ii, jj = np.nonzero(~np.eye(n, dtype=bool))
                pairs = np.stack([ii, jj], axis=1)
                pred_boxes, pred_labels, scores = boxes, labels, np.ones(n, np.float32)
            else:
                src = np.concatenate([np.arange(n), rng.integers(0, n, 80 - n)]) if n < 80 else np.arange(80)
                pred_boxes = boxes[src] + rng.normal(0, 4, (len(src), 4)).astype(np.float32)
                pred_labels = np.where(rng.random(len(src)) < 0.7, labels[src], rng.integers(1, NUM_OBJ, len(src)))
                scores = rng.uniform(0.05, 1, len(src)).astype(np.float32)
                ii, jj = np.nonzero(~np.eye(len(src), dtype=bool))
                pick = rng.choice(len(ii), min(sgdet_pairs, len(ii)), replace=False)
                pairs = np.stack([ii[pick], jj[pick]], axis=1)
                truth = {(int(a), int(c)): truth[(int(src[a]), int(src[c]))] for a, c in pairs[:400]
                         if (int(src[a]), int(src[c])) in truth}
            probs = distribution(len(pairs), truth, pairs)
            triplet = probs[:, 1:].max(axis=1) * scores[pairs[:, 0]] * scores[pairs[:, 1]]
            order = np.argsort(-triplet, kind="stable")
            writer.add(ImagePrediction(image_id=int(gt["image_ids"][b]), boxes=pred_boxes, labels=pred_labels,
                                       scores=scores, rel_pairs=pairs[order], rel_scores=probs[order]))
    print(f"wrote {path} ({path.stat().st_size / 2**30:.2f} GiB) in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)


def load_gt(workdir: Path):
    from sgg_bench.evaluation.batches import GroundTruthBatch, offsets_from_counts
    z = np.load(workdir / "gt.npz")
    n = len(z["image_ids"])
    return GroundTruthBatch(image_ids=z["image_ids"], widths=np.full(n, 800), heights=np.full(n, 800),
                            boxes=z["boxes"], labels=z["labels"], box_offsets=offsets_from_counts(z["box_counts"]),
                            relations=z["relations"], rel_offsets=offsets_from_counts(z["rel_counts"]))


# ---------------------------------------------------------------------------------------- fast
def run_fast(workdir: Path, mode: str, protocol: str = "vg") -> dict:
    from sgg_bench.evaluation.api import run_evaluation
    from sgg_bench.evaluation.predictions import read_predictions
    gt = load_gt(workdir)
    with read_predictions(workdir / f"{mode}.h5", check_rows=False) as f:
        # As evaluate_predictions does: the read buffers are reused from slice to slice.
        batches = lambda ids: (b for _, b in f.batches(reuse_buffers=True))  # noqa: E731
        result = run_evaluation(gt, f.image_ids, batches, mode=mode, protocol=protocol,
                                num_obj_classes=NUM_OBJ, num_rel_classes=NUM_REL,
                                zeroshot=np.load(workdir / "zeroshot.npy"), detection=False)
    return {"images": len(gt), "metrics": result["metrics"]}


# ---------------------------------------------------------------------------------------- loop
def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P, 4) x (G, 4) -> (P, G) +1-pixel IoU in float32."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.maximum(rb - lt + np.float32(1), np.float32(0))
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
    area_b = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def _pred_to_gt(gt_trip, gt_sb, gt_ob, p_trip, p_sb, p_ob) -> np.ndarray:
    """(P, G) bool match matrix: labels equal and both IoU >= 0.5."""
    same = (p_trip[:, None, :] == gt_trip[None, :, :]).all(axis=2)
    if not same.any():
        return same
    return same & (_iou(p_sb, gt_sb) >= 0.5) & (_iou(p_ob, gt_ob) >= 0.5)


def _first_rank(match: np.ndarray) -> np.ndarray:
    """(P, G) -> (G,) first matching prediction rank, or a large number."""
    hit = match.any(axis=0)
    return np.where(hit, match.argmax(axis=0), 1 << 30)


def run_loop(workdir: Path, mode: str, limit: int | None = None) -> dict:
    """Per-image evaluation with numpy inside each image (KT style)."""
    from sgg_bench.evaluation.predictions import read_predictions
    gt = load_gt(workdir)
    zset = {tuple(r) for r in np.load(workdir / "zeroshot.npy").tolist()}
    gt_pos = {int(i): n for n, i in enumerate(gt.image_ids)}
    rec = {k: [] for k in KS}
    ngrec = {k: [] for k in KS}
    zr = {k: [] for k in KS}
    ngzr = {k: [] for k in KS}
    mr = {k: [[] for _ in range(NUM_REL)] for k in KS}
    ngmr = {k: [[] for _ in range(NUM_REL)] for k in KS}
    a_hits = {k: 0 for k in KS}
    a_count = 0
    done = 0
    with read_predictions(workdir / f"{mode}.h5", check_rows=False) as f:
        for pred in f:
            if limit is not None and done >= limit:
                break
            done += 1
            b = gt_pos[pred.image_id]
            g_boxes = gt.boxes[gt.box_offsets[b]:gt.box_offsets[b + 1]]
            g_labels = gt.labels[gt.box_offsets[b]:gt.box_offsets[b + 1]]
            rels = gt.relations[gt.rel_offsets[b]:gt.rel_offsets[b + 1]]
            if len(rels) == 0 or len(pred.rel_pairs) == 0:
                continue
            if mode == "predcls":
                boxes, labels, scores = g_boxes, g_labels, np.ones(len(g_labels), np.float32)
            else:
                boxes, labels, scores = pred.boxes, pred.labels, pred.scores
            gt_trip = np.stack([g_labels[rels[:, 0]], rels[:, 2], g_labels[rels[:, 1]]], axis=1)
            gt_sb, gt_ob = g_boxes[rels[:, 0]], g_boxes[rels[:, 1]]
            pairs, probs = pred.rel_pairs, pred.rel_scores
            top = pairs[:100]
            c = 1 + probs[:100, 1:].argmax(axis=1)
            p_trip = np.stack([labels[top[:, 0]], c, labels[top[:, 1]]], axis=1)
            first = _first_rank(_pred_to_gt(gt_trip, gt_sb, gt_ob, p_trip, boxes[top[:, 0]], boxes[top[:, 1]]))
            cand = (scores[pairs[:, 0]] * scores[pairs[:, 1]])[:, None] * probs[:, 1:]
            flat = cand.reshape(-1)
            best = np.argsort(-flat, kind="stable")[:100] if len(flat) <= 100 else \
                np.argpartition(-flat, 99)[:100]
            best = best[np.argsort(-flat[best], kind="stable")]
            rows, preds = best // (NUM_REL - 1), best % (NUM_REL - 1) + 1
            n_trip = np.stack([labels[pairs[rows, 0]], preds, labels[pairs[rows, 1]]], axis=1)
            ng_first = _first_rank(_pred_to_gt(gt_trip, gt_sb, gt_ob, n_trip, boxes[pairs[rows, 0]],
                                               boxes[pairs[rows, 1]]))
            if mode in ("predcls", "sgcls"):
                gt_pairs = {(int(s), int(o)) for s, o, _ in rels}
                in_gt = np.array([(int(i), int(j)) in gt_pairs for i, j in pairs.tolist()], dtype=bool)
                sel = np.flatnonzero(in_gt)[:100]
                ci = 1 + probs[sel, 1:].argmax(axis=1)
                a_trip = np.stack([labels[pairs[sel, 0]], ci, labels[pairs[sel, 1]]], axis=1)
                a_first = _first_rank(_pred_to_gt(gt_trip, gt_sb, gt_ob, a_trip, boxes[pairs[sel, 0]],
                                                  boxes[pairs[sel, 1]]))
            zero = np.array([(int(gt_trip[g, 0]), int(gt_trip[g, 2]), int(gt_trip[g, 1])) in zset
                             for g in range(len(rels))], dtype=bool)
            for k in KS:
                hit, nhit = first < k, ng_first < k
                rec[k].append(hit.mean())
                ngrec[k].append(nhit.mean())
                for p in np.unique(rels[:, 2]):
                    rows_p = rels[:, 2] == p
                    mr[k][p].append(hit[rows_p].mean())
                    ngmr[k][p].append(nhit[rows_p].mean())
                if zero.any():
                    zr[k].append(hit[zero].mean())
                    ngzr[k].append(nhit[zero].mean())
                if mode in ("predcls", "sgcls"):
                    a_hits[k] += int((a_first < k).sum())
            a_count += len(rels)
    metrics = {}
    for k in KS:
        metrics[f"R@{k}"] = float(np.mean(rec[k]))
        metrics[f"ngR@{k}"] = float(np.mean(ngrec[k]))
        metrics[f"mR@{k}"] = sum(float(np.mean(v)) if v else 0.0 for v in mr[k][1:]) / (NUM_REL - 1)
        metrics[f"ng-mR@{k}"] = sum(float(np.mean(v)) if v else 0.0 for v in ngmr[k][1:]) / (NUM_REL - 1)
        metrics[f"zR@{k}"] = float(np.mean(zr[k])) if zr[k] else None
        metrics[f"ng-zR@{k}"] = float(np.mean(ngzr[k])) if ngzr[k] else None
        metrics[f"A@{k}"] = a_hits[k] / a_count if mode in ("predcls", "sgcls") else None
    return {"images": done, "metrics": metrics}


# ---------------------------------------------------------------------------------------- python reference
def run_python_reference(workdir: Path, mode: str, limit: int) -> dict:
    """The plain per-image Python implementation of the tests (tests/evaluation/reference_impl.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from evaluation.reference_impl import reference_vg
    from sgg_bench.evaluation.predictions import read_predictions
    from sgg_bench.structures import ImageGroundTruth
    gt = load_gt(workdir)
    images, predictions = [], {}
    with read_predictions(workdir / f"{mode}.h5", check_rows=False) as f:
        for pred in f:
            if len(predictions) >= limit:
                break
            predictions[pred.image_id] = pred
    for b in range(len(gt)):
        if int(gt.image_ids[b]) in predictions:
            b0, b1, r0, r1 = gt.box_offsets[b], gt.box_offsets[b + 1], gt.rel_offsets[b], gt.rel_offsets[b + 1]
            images.append(ImageGroundTruth(image_id=int(gt.image_ids[b]), width=800, height=800,
                                           boxes=gt.boxes[b0:b1], labels=gt.labels[b0:b1],
                                           relations=gt.relations[r0:r1]))
    reference_vg(images, predictions, mode=mode, num_rel_classes=NUM_REL, zeroshot=np.load(workdir / "zeroshot.npy"))
    return {"images": len(images), "metrics": {}}


# ---------------------------------------------------------------------------------------- driver
def _child(args) -> None:
    """Run one measurement. Every module it needs is imported first, and the timer (wall and CPU
    seconds of this process) covers only the work after that, the same way for every child."""
    import h5py  # noqa: F401
    import sgg_bench.evaluation.api  # noqa: F401
    import sgg_bench.evaluation.predictions  # noqa: F401
    if args.child == "python":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        import evaluation.reference_impl  # noqa: F401
    workdir = Path(args.workdir)
    wall, cpu = time.perf_counter(), time.process_time()
    if args.child == "fast":
        out = run_fast(workdir, args.mode)
    elif args.child == "fast-oi":
        out = run_fast(workdir, args.mode, protocol="oi")
    elif args.child == "python":
        out = run_python_reference(workdir, args.mode, args.limit)
    else:
        out = run_loop(workdir, args.mode, args.limit)
    out["seconds"] = time.perf_counter() - wall
    out["cpu_seconds"] = time.process_time() - cpu    # user + sys; robust to a machine shared with other jobs
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_rss_mib"] = usage.ru_maxrss / 1024
    out["cpu_seconds_with_imports"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(out))


def _spawn(workdir: Path, child: str, mode: str, limit: int | None = None, repeat: int = 1) -> dict:
    """Run a child ``repeat`` times, each in a fresh process; keep the fastest wall and CPU times."""
    cmd = [sys.executable, __file__, "--workdir", str(workdir), "--child", child, "--mode", mode]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    runs = []
    for _ in range(max(repeat, 1)):
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = dict(runs[0])
    for key in ("seconds", "cpu_seconds", "cpu_seconds_with_imports", "peak_rss_mib"):
        best[key] = min(run[key] for run in runs)
    def figures(key: str) -> list[float]:
        return [round(run[key], 2) for run in runs]
    print(f"  {child} {mode}: wall s {figures('seconds')}, CPU s {figures('cpu_seconds')} "
          f"(with imports {figures('cpu_seconds_with_imports')})", file=sys.stderr)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=26446)
    parser.add_argument("--sgdet-pairs", type=int, default=1024)
    parser.add_argument("--workdir", default="/tmp/sgg_bench_eval")
    parser.add_argument("--loop-limit", type=int, default=None,
                        help="time the per-image loop on the first N images only (speed is per image)")
    parser.add_argument("--modes", default="predcls,sgdet")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the fast path and the numpy loop this many times each (fresh processes), "
                             "report the fastest wall and CPU time of each")
    parser.add_argument("--oi", action="store_true", help="also time the OpenImages protocol (fast path)")
    parser.add_argument("--python-images", type=int, default=500,
                        help="time the pure-Python reference of the tests on this many images (0: skip)")
    parser.add_argument("--child", choices=("fast", "fast-oi", "loop", "python"), help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    workdir = Path(args.workdir)
    generate(workdir, args.images, args.sgdet_pairs, modes=tuple(args.modes.split(",")))
    print("| file | images | rel rows | size | fast: wall s (CPU s) | fast: images/s (per CPU s) | fast: peak RSS | "
          "numpy loop: wall s (CPU s) | numpy loop: peak RSS | speed-up wall (CPU) | same numbers | "
          "Python reference: images per CPU s | speed-up (CPU) | fast, OI protocol too: wall s (CPU s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    from sgg_bench.evaluation.predictions import read_predictions
    for mode in args.modes.split(","):
        path = workdir / f"{mode}.h5"
        with read_predictions(path, check_rows=False) as f:
            rows = int(f.rel_offsets[-1])
        fast = _spawn(workdir, "fast", mode, repeat=args.repeat)
        loop = _spawn(workdir, "loop", mode, args.loop_limit, repeat=args.repeat)
        fast_rate = fast["images"] / fast["seconds"]
        loop_rate = loop["images"] / loop["seconds"]
        same = "n/a (subset)"
        if loop["images"] == fast["images"]:
            same = "yes" if all(
                (loop["metrics"][k] is None and fast["metrics"][k] is None)
                or abs(loop["metrics"][k] - fast["metrics"][k]) < 1e-9 for k in loop["metrics"]) else "NO"
        fast_cpu_rate = fast["images"] / fast["cpu_seconds"]
        loop_cpu_rate = loop["images"] / loop["cpu_seconds"]
        python_cells = "- | - |"
        if args.python_images:
            ref = _spawn(workdir, "python", mode, args.python_images)
            ref_rate = ref["images"] / ref["cpu_seconds"]
            python_cells = f"{ref_rate:,.1f} ({ref['images']:,} images) | {fast_cpu_rate / ref_rate:,.0f}x |"
        oi = _spawn(workdir, "fast-oi", mode) if args.oi else None
        oi_cell = f"{oi['seconds']:.1f} ({oi['cpu_seconds']:.1f})" if oi else "-"
        print(f"| {mode} | {fast['images']:,} | {rows:,} | {path.stat().st_size / 2**30:.2f} GiB | "
              f"{fast['seconds']:.2f} ({fast['cpu_seconds']:.2f}) | {fast_rate:,.0f} ({fast_cpu_rate:,.0f}) | "
              f"{fast['peak_rss_mib']:,.0f} MiB | {loop['seconds']:.1f} ({loop['cpu_seconds']:.1f}), "
              f"{loop['images']:,} images | {loop['peak_rss_mib']:,.0f} MiB | "
              f"{fast_rate / loop_rate:.1f}x ({fast_cpu_rate / loop_cpu_rate:.1f}x) | {same} | {python_cells} {oi_cell} |")
        print(f"  {mode} R@50 {fast['metrics']['R@50']:.4f} mR@50 {fast['metrics']['mR@50']:.4f} "
              f"ngR@50 {fast['metrics']['ngR@50']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
