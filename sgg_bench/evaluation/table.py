"""Plain-text tables of an evaluation result, for the console."""
from __future__ import annotations

from typing import Mapping

VG_ROWS = ("R", "ngR", "mR", "ng-mR", "zR", "ng-zR", "A", "F", "mR/head", "mR/body", "mR/tail")
VG_KS = (20, 50, 100)


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{100.0 * value:6.2f}"


def format_table(result: Mapping) -> str:
    """Metrics in percent: one row per VG metric family with columns @20/@50/@100, then any other metric."""
    metrics = result["metrics"]
    lines = [f"{'metric':<10}" + "".join(f"{'@' + str(k):>9}" for k in VG_KS)]
    shown = set()
    for name in VG_ROWS:
        family, _, group = name.partition("/")
        keys = [f"{family}@{k}" + (f"/{group}" if group else "") for k in VG_KS]
        if not any(key in metrics for key in keys):
            continue
        lines.append(f"{name:<10}" + "".join(f"{_cell(metrics.get(key)):>9}" for key in keys))
        shown.update(keys)
    others = [key for key in metrics if key not in shown]
    if others:
        width = max(len(key) for key in others)
        lines.append("")
        lines.extend(f"{key:<{width}}  {_cell(metrics[key])}" for key in others)
    info = result.get("info") or {}
    notes = []
    if info.get("images_missing_predictions"):
        notes.append(f"{info['images_missing_predictions']} image(s) had no predictions (--allow-missing)")
    if info.get("images_ignored_not_in_ground_truth"):
        notes.append(f"{info['images_ignored_not_in_ground_truth']} predicted image(s) not in the split were ignored")
    if "images_counted" in info:
        notes.append(f"{info['images_counted']} of {info.get('images', '?')} images counted for recall "
                     f"({info.get('skip_rule', '')})")
    ties = result.get("tie_ranges") or {}
    if ties:
        shown_ties = ", ".join(f"{key} {_cell(low).strip()}-{_cell(high).strip()}" for key, (low, high) in ties.items())
        notes.append(f"tied candidates straddle a cut; any tie order gives: {shown_ties}")
    if notes:
        lines.append("")
        lines.extend(f"note: {note}" for note in notes)
    return "\n".join(lines)
