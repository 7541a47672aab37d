"""sng-style rules over dependency parses. The held-in examples are hand-built parses; they run on
plain stand-in tokens always, and on real ``spacy.tokens.Doc`` objects when spaCy is installed."""
from __future__ import annotations

import pytest

from sgg_bench.language.parser import graph_triplets
from sgg_bench.language.spacy_backend import SpacyParser, SpacyUnavailable, parse_doc

# (words, pos, deps, heads as absolute indices, lemmas) for LANGUAGE.md §2.4 rows 1-4.
PARSES = {
    "row1": (["a", "woman", "is", "playing", "the", "piano", "in", "the", "room", "."],
             ["DET", "NOUN", "AUX", "VERB", "DET", "NOUN", "ADP", "DET", "NOUN", "PUNCT"],
             ["det", "nsubj", "aux", "ROOT", "det", "dobj", "prep", "det", "pobj", "punct"],
             [1, 3, 3, 3, 5, 3, 3, 8, 6, 3],
             ["a", "woman", "be", "play", "the", "piano", "in", "the", "room", "."]),
    "row2": (["a", "man", "sitting", "on", "a", "bench", "next", "to", "a", "dog", "."],
             ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "ADV", "ADP", "DET", "NOUN", "PUNCT"],
             ["det", "ROOT", "acl", "prep", "det", "pobj", "advmod", "prep", "det", "pobj", "punct"],
             [1, 1, 1, 2, 5, 3, 2, 6, 9, 7, 1],
             ["a", "man", "sit", "on", "a", "bench", "next", "to", "a", "dog", "."]),
    "row3": (["a", "woman", "in", "front", "of", "a", "piano", "."],
             ["DET", "NOUN", "ADP", "NOUN", "ADP", "DET", "NOUN", "PUNCT"],
             ["det", "ROOT", "prep", "pobj", "prep", "det", "pobj", "punct"],
             [1, 1, 1, 2, 3, 6, 4, 1],
             ["a", "woman", "in", "front", "of", "a", "piano", "."]),
    "row4": (["two", "dogs", "and", "cats", "are", "on", "a", "red", "couch", "."],
             ["NUM", "NOUN", "CCONJ", "NOUN", "AUX", "ADP", "DET", "ADJ", "NOUN", "PUNCT"],
             ["nummod", "nsubj", "cc", "conj", "ROOT", "prep", "det", "amod", "pobj", "punct"],
             [1, 4, 1, 1, 4, 4, 8, 8, 5, 4],
             ["two", "dog", "and", "cat", "be", "on", "a", "red", "couch", "."]),
    "passive": (["a", "horse", "is", "ridden", "by", "a", "man"],
                ["DET", "NOUN", "AUX", "VERB", "ADP", "DET", "NOUN"],
                ["det", "nsubjpass", "auxpass", "ROOT", "agent", "det", "pobj"],
                [1, 3, 3, 3, 3, 6, 4],
                ["a", "horse", "be", "ride", "by", "a", "man"]),
}
EXPECTED = {
    "row1": [("woman", "play", "piano"), ("woman", "in", "room")],
    "row2": [("man", "sit on", "bench"), ("man", "next to", "dog")],
    "row3": [("woman", "in front of", "piano")],
    "row4": [("dog", "on", "couch"), ("cat", "on", "couch")],
    "passive": [("man", "ride", "horse")],
}


class StandInToken:
    def __init__(self, doc, i, text, pos, dep, lemma):
        self.doc, self.i, self.text, self.pos_, self.dep_, self.lemma_ = doc, i, text, pos, dep, lemma
        self.head = self

    @property
    def children(self):
        return [t for t in self.doc if t.head is self and t is not self]


def stand_in_doc(words, pos, deps, heads, lemmas):
    doc: list = []
    for i, (w, p, d, l) in enumerate(zip(words, pos, deps, lemmas)):
        doc.append(StandInToken(doc, i, w, p, d, l))
    for token, head in zip(doc, heads):
        token.head = doc[head]
    return doc


@pytest.mark.parametrize("name", sorted(PARSES))
def test_rules_on_stand_in_parses(name):
    graph = parse_doc(stand_in_doc(*PARSES[name]))
    assert sorted(graph_triplets(graph)) == sorted(EXPECTED[name])


def test_phrasal_preposition_noun_makes_no_entity_and_sng_compat():
    graph = parse_doc(stand_in_doc(*PARSES["row3"]), sng_compat=True)
    assert [e["lemma_head"] for e in graph["entities"]] == ["woman", "piano"]
    assert graph_triplets(graph) == [("woman", "in front", "piano")]


def test_entity_schema_and_modifiers():
    graph = parse_doc(stand_in_doc(*PARSES["row4"]))
    couch = graph["entities"][-1]
    assert couch["span"] == "a red couch" and couch["span_bounds"] == (6, 9)
    assert [m["dep"] for m in couch["modifiers"]] == ["det", "amod"]


def test_from_environment_reports_missing_spacy_or_model(monkeypatch):
    monkeypatch.setenv("SGG_SPACY_MODEL", "sgg_bench_no_such_model")
    with pytest.raises(SpacyUnavailable):
        SpacyParser.from_environment()


def test_rules_on_real_spacy_docs():
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc
    vocab = spacy.blank("en").vocab
    for name, (words, pos, deps, heads, lemmas) in PARSES.items():
        doc = Doc(vocab, words=words, pos=pos, deps=deps, heads=heads, lemmas=lemmas)
        assert sorted(graph_triplets(parse_doc(doc))) == sorted(EXPECTED[name]), name


def test_real_model_if_installed():
    pytest.importorskip("spacy")
    try:
        parser = SpacyParser.from_environment()
    except SpacyUnavailable as exc:
        pytest.skip(str(exc))
    graph = parser.parse("A woman is playing the piano in the room.")
    assert ("woman", "play", "piano") in graph_triplets(graph)
