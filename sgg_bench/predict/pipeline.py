"""``sgg-bench predict``: image files -> per-image scene graphs and drawings, one predictions file
and one gallery (docs/PREDICT.md).

Output folder:
    <out>/<image>/graph.json     the scene graph (scene_graph.schema.json)
    <out>/<image>/overlay.png    boxes, names and the top triplets on the image
    <out>/<image>/graph.svg|png  the graph drawing (Graphviz)
    <out>/<image>/image.jpg      the input as shown (oriented, at most 960 px), for the gallery
    <out>/predictions.h5         every predicted image (docs/FORMATS.md), ``eval`` scores it
    <out>/index.html             the gallery
    <out>/summary.json           counts, failures and settings

A file that cannot be read is reported on stderr and in the summary, and the batch goes on.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from sgg_bench.errors import ConfigError
from sgg_bench.predict.boxes_file import objects_for, read_boxes_file
from sgg_bench.predict.draw_graph import dot_binary, write_graph_drawings
from sgg_bench.predict.draw_overlay import write_overlay
from sgg_bench.predict.gallery import GalleryEntry, write_gallery
from sgg_bench.predict.images import ImageReadError, list_image_files
from sgg_bench.utils.atomic import atomic_path, atomic_write_json

logger = logging.getLogger("sgg_bench.predict")
DISPLAY_SIDE = 960


@dataclass
class PredictRequest:
    inputs: Sequence[str | os.PathLike]
    run_dir: str | os.PathLike
    out_dir: str | os.PathLike
    mode: str | None = None
    boxes: str | os.PathLike | None = None
    top_k: int = 20
    min_score: float = 0.0
    effect: str = "none"
    split: str = "test"
    device: str = "cpu"
    batch_size: int | None = None
    progress: bool = True


@dataclass
class PredictSummary:
    out_dir: Path
    images: int = 0
    predicted: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "images": self.images, "predicted": self.predicted,
                "failed": len(self.failed), "failures": [{"file": f, "reason": r} for f, r in self.failed],
                "seconds": round(self.seconds, 3)}


def folder_names(paths: Sequence[Path]) -> list[str]:
    """One distinct, safe sub-folder name per input (its stem; ``-2``, ``-3`` ... on repeats)."""
    names, used = [], set()
    for path in paths:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._") or "image"
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        names.append(name)
    return names


def image_ids(paths: Sequence[Path]) -> list[int]:
    """The dataset's ids when every stem is a distinct integer (VG names images ``<image_id>.jpg``,
    so ``eval`` can score them), else the input positions 0..N-1."""
    stems = [p.stem for p in paths]
    if stems and all(s.isdigit() for s in stems) and len(set(int(s) for s in stems)) == len(stems):
        return [int(s) for s in stems]
    return list(range(len(paths)))


def _write_display_copy(path: Path, pixels: np.ndarray) -> None:
    from PIL import Image

    picture = Image.fromarray(pixels)
    picture.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.LANCZOS)
    with atomic_path(path) as tmp:
        picture.save(tmp, format="JPEG", quality=90)


def predict_files(request: PredictRequest) -> PredictSummary:
    """Run ``request``; returns the summary (also written to ``<out>/summary.json``)."""
    from tqdm import tqdm

    from sgg_bench.evaluation.predictions import PredictionsWriter
    from sgg_bench.predict.model import load_model

    if request.top_k < 0:
        raise ConfigError(f"--top {request.top_k}: expected a number >= 0")
    if not 0.0 <= request.min_score <= 1.0:
        raise ConfigError(f"--min-score {request.min_score}: expected a score in [0, 1]")
    dot_binary()  # fail before the model loads when the drawings cannot be made
    files = list_image_files(list(request.inputs))
    if not files:
        raise ConfigError(f"predict: no image files in {', '.join(str(i) for i in request.inputs)} "
                          f"(looked for .jpg .jpeg .png .webp .bmp .tif .tiff)")
    model = load_model(request.run_dir, mode=request.mode, effect=request.effect, device=request.device)
    entries = None
    if model.mode != "sgdet":
        if request.boxes is None:
            raise ConfigError(f"--mode {model.mode}: give the objects' boxes{' and labels' if model.mode == 'predcls' else ''}"
                              f" with --boxes FILE.json (docs/PREDICT.md)")
        entries = read_boxes_file(request.boxes, model.vocab, need_labels=model.mode == "predcls")
        for path in files:  # a missing entry stops here, before any image is predicted
            objects_for(entries, path, boxes_path=request.boxes)
    out_dir = Path(request.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = PredictSummary(out_dir=out_dir, images=len(files))
    gallery: list[GalleryEntry] = []
    batch_size = int(request.batch_size or model.batch_size)
    started = time.perf_counter()
    vocab = model.vocab
    with PredictionsWriter(out_dir / "predictions.h5", dataset=model.run.dataset, split=request.split,
                           mode=model.mode, num_obj_classes=vocab.num_object_classes,
                           num_rel_classes=vocab.num_predicate_classes) as writer, \
            tqdm(total=len(files), desc="predict", unit="img", disable=not request.progress, dynamic_ncols=True) as bar:
        pending = []

        def flush():
            graphs = model.predict_prepared([p for p, _ in pending], top_k=request.top_k, min_score=request.min_score)
            for (prepared, name), graph in zip(pending, graphs):
                folder = out_dir / name
                atomic_write_json(folder / "graph.json", graph.to_dict())
                write_overlay(folder / "overlay.png", prepared.image.pixels, graph)
                write_graph_drawings(graph, folder / "graph.svg", folder / "graph.png")
                _write_display_copy(folder / "image.jpg", prepared.image.pixels)
                writer.add(graph.prediction)
                graph.prediction = None  # the full rows live in predictions.h5 now
                gallery.append(GalleryEntry(graph=graph, folder=name))
                summary.predicted += 1
            bar.update(len(pending))
            pending.clear()

        for path, name, image_id in zip(files, folder_names(files), image_ids(files)):
            objects = objects_for(entries, path, boxes_path=request.boxes) if entries is not None else None
            try:
                prepared = model.prepare(path, image_id=image_id, objects=objects)
            except ImageReadError as exc:
                summary.failed.append((str(path), str(exc)))
                print(f"skipped: {exc}", file=sys.stderr)
                bar.update(1)
                continue
            pending.append((prepared, name))
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
    summary.seconds = time.perf_counter() - started
    write_gallery(out_dir / "index.html", gallery, title=f"sgg-bench predict: {model.run.run_id}",
                  model=model.model_info, failures=summary.failed)
    atomic_write_json(out_dir / "summary.json", {**summary.to_dict(), "settings": {
        **model.model_info, "top_k": request.top_k, "min_score": request.min_score, "split": request.split,
        "boxes": None if request.boxes is None else str(request.boxes)}})
    return summary
