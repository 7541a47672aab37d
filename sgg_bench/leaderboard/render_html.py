"""The leaderboard as one self-contained static HTML page (inline CSS, JS and SVG; no network).

Every piece of text that comes from a record, a config or the published data goes through
``html.escape``. Best marks, links and charts are plain HTML, so the page works with JavaScript
off; the small inline script only adds click-to-sort on column headers.
"""
from __future__ import annotations

import datetime as _dt
import json
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from sgg_bench.leaderboard.charts import pick_k, predicate_recall_svg
from sgg_bench.leaderboard.rows import BoardRow
from sgg_bench.leaderboard.tables import BoardTable, Panel, dataset_label, MODE_LABELS, PROTOCOL_LABELS

_TEMPLATES = Path(__file__).with_name("templates")
_MODEL_WIDTH = 236   # px; with 15 number columns the widest table is 1166 px (fits 1280 px screens)
_NUMBER_WIDTH = 62

# Provenance fields in display order: (key, label).
_PROVENANCE_FIELDS = (
    ("git_commit", "Git commit"), ("seed", "Seed"), ("date", "Evaluated"),
    ("evaluator_version", "Evaluator version"), ("checkpoint_sha256", "Checkpoint sha256"),
    ("predictions_sha256", "Predictions sha256"), ("dataset_fingerprint", "Dataset fingerprint"),
    ("device", "Device"), ("train_seconds", "Train time"), ("eval_seconds", "Eval time"), ("versions", "Versions"))


def render_page(tables: Sequence[BoardTable], sources: Sequence[Mapping[str, Any]], *,
                problems: Sequence[str] = (), generated: str | None = None) -> str:
    """The whole page as a string. ``sources`` are the published blocks (see ``published.py``)."""
    generated = generated or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run_rows = _unique_runs(tables)
    used_sources = {row.anchor for table in tables for row in table.rows if row.reported}
    n_reported = sum(1 for table in tables for row in table.rows if row.reported)
    css = (_TEMPLATES / "page.css").read_text(encoding="utf-8")
    script = (_TEMPLATES / "sort.js").read_text(encoding="utf-8")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>sgg-bench leaderboard</title>", f"<style>{css}</style>", "</head>", "<body>",
           '<header class="top" id="top"><h1>sgg-bench leaderboard</h1>',
           f'<p class="meta">Generated {escape(generated)} · {sum(1 for r in run_rows if not r.reported)} run(s) '
           f"· {n_reported} reported row(s) · all values in %</p>",
           '<p class="legend"><span class="best-demo">65.18 ★</span> best in its column (reported rows included)'
           '<span class="sep">·</span><span class="badge">reported</span> copied from the named source, not run '
           'here<span class="sep">·</span>click a header to sort; names link to provenance</p>',
           "<noscript><p class=\"meta\">JavaScript is off: click-to-sort is unavailable; "
           "everything else works.</p></noscript></header>"]
    if problems:
        out.append('<section class="problems" id="problems"><h2>Skipped result files</h2><ul>')
        out.extend(f"<li>{escape(p)}</li>" for p in problems)
        out.append("</ul></section>")
    out.append(_toc(tables))
    out.append("<main>")
    if not tables:
        out.append('<p class="empty">No results yet: run <code>sgg-bench eval --all</code>.</p>')
    reference_started = False
    for table in tables:
        if table.reference_only and not reference_started:
            reference_started = True
            out.append('<h2 class="part" id="reference-only">Reference numbers without project runs</h2>')
        out.append(_table_section(table))
    if run_rows:
        out.append('<h2 class="part" id="runs">Runs: provenance and per-predicate recall</h2>')
        out.extend(_provenance_block(row) for row in run_rows)
    shown_sources = [s for s in sources if s["anchor"] in used_sources]
    if shown_sources:
        out.append('<h2 class="part" id="sources">Sources of reported numbers</h2>')
        out.extend(_source_block(s) for s in shown_sources)
    out.append("</main>")
    out.append(f"<script>{script}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _unique_runs(tables: Iterable[BoardTable]) -> list[BoardRow]:
    seen: dict[str, BoardRow] = {}
    for table in tables:
        for row in table.rows:
            # Project runs, and reported rows that came as records in the results folder.
            if row.record is not None and row.anchor not in seen:
                seen[row.anchor] = row
    return list(seen.values())


def _toc(tables: Sequence[BoardTable]) -> str:
    """One line per dataset x protocol x split, with a link per mode and its row counts."""
    if not tables:
        return ""
    lines: dict[tuple[str, str, str], list[str]] = {}
    for table in tables:
        n_runs = sum(1 for r in table.rows if not r.reported)
        n_rep = len(table.rows) - n_runs
        counts = ", ".join(part for part in (f"{n_runs} run{'s' if n_runs != 1 else ''}" if n_runs else "",
                                             f"{n_rep} reported" if n_rep else "") if part)
        link = (f'<a href="#{escape(table.anchor)}">{escape(MODE_LABELS.get(table.mode, table.mode))}</a>'
                f' <span class="dim">({escape(counts)})</span>')
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
    for panel in table.panels:
        if panel.title:
            hidden = len(table.rows) - len(panel.rows)
            note = f' <span class="hidden-rows">{hidden} row(s) without these metrics not shown</span>' if hidden else ""
            out.append(f'<h3 class="panel-title">{escape(panel.title)}{note}</h3>')
        out.append('<div class="tablewrap">')
        out.append(_panel_table(table, panel))
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _panel_table(table: BoardTable, panel: Panel) -> str:
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
    for row in panel.rows:
        out.append(_row(table, panel, row))
    out.append("</tbody></table>")
    return "".join(out)


def _row(table: BoardTable, panel: Panel, row: BoardRow) -> str:
    kind = "reported" if row.reported else "run"
    cells = [f'<tr class="{kind}">', f'<th scope="row" class="model" data-value="{escape(row.model.lower())}">']
    if row.reported:
        cells.append('<span class="badge">reported</span> ')
        cells.append(f'<a class="name" href="#{escape(row.anchor)}">{escape(row.model)}</a>')
        cells.append(f'<span class="src" title="{escape(row.source_detail or "")}">'
                     f'{escape(row.source_label or "")}</span>')
        if row.note:
            cells.append(f'<span class="note">⚑ {escape(row.note)}</span>')
    else:
        cells.append(f'<a class="name" href="#{escape(row.anchor)}" title="provenance">{escape(row.model)}</a>')
        cells.append(f'<span class="src">{escape(row.run_id or "")}</span>')
    cells.append("</th>")
    for column in panel.columns:
        if column.key not in row.values:
            cells.append(f'<td class="num na" data-key="{escape(column.key)}" data-value="" '
                         'title="not available">–</td>')
            continue
        value = row.values[column.key]
        text = escape(row.texts.get(column.key, f"{value:.2f}"))
        if table.is_best(row, column.key):
            cells.append(f'<td class="num best" data-key="{escape(column.key)}" data-value="{value!r}" '
                         f'title="best in column"><strong>{text}</strong><span class="star" '
                         'aria-label="best">★</span></td>')
        else:
            cells.append(f'<td class="num" data-key="{escape(column.key)}" data-value="{value!r}">{text}</td>')
    cells.append("</tr>")
    return "".join(cells)


def _provenance_block(row: BoardRow) -> str:
    record = row.record or {}
    provenance = record.get("provenance") if isinstance(record.get("provenance"), Mapping) else {}
    badge = '<span class="badge">reported</span> ' if row.reported else ""
    out = [f'<article class="prov" id="{escape(row.anchor)}">',
           f'<h3>{badge}{escape(row.model)} <code>{escape(row.run_id or "")}</code></h3>',
           '<div class="prov-grid"><div class="prov-facts"><dl>',
           _fact("Dataset", f"{dataset_label(row.dataset)} ({row.dataset}), {row.split} split"),
           _fact("Mode / protocol", f"{MODE_LABELS.get(row.mode, row.mode)} / "
                                    f"{PROTOCOL_LABELS.get(row.protocol, row.protocol)}")]
    if row.reported:
        out.append(_fact("Source", row.source_detail or "not given"))
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
           f'<h3><span class="badge">reported</span> {escape(source["repo"])} · '
           f'<code>{escape(source["file"])}</code> {escape(source.get("sections", ""))}</h3>',
           f'<p>{escape(source.get("setting", ""))} — shown in the '
           f'{escape(dataset_label(source["dataset"]))} / {escape(PROTOCOL_LABELS.get(source["protocol"], source["protocol"]))} '
           "tables. Transcribed from the project's <code>spec/PUBLISHED.md</code>; produced by other code, "
           "detectors and evaluators.</p>"]
    notes = source.get("notes") or []
    if notes:
        out.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    out.append("</article>")
    return "".join(out)
