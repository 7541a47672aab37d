"""``generate_synthetic``: sample scenes, render JPEGs, write VG150 + OpenImages V6 + captions.

Layout of ``out_dir`` (contract in the team brief):
    vg/VG-SGG-with-attri.h5, VG-SGG-dicts-with-attri.json, image_data.json, VG_100K/<image_id>.jpg, sgg-bench.json
    openimages/annotations/vrd-{train,val,test}-anno.json, annotations/categories_dict.json, images/<id>.jpg,
        sgg-bench.json
    captions/captions_train.json, captions_test.json
    det/...   the detection-only set in its own label space, VG layout (detection_set.py)

Atomic and resumable: everything is written into ``.<name>.partial`` beside ``out_dir`` and
renamed to ``out_dir`` at the end. Rendered images are files renamed into place, so an
interrupted run with the same size and seed keeps them and renders only the rest.
Deterministic: the same (size, seed) gives byte-identical files.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

from tqdm import tqdm

from ...errors import ConfigError
from ...utils.atomic import atomic_write_json, open_partial_folder
from .captions import captions_json
from .detection_set import DET_DIR, generate_detection_set
from .layout import Scene
from .render import render_jpeg
from .scenes import SIZES, sample_scene, sample_scenes
from .write_openimages import write_openimages
from .write_vg import IMAGE_DIR, split_of, val_image_indices, write_vg

GENERATOR = "sgg_bench.data.synthetic/1"
VAL_FRACTION = 0.1     # num_val_im = 10 % of the train images


def _params(size: str, seed: int) -> dict:
    return {"generator": GENERATOR, "size": size, "seed": seed}


def _write_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _render_job(job: tuple[int, int, int, str]) -> int:
    """Worker: re-sample scene ``index`` (cheap, deterministic), render it, write its JPEG; returns the index."""
    index, seed, image_id, image_dir = job
    scene = sample_scene(index, seed, image_id)
    _write_file(Path(image_dir) / f"{image_id}.jpg", render_jpeg(scene))
    return index


def _render_all(scenes: list[Scene], seed: int, image_dir: Path, workers: int, progress: bool) -> None:
    todo = [s for s in scenes if not (image_dir / f"{s.image_id}.jpg").exists()]
    bar = tqdm(total=len(scenes), initial=len(scenes) - len(todo), desc="render synth", unit="img",
               disable=not progress)
    if workers > 1 and todo:
        jobs = [(s.index, seed, s.image_id, str(image_dir)) for s in todo]
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_render_job, jobs, chunksize=64):
                bar.update(1)
    else:
        for scene in todo:
            _write_file(image_dir / f"{scene.image_id}.jpg", render_jpeg(scene))
            bar.update(1)
    bar.close()


def _existing_summary(out: Path, size: str, seed: int) -> dict | None:
    meta_path = out / "vg" / "sgg-bench.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    wanted = _params(size, seed)
    if meta is None or any(meta.get(k) != v for k, v in wanted.items()):
        raise ConfigError(f"{out}: already exists and is not synthetic data of size={size!r}, seed={seed} "
                          f"(found {meta_path if meta is None else {k: meta.get(k) for k in wanted}}); "
                          "remove it or choose another output folder")
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else dict(meta)
    summary["out_dir"] = str(out)
    return summary


def generate_synthetic(out_dir, size: str = "default", seed: int = 0, *, workers: int | None = None,
                       progress: bool = True) -> dict:
    """Generate the synthetic dataset into ``out_dir``; returns a summary dict (counts, histogram, paths).

    ``workers`` > 1 renders in a process pool (each worker re-samples its scenes from (seed, index),
    so the output is byte-identical either way). If ``out_dir`` already holds the same size and
    seed, nothing is regenerated (``"reused": True``); other contents raise ``ConfigError``.
    """
    if size not in SIZES:
        raise ConfigError(f"synthetic size {size!r}: expected one of {sorted(SIZES)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"synthetic seed {seed!r}: expected a non-negative integer")
    out = Path(out_dir)
    if out.exists():
        summary = _existing_summary(out, size, seed)
        summary["reused"] = True
        if not (out / DET_DIR).exists():  # data written before the detection set existed: add it
            summary["detection_set"] = generate_detection_set(out, size, seed, workers=workers or 1, progress=progress)
        return summary
    start = time.perf_counter()
    # One process by default: rendering costs ~3 ms per image, and on the shared 2-core dev machine a
    # 2-process pool measured slower (docs/BENCHMARKS.md); pass workers=2 on an idle multi-core box.
    workers = 1 if workers is None else max(1, int(workers))
    partial = open_partial_folder(out.parent / f".{out.name}.partial", _params(size, seed))
    params_path = partial / "params.json"
    (partial / "vg" / IMAGE_DIR).mkdir(parents=True, exist_ok=True)

    scenes = sample_scenes(SIZES[size], seed, progress=progress)
    _render_all(scenes, seed, partial / "vg" / IMAGE_DIR, workers, progress)

    num_train = int((split_of(len(scenes)) == 0).sum())
    num_val_im = max(1, int(round(VAL_FRACTION * num_train)))
    meta = dict(name="synth", format="vg", num_val_im=num_val_im, **_params(size, seed))
    arrays = write_vg(partial / "vg", scenes, meta=meta)
    val_rows = set(val_image_indices(arrays, num_val_im))
    oi_meta = dict(name="synth", format="openimages", **_params(size, seed))
    oi_counts = write_openimages(partial / "openimages", scenes, list(arrays["split"]), val_rows,
                                 partial / "vg" / IMAGE_DIR, meta=oi_meta)
    train_scenes = [s for k, s in enumerate(scenes) if arrays["split"][k] == 0]
    test_scenes = [s for k, s in enumerate(scenes) if arrays["split"][k] == 2]
    train_captions = captions_json(train_scenes, seed)
    test_captions = captions_json(test_scenes, seed, first_annotation_id=len(train_captions["annotations"]) + 1)
    atomic_write_json(partial / "captions" / "captions_train.json", train_captions, indent=None)
    atomic_write_json(partial / "captions" / "captions_test.json", test_captions, indent=None)

    predicate_histogram: dict[str, int] = {}
    for scene in scenes:
        for _, _, p in scene.relations:
            predicate_histogram[p] = predicate_histogram.get(p, 0) + 1
    summary = {
        "size": size, "seed": seed, "generator": GENERATOR,
        "num_images": len(scenes), "num_train": num_train, "num_test": len(scenes) - num_train,
        "num_val_im": num_val_im, "openimages_images": oi_counts,
        "num_objects": int(arrays["labels"].shape[0]), "num_relations": int(arrays["predicates"].shape[0]),
        "num_captions": len(train_captions["annotations"]) + len(test_captions["annotations"]),
        "predicate_histogram": dict(sorted(predicate_histogram.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    detection = generate_detection_set(partial, size, seed, workers=workers, progress=progress)
    summary["detection_set"] = {k: v for k, v in detection.items() if k not in ("reused", "out_dir")}
    atomic_write_json(partial / "summary.json", summary)
    params_path.unlink()
    os.replace(partial, out)
    summary["out_dir"] = str(out)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    summary["reused"] = False
    return summary
