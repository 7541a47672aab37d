"""Group the board frames into tables (dataset x protocol x mode x split) and pick best values.

Everything the renderers need is computed here, in Python, so the HTML page, the Markdown and
the CSV export agree and the best marks work without JavaScript.

Best values: per column of a table, over every row with a value inside [0, 100] % (reported rows
included), the largest mean at display precision (two decimals; equal-looking values are all
marked). The mark is withheld when the seeds' noise cannot separate the leader from the rest:
each cell has the interval mean ± sd (sample sd; 0 for one seed or a reported row), widened to
its tie range; when a leader's interval overlaps any other row's interval the column has no best
value, and the leading cells carry a "within noise" mark instead.
"""
from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple, Sequence

import pandas as pd

from sgg_bench.leaderboard.frames import REPORTED, BoardFrames, interval
from sgg_bench.leaderboard.published import row_fits_setting

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
    rows: list[str]  # board ids of the table's rows with a value in at least one of the columns


class ReportedLink(NamedTuple):
    anchor: str  # id of the reported row
    source: str  # "KT §1.1–§1.5"
    model: str   # the row's name in the source
    title: str


class Cell(NamedTuple):
    mean: float
    sd: float          # NaN when fewer than two values
    n: int
    low: float
    high: float
    tie: bool
    out_of_range: bool
    text: str
    best: bool
    noise: bool        # would lead the column, but within the noise of another row


@dataclasses.dataclass
class BoardTable:
    dataset: str
    protocol: str
    mode: str
    split: str
    rows: pd.DataFrame   # board rows in display order (see frames.py)
    cells: pd.DataFrame  # (board id, metric) -> Cell fields
    panels: list[Panel]
    reference_only: bool = False  # no run of ours (user or shipped reference) on this dataset
    supervision: str = ""         # grounded runs get tables of their own (language | weak | full)

    def __post_init__(self):
        self._lookup = {index: Cell(*values) for index, values in zip(self.cells.index, self.cells[
            list(Cell._fields)].itertuples(index=False, name=None))}

    @property
    def anchor(self) -> str:
        raw = f"t-{self.dataset}-{self.protocol}-{self.mode}-{self.split}" + (f"-{self.supervision}"
                                                                               if self.supervision else "")
        return re.sub(r"[^A-Za-z0-9_-]+", "-", raw)

    @property
    def title(self) -> str:
        title = f"{dataset_label(self.dataset)} · {MODE_LABELS.get(self.mode, self.mode)}"
        return title + (f" · {SUPERVISION_LABELS.get(self.supervision, self.supervision)}" if self.supervision else "")

    @property
    def subtitle(self) -> str:
        return f"{PROTOCOL_LABELS.get(self.protocol, self.protocol)} · {self.split} split"

    def cell(self, board: str, key: str) -> Cell | None:
        return self._lookup.get((board, key))

    def count(self, kind: str) -> int:
        return int((self.rows["kind"] == kind).sum())


SUPERVISION_LABELS = {"language": "language supervision (captions)", "weak": "weak supervision (unlocalized graphs)",
                      "full": "full supervision on the same detections"}


def dataset_label(dataset: str) -> str:
    return DATASET_LABELS.get(dataset, dataset)


def build_tables(frames: BoardFrames) -> list[BoardTable]:
    """Group rows into tables; datasets with runs of ours first, reference-only datasets after.

    Within a table our runs (user and shipped reference) come first, by the table's headline
    metric (best first), then the reported rows in source order. Columns without any value in
    the table are dropped.
    """
    rows, cells = frames.rows, frames.cells
    if rows.empty:
        return []
    rows = rows.assign(links=_reported_links(rows))
    run_datasets = set(rows.loc[rows["kind"] != REPORTED, "dataset"])
    tables = []
    for (dataset, protocol, mode, split, supervision), members in rows.groupby(
            ["dataset", "protocol", "mode", "split", "supervision"], sort=False):
        table_cells = cells[cells.index.get_level_values("board").isin(members.index)].copy()
        ordered = _order(members, table_cells, protocol)
        _mark_best(table_cells)
        tables.append(BoardTable(dataset, protocol, mode, split, ordered, table_cells,
                                 _panels_for(ordered, table_cells), reference_only=dataset not in run_datasets,
                                 supervision=supervision))
    tables.sort(key=_table_sort_key)
    return tables


def _reported_links(rows: pd.DataFrame) -> pd.Series:
    """Per run row: the reported rows of its head's paper in the same mode (any mode when it has none)."""
    reported = rows[(rows["kind"] == REPORTED) & (rows["head"] != "") & (rows["row_anchor"] != "")]
    links = []
    for row in rows.itertuples():
        if row.kind == REPORTED or not row.head:
            links.append([])
            continue
        fits = [head == row.head and row_fits_setting(head, model, row.setting)
                for head, model in zip(reported["head"], reported["model"])]
        same_head = reported[pd.Series(fits, index=reported.index, dtype=bool)]
        chosen = same_head[same_head["mode"] == row.mode]
        chosen = chosen if not chosen.empty else same_head
        links.append([ReportedLink(r.row_anchor, r.source_short, r.model,
                                   f"reported: {r.model} ({MODE_LABELS.get(r.mode, r.mode)}), {r.source_detail}")
                      for r in chosen.itertuples()])
    return pd.Series(links, index=rows.index, dtype=object)


def _order(members: pd.DataFrame, cells: pd.DataFrame, protocol: str) -> pd.DataFrame:
    headline = ("score_wtd", "oi/R@50", "R@50") if protocol == "oi" else ("R@50", "mR@50")
    # Values outside [0, 100] % never rank a row, here either.
    ranked_means = cells["mean"].where(~cells["out_of_range"].astype(bool))
    means = ranked_means.unstack("metric") if not cells.empty else pd.DataFrame(index=members.index)
    ranked = members.assign(_kind=(members["kind"] == REPORTED).astype(int),
                            _kind_order=members["kind"].map({"user": 0, "reference": 1}).fillna(2),
                            _position=range(len(members)))
    sort_by, ascending = ["_kind"], [True]
    for key in headline:
        column = means[key].reindex(members.index) if key in means else pd.Series(float("nan"), index=members.index)
        # Reported rows keep source order: their headline values do not sort them.
        ranked[f"_{key}"] = column.where(ranked["_kind"] == 0)
        sort_by.append(f"_{key}")
        ascending.append(False)
    sort_by += ["model", "setting", "_kind_order", "_position"]
    ascending += [True, True, True, True]
    ranked.loc[ranked["_kind"] == 1, ["model", "setting"]] = ""  # reported rows: source order only
    order = ranked.sort_values(sort_by, ascending=ascending, na_position="last", kind="stable").index
    return members.loc[order]


def _mark_best(cells: pd.DataFrame) -> None:
    """Add ``best`` and ``noise`` columns in place (rule in the module docstring)."""
    if cells.empty:
        cells["best"] = cells["noise"] = pd.Series(dtype=bool)
        return
    ranked = ~cells["out_of_range"].astype(bool)
    metric = cells.index.get_level_values("metric")
    shown = cells["mean"].round(2).where(ranked)
    leader = ranked & (shown == shown.groupby(metric).transform("max"))
    low, high = interval(cells)
    leader_low = low.where(leader).groupby(metric).transform("min")
    others_high = high.where(ranked & ~leader).groupby(metric).transform("max")
    contested = (others_high >= leader_low).fillna(False).astype(bool)  # NaN: no other row
    cells["best"] = leader & ~contested
    cells["noise"] = leader & contested


def _panels_for(rows: pd.DataFrame, cells: pd.DataFrame) -> list[Panel]:
    """Panels holding only the columns some row has; one panel when they all fit side by side."""
    present_keys = set(cells.index.get_level_values("metric"))
    present = [(name, title, [c for c in columns if c.key in present_keys]) for name, title, columns in PANELS]
    present = [(name, title, columns) for name, title, columns in present if columns]
    if sum(len(columns) for _, _, columns in present) <= MAX_COLUMNS:
        present = [("all", "", [c for _, _, columns in present for c in columns])] if present else []
    keys_of_row = cells.reset_index().groupby("board")["metric"].agg(set)
    panels = []
    for name, title, columns in present:
        wanted = {c.key for c in columns}
        members = [board for board in rows.index if wanted & keys_of_row.get(board, set())]
        panels.append(Panel(name, title, columns, members))
    return panels


def _table_sort_key(table: BoardTable):
    def rank(value: str, order: Sequence[str]) -> tuple[int, str]:
        return (order.index(value), "") if value in order else (len(order), value)
    return (table.reference_only, rank(table.dataset, _DATASET_ORDER), table.protocol,
            rank(table.mode, _MODE_ORDER), table.split != "test", table.split,
            rank(table.supervision, ("", "full", "weak", "language")))
