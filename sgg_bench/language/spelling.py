"""Single-typo correction for open-class words that WordNet does not know ("umbrela" -> "umbrella").

Only used with the WordNet lexicon (the fallback lexicon is too small: correcting against it
would rewrite valid rare words). A word of at least 5 letters that is unknown as noun, verb,
adjective and adverb (after lemmatization) is replaced by the known word at edit distance 1
(deletion, transposition, substitution, insertion; a trailing "s" counts as a plural) with the
most WordNet senses; ties keep the first candidate in that order. Memoized per word.
"""
from __future__ import annotations

import functools
import string

from sgg_bench.language.lemmatizer import Lemmatizer
from sgg_bench.language.lexicon import OpenClassLexicon

_LETTERS = string.ascii_lowercase
MIN_LENGTH = 5


class SpellingCorrector:
    def __init__(self, *, lexicon: OpenClassLexicon, lemmatizer: Lemmatizer):
        self.lexicon = lexicon
        self.lemmatizer = lemmatizer
        self.enabled = lexicon.source.startswith("wordnet")
        self.correct = functools.lru_cache(maxsize=65536)(self._correct)

    def senses(self, word: str) -> int:
        """Total WordNet senses of ``word`` over the four parts of speech (0 = unknown)."""
        lex = self.lexicon
        return (lex.count(self.lemmatizer.noun(word), "n") + lex.count(self.lemmatizer.verb(word), "v")
                + lex.count(word, "a") + lex.count(word, "r"))

    def _correct(self, word: str) -> str:
        if not self.enabled or len(word) < MIN_LENGTH or not word.isalpha() or self.senses(word):
            return word
        best, best_senses = word, 0
        lex = self.lexicon
        for candidate in _edits1(word):
            # Direct table lookups only (no lemmatization of ~50 * len(word) junk strings);
            # a trailing "s" is tried as a plural.
            senses = lex.count(candidate, "n") + lex.count(candidate, "v") + lex.count(candidate, "a")
            if candidate.endswith("s"):
                senses += lex.count(candidate[:-1], "n")
            if senses > best_senses:
                best, best_senses = candidate, senses
        return best


def _edits1(word: str):
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for left, right in splits:
        if right:
            yield left + right[1:]
    for left, right in splits:
        if len(right) > 1:
            yield left + right[1] + right[0] + right[2:]
    for left, right in splits:
        if right:
            for letter in _LETTERS:
                if letter != right[0]:
                    yield left + letter + right[1:]
    for left, right in splits:
        for letter in _LETTERS:
            yield left + letter + right
