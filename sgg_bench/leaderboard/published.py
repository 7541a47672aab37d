"""Published ("reported") numbers shipped with the package, as leaderboard rows.

The data file ``published.json`` is a transcription of the reference repositories' own tables
(see ``docs/LEADERBOARD.md``). Values are decimal strings in percent, exactly as published, so
the page shows "5.30" where the source says 5.30.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Mapping

from sgg_bench.errors import DataFormatError
from sgg_bench.leaderboard.load import run_anchor

PUBLISHED_PATH = Path(__file__).with_name("published.json")
_FORMAT = "sgg-bench/published"

# Our relation heads (registry names) -> the names their papers' rows carry in the sources.
# "Unbiased" (PySGG) is the TDE paper's model, which our ``causal`` head implements.
HEAD_ROW_NAMES: dict[str, tuple[str, ...]] = {
    "imp": ("IMP", "IMP, bias", "IMP, no bias"),
    "motifs": ("MOTIFS", "Neural Motif, bias", "Neural Motif, no bias", "Motifs", "Motifs∗", "SGNLS + MotifNet"),
    "transformer": ("Transformer",),
    "vctree": ("VCTree",),
    "causal": tuple(f"MOTIFS-{mode}-{effect}" for mode in ("PredCls", "SGCls", "SGDet") for effect in ("TDE", "none"))
              + ("Unbiased",),
    "msdn": ("MSDN", "MSDN, bias", "MSDN, no bias"),
    "grcnn": ("GRCNN, bias", "GRCNN, no bias", "G-RCNN"),
    "reldn": ("RelDN", "RelDN*"),
    "bgnn": ("BGNN",),
    "sgnls": ("SGNLS",),
    "gpsnet": ("GPS-Net", "GPS-Net*"),
}
_HEAD_OF_ROW = {name: head for head, names in HEAD_ROW_NAMES.items() for name in names}


@dataclasses.dataclass(frozen=True)
class ReportedRow:
    """One published row: a model x mode of a source table, values in percent."""

    model: str
    mode: str
    dataset: str
    protocol: str
    split: str
    values: Mapping[str, float]  # metric -> percent
    texts: Mapping[str, str]     # metric -> the text exactly as published ("5.30")
    anchor: str                  # HTML id of the source block
    row_anchor: str              # HTML id of the row itself (our runs of the same head link here)
    source_label: str            # short: "KT · METRICS.md §1.1–§1.5"
    source_short: str            # shortest: "KT §1.1–§1.5" (links from our rows)
    source_detail: str           # full: "owner/repo · METRICS.md §1.1–§1.5"
    note: str | None = None      # caveat shown under the model name
    head: str | None = None      # our head of the same model (``HEAD_ROW_NAMES``)
    supervision: str = ""        # SGNLS's rows: language | weak | full (their own tables)
    vocabulary: str = ""         # with supervision: closed | open
    reported = True


def row_fits_setting(head: str, reported_model: str, setting: str) -> bool:
    """Whether a reported row belongs to a run of this setting. KT's TDE rows name their context
    and effect ("MOTIFS-PredCls-TDE"), so a ``causal`` run links only to the rows of its own
    context and effect (setting "motifs TDE"); a vctree-context run has no such row. Rows that
    name neither (PySGG's "Unbiased") fit every setting."""
    parts, words = reported_model.split("-"), setting.split()
    if head != "causal" or len(parts) != 3 or len(words) < 2:
        return True
    return parts[0].lower() == words[0] and parts[2] == words[1]


def head_of(reported_model: str) -> str | None:
    """The head whose paper a published row belongs to (None: no head of ours)."""
    return _HEAD_OF_ROW.get(reported_model)


def load_published(path: str | os.PathLike = PUBLISHED_PATH) -> tuple[list[ReportedRow], list[dict[str, Any]]]:
    """Read the published tables.

    Returns ``(rows, sources)``: one ``ReportedRow`` per model x mode of each block, and per block a
    dict ``{anchor, repo, file, sections, setting, notes, dataset, protocol}`` for the page's
    "Sources" section. Raises ``DataFormatError`` naming the block/row on a malformed file.
    """
    path = Path(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("format") != _FORMAT or doc.get("version") != 1:
        raise DataFormatError(path, "format/version", f"{_FORMAT!r} version 1",
                              f"{doc.get('format')!r} version {doc.get('version')!r}")
    rows: list[ReportedRow] = []
    sources: list[dict[str, Any]] = []
    for b_index, block in enumerate(doc.get("blocks", [])):
        where = f"blocks[{b_index}]"
        try:
            block_id, source = block["id"], block["source"]
            dataset, protocol, split = block["dataset"], block["protocol"], block["split"]
        except KeyError as exc:
            raise DataFormatError(path, f"{where}.{exc.args[0]}", "a value") from None
        anchor = f"src-{block_id}"
        where_in_file = f"{source['file']} {source.get('sections', '')}".strip()
        label = f"{source.get('short') or source['repo']} · {where_in_file}"
        short = f"{source.get('short') or source['repo']} {source.get('sections', '')}".strip()
        detail = f"{source['repo']} · {where_in_file}"
        sources.append(dict(anchor=anchor, repo=source["repo"], file=source["file"],
                            sections=source.get("sections", ""), setting=block.get("setting", ""),
                            notes=list(block.get("notes", [])), dataset=dataset, protocol=protocol, label=detail))
        for r_index, row in enumerate(block.get("rows", [])):
            values, texts = {}, {}
            for key, text in row.get("metrics", {}).items():
                try:
                    values[key] = float(text)
                except (TypeError, ValueError):
                    raise DataFormatError(path, f"{where}.rows[{r_index}].metrics.{key}",
                                          "a decimal string", repr(text)) from None
                texts[key] = str(text)
            model, mode = str(row["model"]), str(row["mode"])
            rows.append(ReportedRow(model=model, mode=mode, dataset=dataset, protocol=protocol, split=split,
                                    values=values, texts=texts, anchor=anchor,
                                    row_anchor=run_anchor(f"{block_id}-{model}-{mode}", prefix="rep"),
                                    source_label=label, source_short=short, source_detail=detail,
                                    note=row.get("note"),
                                    head=head_of(model), supervision=str(row.get("supervision", "")),
                                    vocabulary=str(row.get("vocabulary", "closed" if row.get("supervision") else ""))))
    return rows, sources
