"""BGNN's bipartite graph message passing with confidence-adaptive gates, with the layout of
PySGG's ``BGNNContext`` (``model_bgnn.py``: ``MessagePassingUnit_v1``, ``MessageFusion``,
``LearnableRelatednessGating``; RELNESS_MP_WEIGHTING on, MP_ON_VALID_PAIRS on,
"learnable_scaling" recalibration, separate parameters per step).

The graph has entity nodes (boxes) and predicate nodes (candidate pairs). Each step t (its
own gates and updates, states from step t - 1):
  * predicate -> entity: along every *selected* pair (recalibrated confidence > 1e-4), the
    predicate state scaled by g = mean(sigmoid(W·ReLU(LN([entity, predicate])))) x confidence,
    averaged per entity over the pairs it is subject of and, separately, object of; the
    entity adds ``ResidualUpdate`` of the mean of the two (zero when it has none);
  * entity -> predicate: for every pair whose two boxes are *valid* (detector score > 0.03;
    all boxes in PredCls), subject and object states scaled by their own gates (no
    confidence), averaged, and added through ``ResidualUpdate``; other pairs keep their state.
The recalibration (``LearnableConfidenceScaling``) is clamp(alpha·(s - beta), 0, 1) with a
learnable alpha (3.12) and a fixed beta (0.06): pairs below beta send nothing.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.node_messages import ResidualUpdate, mean_by_target

SELECTION_THRESHOLD = 1e-4  # PySGG keeps the pairs whose recalibrated confidence exceeds this


class ConfidenceGate(nn.Module):
    """(E, d) targets and sources [+ (E,) confidence] -> (E, d) sources scaled by
    mean(sigmoid(Linear(ReLU(LayerNorm([target, source]))))) [x confidence]."""

    def __init__(self, dim: int, width: int):
        super().__init__()
        self.w = nn.Sequential(nn.LayerNorm(2 * dim), nn.ReLU(), nn.Linear(2 * dim, width))

    def forward(self, target: Tensor, source: Tensor, confidence: Tensor | None = None) -> Tensor:
        gate = torch.sigmoid(self.w(torch.cat([target, source], dim=1))).mean(dim=1)
        if confidence is not None:
            gate = gate * confidence
        return source * gate.unsqueeze(1)


class LearnableConfidenceScaling(nn.Module):
    """clamp(alpha * s - alpha * beta, 0, 1); alpha trainable, beta fixed (PySGG
    LEARNABLE_SCALING_WEIGHT (3.12, 0.06))."""

    def __init__(self, alpha: float = 3.12, beta: float = 0.06):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor([float(alpha)]))
        self.register_buffer("beta", torch.tensor([float(beta)]))

    def forward(self, confidence: Tensor) -> Tensor:
        return torch.clamp(self.alpha * confidence - self.alpha * self.beta, min=0.0, max=1.0)


class BipartiteMessagePassing(nn.Module):
    """``num_steps`` steps of the bipartite graph on states of size ``dim``."""

    def __init__(self, dim: int, *, num_steps: int, gate_width: int = 128):
        super().__init__()
        gates = lambda: nn.ModuleList(ConfidenceGate(dim, gate_width) for _ in range(num_steps))  # noqa: E731
        updates = lambda: nn.ModuleList(ResidualUpdate(dim) for _ in range(num_steps))  # noqa: E731
        self.num_steps = int(num_steps)
        self.gate_pred2sub, self.gate_pred2obj = gates(), gates()
        self.gate_sub2pred, self.gate_obj2pred = gates(), gates()
        self.update_entity, self.update_predicate = updates(), updates()

    def forward(self, entities: Tensor, predicates: Tensor, pairs: Tensor, confidence: Tensor,
                valid_entities: Tensor) -> tuple[Tensor, Tensor]:
        """entities (N, dim), predicates (M, dim), pairs (M, 2) into the entity rows, confidence
        (M,) recalibrated, valid_entities (N,) bool -> updated (entities, predicates).
        Nothing changes when no pair is selected or no entity is valid (PySGG skips the graph)."""
        selected = torch.nonzero(confidence > SELECTION_THRESHOLD).squeeze(1)
        if selected.numel() == 0 or not bool(valid_entities.any()):
            return entities, predicates
        num_entities = entities.shape[0]
        sel_subj, sel_obj, sel_conf = pairs[selected, 0], pairs[selected, 1], confidence[selected]
        live = torch.nonzero(valid_entities[pairs[:, 0]] & valid_entities[pairs[:, 1]]).squeeze(1)
        live_subj, live_obj = pairs[live, 0], pairs[live, 1]
        for t in range(self.num_steps):
            sent = predicates[selected]
            as_subject = mean_by_target(self.gate_pred2sub[t](entities[sel_subj], sent, sel_conf), sel_subj,
                                        num_entities)
            as_object = mean_by_target(self.gate_pred2obj[t](entities[sel_obj], sent, sel_conf), sel_obj,
                                       num_entities)
            next_entities = self.update_entity[t]((as_subject + as_object) / 2, entities)
            state = predicates[live]
            message = (self.gate_sub2pred[t](state, entities[live_subj])
                       + self.gate_obj2pred[t](state, entities[live_obj])) / 2
            predicates = predicates.index_copy(0, live, self.update_predicate[t](message, state))
            entities = next_entities
        return entities, predicates
