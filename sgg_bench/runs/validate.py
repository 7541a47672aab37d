"""Checks of a resolved config that need the code: the open sections (head, model and detector
keyword arguments) against their constructors, and the mode against the head's declared modes.
They run before a run folder is touched, so a typo never leaves anything behind."""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Iterable, Mapping

from sgg_bench.errors import ConfigError

# SceneGraphModel arguments given by code, not by model.args.
_MODEL_CODE_ARGUMENTS = {"features", "head", "mode", "num_rel_classes", "loss", "feature_cache"}
# Detector builder arguments given by code, not by detector.args.
_DETECTOR_CODE_ARGUMENTS = {"num_classes"}


def _check_keywords(section: str, given: Mapping[str, Any], allowed: set[str], open_kwargs: bool, owner: str) -> None:
    if open_kwargs:
        return
    for key in given:
        if key not in allowed:
            raise ConfigError(f"{section}.{key}: not an argument of {owner}; expected one of "
                              f"{', '.join(sorted(allowed)) or 'none'}")


def _annotation_text(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("Optional[", "").replace("]", " | None").replace(" ", "")


def _simple_type_problem(annotation: Any, value: Any) -> str | None:
    """What a value of a plain ``int`` / ``float`` / ``bool`` / ``str`` parameter should be, when
    ``value`` is not that; None for other annotations (tensors, tuples, ...) or a fitting value."""
    text = _annotation_text(annotation)
    nullable = text.endswith("|None") or text.startswith("None|")
    text = text.replace("|None", "").replace("None|", "")
    if value is None and nullable:
        return None
    suffix = " or null" if nullable else ""
    if text == "bool":
        return None if isinstance(value, bool) else "true or false" + suffix
    if text == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer" + suffix
    if text == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else "a number" + suffix
    if text == "str":
        return None if isinstance(value, str) else "a string" + suffix
    return None


def _check_types(section: str, given: Mapping[str, Any], functions: Iterable[Callable]) -> None:
    """Values of ``given`` against the plain annotations of the parameters they fill."""
    annotations: dict[str, Any] = {}
    for function in functions:
        for name, parameter in inspect.signature(function).parameters.items():
            if parameter.annotation is not parameter.empty:
                annotations.setdefault(name, parameter.annotation)
    for key, value in given.items():
        problem = _simple_type_problem(annotations[key], value) if key in annotations else None
        if problem:
            raise ConfigError(f"{section}.{key}: expected {problem}, found {value!r}")


def _signature_names(function: Callable, excluded: set[str]) -> tuple[set[str], bool]:
    parameters = inspect.signature(function).parameters
    open_kwargs = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    names = {n for n, p in parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return names - excluded, open_kwargs


def validate_relation_config(cfg: Mapping[str, Any]) -> None:
    """Head name, mode, ``model.head_args``, ``model.args``, ``model.features`` and ``detector.args``."""
    from sgg_bench.modeling.build import head_argument_names
    from sgg_bench.modeling.sgg_model import SceneGraphModel
    from sgg_bench.registry import RELATION_HEADS

    model = cfg["model"]
    head = model["head"]
    if head not in RELATION_HEADS:
        raise ConfigError(f"model.head: expected a registered relation head ({', '.join(RELATION_HEADS.names())}), "
                          f"found {head!r}")
    modes = tuple(RELATION_HEADS.info(head).get("modes") or ("predcls", "sgcls", "sgdet"))
    if model["mode"] not in modes:
        raise ConfigError(f"--mode {model['mode']}: head {head} supports {', '.join(modes)}")
    allowed, open_kwargs = head_argument_names(head)
    _check_keywords("model.head_args", model["head_args"], allowed, open_kwargs, f"the {head} head")
    _check_types("model.head_args", model["head_args"], [RELATION_HEADS.get(head)])
    allowed, open_kwargs = _signature_names(SceneGraphModel, _MODEL_CODE_ARGUMENTS)
    _check_keywords("model.args", model["args"], allowed, open_kwargs, "SceneGraphModel")
    _check_types("model.args", model["args"], [SceneGraphModel])
    if model["features"]["freeze"] and model["features"]["rect_masks"]:
        raise ConfigError("model.features.rect_masks: expected false when model.features.freeze is true "
                          "(the mask branch feeds the trainable union extractor)")
    solver = cfg["solver"]
    trains = int(solver["max_iter"]) > 0 and bool(getattr(RELATION_HEADS.get(head), "requires_training", True))
    if trains and solver["schedule"] == "plateau" and not 0 < int(solver["val_period"]) < int(solver["max_iter"]):
        raise ConfigError(f"solver.val_period: a plateau schedule decays on validations; expected a value in "
                          f"1..{int(solver['max_iter']) - 1} (solver.max_iter {solver['max_iter']}), "
                          f"found {solver['val_period']}")
    validate_detector_config(cfg)


def validate_detector_config(cfg: Mapping[str, Any]) -> None:
    """``detector.args`` against the registered builder; builders that forward ``**kwargs`` to
    torchvision's ``FasterRCNN`` (and ``tiny`` to its own builder) accept those names too."""
    from torchvision.models.detection import FasterRCNN

    from sgg_bench.detector import build as _build  # noqa: F401  (registers the detectors)
    from sgg_bench.detector.tiny import build_tiny_detector
    from sgg_bench.registry import DETECTORS

    name = cfg["detector"]["name"]
    functions = [DETECTORS.get(name)]
    allowed, forwards = _signature_names(functions[0], _DETECTOR_CODE_ARGUMENTS)
    if forwards:
        functions += ([build_tiny_detector] if name == "tiny" else []) + [FasterRCNN.__init__]
        for function in functions[1:]:
            allowed |= _signature_names(function, _DETECTOR_CODE_ARGUMENTS | {"self", "backbone"})[0]
    _check_keywords("detector.args", cfg["detector"]["args"], allowed, False, f"the {name} detector")
    _check_types("detector.args", cfg["detector"]["args"], functions)
