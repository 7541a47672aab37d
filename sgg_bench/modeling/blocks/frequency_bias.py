"""Frequency bias: a trainable lookup of the predicate log prior by (subject class, object class).

docs/FORMATS.md: ``pred_dist`` (C_obj, C_obj, C_rel) float32 = log(fg / fg.sum(-1) + 1e-3),
stored as an embedding table with row ``subj_cls * C_obj + obj_cls`` (KT ``FrequencyBias``).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


def check_log_prior(freq_log_prior: Tensor | None, *, num_obj_classes: int, num_rel_classes: int,
                    owner: str) -> Tensor:
    """The prior as a float32 (C_obj, C_obj, C_rel) tensor, or a ValueError naming ``owner``."""
    if freq_log_prior is None:
        raise ValueError(f"{owner}: freq_log_prior is required (sgg_bench.data.statistics.get_frequency_statistics"
                         f"(...)['pred_dist'])")
    prior = torch.as_tensor(freq_log_prior, dtype=torch.float32)
    expected = (num_obj_classes, num_obj_classes, num_rel_classes)
    if tuple(prior.shape) != expected:
        raise ValueError(f"{owner}: freq_log_prior: expected shape {expected}, found {tuple(prior.shape)}")
    return prior


def pair_labels(labels: Tensor, pairs: Tensor) -> tuple[Tensor, Tensor]:
    """(N,) labels and (M, 2) pairs -> subject labels (M,) and object labels (M,)."""
    return labels[pairs[:, 0]], labels[pairs[:, 1]]


class FrequencyBias(nn.Module):
    """Predicate logits (M, C_rel) from the classes of each pair, initialised from the log prior."""

    def __init__(self, *, freq_log_prior: Tensor, trainable: bool = True):
        super().__init__()
        num_obj, _, num_rel = freq_log_prior.shape
        self.num_obj_classes = int(num_obj)
        self.table = nn.Embedding(num_obj * num_obj, num_rel)
        with torch.no_grad():
            self.table.weight.copy_(freq_log_prior.reshape(num_obj * num_obj, num_rel))
        self.table.weight.requires_grad_(trainable)

    def forward(self, subj_labels: Tensor, obj_labels: Tensor) -> Tensor:
        """subj_labels, obj_labels: (M,) int64 class ids -> (M, C_rel) logits."""
        return self.table(subj_labels * self.num_obj_classes + obj_labels)

    def expected(self, subj_probs: Tensor, obj_probs: Tensor) -> Tensor:
        """(M, C_obj) subject and object class distributions -> (M, C_rel): the table rows averaged
        under the joint p_subj x p_obj (KT ``index_with_probability``); one-hot rows give the lookup."""
        classes = self.num_obj_classes
        table = self.table.weight.view(classes, classes * self.table.weight.shape[1])
        by_object = (subj_probs @ table).view(subj_probs.shape[0], classes, -1)   # (M, C_obj, C_rel)
        return (obj_probs.unsqueeze(2) * by_object).sum(dim=1)


def optional_frequency_bias(enabled: bool, freq_log_prior: Tensor | None, *, num_obj_classes: int,
                            num_rel_classes: int, owner: str) -> FrequencyBias | None:
    """A trainable ``FrequencyBias`` initialised from the checked prior when ``enabled``, else None."""
    if not enabled:
        return None
    prior = check_log_prior(freq_log_prior, num_obj_classes=num_obj_classes, num_rel_classes=num_rel_classes,
                            owner=owner)
    return FrequencyBias(freq_log_prior=prior)
