"""Group leaderboard rows into tables (dataset x protocol x mode x split) and pick best values.

Everything the renderers need is computed here, in Python, so the HTML page, the Markdown and
the CSV export agree and the best marks work without JavaScript.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Iterable, Sequence

from sgg_bench.leaderboard.rows import BoardRow

K_VALUES = (20, 50, 100)

DATASET_LABELS = {
    "vg": "Visual Genome (VG150)",
    "openimages": "OpenImages V6",
    "synth": "Synthetic",
    "vg-danfeix": "Visual Genome (danfeiX split)",
    "openimages-v5": "OpenImages V5",
}
PROTOCOL_LABELS = {
    "vg": "VG protocol (KT rules)",
    "oi": "OpenImages protocol (PySGG rules)",
    "ms-vg": "MS evaluator",
    "ms-oi": "MS OpenImages evaluator",
}
MODE_LABELS = {"predcls": "PredCls", "sgcls": "SGCls", "sgdet": "SGDet"}
_DATASET_ORDER = ("vg", "openimages", "synth")
_MODE_ORDER = ("predcls", "sgcls", "sgdet")


@dataclasses.dataclass(frozen=True)
class Column:
    key: str    # metric key in the record, e.g. "R@50"
    group: str  # group header, e.g. "R@K"
    label: str  # column header under the group, e.g. "50"
    title: str  # long name (tooltip / CSV header help)


def _k_group(prefix: str, group: str, name: str) -> list[Column]:
    return [Column(f"{prefix}@{k}", group, str(k), f"{name} at K={k}") for k in K_VALUES]


# Panel 1: the recall family, one K group per metric (at most 15 columns).
RECALL_COLUMNS: tuple[Column, ...] = tuple(
    _k_group("R", "R@K", "Recall, graph constraint")
    + _k_group("ngR", "ngR@K", "Recall, no graph constraint")
    + _k_group("mR", "mR@K", "Mean recall over predicates")
    + _k_group("zR", "zR@K", "Zero-shot recall")
    + _k_group("F", "F@K", "Harmonic mean of R@K and mR@K"))

# Panel 2: pair accuracy, the OpenImages protocol and detection (at most 11 columns).
EXTRA_COLUMNS: tuple[Column, ...] = tuple(
    _k_group("A", "A@K", "Top-K pair accuracy (GT pairs given)")
    + [Column("oi/R@50", "OpenImages", "R@50", "OpenImages protocol recall at 50 (dataset-level ratio)"),
       Column("mAP_rel", "OpenImages", "mAP rel", "Mean AP over predicates, relationship boxes"),
       Column("wmAP_rel", "OpenImages", "wmAP rel", "GT-weighted mAP, relationship boxes"),
       Column("mAP_phr", "OpenImages", "mAP phr", "Mean AP over predicates, phrase (union) boxes"),
       Column("wmAP_phr", "OpenImages", "wmAP phr", "GT-weighted mAP, phrase (union) boxes"),
       Column("score_wtd", "OpenImages", "score wtd", "0.2·R@50 + 0.4·wmAP_rel + 0.4·wmAP_phr"),
       Column("mAP", "Detection", "mAP", "Object detection mAP (IoU .50:.95)"),
       Column("AP50", "Detection", "AP50", "Object detection AP at IoU .50")])

MAX_COLUMNS = 15  # number columns per table that fit a 1280 px screen
PANELS = (("recall", "Recall", RECALL_COLUMNS),
          ("extra", "Accuracy, OpenImages and detection", EXTRA_COLUMNS))


@dataclasses.dataclass
class Panel:
    name: str
    title: str
    columns: list[Column]
    best: dict[str, float]  # column key -> best value (rounded to 2 decimals)
    rows: list[BoardRow]    # the table's rows that have a value in at least one of the columns


@dataclasses.dataclass
class BoardTable:
    dataset: str
    protocol: str
    mode: str
    split: str
    rows: list[BoardRow]
    panels: list[Panel]
    reference_only: bool = False  # no project run on this dataset at all

    @property
    def anchor(self) -> str:
        raw = f"t-{self.dataset}-{self.protocol}-{self.mode}-{self.split}"
        return re.sub(r"[^A-Za-z0-9_-]+", "-", raw)

    @property
    def title(self) -> str:
        return f"{dataset_label(self.dataset)} · {MODE_LABELS.get(self.mode, self.mode)}"

    @property
    def subtitle(self) -> str:
        return f"{PROTOCOL_LABELS.get(self.protocol, self.protocol)} · {self.split} split"

    @property
    def has_runs(self) -> bool:
        return any(not row.reported for row in self.rows)

    def is_best(self, row: BoardRow, key: str) -> bool:
        best = next((p.best.get(key) for p in self.panels if key in p.best), None)
        return best is not None and key in row.values and round(row.values[key], 2) == best


def dataset_label(dataset: str) -> str:
    return DATASET_LABELS.get(dataset, dataset)


def build_tables(rows: Iterable[BoardRow]) -> list[BoardTable]:
    """Group rows into tables; datasets with project runs first, reference-only datasets after.

    Within a table our runs come first (by the table's headline metric, best first), then the
    reported rows in source order. Columns without any value in the table are dropped.
    """
    groups: dict[tuple[str, str, str, str], list[BoardRow]] = {}
    run_datasets = set()
    for row in rows:
        groups.setdefault(row.group_key, []).append(row)
        if not row.reported:
            run_datasets.add(row.dataset)
    tables = []
    for (dataset, protocol, mode, split), members in groups.items():
        runs = sorted((r for r in members if not r.reported), key=_headline_sort_key(protocol))
        reported = [r for r in members if r.reported]
        ordered = runs + reported
        tables.append(BoardTable(dataset, protocol, mode, split, ordered, _panels_for(ordered),
                                 reference_only=dataset not in run_datasets))
    tables.sort(key=_table_sort_key)
    return tables


def _panels_for(rows: Sequence[BoardRow]) -> list[Panel]:
    """Panels holding only the columns some row has; one panel when they all fit side by side."""
    present = [(name, title, [c for c in columns if any(c.key in r.values for r in rows)])
               for name, title, columns in PANELS]
    present = [(name, title, columns) for name, title, columns in present if columns]
    if sum(len(columns) for _, _, columns in present) <= MAX_COLUMNS:
        present = [("all", "", [c for _, _, columns in present for c in columns])] if present else []
    panels = []
    for name, title, columns in present:
        members = [r for r in rows if any(c.key in r.values for c in columns)]
        panels.append(Panel(name, title, columns, _best(members, columns), members))
    return panels


def _best(rows: Sequence[BoardRow], columns: Sequence[Column]) -> dict[str, float]:
    # Compared at display precision, so equal-looking values are all marked.
    return {c.key: max(round(r.values[c.key], 2) for r in rows if c.key in r.values) for c in columns}


def _headline_sort_key(protocol: str):
    headline = ("score_wtd", "oi/R@50", "R@50") if protocol == "oi" else ("R@50", "mR@50")

    def key(row: BoardRow):
        values = tuple(-row.values.get(k, float("-inf")) for k in headline)
        return values + (row.model, row.run_id or "")
    return key


def _table_sort_key(table: BoardTable):
    def rank(value: str, order: Sequence[str]) -> tuple[int, str]:
        return (order.index(value), "") if value in order else (len(order), value)
    return (table.reference_only, rank(table.dataset, _DATASET_ORDER), table.protocol,
            rank(table.mode, _MODE_ORDER), table.split != "test", table.split)
