"""Published ("reported") numbers shipped with the package, as leaderboard rows.

The data file ``published.json`` is a transcription of the reference repositories' own tables
(see ``docs/LEADERBOARD.md``). Values are decimal strings in percent, exactly as published, so
the page shows "5.30" where the source says 5.30.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sgg_bench.errors import DataFormatError
from sgg_bench.leaderboard.rows import BoardRow

PUBLISHED_PATH = Path(__file__).with_name("published.json")
_FORMAT = "sgg-bench/published"


def load_published(path: str | os.PathLike = PUBLISHED_PATH) -> tuple[list[BoardRow], list[dict[str, Any]]]:
    """Read the published tables.

    Returns ``(rows, sources)``: one ``BoardRow`` per model x mode of each block, and per block a
    dict ``{anchor, repo, file, sections, setting, notes, dataset, protocol}`` for the page's
    "Sources" section. Raises ``DataFormatError`` naming the block/row on a malformed file.
    """
    path = Path(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    if doc.get("format") != _FORMAT or doc.get("version") != 1:
        raise DataFormatError(path, "format/version", f"{_FORMAT!r} version 1",
                              f"{doc.get('format')!r} version {doc.get('version')!r}")
    rows: list[BoardRow] = []
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
            rows.append(BoardRow(anchor=anchor, model=str(row["model"]), dataset=dataset, protocol=protocol,
                                 split=split, mode=str(row["mode"]), reported=True, values=values, texts=texts,
                                 source_label=label, source_detail=detail, note=row.get("note")))
    return rows, sources
