"""Triplet precision / recall / F1 of a caption parser against a hand-labelled gold set.

Gold file: JSON lines ``{"id", "split", "caption", "triplets": [[subject, relation, object], ...]}``
with lemma triplets; ``split`` is "dev" (errors may be looked at while tuning) or "heldout" (scored
only) (tests/language/gold_captions.jsonl; conventions in GOLD_CONVENTIONS.md there).
Per caption, predicted and gold triplets are compared as sets of exact lemma strings; counts are
summed over captions (micro average).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sgg_bench.errors import DataFormatError
from sgg_bench.language.parser import graph_triplets

SPLITS = ("dev", "heldout")


@dataclass
class GoldItem:
    id: int
    caption: str
    triplets: set[tuple[str, str, str]]
    tags: list[str] = field(default_factory=list)
    split: str = "dev"


@dataclass
class TripletScores:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, gold: set, predicted: set) -> None:
        self.true_positives += len(gold & predicted)
        self.false_positives += len(predicted - gold)
        self.false_negatives += len(gold - predicted)


def load_gold(path: str | os.PathLike) -> list[GoldItem]:
    path = Path(path)
    items = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            triplets = {tuple(t) for t in row["triplets"]}
            if not isinstance(row["caption"], str) or any(len(t) != 3 for t in triplets):
                raise ValueError("bad caption or triplet")
            split = row.get("split", "dev")
            if split not in SPLITS:
                raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")
        except (ValueError, KeyError, TypeError) as exc:
            raise DataFormatError(path, f"line {line_number}", "{id, split, caption, triplets: [[s, r, o], ...]}", str(exc)) from None
        items.append(GoldItem(id=row["id"], caption=row["caption"], triplets=triplets, tags=row.get("tags", []),
                              split=split))
    return items


def split_items(items: list[GoldItem], split: str) -> list[GoldItem]:
    """The items of one split ("dev" or "heldout")."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    return [item for item in items if item.split == split]


def score_parser(parser, items: list[GoldItem]) -> tuple[TripletScores, list[tuple[GoldItem, set]]]:
    """Micro-averaged scores and the (item, predicted triplets) pairs that differ from gold."""
    scores = TripletScores()
    errors = []
    for item in items:
        predicted = set(graph_triplets(parser.parse(item.caption)))
        scores.add(item.triplets, predicted)
        if predicted != item.triplets:
            errors.append((item, predicted))
    return scores, errors
