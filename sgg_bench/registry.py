"""Flat registries, one per extension point, each entry with optional metadata.

Usage::

    @RELATION_HEADS.register("motifs", paper="Zellers et al., CVPR 2018", ...)
    class MotifsHead(nn.Module): ...

    head = RELATION_HEADS.build("motifs", hidden_dim=512)
    RELATION_HEADS.info("motifs")["paper"]

This module imports nothing heavy: ``relation_head_names()`` lists the head modules on disk
without importing them (torch), so ``--help`` stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterator

HEADS_PACKAGE = Path(__file__).resolve().parent / "modeling" / "heads"


class Registry:
    """Maps names to constructors. Building passes keyword arguments straight through,
    so a misspelt option fails loudly in the constructor."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: Dict[str, Callable[..., Any]] = {}
        self._info: Dict[str, dict] = {}

    def register(self, name: str, **info: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(obj: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._entries:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            self._info[name] = dict(info)
            return obj

        return decorator

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests that register a head of their own clean up with this)."""
        self._entries.pop(name, None)
        self._info.pop(name, None)

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self._entries:
            known = ", ".join(sorted(self._entries)) or "none"
            raise KeyError(f"unknown {self.kind} {name!r}; known: {known}")
        return self._entries[name]

    def info(self, name: str) -> dict:
        self.get(name)
        return dict(self._info[name])

    def build(self, name: str, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def relation_head_names() -> list[str]:
    """Names of the head modules shipped in ``sgg_bench/modeling/heads`` (one file per head,
    named as registered), read from the folder without importing anything."""
    return sorted(p.stem for p in HEADS_PACKAGE.glob("*.py") if not p.stem.startswith("_"))


DATASETS = Registry("dataset")
DETECTORS = Registry("detector")
RELATION_HEADS = Registry("relation head")
EVALUATORS = Registry("evaluator")
