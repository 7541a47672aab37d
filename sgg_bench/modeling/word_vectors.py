"""Word vectors for class names: GloVe text files (``glove.6B.200d.txt`` style) or a seeded fallback.

GloVe text format: one word per line followed by its ``dim`` floats, separated by spaces.
Nothing is ever downloaded: ``path`` must be a local file.

Class names are matched as in KT's ``obj_edge_vectors``: the whole name first (lower-cased),
then the mean of its words split on spaces/underscores/hyphens; rows that still have no
vector (e.g. ``__background__``) keep their seeded random normal values. Without a file,
every row is seeded random normal (the documented fallback; see docs/MODELS.md).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import Tensor

from sgg_bench.errors import ConfigError, DataFormatError

_WORD_SPLIT = re.compile(r"[\s_\-]+")


def random_word_vectors(num_names: int, dim: int, *, seed: int = 0) -> Tensor:
    """(num_names, dim) float32 standard normal rows from a private generator seeded with ``seed``."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randn((num_names, dim), generator=generator)


def _name_tokens(name: str) -> list[str]:
    return [t for t in _WORD_SPLIT.split(name.lower().strip()) if t]


def read_glove(path: str | os.PathLike, words: set[str], *, dim: Optional[int] = None) -> dict[str, Tensor]:
    """Vectors of ``words`` found in a GloVe text file, as {word: (dim,) float32}.

    Only lines whose first token is wanted are parsed. ``dim`` (if given) must match the
    file's row length. A malformed wanted row raises DataFormatError naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: word vector file not found (set model.head_args.glove_path "
                          f"to a local glove.*.txt file, or leave it empty for the random fallback)")
    found: dict[str, Tensor] = {}
    with open(path, encoding="utf8", errors="strict") as handle:
        for line_number, line in enumerate(handle, start=1):
            word, _, rest = line.rstrip("\n").partition(" ")
            if word not in words or word in found:
                continue
            try:
                values = [float(v) for v in rest.split()]
            except ValueError:
                raise DataFormatError(path, f"line {line_number}", "a word followed by floats",
                                      found=repr(line[:60])) from None
            if dim is None:
                dim = len(values)
            if len(values) != dim or dim == 0:
                raise DataFormatError(path, f"line {line_number}", f"{dim} floats after the word",
                                      found=f"{len(values)} values")
            found[word] = torch.tensor(values, dtype=torch.float32)
            if len(found) == len(words):
                break
    return found


def load_word_vectors(names: Sequence[str], *, path: str | os.PathLike | None = None, dim: int = 200,
                      seed: int = 0) -> Tensor:
    """(len(names), dim) float32 vectors for class names.

    path: local GloVe text file, or None/"" for the fallback (seeded random normal rows).
    Multi-word names without their own entry get the mean of their words' vectors; names
    with no known word keep their random row.
    """
    vectors = random_word_vectors(len(names), dim, seed=seed)
    if not path:
        return vectors
    wanted: set[str] = set()
    for name in names:
        wanted.add(name.lower().strip())
        wanted.update(_name_tokens(name))
    table = read_glove(path, wanted, dim=dim)
    for row, name in enumerate(names):
        whole = name.lower().strip()
        if whole in table:
            vectors[row] = table[whole]
            continue
        parts = [table[t] for t in _name_tokens(name) if t in table]
        if parts:
            vectors[row] = torch.stack(parts).mean(dim=0)
    return vectors
