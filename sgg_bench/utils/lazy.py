"""Package attributes resolved on first use, so importing a package stays cheap."""
from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_attributes(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``table[name]`` (a module path) on
    first access of ``name`` and returns its attribute of that name."""
    def __getattr__(name: str) -> Any:
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return __getattr__
