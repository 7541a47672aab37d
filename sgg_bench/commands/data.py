"""`sgg-bench data`: check a dataset folder, dump its evaluation GT, convert other layouts, generate synthetic data."""
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

    convert = actions.add_parser(
        "convert", help="convert another dataset layout into VG150 / OpenImages (or VG150 into coco-rel)",
        description="Convert raw Visual Genome json, a COCO-style json with relations (RelTR layout) or the "
                    "OpenImages V6 CSVs into a folder `sgg-bench data check` accepts; or (--from vg150 --to "
                    "coco-rel) write a VG150 folder in RelTR's layout. See docs/CUSTOM_DATA.md.")
    convert.add_argument("src", metavar="SRC", help="source folder")
    convert.add_argument("--from", dest="source", required=True, choices=("vg-json", "coco-rel", "openimages-csv",
                                                                          "vg150"))
    convert.add_argument("--to", dest="target", default=None, choices=("vg150", "coco-rel", "openimages"),
                         help="output layout (default: vg150; openimages for openimages-csv; coco-rel for vg150)")
    convert.add_argument("--out", required=True, metavar="DIR", help="output folder (each file written atomically)")
    convert.add_argument("--vocab", default=None, metavar="DICTS",
                         help="use this vocabulary (VG: a VG-SGG-dicts json; OpenImages: categories_dict.json) "
                              "instead of the most frequent classes")
    convert.add_argument("--num-objects", type=int, default=150, help="vg-json: object classes kept (default 150)")
    convert.add_argument("--num-predicates", type=int, default=50, help="vg-json: predicates kept (default 50)")
    convert.add_argument("--min-box-area-frac", type=float, default=0.002,
                         help="vg-json: drop boxes with area at most this fraction of the image (default 0.002)")
    convert.add_argument("--num-val-im", type=int, default=None,
                         help="VG: val size written to sgg-bench.json (default: 5000 for large data, else train/10)")
    convert.add_argument("--images", default="link", choices=("link", "copy", "none"),
                         help="how images reach the output folder (default: symbolic links)")
    convert.add_argument("--json", action="store_true", help="print the summary as JSON")
    convert.set_defaults(func=_convert)

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


def _convert(args: argparse.Namespace) -> int:
    from sgg_bench.data.convert import run_conversion
    report = run_conversion(args.source, args.src, args.out, target=args.target, vocab=args.vocab,
                            num_objects=args.num_objects, num_predicates=args.num_predicates,
                            min_box_area_frac=args.min_box_area_frac, num_val_im=args.num_val_im,
                            images_mode=args.images)
    print(json.dumps(report.to_json(), indent=2) if args.json else report.format())
    return 0


def _synth(args: argparse.Namespace) -> int:
    from sgg_bench.data.synthetic import generate_synthetic  # lazy: heavy, and owned by the synthetic module
    summary = generate_synthetic(args.out, size=args.size, seed=args.seed)
    print(json.dumps(summary, indent=2, default=str))
    return 0
