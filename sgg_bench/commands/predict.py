"""`sgg-bench predict`: scene graphs, drawings, a predictions file and a gallery for image files.

    sgg-bench predict IMAGE_OR_DIR... --run RUN_DIR --out DIR [--mode sgdet|sgcls|predcls]
                      [--boxes FILE.json] [--top K] [--min-score S] [--effect none|TDE|NIE|TE]

Folders are searched for .jpg .jpeg .png .webp .bmp .tif .tiff files. PredCls and SGCls use the
boxes (and, for PredCls, labels) of --boxes, a JSON object keyed by file name. docs/PREDICT.md
describes the outputs and the graph JSON schema.
"""
from __future__ import annotations

import argparse
import json

MODES = ("predcls", "sgcls", "sgdet")
EFFECTS = ("none", "TDE", "NIE", "TE")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict", help="scene graphs + drawings + gallery for your own images, from a trained run",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR", help="image files and/or folders of images")
    parser.add_argument("--run", required=True, metavar="RUN_DIR", help="a relation run folder (outputs/<dataset>/<run>)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    parser.add_argument("--mode", choices=MODES, default=None, help="default: the mode the run was trained in")
    parser.add_argument("--boxes", default=None, metavar="FILE.json",
                        help="PredCls/SGCls: {file name: {boxes: [[x1,y1,x2,y2],...], labels: [...]}}")
    parser.add_argument("--top", type=int, default=20, metavar="K", help="triplets kept per image (default 20)")
    parser.add_argument("--min-score", type=float, default=0.0, metavar="S",
                        help="drop triplets scoring below S (default 0)")
    parser.add_argument("--effect", choices=EFFECTS, default="none",
                        help="test-time effect of a causal head (TDE, NIE, TE); none for every other head")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"),
                        help="the split written into predictions.h5 (eval compares it with --split)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    parser.add_argument("--batch-size", type=int, default=None, help="images per model call (default: the run's test.ims_per_batch)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import sys

    from sgg_bench.predict.pipeline import PredictRequest, predict_files
    summary = predict_files(PredictRequest(
        inputs=args.inputs, run_dir=args.run, out_dir=args.out, mode=args.mode, boxes=args.boxes, top_k=args.top,
        min_score=args.min_score, effect=args.effect, split=args.split, device=args.device,
        batch_size=args.batch_size, progress=sys.stderr.isatty()))
    result = summary.to_dict()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"predicted {result['predicted']} of {result['images']} images in {result['seconds']:.1f} s; "
              f"{result['failed']} not read")
        print(f"gallery: {summary.out_dir / 'index.html'}")
        print(f"predictions: {summary.out_dir / 'predictions.h5'}")
    return 0 if summary.predicted else 1
