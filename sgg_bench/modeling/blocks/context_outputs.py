"""What an object/edge context block (Transformer, VTransE, ...) hands to its head's predicate classifier."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from torch import Tensor


@dataclass
class ContextOutputs:
    """Per image:
    obj_logits:   (N_i, C_obj) refined object logits, or None in PredCls (the GT labels are kept)
    labels:       (N_i,) int64 the labels the context conditioned on (GT in PredCls, else refined)
    edge_context: (N_i, D_edge) per-box edge representation
    tree_logits:  (N_i, N_i) VCTree's pair-score logits (for its binary loss), None for other contexts
    """

    obj_logits: list[Tensor] | None
    labels: list[Tensor]
    edge_context: list[Tensor]
    tree_logits: Optional[list[Tensor]] = None
