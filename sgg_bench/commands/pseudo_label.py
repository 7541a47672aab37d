"""`sgg-bench pseudo-label`: captions (or ground-truth graphs) + a trained detector -> a pseudo-label dataset.

    sgg-bench pseudo-label --captions FILE --detector RUN_DIR --dataset DIR --out DIR [--vocabulary closed|open]
    sgg-bench pseudo-label --weak [--split train] --detector RUN_DIR --dataset DIR --out DIR
    sgg-bench pseudo-label --split test --detector RUN_DIR --dataset DIR --out DIR          (detections only)
    sgg-bench pseudo-label-quality PSEUDO_DIR --dataset DIR [--seeds 0 1 2] [--no-overlap] [--out FILE.json]
    sgg-bench pseudo-label-export PSEUDO_DIR --out DIR [--name synth] [--one-hot-dists]

The format is docs/FORMATS.md ("Pseudo-label dataset"); the method docs/LANGUAGE.md.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    build = subparsers.add_parser("pseudo-label", help="write a pseudo-label dataset (detections + unlocalized graphs)",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("--captions", type=Path, default=None, help="COCO-captions JSON (language supervision)")
    build.add_argument("--weak", action="store_true", help="ground-truth graphs without boxes (weak supervision)")
    build.add_argument("--split", choices=("train", "val", "test"), default=None,
                       help="the dataset split's images (with --weak: its graphs; alone: detections only)")
    build.add_argument("--detector", type=Path, required=True, help="run folder of 'sgg-bench train --model detector'")
    build.add_argument("--dataset", type=Path, required=True, help="the dataset folder the images belong to (VG layout)")
    build.add_argument("--out", type=Path, required=True, help="output folder (must not exist; written atomically)")
    build.add_argument("--vocabulary", choices=("closed", "open"), default="closed",
                       help="closed: caption triplets linked to the dataset vocabulary; open: the captions' own lemmas")
    build.add_argument("--detections-per-image", type=int, default=36, help="boxes kept per image (SGNLS: 36)")
    build.add_argument("--no-wordnet", action="store_true", help="link without WordNet")
    build.add_argument("--workers", type=int, default=None, help="caption parser processes (default: up to 2)")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=_run_build)

    quality = subparsers.add_parser("pseudo-label-quality", help="precision/recall of grounded pseudo triplets vs ground truth")
    quality.add_argument("pseudo_labels", type=Path, help="a pseudo-label folder")
    quality.add_argument("--dataset", type=Path, required=True, help="the dataset folder with the localized ground truth")
    quality.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="grounding draws to average (default 0 1 2)")
    quality.add_argument("--no-overlap", action="store_true",
                         help="ground without SGNLS's overlap requirement (to see what it costs)")
    quality.add_argument("--out", type=Path, default=None, help="also write the figures as JSON (atomically)")
    quality.set_defaults(func=_run_quality)

    export = subparsers.add_parser("pseudo-label-export", help="export a pseudo-label folder to SGNLS's .npy layout")
    export.add_argument("pseudo_labels", type=Path, help="a pseudo-label folder")
    export.add_argument("--out", type=Path, required=True, help="output folder")
    export.add_argument("--name", default="synth", help="file name prefix (SGNLS: COCO, cc, mix, vg)")
    export.add_argument("--one-hot-dists", action="store_true", help="write _dists as a one-hot of the detected class, as SGNLS")
    export.set_defaults(func=_run_export)


def _run_build(args: argparse.Namespace) -> int:
    from sgg_bench.language.pseudo_label_build import build_pseudo_labels

    meta = build_pseudo_labels(args.out, dataset_root=args.dataset, detector_run=args.detector, captions=args.captions,
                               weak=args.weak, split=args.split, vocabulary=args.vocabulary,
                               detections_per_image=args.detections_per_image,
                               use_wordnet=False if args.no_wordnet else None, workers=args.workers,
                               progress=not args.quiet and sys.stderr.isatty())
    print(f"pseudo labels ({meta['supervision']}, {meta['vocabulary']} vocabulary): {meta['num_images']} images, "
          f"{meta['num_detections']} detections, {meta['num_triplets']} triplets -> {args.out}")
    return 0


def _run_quality(args: argparse.Namespace) -> int:
    from sgg_bench.language.grounding import GroundingConfig
    from sgg_bench.language.pseudo_label_quality import pseudo_label_quality, quality_markdown
    from sgg_bench.language.pseudo_labels import read_pseudo_labels
    from sgg_bench.utils.atomic import atomic_write_json

    pseudo = read_pseudo_labels(args.pseudo_labels)
    result = pseudo_label_quality(pseudo, args.dataset, seeds=args.seeds,
                                  config=GroundingConfig(require_overlap=not args.no_overlap))
    result["require_overlap"] = not args.no_overlap
    result["pseudo_labels"] = {k: pseudo.meta.get(k) for k in ("supervision", "vocabulary", "captions", "detector_run")}
    if args.out is not None:
        atomic_write_json(args.out, result)
    print(quality_markdown(result), end="")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from sgg_bench.language.pseudo_labels import read_pseudo_labels
    from sgg_bench.language.sgnls_export import export_sgnls

    pseudo = read_pseudo_labels(args.pseudo_labels)
    out = export_sgnls(pseudo, args.out, name=args.name, one_hot_dists=args.one_hot_dists)
    print(json.dumps({"images": len(pseudo), "out": str(out)}))
    return 0
