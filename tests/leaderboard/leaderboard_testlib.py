"""Hand-made result records and a tiny DOM for the leaderboard tests (a uniquely named helper
module rather than conftest.py, so it never collides with another test folder's helpers)."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

VOID = {"meta", "link", "br", "hr", "img", "input", "col"}  # HTML void elements (SVG ones self-close)


def make_record(run_id, *, model="motifs", dataset="synth", mode="predcls", protocol="vg", split="test",
                metrics=None, per_predicate=None, **provenance):
    base_metrics = {"R@20": 0.5, "R@50": 0.6, "R@100": 0.7, "mR@20": 0.1, "mR@50": 0.2, "mR@100": 0.3,
                    "ngR@50": None, "zR@50": None}
    prov = {"config": {"model": {"head": model}, "run": {"seed": 3}}, "git_commit": "abc1234", "seed": 3,
            "checkpoint_sha256": "c" * 64, "predictions_sha256": "p" * 64, "dataset_fingerprint": "fp01",
            "versions": {"python": "3.11.7", "torch": "2.14.1"}, "device": "cpu", "train_seconds": 12.5,
            "eval_seconds": 1.5, "date": "2026-11-27T04:00:00+00:00", "evaluator_version": "1"}
    prov.update(provenance)
    return {"schema": 1, "run_id": run_id, "model": model, "dataset": dataset, "split": split, "mode": mode,
            "protocol": protocol, "metrics": base_metrics if metrics is None else metrics,
            "per_predicate": per_predicate if per_predicate is not None else {"50": {"on": 0.5, "has": 0.25}},
            "provenance": prov}


def write_records(folder: Path, *records) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['run_id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self, tag=None):
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def find_all(self, tag=None, cls=None, **attrs):
        return [n for n in self.iter(tag) if (cls is None or cls in n.classes)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


def build_all(tmp_path, *records, reference=(), published=False, extra_files=()):
    """Write records (and reference records), build page + exports; return them parsed.

    Returns ``(summary, doc, csv_rows, markdown)``: the build summary, the page's DOM, the CSV
    as a list of dicts and the Markdown text.
    """
    import csv
    import io

    from sgg_bench.leaderboard.build import build_leaderboard

    results = write_records(tmp_path / "results", *records)
    for name, text in extra_files:
        (results / name).write_text(text, encoding="utf-8")
    reference_dir = write_records(tmp_path / "reference", *reference) if reference else None
    summary = build_leaderboard(results, tmp_path / "index.html", reference_dir=reference_dir,
                                markdown_path=tmp_path / "lb.md", csv_path=tmp_path / "lb.csv",
                                **({} if published else {"published_path": None}))
    doc = parse_html((tmp_path / "index.html").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "lb.csv").read_text(encoding="utf-8"), newline="")))
    return summary, doc, rows, (tmp_path / "lb.md").read_text(encoding="utf-8")


def body_rows(doc, anchor="t-synth-vg-predcls-test"):
    """The <tr> rows of the first table of a table section."""
    section = doc.find("section", id=anchor)
    assert section is not None, f"no table section {anchor}"
    return section.find("table", cls="lb").find("tbody").find_all("tr")


def label_of(row) -> str:
    """ "<model>" or "<model> <setting>" of a page row, with its kind badge: "yours motifs bias=off"."""
    model = row.find("th", cls="model")
    parts = [model.find("span", cls="badge").text, model.find("a", cls="name").text]
    setting = model.find("span", cls="setting")
    return " ".join(parts + ([setting.text] if setting else []))
