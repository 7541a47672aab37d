"""Relation runs on grounded pseudo labels: ``sgg-bench train --model M --supervision S``
(docs/LANGUAGE.md, "Settings"). SGNLS's three settings on the same off-the-shelf detections:

    language  the captions' graphs (pseudo labels), grounded to the detections every iteration (§4)
    weak      the ground-truth graphs without their boxes, grounded the same way
    full      the localized ground truth: detections labelled by the GT box they overlap (IoU >= 0.5)

Models: ``sgnls`` (``SgnlsGroundedModel``), ``frequency`` (the caption frequency prior, no
training) and any other registered head through ``ContractGroundedModel`` (``motifs``: SGNLS's
"Ours + MotifNet", without frequency bias or union features as SGNLS trains it). Inference: every
ordered pair of the test images' detections, §7 post-processing, the standard evaluator.

Why a path of its own: the standard ``SceneGraphModel`` runs the dataset's detector on images and
matches its boxes to localized ground truth; here the detector has another label space, its outputs
are stored (SGNLS reads them from files too), and the targets exist only after grounding.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from sgg_bench.errors import ConfigError
from sgg_bench.runs.grounded_data import GroundedData, prepare_grounded_data

logger = logging.getLogger("sgg_bench.engine")
WORD_VECTOR_KEYS = ("glove_path", "word_vector_seed", "embed_dim")


def _dataset_counts(train_set, num_objects: int, num_predicates: int) -> tuple[np.ndarray, np.ndarray]:
    """Object (over boxes) and predicate (over relations) counts of the dataset's training split."""
    objects, predicates = np.zeros(num_objects, np.int64), np.zeros(num_predicates, np.int64)
    for i in range(len(train_set)):
        record = train_set[i]
        objects += np.bincount(np.asarray(record.labels, np.int64), minlength=num_objects)[:num_objects]
        relations = np.asarray(record.relations, np.int64).reshape(-1, 3)
        predicates += np.bincount(relations[:, 2], minlength=num_predicates)[:num_predicates]
    return objects, predicates


def build_grounded_model(cfg: Mapping[str, Any], data: GroundedData, device: torch.device) -> torch.nn.Module:
    """The model of ``cfg.model.head`` for ``data``'s vocabularies, on ``device``."""
    from sgg_bench.language.loss_weights import class_weights
    from sgg_bench.modeling.build import build_relation_head
    from sgg_bench.modeling.grounded_models import (CaptionPriorModel, ContractGroundedModel, SgnlsGroundedModel,
                                                     caption_log_prior, detector_to_target_matrix)
    from sgg_bench.modeling.heads.sgnls import SgnlsHead
    from sgg_bench.modeling.language_postprocess import merge_matrix
    from sgg_bench.modeling.word_vectors import load_word_vectors
    from sgg_bench.structures import DatasetVocabulary

    head_name, language = cfg["model"]["head"], cfg["language"]
    vocab, ds_vocab = data.train.vocab, data.dataset_vocab
    num_obj, num_rel = len(vocab.ind_to_classes), len(vocab.ind_to_predicates)
    common = dict(obj_merge=merge_matrix(vocab.class_to_dataset, num_obj, ds_vocab.num_object_classes),
                  rel_merge=merge_matrix(vocab.predicate_to_dataset, num_rel, ds_vocab.num_predicate_classes),
                  nms_threshold=float(language["nms_threshold"]))
    num_det = len(vocab.detector_classes)
    to_target = detector_to_target_matrix(vocab.detector_to_classes, num_det, num_obj)
    args = dict(cfg["model"]["head_args"] or {})
    if head_name == "frequency":
        prior = caption_log_prior([image.node_classes for image in data.train],
                                  [image.triplets for image in data.train], num_obj_classes=num_obj,
                                  num_rel_classes=num_rel)
        return CaptionPriorModel(log_prior=prior, detector_to_target=to_target, **common).to(device)
    if head_name == "sgnls":
        vectors = load_word_vectors(vocab.detector_classes, path=args.pop("glove_path", "") or None,
                                    dim=int(args.pop("embed_dim", 200)), seed=int(args.pop("word_vector_seed", 0)))
        head = SgnlsHead(num_obj_classes=num_obj, num_rel_classes=num_rel, obj_feature_dim=data.train.feature_dim,
                         union_feature_dim=data.train.feature_dim, word_vectors=vectors, **args)
        weights = {}
        if language["supervision"] == "language" and bool(language["loss_weights"]):
            caption_objects, caption_predicates = data.train.class_counts()
            objects, predicates = _dataset_counts(data.dataset_train, ds_vocab.num_object_classes,
                                                  ds_vocab.num_predicate_classes)
            weights = dict(obj_class_weights=torch.from_numpy(class_weights(caption_objects, objects,
                                                                            vocab.class_to_dataset)),
                           rel_class_weights=torch.from_numpy(class_weights(caption_predicates, predicates,
                                                                            vocab.predicate_to_dataset)))
        return SgnlsGroundedModel(head, **weights, **common).to(device)
    args.update(use_union_features=False, use_frequency_bias=False)
    head = build_relation_head(head_name, vocab=DatasetVocabulary(list(vocab.ind_to_classes),
                                                                  list(vocab.ind_to_predicates)),
                               freq_log_prior=None, obj_feature_dim=data.train.feature_dim,
                               union_feature_dim=data.train.feature_dim, head_args=args)
    return ContractGroundedModel(head, detector_to_target=to_target, **common).to(device)


def train_grounded_model(cfg: Mapping[str, Any], run_dir: Path, data: GroundedData, *, resume: bool,
                         device: torch.device):
    """Train on ``GroundedBatches``; returns ``(model, final checkpoint, train seconds)``."""
    from sgg_bench.engine.hooks import ProgressLogger
    from sgg_bench.engine.trainer import Trainer, seed_everything
    from sgg_bench.language.grounded_batches import GroundedBatches
    from sgg_bench.language.grounding import GroundingConfig
    from sgg_bench.runs.solver import build_solver

    solver, seed = cfg["solver"], int(cfg["run"]["seed"])
    seed_everything(seed)
    model = build_grounded_model(cfg, data, device)
    max_iter = int(solver["max_iter"]) if model.requires_training else 0
    if max_iter > 0 and len(data.train) == 0:
        raise ConfigError(f"{data.train_root}: the pseudo-label dataset holds no images")
    optimizer = scheduler = None
    if max_iter > 0:
        optimizer, scheduler = build_solver(solver, model)
    grounding = GroundingConfig(pairs_per_image=int(cfg["language"]["pairs_per_image"]))
    batches = GroundedBatches(data.train, batch_size=int(solver["ims_per_batch"]), seed=seed, config=grounding,
                              localized=data.localized, transformer_variant=cfg["model"]["head"] == "sgnls")
    trainer = Trainer(model, optimizer, batches, max_iter=max_iter, run_dir=run_dir, scheduler=scheduler,
                      hooks=[ProgressLogger(period=int(solver["log_period"]))], grad_clip=solver["grad_clip"],
                      amp=bool(solver["amp"]), checkpoint_period=int(solver["checkpoint_period"]), seed=seed,
                      device=device, keep_checkpoints=int(cfg["run"]["keep_checkpoints"]))
    checkpoint = trainer.train(resume=resume)
    logger.info("training done: %d iterations, %.1f s", max_iter, trainer.train_seconds)
    return model, checkpoint, trainer.train_seconds


@torch.no_grad()
def write_grounded_predictions(model, data: GroundedData, path: Path, *, dataset_name: str,
                               progress: bool = True) -> dict:
    """Predict every image of the dataset's test split (its order) from its stored detections."""
    import time

    from tqdm import tqdm

    from sgg_bench.evaluation.predictions import PredictionsWriter
    from sgg_bench.language.grounded_batches import GroundedBatches
    from sgg_bench.structures import ImagePrediction

    test_set, detections = data.dataset_test, data.test
    loader = GroundedBatches(detections, batch_size=1, seed=0, shuffle=False)
    index = {int(image_id): i for i, image_id in enumerate(detections.image_ids)}
    num_rel = data.dataset_vocab.num_predicate_classes
    was_training = model.training
    model.eval()
    started = time.perf_counter()
    try:
        with PredictionsWriter(path, dataset=dataset_name, split="test", mode="sgdet",
                               num_obj_classes=data.dataset_vocab.num_object_classes,
                               num_rel_classes=num_rel) as writer:
            for i in tqdm(range(len(test_set)), desc="predict test", unit="img", disable=not progress):
                image_id = int(test_set[i].image_id)
                if image_id not in index:   # the detector found nothing here: an empty prediction
                    writer.add(ImagePrediction(image_id=image_id, boxes=np.zeros((0, 4), np.float32),
                                               labels=np.zeros(0, np.int64), scores=np.zeros(0, np.float32),
                                               rel_pairs=np.zeros((0, 2), np.int64),
                                               rel_scores=np.zeros((0, num_rel), np.float32)))
                    continue
                (prediction,) = model.predict([loader.load_item(index[image_id])])
                writer.add(prediction)
    finally:
        model.train(was_training)
    seconds = time.perf_counter() - started
    return {"images": len(test_set), "seconds": seconds, "images_per_second": len(test_set) / max(seconds, 1e-9)}


def grounded_run(cfg, run_dir: Path, *, model: str, resume: bool) -> None:
    """Train, predict the test split, write run.json and the evaluated record."""
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.runs import folder as run_folder
    from sgg_bench.runs.evaluate import evaluate_run

    if dist_utils.get_world_size() > 1:
        raise ConfigError("grounded (language / weak / full) runs train in one process; launch without torchrun")
    device = dist_utils.default_device(str(cfg.run.device))
    data = prepare_grounded_data(cfg)
    network, checkpoint, train_seconds = train_grounded_model(cfg, run_dir, data, resume=resume, device=device)
    speed = write_grounded_predictions(network, data, run_dir / "predictions.h5", dataset_name=cfg.dataset.name)
    language = cfg.language
    setting = f"supervision={language.supervision}" + (", vocabulary=open" if language.vocabulary == "open" else "")
    run_folder.write_run_json(
        run_dir, run_id=run_folder.run_id(cfg.dataset.name, run_dir.name), model=model, dataset=cfg.dataset.name,
        dataset_root=str(cfg.dataset.root), mode="sgdet", split="test", protocol=cfg.eval.protocol,
        seed=int(cfg.run.seed), checkpoint=checkpoint, train_seconds=train_seconds,
        extra={"inference_images_per_second": speed["images_per_second"], "device": str(device),
               "setting": setting, "supervision": str(language.supervision),
               "vocabulary": str(language.vocabulary), "pseudo_labels": str(data.train_root),
               "test_detections": str(data.test_root)})
    evaluate_run(run_dir)
