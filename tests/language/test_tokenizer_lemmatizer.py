from sgg_bench.language.lemmatizer import Lemmatizer
from sgg_bench.language.lexicon import load_open_class_lexicon
from sgg_bench.language.tokenizer import tokenize

import pytest


def test_tokenize_splits_punctuation_and_possessive():
    assert tokenize("A Man's hat, on a T-shirt.") == ["a", "man", "'s", "hat", ",", "on", "a", "t-shirt", "."]


def test_tokenize_empty_and_symbols():
    assert tokenize("") == []
    assert tokenize("   ") == []
    assert tokenize("...") == [".", ".", "."]


def test_tokenize_numbers_and_curly_apostrophe():
    assert tokenize("2 dogs\u2019 toys") == ["2", "dogs", "'", "toys"]


@pytest.fixture(params=[None, False], ids=["wordnet", "fallback"], scope="module")
def lemmatizer(request):
    return Lemmatizer(lexicon=load_open_class_lexicon(request.param))


@pytest.mark.parametrize("word, lemma", [
    ("dogs", "dog"), ("men", "man"), ("children", "child"), ("geese", "goose"), ("boxes", "box"),
    ("knives", "knife"), ("leaves", "leaf"), ("tomatoes", "tomato"), ("buses", "bus"),
    ("jeans", "jeans"), ("scissors", "scissors"), ("glasses", "glasses"), ("pants", "pants"),
    ("people", "people"), ("sheep", "sheep"), ("tennis rackets", "tennis racket"), ("dog", "dog"),
])
def test_noun_lemmas(lemmatizer, word, lemma):
    assert lemmatizer.noun(word) == lemma


@pytest.mark.parametrize("word, lemma", [
    ("riding", "ride"), ("sitting", "sit"), ("lying", "lie"), ("laying", "lay"), ("swinging", "swing"),
    ("parked", "park"), ("topped", "top"), ("made", "make"), ("has", "have"), ("sits", "sit"),
    ("flying", "fly"), ("hitting", "hit"), ("ridden", "ride"), ("taken", "take"), ("carried", "carry"),
])
def test_verb_lemmas(lemmatizer, word, lemma):
    assert lemmatizer.verb(word) == lemma


def test_fallback_suffix_rules_for_unknown_words():
    lemmatizer = Lemmatizer(lexicon=load_open_class_lexicon(False))
    assert lemmatizer.verb("zorbing") == "zorb"
    assert lemmatizer.verb("blipping") == "blip"
    assert lemmatizer.noun("wugs") == "wug"


def test_spelling_correction_only_with_wordnet():
    from sgg_bench.language.spelling import SpellingCorrector
    lexicon = load_open_class_lexicon(None)
    if not lexicon.source.startswith("wordnet"):
        pytest.skip("WordNet index not found")
    corrector = SpellingCorrector(lexicon=lexicon, lemmatizer=Lemmatizer(lexicon=lexicon))
    assert corrector.correct("umbrela") == "umbrella"
    assert corrector.correct("surfbaord") == "surfboard"
    assert corrector.correct("toliet") == "toilet"
    for known_or_short in ("skateboarder", "frisbee", "giraffes", "cat", "zzzzzzzz"):
        assert corrector.correct(known_or_short) == known_or_short
    fallback = load_open_class_lexicon(False)
    assert SpellingCorrector(lexicon=fallback, lemmatizer=Lemmatizer(lexicon=fallback)).correct("umbrela") == "umbrela"
