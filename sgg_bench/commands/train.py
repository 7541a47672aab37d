"""`sgg-bench train`: train a detector or a relation model end to end into a run folder.

    sgg-bench train --model motifs --dataset synth [--mode predcls] [--config FILE]
                    [--resume | --force] [--output-root DIR] [--effect E ...] [KEY=VALUE ...]
    sgg-bench train --model sgnls --dataset synth [--supervision language|weak|full] [--vocabulary open]

The config is configs/datasets/<dataset>.yaml, then configs/models/<model>.yaml, then
configs/overrides/<dataset>/<model>.yaml when it exists, then --config FILE, then KEY=VALUE
overrides; the mode comes from --mode (default predcls). Everything is checked before anything
is written. A finished run folder is never overwritten: --resume continues it, --force moves it
to <dataset>/.replaced/ first. Relation models need a trained detector: detector.weights empty
means this dataset's detector run (trained first on the synthetic data when missing).
--effect (heads with test-time effects, e.g. causal: none, TDE, NIE, TE; repeat it or give a
comma list): the model trains once; the run folder scores the config's effect
(model.head_args.effect) and each other requested effect E gets its own folder <run name>+E
with its predictions and record. eval --all re-scores those folders like any run; it never
predicts, so add an effect later with --resume --effect E.
Multi-process: torchrun --nproc_per_node N -m sgg_bench train ...
"""
from __future__ import annotations

import argparse

MODES = ("predcls", "sgcls", "sgdet")


def register(subparsers: argparse._SubParsersAction) -> None:
    from sgg_bench.registry import relation_head_names
    from sgg_bench.runs.configs import dataset_names

    heads = ", ".join(["detector"] + relation_head_names())
    parser = subparsers.add_parser(
        "train", help="train a detector or relation model, predict the test split, evaluate",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, metavar="MODEL", help=f"relation head or 'detector': {heads}")
    parser.add_argument("--dataset", required=True, choices=dataset_names())
    parser.add_argument("--mode", choices=MODES, default=None, help="relation models only (default predcls)")
    parser.add_argument("--config", default=None, help="an extra config file merged over the shipped ones")
    parser.add_argument("--supervision", choices=("language", "weak", "full", "none"), default=None,
                        help="train on grounded pseudo labels from captions (language), unlocalized GT graphs "
                             "(weak) or localized GT on the same detections (full); SGDet only. Default: the "
                             "config's (sgnls: language; other heads: none = the standard run)")
    parser.add_argument("--vocabulary", choices=("closed", "open"), default=None,
                        help="language setting: open keeps the caption vocabulary (default closed)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="continue the run folder from its newest checkpoint")
    group.add_argument("--force", action="store_true", help="move an existing run folder aside and start again")
    parser.add_argument("--output-root", default=None, help="runs go to DIR/<dataset>/<run name>/ (default outputs)")
    parser.add_argument("--effect", action="append", default=[], metavar="E",
                        help="also predict and record this test-time effect (causal: none, TDE, NIE, TE)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. solver.max_iter=100")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.runs.train import TrainRequest, train

    request = TrainRequest(model=args.model, dataset=args.dataset, mode=args.mode, config=args.config,
                           overrides=list(args.overrides), output_root=args.output_root, resume=args.resume,
                           force=args.force, effects=list(args.effect), supervision=args.supervision,
                           vocabulary=args.vocabulary)
    run_dir = train(request)
    if dist_utils.is_main_process():
        from sgg_bench.runs.effects import effect_run_dirs

        for folder in [run_dir] + (effect_run_dirs(run_dir) if request.effects else []):
            _print_result(folder)
    return 0


def _print_result(run_dir) -> None:
    """The same metrics table as ``sgg-bench eval``, and where the record is."""
    import json

    from sgg_bench.evaluation.table import format_table

    record_path = run_dir / "result.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    print(f"{record['run_id']} | {record['dataset']} {record['split']} | mode {record['mode']} | "
          f"protocol {record['protocol']}")
    print(format_table(record))
    print(f"run folder: {run_dir}")
    print(f"result record: {record_path}")
