"""The scene graph drawn as SVG and PNG with Graphviz ``dot``.

Layout: as in the figures of SGG papers, objects are coloured boxes (the colours of the overlay)
and each triplet is a subject -> predicate -> object path through a small predicate node, laid
out left to right by ``dot``'s layered layout. Layered layout keeps edge crossings low and
labels apart, which is what stays readable at 20 objects; a long chain of triplets, which
layers into a thin strip, is laid out by ``neato`` instead (``write_graph_drawings``). Why Graphviz:
docs/PREDICT.md.
``dot`` runs as a subprocess with an argument list (never a shell); the DOT text is built here
with every name escaped.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from sgg_bench.errors import SggBenchError
from sgg_bench.predict.draw_overlay import colours_by_object, text_colour
from sgg_bench.predict.graph import SceneGraph
from sgg_bench.utils.atomic import atomic_path

DOT = "dot"
DOT_TIMEOUT_S = 120
MAX_ASPECT = 3.0  # longer side / shorter side of a dot layout still drawn with dot


class GraphvizMissing(SggBenchError):
    """Graphviz's ``dot`` is not on PATH."""


def dot_binary() -> str:
    found = shutil.which(DOT)
    if found is None:
        raise GraphvizMissing("drawing scene graphs needs Graphviz's `dot` on PATH (Debian/Ubuntu: apt-get install "
                              "graphviz; bash .ci/setup installs it)")
    return found


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, control characters as spaces
    (so a class name can never end the string or start a Graphviz escape such as ``\\N``)."""
    cleaned = "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in str(text))
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_lines(*lines: str) -> str:
    """Several lines as one DOT label (each escaped, joined by Graphviz's centred line break)."""
    return '"' + "\\n".join(quote(line)[1:-1] for line in lines) + '"'


def dot_source(graph: SceneGraph) -> str:
    """The DOT text of ``graph``'s kept triplets (objects without a kept triplet are left out)."""
    colours = colours_by_object(graph)
    lines = ["digraph scene_graph {",
             '  graph [rankdir=LR, nodesep=0.25, ranksep=0.45, pad=0.2, bgcolor="white", '
             'fontname="DejaVu Sans"];',
             '  node [fontname="DejaVu Sans", fontsize=12];',
             '  edge [color="#555555", arrowsize=0.6];']
    for obj in graph.shown_objects():
        label = quote_lines(graph.object_name(obj.index), f"{obj.score:.2f}")
        lines.append(f'  o{obj.index} [label={label}, shape=box, style="rounded,filled", '
                     f'fillcolor={quote(colours[obj.index])}, fontcolor={quote(text_colour(colours[obj.index]))}, penwidth=0];')
    for rel in graph.relations:
        node = f"r{rel.rank}"
        lines.append(f'  {node} [label={quote(rel.predicate)}, shape=ellipse, style=filled, fillcolor="#EEEEEE", '
                     f'color="#BBBBBB", fontsize=11, tooltip={quote(f"rank {rel.rank}, score {rel.score:.3f}")}];')
        lines.append(f"  o{rel.subject} -> {node} [arrowhead=none];")
        lines.append(f"  {node} -> o{rel.object};")
    if not graph.relations:
        lines.append('  empty [label="no triplet above the score threshold", shape=plaintext];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _run_dot(source: str, args: list[str], what: str) -> None:
    result = subprocess.run([dot_binary(), *args], input=source.encode("utf-8"), capture_output=True,
                            timeout=DOT_TIMEOUT_S, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SggBenchError(f"{what}: Graphviz dot failed (exit {result.returncode}): "
                            f"{detail[0] if detail else 'no message'}")


def _svg_size(path: Path) -> tuple[float, float]:
    """(width, height) in points from the ``<svg width="..pt" height="..pt"`` header dot writes."""
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    found = re.search(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', head)
    return (float(found.group(1)), float(found.group(2))) if found else (1.0, 1.0)


def render(source: str, outputs: dict[str, Path], *, engine: str = "dot") -> None:
    """Lay out ``source`` once with ``engine`` and write each ``{format: path}`` (atomically)."""
    options = ["-Goverlap=false", "-Gsep=+8", "-Gsplines=true"] if engine == "neato" else []
    with contextlib.ExitStack() as stack:
        args = [f"-K{engine}", *options]
        for fmt, path in outputs.items():
            args += [f"-T{fmt}", "-o", str(stack.enter_context(atomic_path(path)))]
        _run_dot(source, args, ", ".join(str(p) for p in outputs.values()))


def write_graph_drawings(graph: SceneGraph, svg_path: str | os.PathLike, png_path: str | os.PathLike) -> str:
    """The drawing as SVG and PNG; returns the layout engine used: ``dot`` (layered), unless its
    layout is a long thin strip (a chain of triplets, a on b, b on c, ..., puts every link on a
    new layer) more than ``MAX_ASPECT`` times longer than wide; then ``neato`` (spring layout, no
    overlaps) folds the chain up."""
    source = dot_source(graph)
    outputs = {"svg": Path(svg_path), "png": Path(png_path)}
    render(source, outputs, engine="dot")
    width, height = _svg_size(outputs["svg"])
    if max(width, height) <= MAX_ASPECT * max(min(width, height), 1.0):
        return "dot"
    render(source, outputs, engine="neato")
    return "neato"
