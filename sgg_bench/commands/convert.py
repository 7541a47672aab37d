"""``sgg-bench convert --from maskrcnn-benchmark IN.pth --out OUT.pth``: rename a
maskrcnn-benchmark / Scene-Graph-Benchmark detector checkpoint into our ``x101_fpn`` layout."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sgg_bench.errors import DataFormatError
from sgg_bench.utils.atomic import atomic_path

if TYPE_CHECKING:  # annotations only: the command imports torch when it runs
    import torch

SOURCES = ("maskrcnn-benchmark",)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert a detector checkpoint from another codebase",
        description="Rename a maskrcnn-benchmark / SGB detector checkpoint (e.g. SGB's X-101-32x8d-FPN "
                    "pretrained_faster_rcnn/model_final.pth) into this project's x101_fpn detector. "
                    "The file is read with torch.load(weights_only=True); nothing is executed from it.")
    parser.add_argument("input", metavar="IN.pth", help="checkpoint to convert")
    parser.add_argument("--from", dest="source", required=True, choices=SOURCES, help="codebase that wrote IN.pth")
    parser.add_argument("--out", required=True, metavar="OUT.pth", help="where to write the converted weights")
    parser.add_argument("--verify", metavar="DETECTOR", default=None,
                        help="also load the result strictly into this registered detector (e.g. x101_fpn); "
                             "needs memory for the whole model")
    parser.set_defaults(func=_run)


def read_maskrcnn_benchmark(path: Path) -> dict[str, torch.Tensor]:
    """The tensor state dict of a maskrcnn-benchmark checkpoint: the ``model`` entry of a saved
    dict (optimizer, scheduler and iteration entries are ignored) or a bare state dict."""
    import torch

    if not path.is_file():
        raise DataFormatError(path, "file", "an existing checkpoint file", "no such file")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # e.g. UnpicklingError naming a class weights_only refuses
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataFormatError(
            path, "file", "a checkpoint readable with torch.load(weights_only=True) (tensors, dicts, lists, "
            "numbers, strings); re-save it as {'model': model.state_dict()} if it holds other objects",
            first_line) from None
    if not isinstance(loaded, dict):
        raise DataFormatError(path, "top level", "a dict (a state dict or {'model': state dict, ...})",
                              type(loaded).__name__)
    state = loaded["model"] if "model" in loaded else loaded
    if not isinstance(state, dict) or not state:
        raise DataFormatError(path, "model", "a non-empty state dict", type(state).__name__)
    bad = [key for key, value in state.items() if not isinstance(value, torch.Tensor)]
    if bad:
        raise DataFormatError(path, f"model[{bad[0]!r}]", "a tensor",
                              f"{type(state[bad[0]]).__name__} ({len(bad)} non-tensor entries)")
    return state


def _run(args: argparse.Namespace) -> int:
    import torch  # here, not at import: --help must not load torch

    from sgg_bench.detector.convert import convert_maskrcnn_benchmark

    source, out = Path(args.input), Path(args.out)
    state = read_maskrcnn_benchmark(source)
    converted = convert_maskrcnn_benchmark(state)
    if args.verify:
        from sgg_bench.detector.build import build_detector
        num_classes = int(converted["roi_heads.box_predictor.cls_score.weight"].shape[0]) \
            if "roi_heads.box_predictor.cls_score.weight" in converted else 151
        detector = build_detector(args.verify, num_classes=num_classes)
        own = detector.state_dict()
        missing = sorted(set(own) - set(converted))
        unexpected = sorted(set(converted) - set(own))
        mismatched = [k for k in sorted(set(own) & set(converted)) if own[k].shape != converted[k].shape]
        if missing or unexpected or mismatched:
            first = (missing or unexpected or mismatched)[0]
            raise DataFormatError(source, first, f"keys and shapes of detector {args.verify}",
                                  f"{len(missing)} missing, {len(unexpected)} unexpected, "
                                  f"{len(mismatched)} shape mismatches")
        detector.load_state_dict(converted, strict=True)
    with atomic_path(out) as tmp:
        torch.save({"model": converted, "source": args.source, "converted_from": source.name}, tmp)
    print(f"converted {len(state)} entries -> {len(converted)} entries: {out}")
    return 0
