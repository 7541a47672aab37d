"""Concept linking to VG150 with WordNet present and absent (simulated by use_wordnet=False / env)."""
from __future__ import annotations

import logging

import pytest

from sgg_bench.language import linking
from sgg_bench.language.linking import ConceptLinker, link_detector_classes, load_noun_synonyms, load_predicate_aliases
from sgg_bench.language.vocabularies import builtin_vg150
from sgg_bench.language.wordnet_match import WordNetMatcher, wordnet_installed
from sgg_bench.structures import DatasetVocabulary
from langtest_utils import requires_wordnet


@pytest.fixture(scope="module")
def with_wordnet():
    if not wordnet_installed():
        pytest.skip("WordNet for nltk is not set up")
    return ConceptLinker(vocabulary=builtin_vg150())


@pytest.fixture(scope="module")
def without_wordnet():
    return ConceptLinker(vocabulary=builtin_vg150(), use_wordnet=False)


@pytest.fixture(params=["wordnet", "no-wordnet"])
def any_linker(request, without_wordnet):
    return request.getfixturevalue("with_wordnet") if request.param == "wordnet" else without_wordnet


@pytest.mark.parametrize("noun, target", [
    ("jeans", "jean"), ("pants", "pant"), ("shorts", "short"), ("dogs", "dog"), ("men", "men"),
    ("man", "man"), ("baseball player", "player"), ("tennis racket", "racket"), ("computer", "laptop"),
    ("group", "people"), ("sneakers", "sneaker"), ("children", "child"),
])
def test_nouns_without_wordnet_rules(any_linker, noun, target):
    assert any_linker.link_noun(noun)[0] == target


@pytest.mark.parametrize("noun, target", [
    ("automobile", "car"), ("puppy", "dog"), ("gentleman", "man"), ("jetliner", "airplane"),
    ("cellphone", "phone"), ("bicycle", "bike"), ("surfer", "person"),
])
def test_nouns_through_wordnet(with_wordnet, without_wordnet, noun, target):
    assert with_wordnet.link_noun(noun)[0] == target
    # without WordNet only the shipped synonym table can help
    assert without_wordnet.link_noun(noun) == ([target] if noun in load_noun_synonyms() else [])


def test_wordnet_keeps_all_hypernym_hits_most_specific_first(with_wordnet):
    assert with_wordnet.link_noun("puppy") == ["dog", "animal"]
    assert with_wordnet.link_noun("glasses") == []  # spectacles are not drinking glasses
    assert with_wordnet.link_noun("") == []


@pytest.mark.parametrize("predicate, target", [
    ("sits on", "sitting on"), ("sit on", "sitting on"), ("next to", "near"), ("beneath", "under"),
    ("underneath", "under"), ("ride", "riding"), ("ride on", "riding"), ("hold", "holding"),
    ("wear", "wearing"), ("have", "has"), ("in front", "in front of"), ("in front of", "in front of"),
    ("park on", "parked on"), ("lie on", "lying on"), ("lay on", "laying on"), ("make of", "made of"),
    ("hang from", "hanging from"), ("run in", "in"), ("sit next to", "near"), ("on top of", "on"),
    ("say", "says"), ("with", "with"),
])
def test_predicates(any_linker, predicate, target):
    assert any_linker.link_predicate(predicate)[0] == target


def test_unlinkable_predicates(without_wordnet):
    assert without_wordnet.link_predicate("be") == []
    assert without_wordnet.link_predicate("") == []
    assert without_wordnet.link_triplet("man", "be", "chef") is None
    assert without_wordnet.link_triplet("men", "sit on", "bench") == ("men", "sitting on", "bench")


def test_env_switch_disables_wordnet(monkeypatch):
    monkeypatch.setenv("SGG_BENCH_NO_WORDNET", "1")
    assert not wordnet_installed()
    assert not ConceptLinker(vocabulary=builtin_vg150()).uses_wordnet


def test_missing_wordnet_is_logged_once(monkeypatch, caplog):
    monkeypatch.setattr(linking, "_NO_WORDNET_WARNED", False)
    with caplog.at_level(logging.WARNING, logger="sgg_bench.language.linking"):
        ConceptLinker(vocabulary=builtin_vg150(), use_wordnet=False)
        ConceptLinker(vocabulary=builtin_vg150(), use_wordnet=False)
    messages = [r.getMessage() for r in caplog.records if "WordNet is not available" in r.getMessage()]
    assert len(messages) == 1


def test_alias_table_has_unique_aliases():
    table = load_predicate_aliases()
    assert table["next to"] == ["near"] and table["beneath"] == ["under"]
    assert table["belong to"] == ["belonging to", "of"]  # first one the vocabulary has is used
    assert all(alias not in canonicals for alias, canonicals in table.items())


def test_other_vocabulary_uses_lemma_equality():
    vocab = DatasetVocabulary(object_classes=["__background__", "Man", "Guitar"],
                              predicate_classes=["__background__", "plays", "holds", "inside_of"])
    linker = ConceptLinker(vocabulary=vocab, use_wordnet=False)
    assert linker.link_triplet("man", "play", "guitar") == ("man", "plays", "guitar")
    assert linker.link_predicate("hold") == ["holds"]
    assert linker.link_predicate("inside of") == ["inside of"]
    assert linker.noun_index["guitar"] == 2


def test_detector_classes_exact_without_wordnet():
    mapping = link_detector_classes(["Man", "Human_face", "Car"], ["man", "face", "car"], matcher=None)
    assert mapping == {0: [0], 1: [], 2: [2]}


@requires_wordnet
def test_detector_classes_either_direction_with_wordnet():
    mapping = link_detector_classes(["vehicle", "man", "glasses"], ["car", "bike", "person", "man", "glass"],
                                    matcher=WordNetMatcher())
    assert mapping[0] == [0, 1]          # vehicle is a hypernym of car and bike
    assert mapping[1] == [2, 3]          # man is a hyponym of person, equal to man
    assert mapping[2] == []              # glasses != glass


def test_synthetic_vocabulary_words_link(any_linker):
    """The synthetic captions' synonyms reach the synthetic classes (a VG150 subset), with or without WordNet."""
    names = ["__background__", "car", "woman", "man", "dog", "cup", "hat", "wheel", "pole", "table", "chair"]
    vocab = DatasetVocabulary(object_classes=names, predicate_classes=["__background__", "above", "has", "of",
                                                                        "looking at", "sitting on"])
    linker = ConceptLinker(vocabulary=vocab, use_wordnet=any_linker.uses_wordnet)
    for noun, target in (("vehicle", "car"), ("automobile", "car"), ("lady", "woman"), ("ladies", "woman"),
                         ("gentlemen", "man"), ("pup", "dog"), ("mug", "cup"), ("cap", "hat"), ("tire", "wheel"),
                         ("lamp post", "pole"), ("desk", "table"), ("seat", "chair")):
        assert linker.link_noun(noun)[:1] == [target], noun
    for predicate, target in (("over", "above"), ("with", "has"), ("belong to", "of"), ("watch", "looking at"),
                              ("seat on", "sitting on")):
        assert linker.link_predicate(predicate) == [target], predicate
    assert linker.link_noun("person") == [] and linker.link_noun("sky") == []


def test_inflected_vocabulary_predicate_wins_over_an_alias(with_wordnet):
    # VG150 has "watching": the verb lemma matches it before the alias table's "looking at"
    assert with_wordnet.link_predicate("watch") == ["watching"]
    assert with_wordnet.link_predicate("lie on") == ["lying on"]
