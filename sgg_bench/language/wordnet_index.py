"""A compact WordNet 3.0 index for the parser and the linker: read from the dict files once, cached.

nltk's corpus reader takes 3-10 s to start (it maps every sense key). The parser and the linker
need far less: per part of speech the lemmas with their sense counts and the exception lists
(tagger, lemmatizer), and for nouns the most frequent synset, its lemma names and hypernyms
(concept linking, docs/LANGUAGE.md). ``load_wordnet_index(folder)`` reads ``index.*`` and ``*.exc``
once, keeps them as sorted lemma lists with count arrays, and caches that in one file in the user
cache folder (``SGG_BENCH_CACHE``, else ``$XDG_CACHE_HOME/sgg-bench``, else ``~/.cache/sgg-bench``):
a JSON header line (format, the source files' sizes and modification times, section lengths and
the SHA-256 of the body) followed by the raw sections. A stale, truncated or edited cache is
rebuilt. Noun synsets are read lazily from ``data.noun`` by byte offset (a seek each, memoized),
the way WordNet's own tools do; a synset is identified by its offset.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import json
import logging
import os
import sys
from array import array
from pathlib import Path

from sgg_bench.utils.atomic import atomic_path

LOGGER = logging.getLogger(__name__)
FORMAT_VERSION = 2
POS_FILES = (("n", "noun"), ("v", "verb"), ("a", "adj"), ("r", "adv"))
CACHE_ENV = "SGG_BENCH_CACHE"
# WordNet morphy's noun substitutions (nltk MORPHOLOGICAL_SUBSTITUTIONS[NOUN])
NOUN_SUBSTITUTIONS = (("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
                      ("shes", "sh"), ("men", "man"), ("ies", "y"))


class SortedTable:
    """Read-only lemma -> integer table over a sorted lemma list (bisect lookups; loads in milliseconds)."""

    def __init__(self, lemmas: list[str], values: array):
        self.lemmas = lemmas
        self.values = values

    def position(self, word: str) -> int:
        i = bisect.bisect_left(self.lemmas, word)
        return i if i < len(self.lemmas) and self.lemmas[i] == word else -1

    def __contains__(self, word: str) -> bool:
        return self.position(word) >= 0

    def get(self, word: str, default: int = 0) -> int:
        i = self.position(word)
        return self.values[i] if i >= 0 else default

    def __len__(self) -> int:
        return len(self.lemmas)


class WordNetIndex:
    """``senses[pos]``: lemma -> number of synsets (pos in n v a r); ``exceptions[pos][form]`` ->
    lemmas; ``first_noun_synset(lemma)`` -> offset of the most frequent noun synset."""

    def __init__(self, folder: Path, senses: dict[str, SortedTable], exceptions: dict[str, dict[str, list[str]]],
                 noun_first: array):
        self.folder = folder
        self.senses = senses
        self.exceptions = exceptions
        self._noun_first = noun_first  # aligned with senses["n"].lemmas
        self._data_noun = None
        self.synset = functools.lru_cache(maxsize=None)(self._read_synset)

    def morphy_noun(self, form: str) -> str | None:
        """WordNet's base form of a noun (what nltk's ``morphy(form, NOUN)`` returns), or None."""
        nouns = self.senses["n"]
        exceptions = self.exceptions["n"]
        if form in exceptions:
            forms = exceptions[form]
        else:
            forms = [form[: -len(old)] + new for old, new in NOUN_SUBSTITUTIONS if form.endswith(old)]
        for candidate in [form, *forms]:
            if candidate in nouns:
                return candidate
        return None

    def first_noun_synset(self, lemma: str) -> int | None:
        i = self.senses["n"].position(lemma)
        return self._noun_first[i] if i >= 0 else None

    def _read_synset(self, offset: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """(lemma names, hypernym + instance-hypernym offsets) of the noun synset at ``offset``."""
        if self._data_noun is None:
            self._data_noun = open(self.folder / "data.noun", "rb")  # noqa: SIM115 - kept open for seeks
        self._data_noun.seek(offset)
        fields = self._data_noun.readline().decode("utf-8").split(" | ", 1)[0].split()
        if int(fields[0]) != offset:
            raise ValueError(f"{self.folder / 'data.noun'}: no synset at offset {offset}")
        word_count = int(fields[3], 16)
        words = tuple(fields[4:4 + 2 * word_count:2])
        k = 4 + 2 * word_count
        parents = []
        for p in range(int(fields[k])):
            symbol, target, target_pos = fields[k + 1 + 4 * p: k + 4 + 4 * p]
            if symbol in ("@", "@i") and target_pos == "n":
                parents.append(int(target))
        return words, tuple(parents)

    def lemma_names(self, offset: int) -> tuple[str, ...]:
        return self.synset(offset)[0]

    def ancestor_distances(self, offset: int) -> dict[int, int]:
        """Every hypernym (transitively, instance hypernyms included) at its shortest distance; itself at 0."""
        distances = {offset: 0}
        frontier = [offset]
        depth = 0
        while frontier:
            depth += 1
            following = []
            for node in frontier:
                for parent in self.synset(node)[1]:
                    if parent not in distances:
                        distances[parent] = depth
                        following.append(parent)
            frontier = following
        return distances


def source_files(folder: Path) -> list[Path]:
    names = [f"index.{suffix}" for _, suffix in POS_FILES] + [f"{suffix}.exc" for _, suffix in POS_FILES]
    return [folder / name for name in names + ["data.noun"]]


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sgg-bench"


def cache_path(folder: Path) -> Path:
    digest = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:16]
    return cache_dir() / f"wordnet-index-v{FORMAT_VERSION}-{digest}.bin"


def _fingerprint(folder: Path) -> dict[str, list[int]]:
    return {path.name: [path.stat().st_size, path.stat().st_mtime_ns] for path in source_files(folder)}


def _read_sources(folder: Path) -> dict[str, bytes]:
    """The cache sections: per pos sorted lemmas, sense counts (and first noun offsets); exceptions."""
    sections: dict[str, bytes] = {}
    for pos, suffix in POS_FILES:
        rows = []
        with open(folder / f"index.{suffix}", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(" "):
                    continue  # licence header
                fields = line.split()
                count = int(fields[2])
                rows.append((fields[0], count, int(fields[-count])))  # offsets come last, most frequent first
        rows.sort()
        sections[f"lemmas.{pos}"] = "\n".join(row[0] for row in rows).encode("utf-8")
        sections[f"counts.{pos}"] = array("H", (min(row[1], 65535) for row in rows)).tobytes()
        if pos == "n":
            sections["first.n"] = array("I", (row[2] for row in rows)).tobytes()
    exceptions: dict[str, dict[str, list[str]]] = {}
    for pos, suffix in POS_FILES:
        table: dict[str, list[str]] = {}
        with open(folder / f"{suffix}.exc", encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) >= 2:
                    table[parts[0]] = parts[1:]
        exceptions[pos] = table
    sections["exceptions"] = json.dumps(exceptions, separators=(",", ":")).encode("utf-8")
    return sections


def _index_from_sections(folder: Path, sections: dict[str, bytes]) -> WordNetIndex:
    senses = {}
    for pos, _ in POS_FILES:
        counts = array("H")
        counts.frombytes(sections[f"counts.{pos}"])
        senses[pos] = SortedTable(sections[f"lemmas.{pos}"].decode("utf-8").split("\n"), counts)
    first = array("I")
    first.frombytes(sections["first.n"])
    return WordNetIndex(folder, senses, json.loads(sections["exceptions"]), first)


def _read_cache(path: Path, fingerprint: dict) -> dict[str, bytes] | None:
    """The cached sections, or None when missing, stale or failing the checksum."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header_end = raw.find(b"\n")
    try:
        header = json.loads(raw[:header_end])
        if header.get("format") != FORMAT_VERSION or header.get("files") != fingerprint \
                or header.get("byteorder") != sys.byteorder:
            return None
        body = memoryview(raw)[header_end + 1:]
        if hashlib.sha256(body).hexdigest() != header.get("sha256"):
            LOGGER.warning("WordNet index cache %s failed its checksum; rebuilding it", path)
            return None
        sections, start = {}, 0
        for name, length in header["sections"]:
            sections[name] = bytes(body[start:start + length])
            start += length
        if start != len(body):
            raise ValueError("section lengths do not add up")
        return sections
    except (ValueError, KeyError, TypeError, AttributeError):
        LOGGER.warning("WordNet index cache %s is unreadable; rebuilding it", path)
        return None


def _write_cache(path: Path, fingerprint: dict, sections: dict[str, bytes]) -> None:
    body = b"".join(sections.values())
    header = {"format": FORMAT_VERSION, "byteorder": sys.byteorder, "files": fingerprint,
              "sections": [[name, len(data)] for name, data in sections.items()],
              "sha256": hashlib.sha256(body).hexdigest()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(json.dumps(header).encode("utf-8") + b"\n" + body)
    except OSError as exc:  # read-only home: the index then lives in memory only
        LOGGER.info("could not write the WordNet index cache %s: %s", path, exc)


@functools.lru_cache(maxsize=4)
def load_wordnet_index(folder: Path) -> WordNetIndex:
    """The index of the WordNet dict files in ``folder``, from the cache when it is current."""
    folder = Path(folder)
    fingerprint = _fingerprint(folder)
    path = cache_path(folder)
    sections = _read_cache(path, fingerprint)
    if sections is None:
        sections = _read_sources(folder)
        _write_cache(path, fingerprint, sections)
    return _index_from_sections(folder, sections)
