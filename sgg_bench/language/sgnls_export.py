"""Export a pseudo-label dataset to the file layout SGNLS's code reads (docs/FORMATS.md, "Pseudo-label dataset").

``<out>/<name>_triplet_labels.npy``   pickled dict: ``ind_to_classes``, ``ind_to_predicates``, ``img_info``
                                      ({img_id: {file_name, width, height}}), ``img_id_list``, ``gt_classes``
                                      (per image the node classes), ``relationships`` (per image [subj, obj, pred])
``<out>/<name>2VG_word_map.npy``      {'object_cls': {class: [dataset class, ...]}, 'predicate_cls': {...}}
``<out>/<name>_det_word_map.npy``     {detector class: [class, ...]} (the grounding vocabulary)
``<out>/_box/<id>.npy``, ``_score/<id>.npy``   float32 boxes (xyxy pixels) and scores
``<out>/_dists/<id>.npz``, ``_att/<id>.npz``   ``feat``: class distributions, box features (float32)

SGNLS's extractor writes ``_dists`` as a one-hot of the detected class; this export writes the stored
distributions (softmax) unless ``one_hot_dists=True``. The ``.npy`` dicts are pickles (as SGNLS's):
read them with ``np.load(path, allow_pickle=True).item()`` only from a source you trust.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sgg_bench.utils.atomic import atomic_path


def _save(path: Path, saver, *args, **kwargs) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            saver(handle, *args, **kwargs)


def export_sgnls(pseudo_labels, out_dir: str | os.PathLike, *, name: str = "synth", one_hot_dists: bool = False) -> Path:
    """Write ``pseudo_labels`` (a ``PseudoLabelSet``) into ``out_dir`` in SGNLS's layout; returns ``out_dir``."""
    out = Path(out_dir)
    vocab = pseudo_labels.vocab
    labels = {"ind_to_classes": list(vocab.ind_to_classes), "ind_to_predicates": list(vocab.ind_to_predicates),
              "img_info": {}, "img_id_list": [], "gt_classes": [], "relationships": []}
    for folder in ("_box", "_score", "_dists", "_att"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    for image in pseudo_labels:
        image_id = int(image.image_id)
        labels["img_info"][image_id] = {"file_name": Path(image.image_path).name, "width": image.width,
                                        "height": image.height}
        labels["img_id_list"].append(image_id)
        labels["gt_classes"].append(image.node_classes.astype(np.int64))
        labels["relationships"].append(image.triplets.astype(np.int64))
        dists = image.dists
        if one_hot_dists:
            dists = np.zeros_like(image.dists)
            dists[np.arange(len(image.labels)), image.labels] = 1.0
        _save(out / "_box" / f"{image_id}.npy", np.save, image.boxes.astype(np.float32))
        _save(out / "_score" / f"{image_id}.npy", np.save, image.scores.astype(np.float32))
        _save(out / "_dists" / f"{image_id}.npz", np.savez_compressed, feat=dists.astype(np.float32))
        _save(out / "_att" / f"{image_id}.npz", np.savez_compressed, feat=image.features.astype(np.float32))
    _save(out / f"{name}_triplet_labels.npy", np.save, labels, allow_pickle=True)
    _save(out / f"{name}2VG_word_map.npy", np.save, vocab.word_map(), allow_pickle=True)
    _save(out / f"{name}_det_word_map.npy", np.save, {k: list(v) for k, v in vocab.detector_to_classes.items()},
          allow_pickle=True)
    return out
