"""Class embeddings initialised from word vectors (GloVe, or the seeded random fallback)."""
from __future__ import annotations

import torch
from torch import Tensor, nn


def checked_word_vectors(word_vectors: Tensor | None, *, num_obj_classes: int, owner: str) -> Tensor | None:
    """(C_obj, E) float32 vectors, None when not given, or a ValueError naming ``owner``."""
    if word_vectors is None:
        return None
    vectors = torch.as_tensor(word_vectors, dtype=torch.float32)
    if vectors.dim() != 2 or vectors.shape[0] != num_obj_classes:
        raise ValueError(f"{owner}: word_vectors: expected shape ({num_obj_classes}, E), found {tuple(vectors.shape)}")
    return vectors


def class_embedding(num_obj_classes: int, embed_dim: int, word_vectors: Tensor | None) -> nn.Embedding:
    """An (C_obj, embed_dim) embedding, its rows copied from ``word_vectors`` when given."""
    embedding = nn.Embedding(num_obj_classes, embed_dim)
    if word_vectors is not None:
        with torch.no_grad():
            embedding.weight.copy_(word_vectors)
    return embedding
