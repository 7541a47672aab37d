"""Building a relation head and a SceneGraphModel from data-derived values plus config kwargs.

The run lifecycle calls these with values read from the dataset (vocabulary, frequency
statistics) and the detector (feature sizes); YAML only supplies the head's own keyword
arguments. What a head receives besides them follows its declared ``needs`` (``contract``).
"""
from __future__ import annotations

import inspect
from typing import Any, Mapping, Optional

import torch
from torch import nn

from sgg_bench.modeling import heads as _heads  # noqa: F401  (registers the heads)
from sgg_bench.modeling.contract import DATA_ARGUMENTS, head_needs
from sgg_bench.modeling.sgg_model import SceneGraphModel
from sgg_bench.modeling.word_vectors import load_word_vectors
from sgg_bench.registry import RELATION_HEADS
from sgg_bench.structures import DatasetVocabulary

# Keys of ``model.head_args`` consumed here rather than by the head constructor.
WORD_VECTOR_KEYS = ("glove_path", "word_vector_seed")


def head_argument_names(name: str) -> tuple[set[str], bool]:
    """The keyword arguments ``model.head_args`` may give head ``name`` (its constructor's, less the
    data-derived ones, plus the word-vector keys for heads that declare word vectors), and whether
    the constructor takes ``**kwargs``."""
    head_class = RELATION_HEADS.get(name)
    parameters = inspect.signature(head_class).parameters
    open_kwargs = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    allowed = {n for n, p in parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    allowed -= set(DATA_ARGUMENTS)
    if head_needs(head_class).word_vectors:
        allowed |= set(WORD_VECTOR_KEYS)
    return allowed, open_kwargs


def build_relation_head(name: str, *, vocab: DatasetVocabulary, freq_log_prior: Optional[torch.Tensor],
                        obj_feature_dim: int, union_feature_dim: int,
                        head_args: Optional[Mapping[str, Any]] = None) -> nn.Module:
    """Registered head ``name`` for ``vocab``'s classes.

    freq_log_prior: (C_obj, C_obj, C_rel) ``pred_dist`` (docs/FORMATS.md) or None; given to
                    heads that declare ``needs.frequency_prior``
    head_args:      the head's keyword arguments; for heads that declare ``needs.word_vectors``,
                    ``glove_path`` (local GloVe text file, empty = seeded random vectors) and
                    ``word_vector_seed`` are used here and ``embed_dim`` sizes the vectors.
    """
    args = dict(head_args or {})
    head_class = RELATION_HEADS.get(name)
    needs = head_needs(head_class)
    data: dict[str, Any] = {"num_obj_classes": vocab.num_object_classes, "num_rel_classes": vocab.num_predicate_classes,
                            "obj_feature_dim": int(obj_feature_dim), "union_feature_dim": int(union_feature_dim)}
    if needs.word_vectors:
        glove_path = args.pop("glove_path", "") or None
        seed = int(args.pop("word_vector_seed", 0))
        data["word_vectors"] = load_word_vectors(vocab.object_classes, path=glove_path,
                                                 dim=int(args.pop("embed_dim", 200)), seed=seed)
    if needs.frequency_prior:
        data["freq_log_prior"] = None if freq_log_prior is None else torch.as_tensor(freq_log_prior,
                                                                                     dtype=torch.float32)
    return head_class(**data, **args)


def build_scene_graph_model(*, features: nn.Module, head_name: str, vocab: DatasetVocabulary, mode: str,
                            freq_log_prior: Optional[torch.Tensor], head_args: Optional[Mapping[str, Any]] = None,
                            feature_cache=None, **model_args: Any) -> SceneGraphModel:
    """``SceneGraphModel(features, head, mode=...)``; ``model_args`` go to SceneGraphModel
    (``fg_fraction``, ``pairs_per_image``, ``sgdet_match_iou``, ``sgdet_add_gt_boxes``, ``obj_loss_weight``)."""
    head = build_relation_head(head_name, vocab=vocab, freq_log_prior=freq_log_prior,
                               obj_feature_dim=features.feature_dim, union_feature_dim=features.feature_dim,
                               head_args=head_args)
    return SceneGraphModel(features, head, mode=mode, num_rel_classes=vocab.num_predicate_classes,
                           feature_cache=feature_cache, **model_args)


def trainable_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
