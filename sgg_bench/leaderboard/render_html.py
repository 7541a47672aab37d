"""The leaderboard as one self-contained static HTML page (inline CSS, JS and SVG; no network).

Rendered from the table frames (``tables.py``), the same ones the Markdown and CSV exports use.
Every piece of text that comes from a record, a config or the published data goes through
``html.escape``. Best marks, links and charts are plain HTML, so the page works with JavaScript
off; the small inline script only adds click-to-sort on column headers.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from sgg_bench.leaderboard.charts import pick_k, predicate_recall_svg
from sgg_bench.leaderboard.load import USER, Entry
from sgg_bench.leaderboard.tables import (MODE_LABELS, PROTOCOL_LABELS, BoardTable, Cell, Panel, ReportedLink,
                                          dataset_label)

_TEMPLATES = Path(__file__).with_name("templates")
_MODEL_WIDTH = 236   # px; with 15 number columns the widest table is 1166 px (fits 1280 px screens)
_NUMBER_WIDTH = 62
BADGES = {"user": ("yours", "your run (leaderboard/results)"),
          "reference": ("reference", "shipped reference run (leaderboard/reference)"),
          "reported": ("reported", "copied from the named source, not run here")}

# Provenance fields in display order: (key, label).
_PROVENANCE_FIELDS = (
    ("git_commit", "Git commit"), ("seed", "Seed"), ("date", "Evaluated"),
    ("evaluator_version", "Evaluator version"), ("checkpoint_sha256", "Checkpoint sha256"),
    ("predictions_sha256", "Predictions sha256"), ("dataset_fingerprint", "Dataset fingerprint"),
    ("device", "Device"), ("train_seconds", "Train time"), ("eval_seconds", "Eval time"), ("versions", "Versions"))


def render_page(tables: Sequence[BoardTable], sources: Sequence[Mapping[str, Any]], *,
                problems: Sequence[str] = (), notices: Sequence[str] = (), generated: str | None = None) -> str:
    """The whole page as a string. ``sources`` are the published blocks (see ``published.py``);
    ``problems`` the skipped files, ``notices`` duplicates, unaveraged rows, out-of-range values."""
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    entries = _unique_entries(tables)
    used_sources = {row.anchors[0] for table in tables for row in table.rows.itertuples() if row.kind == "reported"}
    counts = {kind: sum(table.count(kind) for table in tables) for kind in BADGES}
    css = (_TEMPLATES / "page.css").read_text(encoding="utf-8")
    script = (_TEMPLATES / "sort.js").read_text(encoding="utf-8")
    n_user = sum(1 for e in entries if e.origin == USER)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>sgg-bench leaderboard</title>", f"<style>{css}</style>", "</head>", "<body>",
           '<header class="top" id="top"><h1>sgg-bench leaderboard</h1>',
           f'<p class="meta">Generated {escape(generated)} · {n_user} record(s) of yours '
           f"· {len(entries) - n_user} shipped reference record(s) · {counts['reported']} reported row(s) "
           "· all values in %</p>",
           '<p class="legend">' + "".join(f'<span class="badge {kind}">{label}</span> {escape(text)}'
                                          '<span class="sep">·</span>' for kind, (label, text) in BADGES.items())
           + '<span class="best-demo">65.18 ★</span> best in its column (reported rows included)</p>',
           '<p class="legend"><span class="key">± 0.42</span> sample sd over the seeds (n shown beside the model)'
           '<span class="sep">·</span><span class="tie-demo">64.9–65.3</span> range over tie-breaking orders'
           '<span class="sep">·</span><span class="key">≈</span> leads, but within the noise (mean ± sd or tie range) of another row: '
           'not ranked<span class="sep">·</span><span class="key">⚠</span> outside [0, 100] %: never ranked'
           '<span class="sep">·</span>click a header to sort; names link to provenance</p>',
           "<noscript><p class=\"meta\">JavaScript is off: click-to-sort is unavailable; "
           "everything else works.</p></noscript></header>"]
    if problems:
        out.append('<section class="problems" id="problems"><h2>Skipped result files</h2><ul>')
        out.extend(f"<li>{escape(p)}</li>" for p in problems)
        out.append("</ul></section>")
    if notices:
        out.append('<section class="notices" id="notices"><h2>Notices</h2><ul>')
        out.extend(f"<li>{escape(n)}</li>" for n in notices)
        out.append("</ul></section>")
    out.append(_toc(tables))
    out.append("<main>")
    if not tables:
        out.append('<p class="empty">No results yet: run <code>sgg-bench eval --all</code>.</p>')
    reference_started = False
    for table in tables:
        if table.reference_only and not reference_started:
            reference_started = True
            out.append('<h2 class="part" id="reference-only">Reported numbers without runs of ours</h2>')
        out.append(_table_section(table))
    if entries:
        out.append('<h2 class="part" id="runs">Runs: provenance and per-predicate recall</h2>')
        out.extend(_provenance_block(entry) for entry in entries)
    shown_sources = [s for s in sources if s["anchor"] in used_sources]
    if shown_sources:
        out.append('<h2 class="part" id="sources">Sources of reported numbers</h2>')
        out.extend(_source_block(s) for s in shown_sources)
    out.append("</main>")
    out.append(f"<script>{script}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _unique_entries(tables: Iterable[BoardTable]) -> list[Entry]:
    """Every record file shown (runs, and reported rows that came as records), once."""
    seen: dict[str, Entry] = {}
    for table in tables:
        for entries in table.rows["entries"]:
            for entry in entries:
                if entry is not None:
                    seen.setdefault(entry.anchor, entry)
    return list(seen.values())


def _toc(tables: Sequence[BoardTable]) -> str:
    """One line per dataset x protocol x split, with a link per mode and its row counts."""
    if not tables:
        return ""
    lines: dict[tuple[str, str, str], list[str]] = {}
    for table in tables:
        parts = [f"{table.count(kind)} {label}" for kind, (label, _) in BADGES.items() if table.count(kind)]
        link = (f'<a href="#{escape(table.anchor)}">{escape(MODE_LABELS.get(table.mode, table.mode))}</a>'
                f' <span class="dim">({escape(", ".join(parts))})</span>')
        lines.setdefault((table.dataset, table.protocol, table.split), []).append(link)
    rows = []
    for (dataset, protocol, split), links in lines.items():
        rows.append(f"<tr><th>{escape(dataset_label(dataset))}</th>"
                    f'<td class="dim">{escape(PROTOCOL_LABELS.get(protocol, protocol))} · {escape(split)}</td>'
                    f"<td>{' · '.join(links)}</td></tr>")
    return '<nav class="toc"><h2>Tables</h2><table>' + "".join(rows) + "</table></nav>"


def _table_section(table: BoardTable) -> str:
    out = [f'<section class="board" id="{escape(table.anchor)}">',
           f'<h2>{escape(table.title)} <span class="sub">{escape(table.subtitle)}</span></h2>']
    anchored: set[str] = set()  # a row in two panels carries its id only once
    for panel in table.panels:
        if panel.title:
            hidden = len(table.rows) - len(panel.rows)
            note = f' <span class="hidden-rows">{hidden} row(s) without these metrics not shown</span>' if hidden else ""
            out.append(f'<h3 class="panel-title">{escape(panel.title)}{note}</h3>')
        out.append('<div class="tablewrap">')
        out.append(_panel_table(table, panel, anchored))
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _panel_table(table: BoardTable, panel: Panel, anchored: set[str]) -> str:
    groups: list[tuple[str, int]] = []
    for column in panel.columns:
        if groups and groups[-1][0] == column.group:
            groups[-1] = (column.group, groups[-1][1] + 1)
        else:
            groups.append((column.group, 1))
    # Fixed column widths (model + numbers) so every panel lines up and none is stretched.
    width = _MODEL_WIDTH + _NUMBER_WIDTH * len(panel.columns)
    out = [f'<table class="lb" style="width:{width}px" data-table="{escape(table.anchor)}-{escape(panel.name)}">',
           '<colgroup><col class="c-model">' + '<col class="c-num">' * len(panel.columns) + "</colgroup>",
           "<thead><tr>",
           '<th rowspan="2" scope="col" class="model" data-key="model" data-type="text">Model</th>']
    out.extend(f'<th colspan="{span}" scope="colgroup" class="grp">{escape(name)}</th>' for name, span in groups)
    out.append("</tr><tr>")
    for column in panel.columns:
        out.append(f'<th scope="col" class="num" data-key="{escape(column.key)}" data-type="num" '
                   f'title="{escape(column.title)}">{escape(column.label)}</th>')
    out.append("</tr></thead><tbody>")
    rows = table.rows.loc[panel.rows]
    for board, row in zip(rows.index, rows.itertuples()):
        out.append(_row(table, panel, board, row, anchored))
    out.append("</tbody></table>")
    return "".join(out)


def _row(table: BoardTable, panel: Panel, board: str, row: Any, anchored: set[str]) -> str:
    kind = row.kind
    classes = "reported" if kind == "reported" else f"run {kind}"
    row_id = ""
    if row.row_anchor and row.row_anchor not in anchored:
        anchored.add(row.row_anchor)
        row_id = f' id="{escape(row.row_anchor)}"'
    label, why = BADGES[kind]
    sort_name = f"{row.model} {row.setting}".strip().lower()
    cells = [f'<tr class="{classes}"{row_id}>',
             f'<th scope="row" class="model" data-value="{escape(sort_name)}">',
             f'<span class="badge {kind}" title="{escape(why)}">{label}</span> ',
             f'<a class="name" href="#{escape(row.anchors[0])}" '
             f'title="{"source" if kind == "reported" else "provenance"}">{escape(row.model)}</a>']
    if row.setting:
        cells.append(f' <span class="setting">{escape(row.setting)}</span>')
    if kind == "reported":
        cells.append(f'<span class="src" title="{escape(row.source_detail or "")}">'
                     f'{escape(row.source_label or "")}</span>')
    elif row.n == 1:
        cells.append(f'<span class="src">{escape(row.run_ids[0] or "")} · seed {escape(_seed(row.seeds[0]))} · n=1</span>')
    else:
        seeds = " · ".join(f'<a href="#{escape(anchor)}" title="{escape(run_id)}">{escape(_seed(seed))}</a>'
                           for anchor, run_id, seed in zip(row.anchors, row.run_ids, row.seeds))
        cells.append(f'<span class="src">mean of n={row.n} seeds: {seeds}</span>')
    if row.note:
        cells.append(f'<span class="note">⚑ {escape(row.note)}</span>')
    if row.links:
        cells.append(f'<span class="paper">paper: {_paper_links(row.links)}</span>')
    cells.append("</th>")
    for column in panel.columns:
        cells.append(_value_cell(table.cell(board, column.key), column.key, row.n))
    cells.append("</tr>")
    return "".join(cells)


def _paper_links(links: Sequence[ReportedLink]) -> str:
    """Links to reported rows, grouped by source: "KT §1.1–§1.5 IMP · MS §2.1 IMP, no bias / IMP, bias"
    (names are separated by " / " because published names contain commas)."""
    groups: dict[str, list[str]] = {}
    for link in links:
        groups.setdefault(link.source, []).append(
            f'<a href="#{escape(link.anchor)}" title="{escape(link.title)}">{escape(link.model)}</a>')
    return " · ".join(f'{escape(source)} {" / ".join(items)}' for source, items in groups.items())


def _value_cell(cell: Cell | None, key: str, row_n: int) -> str:
    if cell is None:
        return f'<td class="num na" data-key="{escape(key)}" data-value="" title="not available">–</td>'
    classes, titles, extra = ["num"], [], []
    text = escape(cell.text)
    if cell.best:
        classes.append("best")
        titles.append("best in column")
        text = f'<strong>{text}</strong><span class="star" aria-label="best">★</span>'
    elif cell.noise:
        classes.append("noise")
        titles.append("leads the column, but within the noise of another row: not ranked")
        text += '<span class="mark" aria-label="within noise">≈</span>'
    if cell.out_of_range:
        classes.append("oor")
        titles.append("outside [0, 100] %: flagged, never ranked")
        text += '<span class="flag" aria-label="out of range">⚠</span>'
    if cell.n > 1 and not math.isnan(cell.sd):
        titles.append(f"mean of {cell.n} seeds, sample sd {cell.sd:.2f}")
        extra.append(f'<span class="sd">±{cell.sd:.2f}</span>')
    if cell.n < row_n:
        titles.append(f"only {cell.n} of the {row_n} seeds have this metric")
        extra.append(f'<span class="nk">n={cell.n}</span>')
    if cell.tie:
        classes.append("tie")
        titles.append(f"tie range {cell.low:.2f}–{cell.high:.2f}: the value over the possible orders of tied scores")
        extra.append(f'<span class="tie">{cell.low:.1f}–{cell.high:.1f}</span>')
    title = f' title="{escape("; ".join(titles))}"' if titles else ""
    return (f'<td class="{" ".join(classes)}" data-key="{escape(key)}" data-value="{cell.mean!r}"{title}>'
            f'{text}{"".join(extra)}</td>')


def _seed(seed: Any) -> str:
    return "n/a" if seed is None else str(seed)


def _provenance_block(entry: Entry) -> str:
    record = entry.record
    provenance = record.get("provenance") if isinstance(record.get("provenance"), Mapping) else {}
    kind = "reported" if record.get("reported") else entry.origin
    label, why = BADGES[kind]
    setting = record.get("setting") or ""
    out = [f'<article class="prov" id="{escape(entry.anchor)}">',
           f'<h3><span class="badge {kind}">{label}</span> {escape(record["model"])}'
           + (f' <span class="setting">{escape(setting)}</span>' if setting else "")
           + f' <code>{escape(record["run_id"])}</code></h3>',
           '<div class="prov-grid"><div class="prov-facts"><dl>',
           _fact("Record", f"{why}: {entry.path}"),
           _fact("Dataset", f"{dataset_label(record['dataset'])} ({record['dataset']}), {record['split']} split"),
           _fact("Mode / protocol", f"{MODE_LABELS.get(record['mode'], record['mode'])} / "
                                    f"{PROTOCOL_LABELS.get(record['protocol'], record['protocol'])}")]
    if setting:
        out.append(_fact("Setting", setting))
    if kind == "reported":
        out.append(_fact("Source", str(record.get("source") or "not given")))
    ties = record.get("tie_ranges") or {}
    if ties:
        out.append(_fact("Tie ranges", ", ".join(f"{key} {low * 100:.2f}–{high * 100:.2f}"
                                                 for key, (low, high) in ties.items())))
    for key, label in _PROVENANCE_FIELDS:
        if key in provenance:
            out.append(_fact(label, _format_provenance(key, provenance[key]), code=key.endswith(("sha256", "commit"))))
    for key in sorted(k for k in provenance if k not in dict(_PROVENANCE_FIELDS) and k != "config"):
        out.append(_fact(str(key), _format_provenance(key, provenance[key])))
    out.append("</dl>")
    if provenance.get("config") is not None:
        out.append("<details><summary>Resolved config</summary><pre>"
                   f"{escape(_config_text(provenance['config']))}</pre></details>")
    out.append("</div></div>")
    out.append(_chart(record))
    out.append('<p class="back"><a href="#top">↑ top</a></p></article>')
    return "".join(out)


def _chart(record: Mapping[str, Any]) -> str:
    per_predicate = record.get("per_predicate")
    if not isinstance(per_predicate, Mapping):
        return '<div class="prov-chart"><p class="dim">No per-predicate recall in this record.</p></div>'
    k = pick_k(per_predicate)
    if k is None:
        return '<div class="prov-chart"><p class="dim">No per-predicate recall in this record.</p></div>'
    caption = f"Per-predicate recall R@{k} (mR@{k} is their mean), %"
    return (f'<figure class="prov-chart"><figcaption>{escape(caption)}</figcaption>'
            f"{predicate_recall_svg(per_predicate[k], k=k, caption=caption)}</figure>")


def _fact(label: str, value: str, *, code: bool = False) -> str:
    body = f"<code>{escape(value)}</code>" if code else escape(value)
    return f"<dt>{escape(label)}</dt><dd>{body}</dd>"


def _format_provenance(key: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if key.endswith("_seconds") and isinstance(value, (int, float)):
        return f"{value:,.1f} s"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def _config_text(config: Any) -> str:
    if isinstance(config, str):
        return config
    try:
        return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    except yaml.YAMLError:
        return json.dumps(config, indent=2, default=str)


def _source_block(source: Mapping[str, Any]) -> str:
    out = [f'<article class="source" id="{escape(source["anchor"])}">',
           f'<h3><span class="badge reported">reported</span> {escape(source["repo"])} · '
           f'<code>{escape(source["file"])}</code> {escape(source.get("sections", ""))}</h3>',
           f'<p>{escape(source.get("setting", ""))} — shown in the '
           f'{escape(dataset_label(source["dataset"]))} / {escape(PROTOCOL_LABELS.get(source["protocol"], source["protocol"]))} '
           "tables. Transcribed from each source's published tables; produced by other code, "
           "detectors and evaluators.</p>"]
    notes = source.get("notes") or []
    if notes:
        out.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    out.append("</article>")
    return "".join(out)
