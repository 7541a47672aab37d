"""VCTree's per-image tree (KT ``utils_vctree.py``): a maximum spanning tree grown from learned
pair scores, then turned into the binary tree the tree-LSTMs walk.

1. Root: the box with the largest mean score over its row (``scores.mean(1)``), first on ties.
2. Growth (Prim): while boxes remain, attach the remaining box ``r`` to the tree box ``t`` with the
   largest ``scores[t, r]``; ties go to the earliest-attached ``t``, then the lowest ``r`` (KT takes
   the first maximum of the flattened (tree boxes in attachment order) x (remaining boxes) map).
   Children keep their attachment order.
3. Binary tree (left child, right sibling): a node's first child becomes its left child, each
   further child the right child of the previous one.

A forest is returned as flat int64 arrays over the batch's boxes (image offsets added), with
processing levels so the tree-LSTMs can run one level of every tree at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


def grow_tree(scores: Tensor) -> tuple[list[int], list[int]]:
    """(N, N) pair scores (row = tree box, column = box to attach) -> (parents, order).

    parents: list of N ints, the arbitrary-tree parent of each box (-1 for the root)
    order:   the boxes in attachment order (root first)
    """
    n = int(scores.shape[0])
    if n == 0:
        return [], []
    values = scores.detach().float().cpu()
    root = int(torch.argmax(values.mean(dim=1)))
    parents = [-1] * n
    order = [root]
    remaining = torch.ones(n, dtype=torch.bool)
    remaining[root] = False
    # For every remaining box, the best score from the tree so far and the attachment position of
    # the tree box giving it (strictly greater replaces, so the earliest tree box wins ties).
    best = values[root].clone()
    best_from = torch.zeros(n, dtype=torch.long)
    for position in range(1, n):
        candidates = remaining.nonzero().flatten()
        top = best[candidates].max()
        tied = candidates[best[candidates] == top]
        # Among equal scores: the earliest tree box first, then the lowest box index.
        choice = int(tied[torch.argmin(best_from[tied] * n + tied)])
        parents[choice] = order[int(best_from[choice])]
        order.append(choice)
        remaining[choice] = False
        better = remaining & (values[choice] > best)
        best = torch.where(better, values[choice], best)
        best_from = torch.where(better, torch.full_like(best_from, position), best_from)
    return parents, order


def binary_tree(parents: list[int], order: list[int]) -> tuple[list[int], list[int]]:
    """Arbitrary tree -> binary tree (left child = first child, right child = next sibling).

    Returns (left, right): lists of N ints, -1 where there is no such child."""
    n = len(parents)
    left, right = [-1] * n, [-1] * n
    last_child = [-1] * n
    for node in order[1:]:  # attachment order = each parent's children order
        parent = parents[node]
        if last_child[parent] < 0:
            left[parent] = node
        else:
            right[last_child[parent]] = node
        last_child[parent] = node
    return left, right


@dataclass
class Forest:
    """Binary trees of a batch over the flattened boxes (image ``i``'s boxes start at its offset).

    left, right, parent: (N,) int64, -1 where absent (``parent`` is the binary-tree parent)
    up_levels:   list of (K,) int64 node sets, leaves first: every node comes after its children
    down_levels: list of (K,) int64 node sets, roots first: every node comes after its parent
    image:       (N,) int64 image index of each node
    """

    left: Tensor
    right: Tensor
    parent: Tensor
    up_levels: list[Tensor]
    down_levels: list[Tensor]
    image: Tensor

    @property
    def num_nodes(self) -> int:
        return int(self.left.shape[0])


def build_forest(score_matrices: list[Tensor], *, device: torch.device | str = "cpu") -> Forest:
    """One binary tree per image from its (N_i, N_i) scores (``grow_tree`` + ``binary_tree``)."""
    left, right, parent, image = [], [], [], []
    height, depth = [], []
    offset = 0
    for index, scores in enumerate(score_matrices):
        parents, order = grow_tree(scores)
        image_left, image_right = binary_tree(parents, order)
        n = len(parents)
        image_parent = [-1] * n
        for node in range(n):
            for child in (image_left[node], image_right[node]):
                if child >= 0:
                    image_parent[child] = node
        image_depth = [0] * n
        for node in order:  # a binary parent is attached before its children
            if image_parent[node] >= 0:
                image_depth[node] = image_depth[image_parent[node]] + 1
        image_height = [0] * n
        for node in reversed(order):
            children = [c for c in (image_left[node], image_right[node]) if c >= 0]
            image_height[node] = 1 + max((image_height[c] for c in children), default=-1)
        shift = lambda values: [v + offset if v >= 0 else -1 for v in values]  # noqa: E731
        left += shift(image_left)
        right += shift(image_right)
        parent += shift(image_parent)
        height += image_height
        depth += image_depth
        image += [index] * n
        offset += n
    as_long = lambda values: torch.tensor(values, dtype=torch.long, device=device)  # noqa: E731
    heights, depths = as_long(height), as_long(depth)
    up = [(heights == h).nonzero().flatten() for h in range(int(heights.max()) + 1)] if height else []
    down = [(depths == d).nonzero().flatten() for d in range(int(depths.max()) + 1)] if depth else []
    return Forest(left=as_long(left), right=as_long(right), parent=as_long(parent), up_levels=up, down_levels=down,
                  image=as_long(image))
