"""`sgg-bench eval`: score a predictions file, or (--all) every run folder, and write result records."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sgg_bench.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="evaluate a predictions file (or --all run folders) and write a result record",
        description="Score predictions.h5 against a dataset split with the VG (KT) or OpenImages (PySGG) "
                    "protocol; see docs/EVALUATION.md.")
    parser.add_argument("--predictions", type=Path, help="predictions file (HDF5, docs/FORMATS.md)")
    parser.add_argument("--dataset", type=Path, help="dataset folder (VG150 or OpenImages layout)")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--protocol", choices=("vg", "oi"), default=None,
                        help="default: oi for OpenImages folders, vg otherwise")
    parser.add_argument("--zeroshot", default=None,
                        help="zero-shot triplet list (.npy or text rows 'subject object predicate'), or 'derive'")
    parser.add_argument("--out", type=Path, default=None, help="write the result record (JSON) here")
    parser.add_argument("--allow-missing", action="store_true",
                        help="images without predictions count as having none; unknown images are ignored")
    parser.add_argument("--motifs-rule", action="store_true",
                        help="neural-motifs rule: an image without predicted pairs counts as recall 0")
    parser.add_argument("--variant", choices=("phrdet", "preddet"), default=None,
                        help="neural-motifs alternatives: phrase detection (union boxes) or predicate detection")
    parser.add_argument("--no-longtail", action="store_true", help="skip head/body/tail mean recall")
    parser.add_argument("--run-id", default=None, help="run id for the record (default: predictions file stem)")
    parser.add_argument("--model", default="unknown", help="model name for the record")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON instead of a table")
    parser.add_argument("--all", action="store_true", help="evaluate every stale run folder under --outputs")
    parser.add_argument("--force", action="store_true", help="with --all: evaluate every run again")
    parser.add_argument("--outputs", type=Path, default=Path("outputs"), help="run folders root (with --all)")
    parser.add_argument("--results", type=Path, default=Path("leaderboard/results"),
                        help="result records folder (with --all)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.all:
        from sgg_bench.runs.evaluate_all import evaluate_all
        return int(evaluate_all(outputs_dir=args.outputs, results_dir=args.results, force=args.force))
    if args.predictions is None or args.dataset is None:
        raise ConfigError("sgg-bench eval: give --predictions FILE and --dataset DIR (or --all)")
    from sgg_bench.evaluation import evaluate_predictions
    from sgg_bench.evaluation.table import format_table

    # The record's predictions hash reads the whole file once more; hashlib releases the GIL, so
    # it runs beside the evaluation (a thread) instead of after it.
    digest = _hash_in_background(args.predictions) if args.out is not None else None
    result = evaluate_predictions(args.predictions, args.dataset, split=args.split, protocol=args.protocol,
                                  zeroshot=args.zeroshot, allow_missing=args.allow_missing,
                                  motifs_rule=args.motifs_rule, variant=args.variant,
                                  longtail=not args.no_longtail, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        info = result["info"]
        print(f"{args.predictions} | {info.get('dataset')} {args.split} | mode {info['mode']}"
              f"{' (' + info['variant'] + ')' if info.get('variant') else ''} | protocol {info['protocol']}")
        print(format_table(result))
    if args.out is not None:
        _write(args, result, digest)
        print(f"result record written to {args.out}")
    return 0


def _hash_in_background(path: Path):
    """A zero-argument callable returning the sha256 of ``path``, computed in a daemon thread."""
    import threading

    from sgg_bench.utils.hashing import sha256_file
    box: dict = {}

    def work() -> None:
        try:
            box["value"] = sha256_file(path, chunk_size=1 << 24)
        except OSError as exc:           # reported where the hash is needed
            box["error"] = exc
    thread = threading.Thread(target=work, daemon=True)
    thread.start()

    def result() -> str:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]
    return result


def _write(args: argparse.Namespace, result: dict, digest=None) -> None:
    import inspect

    from sgg_bench.leaderboard.records import build_record, write_record
    from sgg_bench.utils.hashing import sha256_file

    info = result["info"]
    mode = info["variant"] or info["mode"]
    tie_ranges = result.get("tie_ranges") or {}
    extra = {"tie_ranges": tie_ranges} if tie_ranges and "tie_ranges" in inspect.signature(build_record).parameters \
        else {}
    record = build_record(
        run_id=args.run_id or args.predictions.stem, model=args.model, dataset=str(info.get("dataset")),
        split=args.split, mode=mode, protocol=info["protocol"], metrics=result["metrics"],
        per_predicate=result["per_predicate"], info=info,
        provenance={"predictions_sha256": digest() if digest is not None else sha256_file(args.predictions),
                    "dataset_fingerprint": info.get("dataset_fingerprint"),
                    "eval_seconds": info.get("eval_seconds")}, **extra)
    if tie_ranges:
        record["tie_ranges"] = {name: [float(low), float(high)] for name, (low, high) in tie_ranges.items()}
    write_record(args.out, record)
