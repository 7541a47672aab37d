"""Per-predicate recall as an inline SVG bar chart (no JavaScript, no external files)."""
from __future__ import annotations

import math
from html import escape
from typing import Any, Mapping

_BAR_HEIGHT = 13
_GAP = 4
_LABEL_WIDTH = 150
_BAR_WIDTH = 250
_VALUE_WIDTH = 46
_COLUMN_GAP = 28
_ONE_COLUMN_MAX = 16


def pick_k(per_predicate: Mapping[str, Any], preferred: int = 50) -> str | None:
    """The K to chart: ``preferred`` when present, else the smallest available K."""
    keys = [str(k) for k, v in per_predicate.items() if isinstance(v, Mapping) and v]
    if not keys:
        return None
    if str(preferred) in keys:
        return str(preferred)
    return sorted(keys, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))[0]


def predicate_recall_svg(recalls: Mapping[str, Any], *, k: str, caption: str = "") -> str:
    """Horizontal bars, one per predicate, sorted by recall (highest first).

    ``recalls`` maps predicate name -> recall as a fraction in [0, 1] (None = not available,
    drawn as "n/a"). Every name is escaped; the SVG carries a <title> for screen readers.
    """
    items = []
    for name, value in recalls.items():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        items.append((str(name), float(value) if ok else None))
    items.sort(key=lambda item: (item[1] is None, -(item[1] or 0.0), item[0]))
    # Long lists are laid out in two columns (ranked top to bottom, then the next column).
    n_columns = 1 if len(items) <= _ONE_COLUMN_MAX else 2
    per_column = max(1, math.ceil(len(items) / n_columns))
    step = _BAR_HEIGHT + _GAP
    block = _LABEL_WIDTH + _BAR_WIDTH + _VALUE_WIDTH
    width = block * n_columns + _COLUMN_GAP * (n_columns - 1)
    axis_y = step * per_column + 2
    height = axis_y + 14
    title = caption or f"Per-predicate recall at K={k}"
    parts = [f'<svg class="pred-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for column in range(n_columns):
        x0 = column * (block + _COLUMN_GAP) + _LABEL_WIDTH
        for tick in (0, 25, 50, 75, 100):
            x = x0 + _BAR_WIDTH * tick / 100
            parts.append(f'<line class="grid" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{axis_y}"/>')
            parts.append(f'<text class="tick" x="{x:.1f}" y="{height - 2}" text-anchor="middle">{tick}%</text>')
    for index, (name, value) in enumerate(items):
        x0 = (index // per_column) * (block + _COLUMN_GAP) + _LABEL_WIDTH
        y = (index % per_column) * step
        label = name if len(name) <= 24 else name[:23] + "…"
        parts.append(f'<text class="label" x="{x0 - 6}" y="{y + _BAR_HEIGHT - 2}" '
                     f'text-anchor="end"><title>{escape(name)}</title>{escape(label)}</text>')
        if value is None:
            parts.append(f'<text class="value na" x="{x0 + 2}" y="{y + _BAR_HEIGHT - 2}">n/a</text>')
            continue
        bar = _BAR_WIDTH * min(max(value, 0.0), 1.0)
        parts.append(f'<rect class="bar" x="{x0}" y="{y}" width="{bar:.1f}" height="{_BAR_HEIGHT}" rx="2">'
                     f"<title>{escape(name)}: {value * 100:.2f}%</title></rect>")
        parts.append(f'<text class="value" x="{x0 + bar + 4:.1f}" y="{y + _BAR_HEIGHT - 2}">'
                     f"{value * 100:.1f}</text>")
    parts.append("</svg>")
    return "".join(parts)
