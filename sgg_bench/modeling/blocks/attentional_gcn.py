"""Attentional graph convolution over objects and relations (Graph R-CNN's aGCN, Yang et al.
2018), with PySGG's ``GraphConvolutionCollectLayer`` layout.

The graph: object nodes (N) and relation nodes (M, one per candidate pair). Object i receives
messages from the objects it is paired with (either direction), from the relations it is the
subject of and from those it is the object of; relation m receives messages from its subject and
its object. Each of these five message kinds has its own unit: the sources go through
Linear + ReLU into the target's size, then the target attends over its own sources
(``nn.MultiheadAttention``, target as query, transformed sources as keys and values). A target
with no source of a kind gets zero from it. One step updates synchronously:
    object   <- object   + mean of its three messages
    relation <- relation + mean of its two messages
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

MESSAGE_KINDS = ("obj_from_subj_rel", "obj_from_obj_rel", "rel_from_subj", "rel_from_obj", "obj_from_obj")


def attend_over_neighbours(target: Tensor, sources: Tensor, tgt: Tensor, src: Tensor,
                           attention: nn.MultiheadAttention) -> Tensor:
    """target (T, d) queries, sources (S, d) keys/values, edges tgt -> src (E,) each ->
    (T, d): each target's attention result over its own sources; zero rows for targets without any."""
    out = target.new_zeros(target.shape)
    if tgt.numel() == 0:
        return out
    order = torch.argsort(tgt, stable=True)
    tgt, src = tgt[order], src[order]
    active, counts = torch.unique_consecutive(tgt, return_counts=True)
    starts = torch.cumsum(counts, 0) - counts
    row = torch.repeat_interleave(torch.arange(active.numel(), device=tgt.device), counts)
    slot = torch.arange(tgt.numel(), device=tgt.device) - starts[row]
    width = int(counts.max())
    keys = sources.new_zeros((active.numel(), width, sources.shape[1]))
    keys = keys.index_put((row, slot), sources[src])
    padding = torch.ones((active.numel(), width), dtype=torch.bool, device=tgt.device)
    padding[row, slot] = False
    attended, _ = attention(target[active].unsqueeze(1), keys, keys, key_padding_mask=padding, need_weights=False)
    return out.index_put((active,), attended.squeeze(1))


def object_neighbour_edges(pairs: Tensor, num_objects: int) -> tuple[Tensor, Tensor]:
    """(M, 2) pairs -> (targets, sources) of the symmetric, duplicate-free object-object graph."""
    both = torch.cat([pairs, pairs.flip(1)], dim=0)
    codes = torch.unique(both[:, 0] * num_objects + both[:, 1])
    return codes // num_objects, codes % num_objects


class AttentionalGraphConvolution(nn.Module):
    """One collect layer (five units) shared by every step; ``forward`` runs one step.

    obj_dim, rel_dim: node sizes of objects and relations (features: hidden size both; scores:
    C_obj and C_rel). num_heads divides both sizes.
    """

    def __init__(self, obj_dim: int, rel_dim: int, *, num_heads: int):
        super().__init__()
        sizes = {"obj_from_subj_rel": (rel_dim, obj_dim), "obj_from_obj_rel": (rel_dim, obj_dim),
                 "rel_from_subj": (obj_dim, rel_dim), "rel_from_obj": (obj_dim, rel_dim),
                 "obj_from_obj": (obj_dim, obj_dim)}
        self.transform = nn.ModuleDict({k: nn.Linear(i, o) for k, (i, o) in sizes.items()})
        self.attention = nn.ModuleDict({k: nn.MultiheadAttention(o, num_heads, batch_first=True)
                                        for k, (_, o) in sizes.items()})

    def _message(self, kind: str, target: Tensor, source: Tensor, tgt: Tensor, src: Tensor) -> Tensor:
        return attend_over_neighbours(target, torch.relu(self.transform[kind](source)), tgt, src,
                                      self.attention[kind])

    def forward(self, objects: Tensor, relations: Tensor, pairs: Tensor,
                neighbours: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """objects (N, obj_dim), relations (M, rel_dim), pairs (M, 2) into the object rows,
        neighbours from ``object_neighbour_edges`` -> updated (objects, relations)."""
        rel_ids = torch.arange(pairs.shape[0], device=pairs.device)
        subj, obj = pairs[:, 0], pairs[:, 1]
        to_objects = (self._message("obj_from_obj", objects, objects, *neighbours)
                      + self._message("obj_from_subj_rel", objects, relations, subj, rel_ids)
                      + self._message("obj_from_obj_rel", objects, relations, obj, rel_ids)) / 3
        to_relations = (self._message("rel_from_subj", relations, objects, rel_ids, subj)
                        + self._message("rel_from_obj", relations, objects, rel_ids, obj)) / 2
        return objects + to_objects, relations + to_relations
