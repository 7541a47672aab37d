"""The HTML gallery of one ``sgg-bench predict`` output folder: per image the input, the overlay,
the graph drawing and the triplet table, with one score slider that hides triplets below it.

One self-contained file (inline CSS and script, nothing fetched) that links the pictures by
relative paths inside the output folder. Every text that comes from a file name, a class name
or a run is HTML-escaped; paths are URL-quoted.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sgg_bench.predict.graph import SceneGraph
from sgg_bench.utils.atomic import atomic_write_text


@dataclass
class GalleryEntry:
    graph: SceneGraph
    folder: str                 # the image's sub-folder, relative to the gallery


STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 16px; color: #222; }
header { position: sticky; top: 0; background: #fff; padding: 8px 0; border-bottom: 1px solid #ccc; z-index: 1; }
.card { border: 1px solid #ddd; border-radius: 6px; margin: 16px 0; padding: 12px; }
.pictures { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.pictures figure { margin: 0; max-width: 100%; }
.pictures img { max-width: 420px; max-height: 420px; border: 1px solid #eee; }
figcaption { font-size: 12px; color: #666; }
table { border-collapse: collapse; margin-top: 8px; font-size: 13px; }
th, td { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; }
td.score { text-align: right; font-variant-numeric: tabular-nums; }
tr.hidden { display: none; }
.failed { color: #a00; }
"""

SCRIPT = """
(function () {
  var slider = document.getElementById('min-score');
  var shown = document.getElementById('min-score-value');
  function apply() {
    // half a step of slack: the browser rounds the slider's value to its step
    var threshold = parseFloat(slider.value) - parseFloat(slider.step) / 2;
    shown.textContent = parseFloat(slider.value).toPrecision(3);
    document.querySelectorAll('.card').forEach(function (card) {
      var visible = 0;
      card.querySelectorAll('tr[data-score]').forEach(function (row) {
        var keep = parseFloat(row.getAttribute('data-score')) >= threshold;
        row.classList.toggle('hidden', !keep);
        if (keep) { visible += 1; }
      });
      var count = card.querySelector('.count');
      if (count) { count.textContent = String(visible); }
    });
  }
  slider.addEventListener('input', apply);
  apply();
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _src(folder: str, name: str) -> str:
    return _e(quote(f"{folder}/{name}"))


def _card(entry: GalleryEntry) -> str:
    graph, folder = entry.graph, entry.folder
    rows = []
    for rel in graph.relations:
        rows.append(f'<tr data-score="{rel.score!r}"><td>{rel.rank}</td><td>{_e(graph.object_name(rel.subject))}</td>'
                    f'<td>{_e(rel.predicate)}</td><td>{_e(graph.object_name(rel.object))}</td>'
                    f'<td class="score">{rel.score:.3g}</td></tr>')
    image = graph.image
    pictures = "".join(
        f'<figure><img src="{_src(folder, name)}" alt="{_e(caption)} of {_e(image["file"])}">'
        f'<figcaption>{_e(caption)}</figcaption></figure>'
        for name, caption in (("image.jpg", "input"), ("overlay.png", "overlay"), ("graph.svg", "scene graph")))
    links = " · ".join(f'<a href="{_src(folder, name)}">{_e(name)}</a>'
                       for name in ("graph.json", "graph.png", "graph.svg", "overlay.png"))
    return (f'<section class="card" id="{_e(folder)}"><h2>{_e(image["file"])}</h2>'
            f'<p>{image["width"]}×{image["height"]} px, image id {image["image_id"]}, {len(graph.objects)} objects; '
            f'<span class="count">{len(rows)}</span> of {len(rows)} triplets shown. {links}</p>'
            f'<div class="pictures">{pictures}</div>'
            f'<table><thead><tr><th>rank</th><th>subject</th><th>predicate</th><th>object</th><th>score</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></section>')


def render_gallery(entries: list[GalleryEntry], *, title: str, model: dict, failures: list[tuple[str, str]]) -> str:
    failed = ""
    if failures:
        items = "".join(f"<li>{_e(reason)}</li>" for _, reason in failures)   # the reason names the file
        failed = f'<section class="failed"><h2>{len(failures)} file(s) not read</h2><ul>{items}</ul></section>'
    about = ", ".join(f"{_e(k)} {_e(v)}" for k, v in model.items())
    # triplet scores are products of three probabilities, often far below 1 and close together:
    # the slider spans the lowest .. the highest score shown, in 200 steps
    scores = [r.score for entry in entries for r in entry.graph.relations]
    low, top = (min(scores), max(scores)) if scores else (0.0, 1.0)
    step = (top - low) / 200 or 1.0
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{_e(title)}</h1><p>{about}; {len(entries)} image(s).</p>"
            '<label for="min-score">minimum triplet score </label>'
            f'<input type="range" id="min-score" min="{low!r}" max="{top!r}" step="{step!r}" value="{low!r}">'
            ' <output id="min-score-value"></output></header>'
            f"{failed}{''.join(_card(entry) for entry in entries)}"
            f"<script>{SCRIPT}</script></body></html>\n")


def write_gallery(path: str | os.PathLike, entries: list[GalleryEntry], *, title: str, model: dict,
                  failures: list[tuple[str, str]]) -> Path:
    path = Path(path)
    atomic_write_text(path, render_gallery(entries, title=title, model=model, failures=failures))
    return path
