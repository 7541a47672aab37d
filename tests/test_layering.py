"""Imports run downward only: commands -> runs, predict -> engine / modeling / evaluation -> data / detector.
A lower package that imported a higher one would tie, e.g., the detector to the training engine."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sgg_bench"
FORBIDDEN = {
    "detector": ("engine", "runs", "leaderboard", "commands", "modeling"),
    "data": ("engine", "runs", "leaderboard", "commands", "modeling", "detector"),
    "evaluation": ("engine", "runs", "leaderboard", "commands", "modeling", "detector"),
    "modeling": ("engine", "runs", "leaderboard", "commands"),
    "engine": ("runs", "leaderboard", "commands"),
    "leaderboard": ("runs", "commands", "engine", "modeling"),
    "runs": ("commands", "predict"),
    "predict": ("commands", "leaderboard"),
}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_downward_only(package):
    offenders = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "sgg_bench" and len(parts) > 1 and parts[1] in FORBIDDEN[package]:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert offenders == []


@pytest.mark.parametrize("head_file", sorted((PACKAGE / "modeling" / "heads").glob("[!_]*.py")), ids=lambda p: p.stem)
def test_a_head_imports_blocks_never_another_head(head_file):
    assert not any(module.startswith("sgg_bench.modeling.heads") for module in imported_modules(head_file))
