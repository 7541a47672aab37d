"""Noun and verb lemmatizer: WordNet-style exception lists and suffix rules, memoized.

With WordNet present this mirrors ``morphy`` (exceptions first, then suffix substitutions checked
against the index) but breaks ties by the number of WordNet senses, so "swinging" -> "swing"
rather than the rare "swinge". Without WordNet the shipped irregular table and suffix rules with
e-restoration and consonant undoubling are used. Plural-only nouns (jeans, scissors) stay plural.
"""
from __future__ import annotations

import functools

from sgg_bench.language.lexicon import OpenClassLexicon, load_word_list

_NOUN_RULES = (("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
               ("shes", "sh"), ("men", "man"), ("ies", "y"))
_VERB_RULES = (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
               ("ing", "e"), ("ing", ""))
_VOWELS = set("aeiou")


class Lemmatizer:
    """``noun(word)`` / ``verb(word)`` -> lemma (lower-case). Results are cached per instance."""

    def __init__(self, *, lexicon: OpenClassLexicon):
        self.lexicon = lexicon
        self.plural_only = load_word_list("plural_only_nouns.txt")
        self.wordnet = lexicon.source.startswith("wordnet")
        self.noun = functools.lru_cache(maxsize=65536)(self._noun)
        self.verb = functools.lru_cache(maxsize=65536)(self._verb)

    def lemma(self, word: str, pos: str) -> str:
        return self.noun(word) if pos == "n" else self.verb(word) if pos == "v" else word

    # -- nouns ---------------------------------------------------------------------------
    def _noun(self, word: str) -> str:
        if " " in word:  # compound: lemmatize the last word only ("tennis rackets" -> "tennis racket")
            head, _, last = word.rpartition(" ")
            return f"{head} {self._noun(last)}"
        if word in self.plural_only or "-" in word and word.rpartition("-")[2] in self.plural_only:
            return word
        exceptions = self.lexicon.exceptions.get("n", {})
        if word in exceptions:
            return exceptions[word][0]
        candidates = [word] + [word[: -len(old)] + new for old, new in _NOUN_RULES if word.endswith(old)]
        known = [c for c in candidates if c and self.lexicon.has(c, "n")]
        if known:
            # A known singular wins over a lexicalized plural ("chips" -> "chip"); plural-only
            # nouns were handled above. Otherwise the word itself ("glass", "news").
            singular = [c for c in known if c != word]
            if singular:
                return max(singular, key=lambda c: self.lexicon.count(c, "n"))
            return word
        return self._noun_suffix_guess(word)

    @staticmethod
    def _noun_suffix_guess(word: str) -> str:
        if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
            return word
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith(("ches", "shes", "xes", "zes", "sses")):
            return word[:-2]
        if word.endswith("oes"):
            return word[:-2]
        return word[:-1]

    # -- verbs ---------------------------------------------------------------------------
    def _verb(self, word: str) -> str:
        exceptions = self.lexicon.exceptions.get("v", {})
        if word in exceptions:
            return exceptions[word][0]
        if self.lexicon.has(word, "v") and not word.endswith(("ing", "ed")):
            return word
        candidates = [word[: -len(old)] + new for old, new in _VERB_RULES if word.endswith(old)]
        candidates += [self._undouble(c) for c in candidates]
        known = [c for c in dict.fromkeys(candidates) if len(c) > 1 and self.lexicon.has(c, "v")]
        restored = _e_restored(word)
        if restored in known:
            return restored
        if known:
            return max(known, key=lambda c: (self.lexicon.count(c, "v"), -known.index(c)))
        if self.lexicon.has(word, "v"):
            return word
        return self._verb_suffix_guess(word)

    @staticmethod
    def _undouble(stem: str) -> str:
        if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS and stem[-1] not in "lsz":
            return stem[:-1]
        return stem

    def _verb_suffix_guess(self, word: str) -> str:
        for suffix in ("ing", "ed"):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)]
                if stem[-1] == stem[-2] and stem[-1] not in _VOWELS and stem[-1] not in "lsz":
                    return stem[:-1]  # "sitting" -> "sit"
                if suffix == "ed" and stem.endswith("i"):
                    return stem[:-1] + "y"  # "carried" -> "carry"
                # e-restoration after a single consonant preceded by a single vowel: "riding" -> "ride"
                return _e_restored(word) or stem
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith(("ches", "shes", "sses", "xes", "zes")):
            return word[:-2]
        if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            return word[:-1]
        return word


def _e_restored(word: str) -> str | None:
    """"staring" -> "stare": a one-syllable stem ending vowel + consonant would have doubled the
    consonant before -ing/-ed ("starring", "hopped"), so an undoubled form comes from stem + e."""
    for suffix in ("ing", "ed"):
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if len(stem) < 3 or stem[-1] in _VOWELS or stem[-1] in "wxy" or stem[-2] not in _VOWELS \
                    or stem[-3] in _VOWELS:
                return None
            if sum(1 for k, ch in enumerate(stem) if ch in _VOWELS and (k == 0 or stem[k - 1] not in _VOWELS)) != 1:
                return None  # "visiting", "opening": unstressed last syllables do not double
            return stem + "e"
    return None
