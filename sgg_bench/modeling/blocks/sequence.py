"""Running recurrent layers over per-image box sequences in a chosen box order."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

BOX_ORDERS = ("rightleft", "leftright", "size", "confidence", "none")


def box_order(order: str, boxes: Tensor, obj_scores: Tensor | None = None) -> Tensor:
    """(N,) permutation putting one image's boxes in sequence order.

    rightleft:  descending x-center (what KT's "leftright" sort gives: it sorts by x-center / max
                descending)
    leftright:  ascending x-center
    size:       descending area
    confidence: descending object score (``obj_scores`` (N,) required)
    none:       the given order
    Sorting is stable so equal keys keep their input order (deterministic).
    """
    if order in ("leftright", "rightleft"):
        key = (boxes[:, 0] + boxes[:, 2]) / 2
        return torch.sort(key, descending=order == "rightleft", stable=True).indices
    if order == "size":
        key = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        return torch.sort(key, descending=True, stable=True).indices
    if order == "confidence":
        return torch.sort(obj_scores, descending=True, stable=True).indices
    if order == "none":
        return torch.arange(boxes.shape[0], device=boxes.device)
    raise ValueError(f"box_order: expected one of {BOX_ORDERS}, found {order!r}")


def run_lstm(lstm: nn.LSTM, sequences: list[Tensor]) -> list[Tensor]:
    """Run a batch_first=False ``nn.LSTM`` over variable-length sequences.

    sequences: list of (L_i, D_in); empty sequences are allowed and give (0, D_out).
    Returns a list of (L_i, D_out) with D_out = hidden * (2 if bidirectional else 1).
    """
    out_dim = lstm.hidden_size * (2 if lstm.bidirectional else 1)
    non_empty = [i for i, s in enumerate(sequences) if s.shape[0] > 0]
    outputs = [s.new_zeros((0, out_dim)) for s in sequences]
    if not non_empty:
        # Keep the LSTM in the graph so backward works with no boxes at all.
        anchor = sum(p.sum() for p in lstm.parameters()) * 0.0
        return [o + anchor for o in outputs]
    packed = pack_sequence([sequences[i] for i in non_empty], enforce_sorted=False)
    result, _ = lstm(packed)
    padded, lengths = pad_packed_sequence(result)  # (L_max, B, D_out)
    for column, index in enumerate(non_empty):
        outputs[index] = padded[: int(lengths[column]), column]
    return outputs
