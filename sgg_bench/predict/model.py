"""``load_model(run_dir)``: a trained run as a scene graph predictor for any image.

    from sgg_bench import load_model
    model = load_model("outputs/synth/motifs-predcls", mode="sgdet")
    graph = model.predict("kitchen.jpg")          # a path, a PIL image or an (H, W, 3) array
    graph.to_networkx(); graph.to_dict()

The model is rebuilt from the run's ``config.yaml`` and its checkpoint alone (the checkpoint
holds the detector and the frequency prior); only the class names are read from the dataset
folder of ``run.json`` (``dataset_root``, looked up as written, then beside the run's folders).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.predict.boxes_file import GivenObjects
from sgg_bench.predict.graph import SceneGraph
from sgg_bench.predict.images import InputImage, model_input, read_image

logger = logging.getLogger("sgg_bench.predict")
EFFECTS = ("none", "TDE", "NIE", "TE")
EFFECT_ARGUMENT = "effect"  # the head keyword a causal head takes for its test-time effect


def _dataset_vocabulary(root: Path):
    from sgg_bench.data.dataset import detect_format
    from sgg_bench.data.vocab import load_openimages_vocabulary, load_vg_vocabulary

    if detect_format(root) == "openimages":
        from sgg_bench.data.openimages import find_openimages_files
        return load_openimages_vocabulary(find_openimages_files(root).categories)
    from sgg_bench.data.vg150 import find_vg_files
    return load_vg_vocabulary(find_vg_files(root).dicts)


def _find_dataset_root(run) -> Path:
    """``run.json``'s ``dataset_root`` as written (relative to the working folder), else relative to
    a folder above the run (runs live in ``<project>/outputs/<dataset>/<name>``)."""
    given = run.dataset_root
    candidates = [given] if given.is_absolute() else [given] + [p / given for p in run.path.resolve().parents]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise DataFormatError(run.path / "run.json", "dataset_root", "the dataset folder the run was trained on "
                          "(its class names are read from it)", f"{given} is not a folder here or above the run")


@dataclass
class PreparedImage:
    """One image ready for the model: the batch item and the frame factors."""

    image: InputImage
    item: dict
    factors: tuple[float, float]
    given: GivenObjects | None


class SceneGraphPredictor:
    """A run's model in one mode; ``predict`` / ``predict_batch`` give ``SceneGraph`` results.

    Built by ``load_model``. Attributes: ``vocab``, ``mode``, ``effect``, ``run`` (the
    ``RunFolder``), ``network`` (the ``SceneGraphModel``), ``batch_size`` (the run's test batch).
    """

    def __init__(self, *, network, vocab, run, mode: str, effect: str, device):
        self.network, self.vocab, self.run, self.mode, self.effect, self.device = network, vocab, run, mode, effect, device
        transform = network.features.frozen.detector.transform
        self.min_size = int(transform.min_size[-1] if isinstance(transform.min_size, (tuple, list))
                            else transform.min_size)
        self.max_size = int(transform.max_size)
        self.batch_size = int(run.config.get("test", {}).get("ims_per_batch", 8))

    @property
    def model_info(self) -> dict[str, Any]:
        return {"run_id": self.run.run_id, "model": self.run.model, "dataset": self.run.dataset, "mode": self.mode,
                "effect": self.effect}

    def prepare(self, source: Any, *, image_id: int = 0, objects: GivenObjects | None = None,
                name: str | None = None) -> PreparedImage:
        """Read ``source`` and build its batch item; PredCls/SGCls need ``objects`` (boxes, + labels)."""
        import torch

        image = source if isinstance(source, InputImage) else read_image(source, name=name)
        if self.mode != "sgdet" and objects is None:
            raise ConfigError(f"{image.name}: {self.mode} takes the objects' boxes"
                              f"{' and labels' if self.mode == 'predcls' else ''} (--boxes FILE.json)")
        if self.mode == "predcls" and objects.labels is None:
            raise ConfigError(f"{image.name}: predcls needs a label for every given box")
        pixels, factors = model_input(image, min_size=self.min_size, max_size=self.max_size)
        tensor = torch.from_numpy(np.array(pixels, dtype=np.uint8)).permute(2, 0, 1).float().div_(255.0)
        boxes = np.zeros((0, 4), np.float32) if objects is None else objects.boxes
        scaled = boxes * np.asarray([factors[0], factors[1], factors[0], factors[1]], dtype=np.float32)
        count = boxes.shape[0]
        labels = objects.labels if objects is not None and objects.labels is not None else np.zeros(count, np.int64)
        item = {"image": tensor, "image_id": int(image_id), "width": tensor.shape[2], "height": tensor.shape[1],
                "boxes": torch.from_numpy(scaled.astype(np.float32)).reshape(-1, 4),
                "labels": torch.from_numpy(labels.astype(np.int64)), "relations": torch.zeros((0, 3), dtype=torch.long)}
        return PreparedImage(image=image, item=item, factors=factors, given=objects)

    def predict_prepared(self, batch: Sequence[PreparedImage], *, top_k: int = 20,
                         min_score: float = 0.0) -> list[SceneGraph]:
        """One model call for ``batch``; boxes back in original pixels (given boxes exactly as given)."""
        predictions = self.network.predict([p.item for p in batch]) if batch else []
        graphs = []
        for prepared, prediction in zip(batch, predictions):
            image = prepared.image
            if prepared.given is not None:
                prediction.boxes = prepared.given.boxes.astype(np.float32).reshape(-1, 4)
            else:
                fx, fy = prepared.factors
                # the detector clipped them to its frame, so they stay within [0, width] x [0, height]
                prediction.boxes = (prediction.boxes / np.asarray([fx, fy, fx, fy], dtype=np.float32)).astype(np.float32)
            info = {"file": image.name, "width": image.width, "height": image.height,
                    "image_id": int(prediction.image_id)}
            graphs.append(SceneGraph.from_prediction(prediction, self.vocab, image=info, model=self.model_info,
                                                     top_k=top_k, min_score=min_score))
        return graphs

    def predict(self, image: Any, *, boxes: Sequence[Sequence[float]] | None = None,
                labels: Sequence[str | int] | None = None, top_k: int = 20, min_score: float = 0.0,
                image_id: int = 0) -> SceneGraph:
        """The scene graph of one image (a path, a PIL image or an (H, W[, 3|4]) array).

        boxes: (G, 4) x1, y1, x2, y2 in original pixels, for PredCls / SGCls; labels: class names
        or 1-based ids, for PredCls."""
        objects = None
        if boxes is not None:
            from sgg_bench.predict.boxes_file import _box, _label
            where = "predict(boxes=...)"
            parsed = [_box(Path(where), f"boxes[{i}]", [float(v) for v in b]) for i, b in enumerate(boxes)]
            ids = None
            if labels is not None:
                if len(labels) != len(parsed):
                    raise ConfigError(f"predict: labels: expected one per box ({len(parsed)}), found {len(labels)}")
                ids = np.asarray([_label(Path(where), f"labels[{i}]", v, self.vocab) for i, v in enumerate(labels)],
                                 dtype=np.int64)
            objects = GivenObjects(boxes=np.asarray(parsed, dtype=np.float32).reshape(-1, 4), labels=ids)
        prepared = self.prepare(image, image_id=image_id, objects=objects)
        return self.predict_prepared([prepared], top_k=top_k, min_score=min_score)[0]


def _effect_head_args(cfg: dict, effect: str) -> None:
    """Put ``effect`` into ``model.head_args`` when the head takes it; otherwise a clear error."""
    from sgg_bench.modeling.build import head_argument_names

    if effect not in EFFECTS:
        raise ConfigError(f"--effect {effect}: expected one of {', '.join(EFFECTS)}")
    head = cfg["model"]["head"]
    allowed, _ = head_argument_names(head)
    if EFFECT_ARGUMENT in allowed:
        cfg["model"]["head_args"] = {**dict(cfg["model"]["head_args"] or {}), EFFECT_ARGUMENT: effect}
    elif effect != "none":
        raise ConfigError(f"--effect {effect}: head {head!r} has no test-time effect option (a head with an "
                          f"'{EFFECT_ARGUMENT}' argument, such as causal, has one); use --effect none")


def load_model(run_dir: str | os.PathLike, *, mode: str | None = None, effect: str = "none",
               device: str = "cpu") -> SceneGraphPredictor:
    """The run in ``run_dir`` as a ``SceneGraphPredictor``.

    mode:   predcls | sgcls | sgdet (default: the run's own); another mode than the one the run
            was trained in is allowed when the head declares it, with a warning (an object
            decoder trained without object loss predicts poor labels)
    effect: test-time effect of a causal head (none | TDE | NIE | TE)
    device: ``cpu``, ``cuda``, ``cuda:N`` or ``auto``
    """
    import copy

    import torch

    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine.checkpoint import load_model_weights
    from sgg_bench.modeling import heads as _heads  # noqa: F401  (registers the heads)
    from sgg_bench.registry import RELATION_HEADS
    from sgg_bench.runs.folder import read_run_folder
    from sgg_bench.runs.relation import build_relation_model

    run = read_run_folder(run_dir)
    if run.is_detector:
        raise ConfigError(f"{run.path}: a detector run; predict needs a relation run (sgg-bench train --model HEAD)")
    if run.checkpoint_path is None:
        raise DataFormatError(run.path / "run.json", "checkpoint", "the run's final checkpoint", "none recorded")
    cfg = copy.deepcopy(run.config)
    head = cfg["model"]["head"]
    if head not in RELATION_HEADS:
        raise ConfigError(f"{run.path / 'config.yaml'}: model.head: {head!r} is not a registered relation head")
    mode = mode or run.mode
    modes = tuple(RELATION_HEADS.info(head).get("modes", ()))
    if modes and mode not in modes:
        raise ConfigError(f"--mode {mode}: head {head!r} supports {', '.join(modes)}")
    if mode != run.mode:
        logger.warning("run %s was trained in %s; predicting in %s", run.run_id, run.mode, mode)
    cfg["model"]["mode"] = mode
    _effect_head_args(cfg, effect)
    vocab = _dataset_vocabulary(_find_dataset_root(run))
    torch_device = dist_utils.default_device(device)
    network = build_relation_model(cfg, vocab, torch_device, for_checkpoint=True)
    try:
        load_model_weights(network, run.checkpoint_path)
    except RuntimeError as exc:  # strict loading: keys or shapes differ from what the config builds
        raise DataFormatError(run.checkpoint_path, "model", "the weights of the model config.yaml builds",
                              str(exc).splitlines()[0]) from None
    network.eval()
    return SceneGraphPredictor(network=network, vocab=vocab, run=run, mode=mode, effect=effect, device=torch_device)
