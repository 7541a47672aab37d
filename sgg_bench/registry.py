"""Four flat registries, one per extension point.

Usage::

    @RELATION_HEADS.register("motifs")
    class MotifsHead(nn.Module): ...

    head = RELATION_HEADS.build("motifs", hidden_dim=512)
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator


class Registry:
    """Maps names to constructors. Building passes keyword arguments straight through,
    so a misspelt option fails loudly in the constructor."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: Dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorator(obj: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._entries:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> Callable[..., Any]:
        if name not in self._entries:
            known = ", ".join(sorted(self._entries)) or "none"
            raise KeyError(f"unknown {self.kind} {name!r}; known: {known}")
        return self._entries[name]

    def build(self, name: str, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


DATASETS = Registry("dataset")
DETECTORS = Registry("detector")
RELATION_HEADS = Registry("relation head")
EVALUATORS = Registry("evaluator")
