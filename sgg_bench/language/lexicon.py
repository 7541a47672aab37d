"""Word lists for the rules parser: closed classes (shipped) and open classes (WordNet or fallback).

Open-class part-of-speech evidence comes from the WordNet 3.0 index files when they are found
(see ``find_wordnet_dir``), through the cached compact index of ``wordnet_index.py`` (no nltk
corpus reader; loading takes a tenth of a second); otherwise from the shipped ``data/fallback_lexicon.txt`` plus suffix rules in the tagger.
Set ``SGG_BENCH_NO_WORDNET=1`` (or pass ``use_wordnet=False``) to simulate a machine without WordNet.
"""
from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
NO_WORDNET_ENV = "SGG_BENCH_NO_WORDNET"

DETERMINERS = frozenset(
    "a an the this these those some several many few each every any all both another other no "
    "various multiple numerous most such lots plenty".split())
NUMERALS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty hundred hundreds dozen dozens "
    "thousand thousands first second third fourth fifth half".split())
POSSESSIVES = frozenset("his her its their my our your whose".split())
PRONOUNS = frozenset(
    "he she it they them him i me we us you someone somebody something anyone anything everyone "
    "everything nobody nothing itself himself herself themselves yourself myself ourselves one "
    "ones this that these those what".split())
AUXILIARIES = frozenset(
    "is are was were be been being am 's 're do does did can could will would shall should may "
    "might must has have had".split())
BE_FORMS = frozenset("is are was were be been being am 's 're".split())
HAVE_FORMS = frozenset("has have had having".split())
CONJUNCTIONS = frozenset("and or & but nor plus while as".split())
RELATIVIZERS = frozenset("who that which whose where".split())
NEGATIONS = frozenset("not n't never".split())
EXISTENTIAL = frozenset({"there"})
ADVERBS = frozenset(
    "very really quite too also just still almost together alone nearby outdoors indoors "
    "here there now then again already very quickly slowly high low far away back home "
    "closely carefully happily gently while partially mostly fully neatly brightly".split())
# Adjectives that modify a following noun even where WordNet also lists a noun reading ("red").
COMMON_ADJECTIVES = frozenset(
    "red blue green yellow white black brown gray grey orange pink purple tan silver golden "
    "young old new big small large little tall short long huge tiny giant dark bright light "
    "empty full clean dirty wet dry hot cold fresh open closed round square wooden metal".split())
# Prepositions (single words). Words also used as verb particles are included; the relation
# rules decide between "preposition with an object" and "particle".
PREPOSITIONS = frozenset(
    "on in at of with by from to into onto upon under over above below beneath underneath "
    "beside besides near behind between among amongst amid around across along alongside "
    "through throughout toward towards against inside outside within without past beyond "
    "about after before during for like unlike via atop up down out off aboard opposite "
    "round thru per versus than".split())
PARTICLES = frozenset("up down out off away back around over along together apart".split())
# Multiword prepositions, matched longest-first by the tagger and kept as one token.
MULTIWORD_PREPOSITIONS = (
    "in front of", "on top of", "next to", "on the side of", "in the middle of", "on the back of",
    "in the back of", "on the edge of", "at the edge of", "on the other side of", "in the center of",
    "at the top of", "at the bottom of", "on the front of", "in the corner of", "at the end of",
    "on either side of", "on both sides of", "to the left of", "to the right of", "on the left of",
    "on the right of", "out of", "in between", "close to", "inside of", "outside of", "near to",
    "up against", "across from", "in back of", "away from", "ahead of", "along with", "together with",
    "full of", "instead of", "because of", "on to", "in to", "out in", "up on", "all over",
    "in the shape of", "on board", "by the side of", "at the side of", "in the front of",
    "at the front of", "on the top of", "at the back of", "in the background of", "underneath of",
)
# -ing words that are far more often nouns than participles right after a noun ("a brick building").
ING_NOUNS = frozenset(
    "building buildings painting paintings drawing drawings clothing railing railings awning awnings "
    "frosting icing topping toppings stuffing siding ceiling carving carvings wedding filling "
    "landing crossing sibling".split())
# Partitive / quantity openers: "a herd of X" has head X (parser option ``partitives``).
PARTITIVE_NOUNS = frozenset(
    "group groups herd herds flock flocks bunch bunches pair pairs couple lot lots number "
    "piece pieces slice slices variety crowd crowds team teams row rows set sets pile piles "
    "stack stacks collection assortment bunch cluster clusters line lines kind kinds type types "
    "sort sorts handful plenty bundle bundles array fleet swarm pack school".split())
# Numerals that take "of" like a partitive: "dozens of birds" has head "birds".
COUNTED_QUANTITIES = frozenset("dozen dozens hundred hundreds thousand thousands millions".split())
PARTITIVE_LEADERS = frozenset("a an the some several two three four many large small big huge "
                              "whole long little few".split())
# Phrases that introduce the photo's content rather than an object ("a close up of a cat").
FRAMING_PHRASES = ("close up of", "close-up of", "closeup of", "close up view of", "close up shot of")
RECIPROCALS = ("each other", "one another")
# Adverbial phrases, merged into one ADV token only at the end of a clause ("a clock on top.").
ADVERBIAL_PHRASES = ("on top", "in front", "in the background", "in the distance", "in the foreground",
                     "at night", "at the same time", "side by side", "up close", "on display")


def find_wordnet_dir() -> Path | None:
    """Folder holding the WordNet 3.0 ``index.noun`` etc., or None (also None when disabled by env)."""
    if os.environ.get(NO_WORDNET_ENV, "").strip() not in ("", "0"):
        return None
    roots: list[Path] = []
    for entry in os.environ.get("NLTK_DATA", "").split(os.pathsep):
        if entry:
            roots.append(Path(entry))
    roots += [Path(sys.prefix) / "nltk_data", Path.home() / "nltk_data", Path(sys.prefix) / "share" / "nltk_data",
              Path("/usr/share/nltk_data"), Path("/usr/local/share/nltk_data"),
              Path("/usr/lib/nltk_data"), Path("/usr/local/lib/nltk_data")]
    candidates = [root / "corpora" / "wordnet" for root in roots] + [Path("/usr/share/wordnet")]
    for folder in candidates:
        if (folder / "index.noun").is_file() and (folder / "verb.exc").is_file():
            return folder
    return None


@dataclass
class OpenClassLexicon:
    """Open-class words: ``senses[pos][lemma]`` = number of WordNet synsets (pos in n, v, a, r; a dict
    or the index's read-only ``SortedTable``),
    ``exceptions[pos][inflected]`` = lemma list (WordNet ``*.exc``). ``source`` says where they came from."""
    senses: dict[str, dict[str, int]] = field(default_factory=dict)
    exceptions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    source: str = "fallback"

    def has(self, word: str, pos: str) -> bool:
        return word in self.senses.get(pos, ())

    def count(self, word: str, pos: str) -> int:
        return self.senses.get(pos, {}).get(word, 0)


def _read_wordnet(folder: Path) -> OpenClassLexicon:
    """Sense counts and exception lists from the compact WordNet index (cached; wordnet_index.py)."""
    from sgg_bench.language.wordnet_index import load_wordnet_index  # noqa: PLC0415

    index = load_wordnet_index(folder)
    exceptions = {pos: dict(table) for pos, table in index.exceptions.items()}  # merged below; keep the index's own
    return OpenClassLexicon(senses=dict(index.senses), exceptions=exceptions, source=f"wordnet:{folder}")


def _read_fallback() -> OpenClassLexicon:
    """Shipped lexicon: lines ``word<TAB>tags`` (tags from n v a r), plus irregular forms."""
    senses: dict[str, dict[str, int]] = {"n": {}, "v": {}, "a": {}, "r": {}}
    exceptions: dict[str, dict[str, list[str]]] = {"n": {}, "v": {}, "a": {}, "r": {}}
    for line in (DATA_DIR / "fallback_lexicon.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, tags = line.split("\t")[:2]
        for weight, tag in enumerate(reversed(tags.split(",")), start=1):
            senses[tag][word] = weight  # earlier tags are the more frequent reading
    for line in (DATA_DIR / "irregular_forms.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pos, inflected, lemma = line.split("\t")
        exceptions[pos].setdefault(inflected, []).append(lemma)
    return OpenClassLexicon(senses=senses, exceptions=exceptions, source="fallback")


@functools.lru_cache(maxsize=4)
def load_open_class_lexicon(use_wordnet: bool | None = None) -> OpenClassLexicon:
    """WordNet-based lexicon when ``use_wordnet`` is not False and WordNet is found, else fallback.

    The fallback's irregular forms are merged into the WordNet exceptions too (harmless overlap).
    """
    folder = find_wordnet_dir() if use_wordnet is not False else None
    fallback = _read_fallback()
    if folder is None:
        return fallback
    lexicon = _read_wordnet(folder)
    for pos, table in fallback.exceptions.items():
        for inflected, lemmas in table.items():
            lexicon.exceptions[pos].setdefault(inflected, lemmas)
    return lexicon


def load_word_list(name: str) -> frozenset[str]:
    """A shipped one-entry-per-line list from ``data/`` (``#`` comments allowed)."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))
