"""The relation-head contract (docs/MODELS.md): what a head declares, gets and returns.

A relation head is a ``torch.nn.Module`` registered in ``RELATION_HEADS`` by name, with
metadata ``paper``, ``reference`` (file of the reference implementation), ``modes``. It is built
from keyword arguments only: the data-derived ones (below) plus its ``model.head_args``.

Declarations (class attributes; an instance may narrow ``needs`` in its constructor):
  needs            ``HeadNeeds``: what ``SceneGraphModel`` must compute and pass
  refines_objects  True when ``outputs.obj_logits`` are the head's own (SGCls/SGDet labels and
                   the object loss come from them); False: the detector's logits pass through
  requires_training False for statistics-only heads: the engine skips the training loop
  loss             optional ``nn.Module`` class replacing ``losses.RelationLoss`` for this head

Constructor keyword arguments given by code, never by YAML:
  num_obj_classes, num_rel_classes   background included
  obj_feature_dim, union_feature_dim  sizes of the relation-stage box and union features
  freq_log_prior   (C_obj, C_obj, C_rel) training-split log prior, only with needs.frequency_prior
  word_vectors     (C_obj, E) class vectors (GloVe or seeded random), only with needs.word_vectors

``forward(inputs: RelationHeadInputs) -> RelationHeadOutputs`` (``head_io``). The inputs hold
only what ``needs`` asked for; everything else is None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs

DATA_ARGUMENTS = ("num_obj_classes", "num_rel_classes", "obj_feature_dim", "union_feature_dim",
                  "freq_log_prior", "word_vectors")


@dataclass(frozen=True)
class HeadNeeds:
    """What a head asks ``SceneGraphModel`` for.

    object_context:   every box's relation-stage ROI feature (``inputs.obj_features``)
    union_features:   each candidate pair's union feature (with the rectangle-mask branch when
                      the features config has it) (``inputs.union_features``)
    word_vectors:     class word vectors passed to the constructor
    frequency_prior:  the training split's predicate log prior passed to the constructor
    training_targets: during training, the per-pair predicate labels, per-box labels and the
                      symmetric "related" matrix (``inputs.rel_labels``, ``inputs.obj_targets``,
                      ``inputs.related``), e.g. for teacher forcing, the ground-truth edge context
                      or VCTree's binary loss; never given at test time
    """

    object_context: bool = True
    union_features: bool = False
    word_vectors: bool = False
    frequency_prior: bool = False
    training_targets: bool = False


@runtime_checkable
class RelationHead(Protocol):
    needs: ClassVar[HeadNeeds]
    refines_objects: ClassVar[bool]
    requires_training: ClassVar[bool]

    def __call__(self, inputs: RelationHeadInputs) -> RelationHeadOutputs: ...


def head_needs(head) -> HeadNeeds:
    """The (possibly instance-narrowed) declaration of a head class or instance."""
    needs = getattr(head, "needs", None)
    if not isinstance(needs, HeadNeeds):
        name = getattr(head, "__name__", type(head).__name__)
        raise TypeError(f"relation head {name}: expected a HeadNeeds 'needs' attribute, found {needs!r}")
    return needs
