"""The overlay picture: the image with the boxes of the objects in the kept triplets, their
names, and the top triplets listed beneath it.

Small images are enlarged (nearest neighbour, so pixels stay visible) and large ones reduced so
that text stays legible at one size; boxes are scaled with them. Colours are per object and
the same in the graph drawing (``object_colour``).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sgg_bench.predict.graph import SceneGraph
from sgg_bench.utils.atomic import atomic_path

# A colour-blind-safe qualitative palette (Okabe-Ito plus darker tones), cycled by object.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442", "#8C564B",
           "#7F7F7F", "#1B9E77", "#E7298A", "#66A61E")
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")
MIN_SIDE, MAX_SIDE = 480, 960
LISTED_TRIPLETS = 10


def object_colour(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (#RRGGBB; WCAG relative luminance)."""
    channels = [int(fill[k:k + 2], 16) / 255.0 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"


def load_font(size: int):
    from PIL import ImageFont

    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def colours_by_object(graph: SceneGraph) -> dict[int, str]:
    """Object index -> colour, in the order the drawings show the objects."""
    return {o.index: object_colour(k) for k, o in enumerate(graph.shown_objects())}


def _display_scale(width: int, height: int) -> float:
    longest = max(width, height)
    if longest < MIN_SIDE:
        return MIN_SIDE / longest
    return min(1.0, MAX_SIDE / longest)


def _tag_position(x: float, top: float, bottom: float, width: float, height: float,
                  placed: list[tuple[float, float, float, float]], size: tuple[int, int],
                  right: float | None = None) -> tuple[float, float]:
    """Where a box's name tag goes: above the box, else inside its top edge, else below it, else
    stepped down; at each height first at the box's left edge, then flush with its right edge, then
    a tag width beyond either edge. The first place that overlaps no tag placed so far (and stays in
    the picture); in a crowd where every place is taken, the one covering the least tag area."""
    def inside(value: float) -> float:
        return min(max(0.0, value), max(0.0, size[0] - width))

    right = x + width if right is None else right
    xs = [inside(x), inside(right - width), inside(right), inside(x - width)]
    ys = [top - height, top, bottom] + [top + k * height for k in range(1, 8)]
    best, best_cover = None, None
    for y in ys:
        if y < 0 or y + height > size[1]:
            continue
        for tag_x in dict.fromkeys(xs):
            cover = sum(max(0.0, min(tag_x + width, c) - max(tag_x, a)) * max(0.0, min(y + height, d) - max(y, b))
                        for a, b, c, d in placed)
            if cover == 0:
                return tag_x, y
            if best_cover is None or cover < best_cover:
                best, best_cover = (tag_x, y), cover
    return best if best is not None else (xs[0], max(0.0, min(top, size[1] - height)))


def render_overlay(pixels: np.ndarray, graph: SceneGraph):
    """A PIL image: ``pixels`` (H, W, 3) uint8 at the graph's original size, boxes, names, triplets."""
    from PIL import Image, ImageDraw

    height, width = pixels.shape[:2]
    scale = _display_scale(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resample = Image.NEAREST if scale > 1 else Image.LANCZOS
    picture = Image.fromarray(pixels).resize(size, resample)
    font = load_font(14)
    line = 20
    triplets = graph.triplets()[:LISTED_TRIPLETS]
    panel = line * (len(triplets) + 1) + 8
    canvas = Image.new("RGB", (max(size[0], 360), size[1] + panel), "white")
    canvas.paste(picture, (0, 0))
    draw = ImageDraw.Draw(canvas)
    colours = colours_by_object(graph)
    shown = graph.shown_objects()
    for obj in shown:
        x1, y1, x2, y2 = (v * scale for v in obj.box)
        draw.rectangle([x1, y1, max(x1, x2), max(y1, y2)], outline=colours[obj.index], width=3)
    placed: list[tuple[float, float, float, float]] = []
    for obj in shown:  # name tags after all boxes, so no box is drawn over a tag
        x1, y1, x2, y2 = (v * scale for v in obj.box)
        colour = colours[obj.index]
        text = f"{graph.object_name(obj.index)} {obj.score:.2f}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        width, height = right - left + 6, bottom - top + 6
        tag_x, tag_y = _tag_position(x1, y1, max(y1, y2), width, height, placed, size, right=max(x1, x2))
        placed.append((tag_x, tag_y, tag_x + width, tag_y + height))
        draw.rectangle([tag_x, tag_y, tag_x + width, tag_y + height], fill=colour)
        draw.text((tag_x + 3, tag_y + 3 - top), text, fill=text_colour(colour), font=font)
    y = size[1] + 6
    heading = f"top {len(triplets)} of {len(graph.relations)} triplets (score = predicate x subject x object)"
    draw.text((6, y), heading if triplets else "no triplet above the score threshold", fill="#333333", font=font)
    for rank, (subject, predicate, obj, score) in enumerate(triplets, start=1):
        y += line
        draw.text((6, y), f"{rank}. {subject} — {predicate} — {obj}   {score:.3g}", fill="black", font=font)
    return canvas


def write_overlay(path: str | os.PathLike, pixels: np.ndarray, graph: SceneGraph) -> Path:
    """The overlay as a PNG at ``path`` (atomic)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        render_overlay(pixels, graph).save(tmp, format="PNG")
    return path
