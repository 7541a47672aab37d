"""Triplet precision / recall / F1 of the rules parser on the hand-labelled gold set.

The floors are the values measured when the parser was last tuned, minus a 0.02 margin, so a
change that makes the parser worse fails here (benchmarks/bench_parser.py prints the figures).
"""
from collections import Counter

import pytest

from sgg_bench.language.gold_eval import TripletScores, load_gold, score_parser
from langtest_utils import GOLD_PATH

# Measured: WordNet P=0.944 R=0.944 F1=0.944; no WordNet P=0.936 R=0.933 F1=0.935 (177 captions).
FLOORS = {"wordnet": 0.924, "fallback": 0.915}
HELD_IN = {"A woman is playing the piano in the room.", "A man sitting on a bench next to a dog.",
           "A woman in front of a piano.", "Two dogs and cats are on a red couch."}


def test_gold_file_is_well_formed():
    items = load_gold(GOLD_PATH)
    assert len(items) >= 150
    assert len({i.id for i in items}) == len(items)
    assert len({i.caption.lower() for i in items}) == len(items)
    assert not HELD_IN & {i.caption for i in items}
    tags = Counter(tag for item in items for tag in item.tags)
    for needed in ("passive", "coordination", "relative", "multiword", "plural", "number", "misspelling", "fragment"):
        assert tags[needed] >= 2, needed
    for item in items:
        for triplet in item.triplets:
            assert all(part == part.strip().lower() and part for part in triplet), (item.id, triplet)


@pytest.mark.parametrize("which", ["wordnet", "fallback"])
def test_gold_f1_does_not_regress(which, rules_parser, fallback_parser):
    parser = rules_parser if which == "wordnet" else fallback_parser
    scores, _ = score_parser(parser, load_gold(GOLD_PATH))
    print(f"[{which}] P={scores.precision:.3f} R={scores.recall:.3f} F1={scores.f1:.3f}")
    assert scores.f1 >= FLOORS[which]
    assert scores.precision >= FLOORS[which] - 0.03 and scores.recall >= FLOORS[which] - 0.03


def test_triplet_scores_hand_computed():
    scores = TripletScores()
    scores.add({("a", "on", "b"), ("a", "near", "c")}, {("a", "on", "b"), ("x", "on", "y"), ("z", "in", "w")})
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (1, 2, 1)
    assert scores.precision == pytest.approx(1 / 3) and scores.recall == pytest.approx(1 / 2)
    assert scores.f1 == pytest.approx(0.4)
    empty = TripletScores()
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)
