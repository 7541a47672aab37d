"""Concept linking: caption nouns and predicates -> a dataset vocabulary (docs/LANGUAGE.md).

Nouns, first rule that fires: manual dictionary; exact match (also after lemmatization and
plural stripping: "jeans" -> "jean"); the last word of a multiword noun; WordNet (same synset,
shared lemma, or the vocabulary class is a hypernym; all hits kept, most specific first); when
none of these links, the shipped synonym table (``data/noun_synonyms.txt``: "vehicle" -> car,
"cap" -> hat; also without WordNet).
Predicates: manual dictionary; exact; alias table; verb-lemma equality with the vocabulary's
lemmatized names ("sit on" = "sitting on"); the verb alone ("ride on" -> "ride" -> riding);
the preposition alone ("run in" -> "in"; "sit next to" -> "next to" -> near).
Detector classes -> vocabulary (§3.4): equal strings or WordNet in either direction.

Without WordNet (not installed, ``use_wordnet=False`` or ``SGG_BENCH_NO_WORDNET=1``) the WordNet
step is skipped and a warning is logged once per process.
"""
from __future__ import annotations

import logging
from pathlib import Path

from sgg_bench.language.lemmatizer import Lemmatizer
from sgg_bench.language.lexicon import load_open_class_lexicon
from sgg_bench.language.wordnet_match import WordNetMatcher, wordnet_installed
from sgg_bench.structures import DatasetVocabulary

LOGGER = logging.getLogger(__name__)
DATA_DIR = Path(__file__).resolve().parent / "data"

# Caption noun -> vocabulary class (facts from SGNLS's preprocessing, §3.2 step 0).
NOUN_MANUAL = {
    "group": "people", "couple": "people", "herd": "animal", "computer": "laptop", "ocean": "wave",
    "donut": "food", "doughnut": "food", "dish": "plate", "suit": "jacket", "meat": "food", "monitor": "laptop",
}
# Caption predicate lemma -> vocabulary predicate (§3.3 step 0).
PREDICATE_MANUAL = {
    "ride": "riding", "sit on": "sitting on", "in front": "in front of", "underneath": "under",
    "beneath": "under", "close to": "near", "play with": "playing", "lay": "laying on", "lay on": "laying on",
    "walk": "walking in", "cross": "across", "park": "parked on", "paint": "painted on", "mount": "mounted on",
    "attach": "attached to", "cover": "covered in", "grow on": "growing on", "back of": "on back of",
    "on top": "on", "next": "near",
}
# Verbs whose every prepositional variant maps to one predicate ("hang*", "look*", "stand*", "fly*").
VERB_MANUAL = {"hang": "hanging from", "look": "looking at", "stand": "standing on", "fly": "flying in"}

_NO_WORDNET_WARNED = False


def _warn_no_wordnet_once() -> None:
    global _NO_WORDNET_WARNED
    if not _NO_WORDNET_WARNED:
        LOGGER.warning("WordNet is not available: concept linking uses exact, last-word, manual and alias "
                       "matching only (run 'python -m sgg_bench.language.wordnet_setup' to install it)")
        _NO_WORDNET_WARNED = True


def _normalize(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").split())


def load_predicate_aliases(path: Path = DATA_DIR / "predicate_aliases.txt") -> dict[str, list[str]]:
    """alias -> canonical predicates in file order, from ``canonical,alias,...`` lines; linking
    uses the first canonical that the vocabulary has ("belong to" -> belonging to, else of)."""
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = [_normalize(p) for p in line.split(",") if p.strip()]
        for alias in names[1:]:
            targets = table.setdefault(alias, [])
            if names[0] not in targets:
                targets.append(names[0])
    return table


def load_noun_synonyms(path: Path = DATA_DIR / "noun_synonyms.txt") -> dict[str, list[str]]:
    """caption noun -> classes to try in order, from ``noun<TAB>class,class`` lines."""
    table: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        noun, _, targets = line.partition("\t")
        table[_normalize(noun)] = [_normalize(t) for t in targets.split(",") if t.strip()]
    return table


class ConceptLinker:
    """Links caption concepts to ``vocabulary`` (a DatasetVocabulary; index 0 is background).

    ``link_noun(word) -> list[str]`` and ``link_predicate(phrase) -> list[str]`` return class names
    (first = the one to use; empty = unlinked). ``noun_index`` / ``predicate_index`` map names to
    vocabulary indices.
    """

    def __init__(self, *, vocabulary: DatasetVocabulary, use_wordnet: bool | None = None):
        self.vocabulary = vocabulary
        self.objects = [_normalize(n) for n in vocabulary.object_classes[1:]]
        self.predicates = [_normalize(n) for n in vocabulary.predicate_classes[1:]]
        self.noun_index = {name: i + 1 for i, name in enumerate(self.objects)}
        self.predicate_index = {name: i + 1 for i, name in enumerate(self.predicates)}
        self.lemmatizer = Lemmatizer(lexicon=load_open_class_lexicon(use_wordnet))
        self.aliases = load_predicate_aliases()
        self.synonyms = load_noun_synonyms()
        available = use_wordnet is not False and wordnet_installed()
        self.matcher = WordNetMatcher() if available else None  # nltk's corpus loads on first use
        if self.matcher is None:
            _warn_no_wordnet_once()
        self._predicate_lemmas = self._lemmatized_predicates()
        self._noun_cache: dict[str, list[str]] = {}
        self._predicate_cache: dict[str, list[str]] = {}

    @property
    def uses_wordnet(self) -> bool:
        return self.matcher is not None

    # -- nouns ----------------------------------------------------------------------------
    def link_noun(self, noun: str) -> list[str]:
        key = _normalize(noun)
        if key not in self._noun_cache:
            self._noun_cache[key] = self._link_noun(key)
        return list(self._noun_cache[key])

    def _link_noun(self, noun: str) -> list[str]:
        if not noun:
            return []
        hit = self._noun_without_wordnet(noun)
        if hit:
            return [hit]
        words = noun.split()
        if len(words) > 1:
            hit = self._noun_without_wordnet(words[-1])
            if hit:
                return [hit]
        found = self._noun_through_wordnet(noun) if self.matcher is not None else []
        return found or self._noun_through_synonyms(noun)

    def _noun_through_synonyms(self, noun: str) -> list[str]:
        """The shipped synonym table, for the noun and then its last word: first class in the vocabulary."""
        words = noun.split()
        for form in dict.fromkeys([*self._noun_forms(noun), *self._noun_forms(words[-1])]):
            hits = [name for name in self.synonyms.get(form, ()) if name in self.noun_index]
            if hits:
                return hits[:1]
        return []

    def _noun_through_wordnet(self, noun: str) -> list[str]:
        scored = []
        for order, name in enumerate(self.objects):
            relation = self.matcher.relation(noun, name)
            if relation is None or relation[0] == "hyponym":
                continue  # caption -> vocabulary: the vocabulary class must be the hypernym
            rank = {"same": 0, "lemma": 1, "hypernym": 2}[relation[0]]
            scored.append((rank, relation[1], order, name))
        return [name for *_, name in sorted(scored)]

    def _noun_without_wordnet(self, noun: str) -> str | None:
        """Manual dictionary, then exact match of the word, its lemma or its plural-stripped form."""
        for form in self._noun_forms(noun):
            target = NOUN_MANUAL.get(form)
            if target in self.noun_index:
                return target
            if form in self.noun_index:
                return form
        return None

    def _noun_forms(self, noun: str) -> list[str]:
        forms = [noun, self.lemmatizer.noun(noun)]
        if noun.endswith("men") and len(noun) > 5:
            forms.append(noun[:-3] + "man")  # "gentlemen" even where the lexicon lacks "gentleman"
        if noun.endswith("s") and len(noun) > 3:
            forms.append(noun[:-1])  # plural-only nouns whose vocabulary entry is singular: "jeans" -> "jean"
        return list(dict.fromkeys(forms))

    # -- predicates -----------------------------------------------------------------------
    def link_predicate(self, predicate: str) -> list[str]:
        key = _normalize(predicate)
        if key not in self._predicate_cache:
            self._predicate_cache[key] = self._link_predicate(key, allow_parts=True)
        return list(self._predicate_cache[key])

    def _lemma_phrase(self, phrase: str) -> str:
        """First word verb-lemmatized when it is an inflected verb: "sits on" -> "sit on"."""
        words = phrase.split()
        if not words:
            return phrase
        first = words[0]
        lemma = self.lemmatizer.verb(first)
        if lemma != first and self.lemmatizer.lexicon.has(lemma, "v"):
            words[0] = lemma
        return " ".join(words)

    def _lemmatized_predicates(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        for name in self.predicates:
            table.setdefault(self._lemma_phrase(name), []).append(name)
        return table

    def _link_predicate(self, phrase: str, *, allow_parts: bool) -> list[str]:
        if not phrase:
            return []
        lemma = self._lemma_phrase(phrase)
        for form in dict.fromkeys((phrase, lemma)):
            target = PREDICATE_MANUAL.get(form)
            if target in self.predicate_index:
                return [target]
            if form in self.predicate_index:
                return [form]
            if form in self._predicate_lemmas:  # the same predicate inflected: before any alias
                return list(self._predicate_lemmas[form])
            for target in self.aliases.get(form, ()):
                if target in self.predicate_index:
                    return [target]
        if not allow_parts:
            return []
        words = lemma.split()
        if len(words) > 1:
            verb, rest = words[0], words[1:]
            is_verb = self.lemmatizer.lexicon.has(verb, "v") and verb not in self.predicate_index
            attempts = []
            if is_verb and len(rest) > 1:
                attempts.append(" ".join(rest))  # multiword preposition first: "stand in front of" -> in front of
            attempts.append(("manual", verb))
            if is_verb:
                if len(rest) > 1:
                    attempts.append(f"{verb} {rest[0]}")  # "mount on the side of" -> "mount on" -> mounted on
                attempts.append(" ".join(rest))  # "run in" -> in
                attempts.append(verb)  # "ride along" -> riding
            for attempt in attempts:
                if isinstance(attempt, tuple):
                    target = VERB_MANUAL.get(attempt[1])
                    hit = [target] if target in self.predicate_index else []
                else:
                    hit = self._link_predicate(attempt, allow_parts=False)
                if hit:
                    return hit
        elif words and words[0] in VERB_MANUAL and VERB_MANUAL[words[0]] in self.predicate_index:
            return [VERB_MANUAL[words[0]]]
        return []

    # -- triplets -------------------------------------------------------------------------
    def link_triplet(self, subject: str, predicate: str, obj: str) -> tuple[str, str, str] | None:
        """(subject class, predicate class, object class) using the first match of each, or None."""
        s, p, o = self.link_noun(subject), self.link_predicate(predicate), self.link_noun(obj)
        if not (s and p and o):
            return None
        return s[0], p[0], o[0]


def link_detector_classes(detector_classes: list[str], vocabulary_classes: list[str], *,
                          matcher: WordNetMatcher | None) -> dict[int, list[int]]:
    """Detector class index -> vocabulary indices (§3.4): equal names, or WordNet either direction.

    Both lists are plain name lists (indices are positions in them; pass names without background
    or account for it). Without a matcher only equal names (case- and underscore-insensitive) match.
    """
    vocab = [_normalize(n) for n in vocabulary_classes]
    mapping: dict[int, list[int]] = {}
    for i, raw in enumerate(detector_classes):
        name = _normalize(raw)
        hits = []
        for j, target in enumerate(vocab):
            if name == target or (matcher is not None and matcher.relation(name, target) is not None):
                hits.append(j)
        mapping[i] = hits
    return mapping
