"""Result records and published rows -> two pandas frames; the seeds of one configuration averaged.

``rows``  one line per leaderboard row (index: board id): kind (``user`` | ``reference`` |
          ``reported``), dataset, protocol, mode, split, model, setting, supervision and vocabulary
          (grounded runs and SGNLS's reported rows; "" otherwise), n (records averaged),
          run_ids / seeds / anchors / entries (lists, one item per record), row_anchor,
          source_label, source_detail, note, head.
``cells`` one line per (board id, metric), values in percent: mean, sd (sample sd, NaN when
          n < 2), n, low / high (tie range of the mean; equal to the mean without ties), tie
          (any record had a tie range), out_of_range (a record's value outside [0, 1], i.e.
          [0, 100] %), text (the number shown: reported rows exactly as published).

Records of the same kind, dataset, split, protocol, mode, model and setting that differ in
``provenance.seed`` form one row. When two of them share a seed or a run_id (or one has no
seed) they cannot be told apart as seeds: each keeps its own row and a notice says why.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from sgg_bench.leaderboard.load import Entry
from sgg_bench.leaderboard.published import ReportedRow

USER, REFERENCE, REPORTED = "user", "reference", "reported"
GROUP_KEYS = ["kind", "dataset", "split", "protocol", "mode", "model", "setting", "supervision", "vocabulary"]
_ROW_FIELDS = ["kind", "dataset", "protocol", "mode", "split", "model", "setting", "supervision", "vocabulary",
               "row_anchor",
               "source_label", "source_short", "source_detail", "note", "head"]


@dataclasses.dataclass
class BoardFrames:
    rows: pd.DataFrame
    cells: pd.DataFrame
    notices: list[str]  # rows not averaged, values outside [0, 1]


def board_frames(entries: Sequence[Entry], reported: Sequence[ReportedRow] = ()) -> BoardFrames:
    """Average seeds and describe every row and cell (see the module docstring)."""
    items, values, notices = _item_frames(entries, reported)
    if items.empty:
        return BoardFrames(_empty_rows(), _empty_cells(), notices)
    items["board"] = _board_ids(items, notices)
    grouped = items.groupby("board", sort=False)
    rows = grouped[_ROW_FIELDS].first()
    lists = grouped.agg(run_ids=("run_id", list), seeds=("seed", list), anchors=("anchor", list),
                        entries=("entry", list))
    rows = rows.join(lists)
    rows["n"] = grouped.size()
    cells = _cells(values.merge(items[["item", "board"]], on="item"))
    return BoardFrames(rows, cells, notices)


def _item_frames(entries: Sequence[Entry], reported: Sequence[ReportedRow]):
    """One line per record or published row (``items``) and one per (item, metric) (``values``)."""
    items: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    notices: list[str] = []
    for entry in entries:
        record = entry.record
        is_reported = bool(record.get("reported", False))
        provenance = record.get("provenance") or {}
        source = str(record.get("source") or "") if is_reported else ""
        item = len(items)
        items.append(dict(item=item, kind=REPORTED if is_reported else entry.origin, dataset=record["dataset"],
                          protocol=record["protocol"], mode=record["mode"], split=record["split"],
                          model=record["model"], setting=record.get("setting", ""),
                          supervision=record.get("supervision", ""),
                          vocabulary=record.get("vocabulary", "") if record.get("supervision") else "",
                          run_id=record["run_id"],
                          seed=provenance.get("seed"), anchor=entry.anchor, row_anchor="", source_label=source, source_short=source,
                          source_detail=source, note="", head="" if is_reported else record["model"].lower(),
                          entry=entry))
        ties = record.get("tie_ranges") or {}
        for key, value in record["metrics"].items():
            if value is None:
                continue
            fraction = float(value)
            outside = not 0.0 <= fraction <= 1.0
            if outside:
                notices.append(f"{entry.path}: metrics/{key} = {fraction!r} is outside [0, 1]; "
                               "shown flagged ⚠, never marked best")
            low, high = ties.get(key, (math.nan, math.nan))
            values.append(dict(item=item, metric=key, value=fraction * 100.0, text=None,
                               low=float(low) * 100.0, high=float(high) * 100.0, out_of_range=outside))
    for row in reported:
        item = len(items)
        items.append(dict(item=item, kind=REPORTED, dataset=row.dataset, protocol=row.protocol, mode=row.mode,
                          split=row.split, model=row.model, setting="", supervision=row.supervision,
                          vocabulary=row.vocabulary, run_id="", seed=None, anchor=row.anchor,
                          row_anchor=row.row_anchor, source_label=row.source_label, source_short=row.source_short,
                          source_detail=row.source_detail, note=row.note or "", head=row.head or "", entry=None))
        for key, percent in row.values.items():
            values.append(dict(item=item, metric=key, value=float(percent), text=row.texts[key], low=math.nan,
                               high=math.nan, out_of_range=not 0.0 <= percent <= 100.0))
    frame = pd.DataFrame(items, columns=["item", "kind", "dataset", "protocol", "mode", "split", "model",
                                         "setting", "supervision", "vocabulary", "run_id", "seed", "anchor", "row_anchor", "source_label",
                                         "source_short",
                                         "source_detail", "note", "head", "entry"])
    frame["seed"] = pd.Series([i["seed"] for i in items], dtype=object)  # keep ints exact, None as None
    long = pd.DataFrame(values, columns=["item", "metric", "value", "text", "low", "high", "out_of_range"])
    return frame, long, notices


def _board_ids(items: pd.DataFrame, notices: list[str]) -> pd.Series:
    """Board id per item: shared by the seeds of one configuration, own id otherwise."""
    ids = pd.Series([f"i{item}" for item in items["item"]], index=items.index, dtype=object)
    runs = items[items["kind"] != REPORTED]
    for key, group in runs.groupby(GROUP_KEYS, sort=False):
        if len(group) == 1:
            continue
        seeds, run_ids = list(group["seed"]), list(group["run_id"])
        if any(seed is None for seed in seeds) or len(set(seeds)) < len(seeds) or len(set(run_ids)) < len(run_ids):
            files = ", ".join(str(entry.path) for entry in group["entry"])
            why = "a run_id repeats" if len(set(run_ids)) < len(run_ids) else f"seeds {seeds} are not distinct"
            notices.append(f"not averaged ({files}): same {'/'.join(str(k) for k in key[1:] if k)} "
                           f"but {why}; each is shown as its own row")
            continue
        ids[group.index] = f"g{group.index[0]}"
    return ids


def _cells(values: pd.DataFrame) -> pd.DataFrame:
    if values.empty:
        return _empty_cells()
    values = values.assign(tie=values["low"].notna(), low=values["low"].fillna(values["value"]),
                           high=values["high"].fillna(values["value"]))
    cells = values.groupby(["board", "metric"], sort=False).agg(
        mean=("value", "mean"), sd=("value", "std"), n=("value", "count"), low=("low", "mean"),
        high=("high", "mean"), tie=("tie", "any"), out_of_range=("out_of_range", "any"),
        text=("text", "first"))
    ours = cells["text"].isna()
    cells.loc[ours, "text"] = cells.loc[ours, "mean"].map(lambda v: f"{v:.2f}")
    return cells


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=_ROW_FIELDS + ["run_ids", "seeds", "anchors", "entries", "n"])


def _empty_cells() -> pd.DataFrame:
    index = pd.MultiIndex.from_arrays([[], []], names=["board", "metric"])
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in
                         (("mean", float), ("sd", float), ("n", int), ("low", float), ("high", float),
                          ("tie", bool), ("out_of_range", bool), ("text", object))}, index=index)


def interval(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The noise interval of each cell: mean ± sd, widened to its tie range."""
    spread = cells["sd"].fillna(0.0)
    return (np.minimum(cells["mean"] - spread, cells["low"]), np.maximum(cells["mean"] + spread, cells["high"]))
