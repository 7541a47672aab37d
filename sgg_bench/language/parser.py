"""Caption -> scene graph, in the schema of SceneGraphParser (sng).

``parse_caption("A man riding a horse.")`` returns::

    {'entities': [{'span', 'lemma_span', 'head', 'lemma_head', 'span_bounds', 'modifiers', 'type'}, ...],
     'relations': [{'subject': entity index, 'object': entity index, 'relation', 'lemma_relation'}, ...]}

Backends: ``rules`` (default, pure Python, see relations.py for the rule list), ``spacy`` (sng-style
rules over a spaCy parse; needs spaCy and an English model) and ``auto`` (spaCy when a model loads,
else rules, logged once).
"""
from __future__ import annotations

import functools
import logging

from sgg_bench.language.chunker import chunk
from sgg_bench.language.lemmatizer import Lemmatizer
from sgg_bench.language.lexicon import load_open_class_lexicon, load_word_list
from sgg_bench.language.relations import RelationOptions, RelationWalker
from sgg_bench.language.tagger import Tagger
from sgg_bench.language.tokenizer import tokenize

LOGGER = logging.getLogger(__name__)
BACKENDS = ("rules", "spacy", "auto")
# "a picture of a cat on a bed": a PP after the object of these describes the object (the cat)
DEPICTIONS = frozenset({"picture", "photo", "photograph", "image", "painting", "drawing", "poster", "view",
                        "reflection", "shot", "snapshot", "portrait"})


class RulesParser:
    """The pure-Python parser. Options: see ``RelationOptions``; ``partitives`` ("a herd of X" -> X)."""

    def __init__(self, *, use_wordnet: bool | None = None, partitives: bool = True, verb_prep: str = "merge",
                 copula: bool = False, sng_compat: bool = False, cache_size: int = 4096):
        if verb_prep not in ("merge", "listed"):
            raise ValueError(f"verb_prep must be 'merge' or 'listed', got {verb_prep!r}")
        self.lexicon = load_open_class_lexicon(use_wordnet)
        self.lemmatizer = Lemmatizer(lexicon=self.lexicon)
        self.tagger = Tagger(lexicon=self.lexicon, lemmatizer=self.lemmatizer, partitives=partitives)
        self.scene_nouns = load_word_list("scene_nouns.txt")
        self.person_nouns = load_word_list("person_nouns.txt")
        self.options = RelationOptions(verb_prep=verb_prep, copula=copula, sng_compat=sng_compat,
                                       phrasal_verbs=load_word_list("phrasal_verbs.txt"))
        self._cached = functools.lru_cache(maxsize=cache_size)(self._parse_uncached)

    @property
    def uses_wordnet(self) -> bool:
        return self.lexicon.source.startswith("wordnet")

    def parse(self, caption: str) -> dict:
        """Scene graph of ``caption`` (a fresh copy; identical captions hit a small cache)."""
        if not isinstance(caption, str):
            raise TypeError(f"caption must be a str, got {type(caption).__name__}")
        graph = self._cached(caption)
        return {"entities": [dict(e, modifiers=[dict(m) for m in e["modifiers"]]) for e in graph["entities"]],
                "relations": [dict(r) for r in graph["relations"]]}

    def triplets(self, caption: str) -> list[tuple[str, str, str]]:
        """``graph_triplets(parse(caption))`` without copying the graph (bulk parsing)."""
        if not isinstance(caption, str):
            raise TypeError(f"caption must be a str, got {type(caption).__name__}")
        return graph_triplets(self._cached(caption))

    def tag(self, caption: str) -> list[tuple[str, str]]:
        """(token, tag) pairs; for debugging and tests."""
        return [(t.text, t.tag) for t in self.tagger.tag(tokenize(caption))]

    def _parse_uncached(self, caption: str) -> dict:
        tokens = self.tagger.tag(tokenize(caption))
        entities, items = chunk(tokens, lemmatizer=self.lemmatizer, scene_nouns=self.scene_nouns,
                                person_nouns=self.person_nouns)
        places = frozenset(index for index, entity in enumerate(entities) if entity.type == "scene")
        depictions = frozenset(index for index, entity in enumerate(entities) if entity.lemma_head in DEPICTIONS)
        relations = RelationWalker(items, options=self.options, places=places, depictions=depictions).run()
        return {"entities": [e.as_dict() for e in entities], "relations": relations}


def graph_triplets(graph: dict, *, lemma: bool = True) -> list[tuple[str, str, str]]:
    """(subject, relation, object) strings of a parsed graph, lemmas by default, in order, unique."""
    head_key, rel_key = ("lemma_head", "lemma_relation") if lemma else ("head", "relation")
    entities = graph["entities"]
    seen: dict[tuple[str, str, str], None] = {}
    for rel in graph["relations"]:
        triplet = (entities[rel["subject"]][head_key], rel[rel_key], entities[rel["object"]][head_key])
        seen.setdefault(triplet, None)
    return list(seen)


@functools.lru_cache(maxsize=8)
def _rules_parser(**options) -> RulesParser:
    return RulesParser(**options)


_FALLBACK_LOGGED = False


def get_parser(backend: str = "rules", **options):
    """A parser object with ``parse(caption) -> dict``. ``auto`` tries spaCy, then falls back to rules.

    ``options`` are RulesParser options; they apply to the rules backend (also as the fallback).
    """
    global _FALLBACK_LOGGED
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend in ("spacy", "auto"):
        from sgg_bench.language import spacy_backend
        try:
            return spacy_backend.SpacyParser.from_environment()
        except spacy_backend.SpacyUnavailable as exc:
            if backend == "spacy":
                raise
            if not _FALLBACK_LOGGED:
                LOGGER.warning("caption parser: %s; using the rules backend", exc)
                _FALLBACK_LOGGED = True
    return _rules_parser(**options)


def parse_caption(caption: str, *, backend: str = "rules", **options) -> dict:
    """Parse one caption with a cached parser of the given backend and options."""
    return get_parser(backend, **options).parse(caption)
