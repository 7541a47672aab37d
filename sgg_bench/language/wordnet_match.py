"""WordNet noun matching for concept linking (LANGUAGE.md §3.1), loaded lazily through nltk.

``syn(w)`` is the most frequent noun synset of ``morphy(w)``; a multiword name uses its last
word. ``WordNetMatcher.relation(a, b)`` says how ``a`` relates to ``b``: "same" (same synset),
"lemma" (the synsets share a lemma name), "hypernym" (``b`` is a hypernym of ``a``, with the
distance), "hyponym" (``a`` is a hypernym of ``b``) or None.
"""
from __future__ import annotations

import functools
import os

from sgg_bench.language.lexicon import NO_WORDNET_ENV


def wordnet_installed() -> bool:
    """Cheap check (no corpus loading): WordNet is enabled and nltk can find its files."""
    if os.environ.get(NO_WORDNET_ENV, "").strip() not in ("", "0"):
        return False
    try:
        import nltk.data  # noqa: PLC0415
        nltk.data.find("corpora/wordnet")
    except (ImportError, LookupError, OSError):
        return False
    return True


@functools.lru_cache(maxsize=1)
def load_nltk_wordnet():
    """nltk's WordNet corpus reader, or None when WordNet is disabled or not installed."""
    if os.environ.get(NO_WORDNET_ENV, "").strip() not in ("", "0"):
        return None
    try:
        from nltk.corpus import wordnet  # noqa: PLC0415 - slow import, only when needed
        wordnet.ensure_loaded()
    except (ImportError, LookupError, OSError):
        return None
    return wordnet


class WordNetMatcher:
    """Cached noun-synset lookups and the §3.1 matching tests. nltk's corpus (a few seconds to
    load) is read on first use; ``wordnet`` may be passed in directly (tests)."""

    def __init__(self, wordnet=None):
        self._wn = wordnet
        self.synset = functools.lru_cache(maxsize=65536)(self._synset)
        self._ancestors = functools.lru_cache(maxsize=65536)(self._ancestor_distances)

    @property
    def wn(self):
        if self._wn is None:
            self._wn = load_nltk_wordnet()
            if self._wn is None:
                raise RuntimeError("WordNet could not be loaded through nltk")
        return self._wn

    def _synset(self, word: str):
        word = word.strip().lower().replace("_", " ")
        last = word.rsplit(" ", 1)[-1].rsplit("-", 1)[-1]
        for candidate in (word.replace(" ", "_"), last):
            base = self.wn.morphy(candidate, self.wn.NOUN)
            if base is None:
                continue
            synsets = self.wn.synsets(base, self.wn.NOUN)
            if synsets:
                return synsets[0]
        return None

    def _ancestor_distances(self, word: str) -> dict:
        synset = self.synset(word)
        if synset is None:
            return {}
        distances: dict = {}
        for ancestor, distance in synset.hypernym_distances():
            if ancestor not in distances or distance < distances[ancestor]:
                distances[ancestor] = distance
        return distances

    def relation(self, a: str, b: str) -> tuple[str, int] | None:
        """("same"|"lemma"|"hypernym"|"hyponym", distance) when ``a`` matches ``b``, else None."""
        syn_a, syn_b = self.synset(a), self.synset(b)
        if syn_a is None or syn_b is None:
            return None
        if syn_a == syn_b:
            return ("same", 0)
        up = self._ancestors(a)
        if syn_b in up:
            return ("hypernym", up[syn_b])
        down = self._ancestors(b)
        if syn_a in down:
            return ("hyponym", down[syn_a])
        if set(syn_a.lemma_names()) & set(syn_b.lemma_names()):
            return ("lemma", 0)
        return None
