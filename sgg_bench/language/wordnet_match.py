"""WordNet noun matching for concept linking (docs/LANGUAGE.md; the SGNLS primitive).

``syn(w)`` is the most frequent noun synset of ``morphy(w)``; a multiword name uses its last
word. ``WordNetMatcher.relation(a, b)`` says how ``a`` relates to ``b``: "same" (same synset),
"lemma" (the synsets share a lemma name), "hypernym" (``b`` is a hypernym of ``a``, with the
distance), "hyponym" (``a`` is a hypernym of ``b``) or None.

By default the matcher reads the project's compact WordNet index (``wordnet_index.py``: cached,
loads in a fraction of a second); passing nltk's corpus reader as ``wordnet=`` gives the same
answers through nltk (the tests compare the two).
"""
from __future__ import annotations

import functools
import os

from sgg_bench.language.lexicon import NO_WORDNET_ENV, find_wordnet_dir


def wordnet_installed() -> bool:
    """Cheap check (nothing loaded): WordNet is enabled and its dict files are found."""
    folder = find_wordnet_dir()
    return folder is not None and (folder / "data.noun").is_file()


@functools.lru_cache(maxsize=1)
def load_nltk_wordnet():
    """nltk's WordNet corpus reader, or None when WordNet is disabled or not installed."""
    if os.environ.get(NO_WORDNET_ENV, "").strip() not in ("", "0"):
        return None
    try:
        from nltk.corpus import wordnet  # noqa: PLC0415 - slow import, only when asked for
        wordnet.ensure_loaded()
    except (ImportError, LookupError, OSError):
        return None
    return wordnet


class _IndexNouns:
    """Synsets as ``data.noun`` offsets, from the compact index."""

    def __init__(self, index):
        self.index = index

    def first_synset(self, word: str):
        base = self.index.morphy_noun(word)
        return None if base is None else self.index.first_noun_synset(base)

    def ancestors(self, synset) -> dict:
        return self.index.ancestor_distances(synset)

    def lemma_names(self, synset) -> set[str]:
        return set(self.index.lemma_names(synset))


class _NltkNouns:
    """Synsets as nltk ``Synset`` objects."""

    def __init__(self, wn):
        self.wn = wn

    def first_synset(self, word: str):
        base = self.wn.morphy(word, self.wn.NOUN)
        if base is None:
            return None
        synsets = self.wn.synsets(base, self.wn.NOUN)
        return synsets[0] if synsets else None

    def ancestors(self, synset) -> dict:
        distances: dict = {}
        for ancestor, distance in synset.hypernym_distances():
            if ancestor not in distances or distance < distances[ancestor]:
                distances[ancestor] = distance
        return distances

    def lemma_names(self, synset) -> set[str]:
        return set(synset.lemma_names())


class WordNetMatcher:
    """Cached noun-synset lookups and the matching tests. The compact index loads on first use;
    ``wordnet`` (nltk's reader) or ``index`` (a WordNetIndex) may be passed in instead."""

    def __init__(self, wordnet=None, *, index=None):
        self._nouns = _NltkNouns(wordnet) if wordnet is not None else _IndexNouns(index) if index is not None else None
        self.synset = functools.lru_cache(maxsize=65536)(self._synset)
        self._ancestors = functools.lru_cache(maxsize=65536)(self._ancestor_distances)

    @property
    def nouns(self):
        if self._nouns is None:
            from sgg_bench.language.wordnet_index import load_wordnet_index  # noqa: PLC0415
            folder = find_wordnet_dir()
            if folder is None:
                raise RuntimeError("WordNet is not installed (python -m sgg_bench.language.wordnet_setup)")
            self._nouns = _IndexNouns(load_wordnet_index(folder))
        return self._nouns

    def _synset(self, word: str):
        word = word.strip().lower().replace("_", " ")
        last = word.rsplit(" ", 1)[-1].rsplit("-", 1)[-1]
        for candidate in (word.replace(" ", "_"), last):
            synset = self.nouns.first_synset(candidate)
            if synset is not None:
                return synset
        return None

    def _ancestor_distances(self, word: str) -> dict:
        synset = self.synset(word)
        return {} if synset is None else self.nouns.ancestors(synset)

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
        if self.nouns.lemma_names(syn_a) & self.nouns.lemma_names(syn_b):
            return ("lemma", 0)
        return None
