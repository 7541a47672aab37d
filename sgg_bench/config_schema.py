"""Every config key the framework reads: its default, its type and its range.

``sgg_bench.config`` merges YAML layers over these defaults and then checks every value here,
so a wrong value (``solver.base_lr=abc``, ``solver.ims_per_batch=0``, ``run.device=banana``) is a
one-line error naming the key before anything is written. Open sections (``OPEN``) hold keyword
arguments of a constructor; they are checked against that constructor's signature where it is
built (``sgg_bench.runs.validate``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
DEVICE = re.compile(r"auto|cpu|cuda(:[0-9]+)?")
MODES = ("predcls", "sgcls", "sgdet")


@dataclass(frozen=True)
class Key:
    """One leaf key: ``check(value) -> None or a description of what was expected``."""

    default: Any
    check: Callable[[Any], str | None]
    help: str = ""


OPEN = object()  # marks a section whose keys are constructor keyword arguments


def _int(minimum: int | None = None, maximum: int | None = None, *, nullable: bool = False):
    def check(value):
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return _range_text("an integer", minimum, maximum, nullable)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            return _range_text("an integer", minimum, maximum, nullable)
        return None
    return check


def _float(minimum: float | None = None, maximum: float | None = None, *, above: float | None = None):
    def check(value):
        wanted = _range_text("a number", minimum, maximum, False, above=above)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return wanted
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum) \
                or (above is not None and value <= above):
            return wanted
        return None
    return check


def _range_text(kind: str, minimum, maximum, nullable: bool, *, above=None) -> str:
    parts = [kind]
    if above is not None:
        parts.append(f"> {above}")
    if minimum is not None:
        parts.append(f">= {minimum}")
    if maximum is not None:
        parts.append(f"<= {maximum}")
    text = " ".join(parts[:1]) + (" " + " and ".join(parts[1:]) if len(parts) > 1 else "")
    return text + (" or null" if nullable else "")


def _nullable_float(minimum: float):
    inner = _float(minimum)

    def check(value):
        problem = None if value is None else inner(value)
        return problem and problem + " or null"
    return check


def _bool(value):
    return None if isinstance(value, bool) else "true or false"


def _str(value):
    return None if isinstance(value, str) else "a string"


def _choice(*choices: str):
    def check(value):
        return None if value in choices else "one of " + " | ".join(choices)
    return check


def _pattern(regex: re.Pattern, description: str, *, empty: bool = False):
    def check(value):
        if isinstance(value, str) and ((empty and value == "") or regex.fullmatch(value)):
            return None
        return description
    return check


def _int_list(minimum: int = 0):
    def check(value):
        ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum
                                             for v in value)
        if ok and value == sorted(value):
            return None
        return f"an ascending list of integers >= {minimum}"
    return check


SCHEMA: dict[str, Any] = {
    "run": {
        "name": Key("", _pattern(PLAIN_NAME, "a plain name (letters, digits, . _ + -; no path)", empty=True),
                    "run folder name; empty = <model>-<mode>"),
        "output_root": Key("outputs", _str, "runs land in <output_root>/<dataset>/<name>/"),
        "seed": Key(0, _int(0)),
        "device": Key("auto", _pattern(DEVICE, "auto | cpu | cuda | cuda:N")),
        "num_threads": Key(0, _int(0), "torch CPU threads; 0 = torch's default"),
        "keep_checkpoints": Key(2, _int(0), "periodic checkpoints kept besides the final one"),
    },
    "dataset": {
        "name": Key("synth", _pattern(PLAIN_NAME, "a dataset name (configs/datasets/<name>.yaml)")),
        "root": Key("datasets/synth/vg", _str),
        "num_val_im": Key(None, _int(0, nullable=True), "VG: val = first N train images; null = sgg-bench.json"),
        "num_im": Key(-1, _int(-1), "keep the first N images of a split (-1 = all)"),
        "filter_empty_rels": Key(True, _bool),
        "filter_duplicate_rels": Key(True, _bool),
        "filter_non_overlap": Key(False, _bool),
        "zeroshot_list": Key("", _str, "'' | 'derive' | a .npy / text file of (subject, object, predicate)"),
        "resampling": {
            "method": Key("none", _choice("none", "bilevel"),
                          "training images of relation models: none | bilevel (BGNN, sgg_bench.data.resampling)"),
            "repeat_factor": Key(0.1, _float(above=0.0), "bilevel: threshold t of the image repeat factors"),
            "drop_rate": Key(0.9, _float(0.0), "bilevel: instance drop rate gamma of repeated images"),
        },
    },
    "detector": {
        "name": Key("tiny", _choice("tiny", "mobilenet_v3_fpn", "resnet50_fpn", "x101_fpn")),
        "weights": Key("", _str, "local checkpoint; empty = this dataset's trained detector run"),
        "args": OPEN,
    },
    "model": {
        "head": Key("motifs", _pattern(PLAIN_NAME, "a registered relation head name")),
        "mode": Key("predcls", _choice(*MODES)),
        "head_args": OPEN,
        "args": OPEN,
        "features": {
            "freeze": Key(False, _bool, "freeze the relation-stage box/union extractors (CPU configs)"),
            "rect_masks": Key(True, _bool, "subject/object rectangle-mask branch of the union feature"),
            "cache": Key(True, _bool, "with frozen extractors: compute each image's features once"),
        },
    },
    "solver": {
        "optimizer": Key("sgd", _choice("sgd", "adamw")),
        "base_lr": Key(0.01, _float(above=0.0)),
        "lr_scale_by_batch": Key(False, _bool, "learning rate = base_lr * ims_per_batch (KT's recipe)"),
        "momentum": Key(0.9, _float(0.0, 1.0)),
        "weight_decay": Key(0.0001, _float(0.0)),
        "weight_decay_bias": Key(None, _nullable_float(0.0), "weight decay of parameters named *bias*; null = weight_decay"),
        "schedule": Key("multistep", _choice("multistep", "plateau"),
                        "multistep: decay at steps; plateau: decay when val metric stalls, stop at the last"),
        "plateau_metric": Key("R@100", _str, "validation metric a plateau schedule watches"),
        "plateau_patience": Key(2, _int(1), "validations without improvement before a decay"),
        "plateau_threshold": Key(0.001, _float(0.0), "absolute improvement that counts"),
        "plateau_max_decays": Key(3, _int(1), "training stops at this decay"),
        "max_iter": Key(1000, _int(0)),
        "warmup_iters": Key(50, _int(0)),
        "steps": Key([], _int_list(0)),
        "gamma": Key(0.1, _float(maximum=1.0, above=0.0)),
        "grad_clip": Key(5.0, _float(0.0), "max gradient norm; 0 = off"),
        "ims_per_batch": Key(4, _int(1)),
        "checkpoint_period": Key(200, _int(0), "0 = only the final checkpoint"),
        "val_period": Key(500, _int(0), "0 = never validate"),
        "log_period": Key(20, _int(1)),
        "amp": Key(True, _bool, "mixed precision on CUDA"),
    },
    "test": {
        "ims_per_batch": Key(8, _int(1)),
        "detections_per_img": Key(80, _int(1)),
        "allow_missing": Key(False, _bool),
    },
    "language": {
        "supervision": Key("", _choice("", "language", "weak", "full"),
                           "'' = the standard relation run; otherwise train on grounded pseudo labels "
                           "(docs/LANGUAGE.md): captions, unlocalized GT graphs or localized GT"),
        "vocabulary": Key("closed", _choice("closed", "open"), "open: keep the caption vocabulary"),
        "detector_run": Key("", _str, "off-the-shelf detector run folder; empty = "
                                      "<output_root>/<dataset>-det/detector-tiny (trained when missing)"),
        "captions": Key("", _str, "COCO-style captions of the train images; empty = <dataset root>/../captions/"
                                  "captions_train.json"),
        "pseudo_labels": Key("", _str, "pseudo-label folder of the train images; empty = built under "
                                       "<output_root>/<dataset>/.pseudo-labels/"),
        "test_detections": Key("", _str, "detections of the test images (pseudo-label format); empty = built"),
        "detections_per_image": Key(36, _int(1), "detections stored per image when pseudo labels are built (SGNLS: 36)"),
        "max_detections": Key(0, _int(0), "train and predict on the best N stored detections; 0 = all"),
        "loss_weights": Key(True, _bool, "class-weighted losses in the language setting (§5)"),
        "pairs_per_image": Key(16, _int(1), "grounded training pairs per image (SGNLS language: 16)"),
        "nms_threshold": Key(0.5, _float(0.0, 1.0), "class-wise NMS of the SGDet object labels"),
    },
    "eval": {
        "protocol": Key("vg", _choice("vg", "oi")),
        "iou_threshold": Key(0.5, _float(maximum=1.0, above=0.0)),
        "skip_images_without_predictions": Key(True, _bool, "false = neural-motifs rule (recall 0)"),
    },
}


def defaults(schema: dict | None = None) -> dict:
    """The default config as a nested plain dict."""
    schema = SCHEMA if schema is None else schema
    out: dict = {}
    for name, entry in schema.items():
        if entry is OPEN:
            out[name] = {}
        elif isinstance(entry, dict):
            out[name] = defaults(entry)
        else:
            out[name] = _copy(entry.default)
    return out


def _copy(value):
    return list(value) if isinstance(value, list) else value
