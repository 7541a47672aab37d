"""`sgg-bench data`: check a dataset folder, dump its evaluation GT, generate synthetic data."""
from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="check, dump or generate datasets",
                                   description="Dataset tools: check a folder, dump evaluation GT, make synthetic data.")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")

    check = actions.add_parser("check", help="validate a VG150 / OpenImages folder and print a summary")
    check.add_argument("dir", help="dataset folder (or a folder holding vg/ and/or openimages/)")
    check.add_argument("--json", action="store_true", help="print the summary as JSON")
    check.add_argument("--decode", action="store_true",
                       help="also open every image file and report the ones that do not decode")
    check.set_defaults(func=_check)

    dump = actions.add_parser("dump", help="write a split's evaluation ground truth as JSON")
    dump.add_argument("dir", help="dataset folder (VG150 or OpenImages)")
    dump.add_argument("--split", default="test", choices=("train", "val", "test"))
    dump.add_argument("--out", required=True, help="output JSON file (written atomically)")
    dump.add_argument("--num-val-im", type=int, default=None,
                      help="VG: val size carved from train (default: sgg-bench.json, else 5000)")
    dump.add_argument("--num-im", type=int, default=-1, help="keep only the first N images (-1 = all)")
    dump.add_argument("--keep-empty-rels", action="store_true", help="keep images without relations")
    dump.set_defaults(func=_dump)

    synth = actions.add_parser("synth", help="generate the synthetic VG/OpenImages/captions dataset")
    synth.add_argument("--out", default="datasets/synth", help="output folder (default: datasets/synth)")
    synth.add_argument("--size", default="default", choices=("tiny", "small", "default"))
    synth.add_argument("--seed", type=int, default=0)
    synth.set_defaults(func=_synth)

    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _check(args: argparse.Namespace) -> int:
    from sgg_bench.data.check import check_dataset, format_summary
    summaries = check_dataset(args.dir, decode=args.decode)
    if args.json:
        print(json.dumps(summaries, indent=2))
    else:
        print("\n\n".join(format_summary(summary) for summary in summaries))
    return 0


def _dump(args: argparse.Namespace) -> int:
    from sgg_bench.data.ground_truth import dump_ground_truth
    summary = dump_ground_truth(args.dir, args.split, args.out, num_val_im=args.num_val_im, num_im=args.num_im,
                                filter_empty_rels=not args.keep_empty_rels)
    print(f"wrote {summary['out']}: {summary['images']} images, {summary['objects']} objects, "
          f"{summary['relations']} relations ({args.split})")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from sgg_bench.data.synthetic import generate_synthetic  # lazy: heavy, and owned by the synthetic module
    summary = generate_synthetic(args.out, size=args.size, seed=args.seed)
    print(json.dumps(summary, indent=2, default=str))
    return 0
