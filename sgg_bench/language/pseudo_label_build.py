"""``build_pseudo_labels``: captions (or ground-truth graphs) + a trained detector -> a pseudo-label dataset.

Three kinds (``meta.supervision``):
* ``language`` (``captions=FILE``): the images of a COCO-captions file, parsed and linked (closed or
  open vocabulary, ``pseudo_label_graphs``); the images must belong to the dataset at ``dataset_root``.
* ``weak`` (``weak=True``, ``split``): the dataset split's ground-truth graphs without boxes.
* ``none`` (``split`` only): detections with empty graphs, e.g. the test split for SGDet inference.

Everything is written into ``.<out>.partial`` beside ``out`` and renamed at the end; the detections
are kept there in shards, so an interrupted build with the same inputs resumes where it stopped.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.language.pseudo_label_detect import DETECTIONS_PER_IMAGE, SCORE_THRESH, detect_images, load_detector_run
from sgg_bench.language.pseudo_label_graphs import (closed_caption_graphs, grounding_vocabulary, identity_vocabulary,
                                                    open_caption_graphs, weak_graph)
from sgg_bench.language.pseudo_labels import (VOCABULARIES, PseudoLabelImage, PseudoLabelVocabulary,
                                              write_pseudo_labels)
from sgg_bench.utils.atomic import open_partial_folder
from sgg_bench.utils.hashing import sha256_file

EMPTY_GRAPH = (np.zeros(0, np.int64), np.zeros((0, 3), np.int64))


def _matcher(use_wordnet: bool | None):
    from sgg_bench.language.wordnet_match import WordNetMatcher, wordnet_installed

    return WordNetMatcher() if use_wordnet is not False and wordnet_installed() else None


def _dataset_images(dataset_root: Path) -> dict[int, tuple[str, int, int]]:
    """Every image of the dataset folder (all splits, no filters): id -> (path, width, height)."""
    from sgg_bench.data import open_dataset

    found = {}
    for split in ("train", "val", "test"):
        table = open_dataset(dataset_root, split, filter_empty_rels=False).table
        for k in range(len(table)):
            found[int(table.image_ids[k])] = (str(table.image_paths[k]), int(table.widths[k]), int(table.heights[k]))
    return found


def _caption_graphs(captions: Path, dataset_root: Path, *, vocabulary: str, use_wordnet, workers, progress):
    """-> (image list [(id, path, w, h)], graphs per id, target vocabulary parts or None for closed, parse counts)."""
    from sgg_bench.language.captions_file import parse_and_link, read_captions_file
    from sgg_bench.language.linking import ConceptLinker
    from sgg_bench.language.parallel_parse import default_workers
    from sgg_bench.language.parser import get_parser
    from sgg_bench.language.vocabularies import load_vocabulary

    image_ids, records, skipped = read_captions_file(captions)
    known = _dataset_images(dataset_root)
    images = []
    for image_id in image_ids:
        key = int(image_id) if isinstance(image_id, int) or str(image_id).isdigit() else None
        if key is None or key not in known:
            raise DataFormatError(captions, f"image {image_id!r}", f"an image of the dataset at {dataset_root}",
                                  "no such image id")
        images.append((key, *known[key]))
    linker = ConceptLinker(vocabulary=load_vocabulary(dataset_root), use_wordnet=use_wordnet)
    parser = get_parser("rules", use_wordnet=use_wordnet)
    parsed = parse_and_link(records, image_ids, parser=parser, linker=linker, progress=progress,
                            workers=workers or default_workers())
    for entry in parsed:
        entry["image_id"] = int(entry["image_id"])
    counts = {"num_captions": len(records), "num_captions_skipped": len(skipped),
              "num_parsed_triplets": sum(e["num_triplets"] for e in parsed),
              "num_linked_triplets": sum(e["num_linked"] for e in parsed)}
    if vocabulary == "closed":
        return images, closed_caption_graphs(parsed), None, counts
    nouns, predicates, class_map, predicate_map, graphs = open_caption_graphs(parsed, linker)
    return images, graphs, (nouns, predicates, class_map, predicate_map), counts


def _split_graphs(dataset_root: Path, split: str, *, weak: bool):
    from sgg_bench.data import open_dataset

    dataset = open_dataset(dataset_root, split)
    images, graphs = [], {}
    for k in range(len(dataset)):
        record = dataset[k]
        images.append((int(record.image_id), str(record.image_path), int(record.width), int(record.height)))
        graphs[int(record.image_id)] = weak_graph(record.labels, record.relations) if weak else EMPTY_GRAPH
    return images, graphs


def build_pseudo_labels(out_dir: str | os.PathLike, *, dataset_root: str | os.PathLike, detector_run: str | os.PathLike,
                        captions: str | os.PathLike | None = None, weak: bool = False, split: str | None = None,
                        vocabulary: str = "closed", detections_per_image: int = DETECTIONS_PER_IMAGE,
                        score_thresh: float = SCORE_THRESH, use_wordnet: bool | None = None, workers: int | None = None,
                        batch_size: int = 8, progress: bool = True) -> dict:
    """Write the pseudo-label dataset ``out_dir`` (module docstring); returns its meta."""
    from sgg_bench.data.vocab import BACKGROUND
    from sgg_bench.language.vocabularies import load_vocabulary

    out, dataset_root = Path(out_dir), Path(dataset_root)
    if vocabulary not in VOCABULARIES:
        raise ConfigError(f"--vocabulary {vocabulary!r}: expected one of {', '.join(VOCABULARIES)}")
    if captions is not None and (weak or split is not None):
        raise ConfigError("--captions takes its images from the captions file: give it without --weak / --split")
    if captions is None and split is None:
        split = "train" if weak else None
    if captions is None and split not in ("train", "val", "test"):
        raise ConfigError("give --captions FILE (language), --weak [--split S] or --split S (detections only)")
    if vocabulary == "open" and captions is None:
        raise ConfigError("--vocabulary open needs --captions (the open vocabulary is the captions' lemmas)")
    if not 1 <= int(detections_per_image) <= 1000:
        raise ConfigError(f"--detections-per-image must be in 1..1000, got {detections_per_image}")
    if out.exists():
        raise ConfigError(f"--out {out}: already exists; remove it or choose another folder")
    started = time.perf_counter()
    run = load_detector_run(detector_run)
    supervision = "language" if captions is not None else "weak" if weak else "none"
    params = {"supervision": supervision, "vocabulary": vocabulary, "dataset_root": str(dataset_root), "split": split,
              "captions": str(captions) if captions else None,
              "captions_sha256": sha256_file(captions) if captions else None,
              "detector_run": str(detector_run), "detector": run.name, "checkpoint_sha256": sha256_file(run.checkpoint),
              "detections_per_image": int(detections_per_image), "score_thresh": float(score_thresh)}
    partial = open_partial_folder(out.parent / f".{out.name}.partial", params)

    matcher = _matcher(use_wordnet)
    dataset_vocab = load_vocabulary(dataset_root)
    extra: dict = {}
    if captions is not None:
        images, graphs, open_parts, extra = _caption_graphs(Path(captions), dataset_root, vocabulary=vocabulary,
                                                            use_wordnet=use_wordnet, workers=workers, progress=progress)
    else:
        images, graphs = _split_graphs(dataset_root, split, weak=weak)
        open_parts = None
    if open_parts is None:
        vocab = identity_vocabulary(dataset_vocab, run.class_names, matcher=matcher)
    else:
        nouns, predicates, class_map, predicate_map = open_parts
        vocab = PseudoLabelVocabulary(
            ind_to_classes=nouns, ind_to_predicates=predicates, detector_classes=list(run.class_names),
            dataset_classes=list(dataset_vocab.object_classes), dataset_predicates=list(dataset_vocab.predicate_classes),
            detector_to_classes=grounding_vocabulary(run.class_names, nouns, matcher=matcher),
            class_to_dataset=class_map, predicate_to_dataset=predicate_map)
    assert vocab.ind_to_classes[0] == BACKGROUND
    detections = detect_images(run, [(image_id, path) for image_id, path, _, _ in images], partial / "shards",
                               detections_per_image=detections_per_image, score_thresh=score_thresh,
                               batch_size=batch_size, progress=progress)
    rows = []
    for image_id, path, width, height in images:
        found = detections[image_id]
        nodes, triplets = graphs.get(image_id, EMPTY_GRAPH)
        rows.append(PseudoLabelImage(image_id=image_id, image_path=path, width=width, height=height,
                                     node_classes=nodes, triplets=triplets, **found))
    meta = dict(params, wordnet=matcher is not None, num_images=len(rows), num_triplets=int(sum(len(r.triplets) for r in rows)),
                num_detections=int(sum(r.num_detections for r in rows)), **extra,
                seconds=round(time.perf_counter() - started, 2))
    write_pseudo_labels(partial, vocab=vocab, images=rows, meta=meta)
    shutil.rmtree(partial / "shards")
    (partial / "params.json").unlink()
    os.replace(partial, out)
    return meta
