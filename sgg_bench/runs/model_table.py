"""The rows of ``sgg-bench models``: each registered head under a dataset's config, counted.

Class counts come from the dataset's own vocabulary when its files are present, else from the
published sizes of the standard splits (VG150: 150 objects / 50 predicates; OpenImages V6 as in
PySGG: 601 / 30; synthetic: the generator's vocabulary), background included.
"""
from __future__ import annotations

from pathlib import Path

from sgg_bench.errors import SggBenchError

STANDARD_SIZES = {"vg": (151, 51), "openimages": (602, 31)}


def vocabulary_for(cfg):
    """A ``DatasetVocabulary`` of the right sizes for ``cfg.dataset``."""
    from sgg_bench.structures import DatasetVocabulary

    root = Path(cfg.dataset.root)
    if root.exists():
        try:
            from sgg_bench.data import open_dataset
            return open_dataset(root, "train", num_val_im=cfg.dataset.num_val_im, check_images=False).vocab
        except SggBenchError:
            pass
    if cfg.dataset.name == "synth":
        from sgg_bench.data.synthetic.vocabulary import OBJECT_CLASSES, PREDICATES
        objects, predicates = ["__background__", *OBJECT_CLASSES], ["__background__", *PREDICATES]
    else:
        num_objects, num_predicates = STANDARD_SIZES.get(cfg.dataset.name, STANDARD_SIZES["vg"])
        objects = ["__background__"] + [f"class_{i}" for i in range(1, num_objects)]
        predicates = ["__background__"] + [f"predicate_{i}" for i in range(1, num_predicates)]
    return DatasetVocabulary(object_classes=objects, predicate_classes=predicates)


def _features(cfg, vocab):
    from sgg_bench.detector.build import build_detector
    from sgg_bench.modeling.features import RelationFeatures

    detector = build_detector(cfg.detector.name, num_classes=vocab.num_object_classes, **dict(cfg.detector.args))
    return RelationFeatures(detector, freeze=bool(cfg.model.features.freeze),
                            rect_masks=bool(cfg.model.features.rect_masks))


def model_rows(dataset: str) -> list[dict]:
    """One dict per registered head (and per registered variant of it): name, variant ("" or
    "key=value" head arguments), paper, reference, modes, params_head, params_features (trainable
    relation-stage extractors: box, union, reduce conv, mask branch)."""
    import torch

    from sgg_bench.modeling.build import build_relation_head, trainable_parameters
    from sgg_bench.modeling.contract import head_needs
    from sgg_bench.registry import RELATION_HEADS
    from sgg_bench.runs.configs import resolve_run_config

    rows, features = [], {}
    for name in RELATION_HEADS.names():
        info = RELATION_HEADS.info(name)
        modes = list(info.get("modes") or ("predcls", "sgcls", "sgdet"))
        cfg = resolve_run_config(model=name, dataset=dataset, mode=modes[0])
        # A head that is several published models (registry ``variants``: head-argument overrides,
        # e.g. the causal predictor's contexts) gets one row per variant after its default one.
        for variant in [{}] + [dict(v) for v in info.get("variants", ())]:
            with torch.device("meta"):
                vocab = vocabulary_for(cfg)
                key = (cfg.detector.name, str(cfg.detector.args), str(cfg.model.features))
                if key not in features:
                    features[key] = _features(cfg, vocab)
                extractor = features[key]
                prior = torch.zeros(vocab.num_object_classes, vocab.num_object_classes, vocab.num_predicate_classes)
                head = build_relation_head(name, vocab=vocab, freq_log_prior=prior,
                                           obj_feature_dim=extractor.feature_dim,
                                           union_feature_dim=extractor.feature_dim,
                                           head_args={**dict(cfg.model.head_args), **variant})
            detail = _feature_detail(extractor, head_needs(head))
            rows.append({"name": name, "variant": variant_label(variant), "paper": info.get("paper", ""),
                         "reference": info.get("reference", ""), "modes": modes,
                         "params_head": trainable_parameters(head), "params_features": sum(detail.values()),
                         "params_features_detail": detail, "num_obj_classes": vocab.num_object_classes,
                         "num_rel_classes": vocab.num_predicate_classes, "feature_dim": extractor.feature_dim})
    return rows


def variant_label(variant) -> str:
    """``{"context": "vctree"}`` -> ``"context=vctree"`` ("" for the default build)."""
    return ",".join(f"{key}={value}" for key, value in variant.items())


def _feature_detail(extractor, needs) -> dict:
    """Trainable extractor parameters a head trains: the box extractor when it reads box
    features, the union parts when it reads union features."""
    from sgg_bench.modeling.build import trainable_parameters

    parts = {"box": (extractor.box_extractor, needs.object_context),
             "union": (extractor.union_extractor, needs.union_features),
             "union_reduce": (extractor.union_reduce, needs.union_features),
             "rect_masks": (extractor.rect_branch, needs.union_features)}
    return {name: trainable_parameters(part) if part is not None and used else 0
            for name, (part, used) in parts.items()}
