"""One leaderboard row: a project run or a published ("reported") result, values in percent.

Project records store metrics as fractions in [0, 1]; published tables are percentages. Both are
normalised here to percent so tables, best marks and exports compare like with like.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping


@dataclasses.dataclass(frozen=True)
class BoardRow:
    """A row of a leaderboard table.

    ``values`` maps a metric key (``R@50``, ``mAP_rel``, ...) to a percentage; ``texts`` maps the
    same keys to the text shown (our runs: two decimals; reported rows: exactly as published).
    Metrics that are not available are absent from both.
    """

    anchor: str                      # HTML id of the row's provenance / source block
    model: str
    dataset: str
    protocol: str
    split: str
    mode: str
    reported: bool
    values: Mapping[str, float]
    texts: Mapping[str, str]
    run_id: str | None = None
    source_label: str | None = None  # reported rows, short: "KT · METRICS.md §1.1"
    source_detail: str | None = None  # reported rows, full: "owner/repo · METRICS.md §1.1"
    note: str | None = None          # caveat shown beside the row
    record: Mapping[str, Any] | None = None  # the full result record (project runs)

    @property
    def group_key(self) -> tuple[str, str, str, str]:
        return (self.dataset, self.protocol, self.mode, self.split)


def percent_values(metrics: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """Fraction metrics (record) -> (percent values, display texts); None / NaN are left out."""
    values: dict[str, float] = {}
    texts: dict[str, str] = {}
    for key, value in metrics.items():
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isnan(value) or math.isinf(value):
            continue
        values[key] = float(value) * 100.0
        texts[key] = f"{values[key]:.2f}"
    return values, texts
