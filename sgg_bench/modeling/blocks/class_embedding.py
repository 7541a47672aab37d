"""Class-label embeddings initialised from word vectors (GloVe or seeded random, ``word_vectors.py``)."""
from __future__ import annotations

import torch
from torch import Tensor, nn


def checked_word_vectors(word_vectors: Tensor | None, num_obj_classes: int, owner: str,
                         required: bool = False) -> Tensor | None:
    """``word_vectors`` as float32 (C_obj, E), None stays None unless ``required``; a ValueError
    naming ``owner`` otherwise."""
    if word_vectors is None:
        if required:
            raise ValueError(f"{owner}: word_vectors: expected a (C_obj, E) tensor (sgg_bench.modeling.word_vectors)")
        return None
    vectors = torch.as_tensor(word_vectors, dtype=torch.float32)
    if vectors.dim() != 2 or vectors.shape[0] != num_obj_classes:
        raise ValueError(f"{owner}: word_vectors: expected shape ({num_obj_classes}, E), found {tuple(vectors.shape)}")
    return vectors


def class_embedding(num_obj_classes: int, embed_dim: int, word_vectors: Tensor | None) -> nn.Embedding:
    """nn.Embedding(C_obj, E), its rows copied from ``word_vectors`` (C_obj, E) when given."""
    embedding = nn.Embedding(num_obj_classes, embed_dim)
    if word_vectors is not None:
        with torch.no_grad():
            embedding.weight.copy_(word_vectors)
    return embedding


def soft_class_embedding(embedding: nn.Embedding, logits: Tensor) -> Tensor:
    """(N, C_obj) class logits -> (N, E) softmax-weighted mix of the embedding rows (KT's SGCls/SGDet
    input; the logits are the frozen detector's, so no gradient flows into them)."""
    return torch.softmax(logits.detach(), dim=1) @ embedding.weight
