"""Relation heads, one file per published model, each registering itself in ``RELATION_HEADS``.

Importing this package imports every module in this folder, so a new head is one new file here
(plus its ``configs/models/<name>.yaml`` and a row in docs/MODELS.md): nothing else to edit.
"""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
