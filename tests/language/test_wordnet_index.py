"""The compact WordNet index: built from hand-written dict files, cached with a checksum, and in
agreement with nltk's reader on the real WordNet."""
from __future__ import annotations

import logging

import pytest

from sgg_bench.language import wordnet_index
from sgg_bench.language.vocabularies import builtin_vg150
from sgg_bench.language.wordnet_match import WordNetMatcher, load_nltk_wordnet
from langtest_utils import requires_wordnet

# (lemma names, hypernym lemma) of a three-synset noun hierarchy: entity <- animal <- dog
_SYNSETS = [(["entity"], None), (["animal", "beast"], "entity"), (["dog", "domestic_dog"], "animal")]


def _fake_wordnet(folder):
    """index.*, *.exc and data.noun with real byte offsets, in WordNet's file formats."""
    folder.mkdir()
    lines, offsets, position = [], {}, len("  1 licence header\n")
    for words, parent in _SYNSETS:
        offsets[words[0]] = position
        pointer = f"001 @ {offsets[parent]:08d} n 0000" if parent else "000"
        line = f"{position:08d} 03 n {len(words):02x} {' '.join(w + ' 0' for w in words)} {pointer} | gloss\n"
        lines.append(line)
        position += len(line.encode())
    (folder / "data.noun").write_text("  1 licence header\n" + "".join(lines))
    index = {"animal": ["animal"], "beast": ["animal"], "dog": ["dog"], "domestic_dog": ["dog"], "entity": ["entity"]}
    (folder / "index.noun").write_text("  1 licence header\n" + "".join(
        f"{lemma} n 1 0 1 0 {offsets[synsets[0]]:08d}\n" for lemma, synsets in sorted(index.items())))
    (folder / "index.verb").write_text("run v 2 0 2 0 00000001 00000002\n")
    (folder / "index.adj").write_text("red a 1 0 1 0 00000003\n")
    (folder / "index.adv").write_text("fast r 1 0 1 0 00000004\n")
    (folder / "noun.exc").write_text("doggies dog\n")
    (folder / "verb.exc").write_text("ran run\n")
    (folder / "adj.exc").write_text("")
    (folder / "adv.exc").write_text("")
    return offsets


def test_index_reads_hand_written_wordnet_files(tmp_path, monkeypatch):
    monkeypatch.setenv(wordnet_index.CACHE_ENV, str(tmp_path / "cache"))
    offsets = _fake_wordnet(tmp_path / "wn")
    wordnet_index.load_wordnet_index.cache_clear()
    index = wordnet_index.load_wordnet_index(tmp_path / "wn")
    assert index.senses["v"].get("run") == 2 and "red" in index.senses["a"] and "walk" not in index.senses["v"]
    assert index.exceptions["v"] == {"ran": ["run"]}
    assert [index.morphy_noun(w) for w in ("dogs", "doggies", "beasts", "cats")] == ["dog", "dog", "beast", None]
    dog = index.first_noun_synset("dog")
    assert dog == offsets["dog"] and index.lemma_names(dog) == ("dog", "domestic_dog")
    assert index.ancestor_distances(dog) == {offsets["dog"]: 0, offsets["animal"]: 1, offsets["entity"]: 2}
    matcher = WordNetMatcher(index=index)
    assert matcher.relation("dogs", "beast") == ("hypernym", 1)
    assert matcher.relation("entity", "dog") == ("hyponym", 2)
    assert matcher.relation("domestic_dog", "dog") == ("same", 0)


def test_cache_is_reused_and_rebuilt_when_stale_or_corrupt(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(wordnet_index.CACHE_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "wn"
    _fake_wordnet(folder)
    wordnet_index.load_wordnet_index.cache_clear()
    wordnet_index.load_wordnet_index(folder)
    cache = wordnet_index.cache_path(folder)
    assert cache.is_file()
    # a current cache is read, not rebuilt: a sentinel in the sources' place would break a rebuild
    monkeypatch.setattr(wordnet_index, "_read_sources", lambda _: pytest.fail("rebuilt a current cache"))
    wordnet_index.load_wordnet_index.cache_clear()
    assert wordnet_index.load_wordnet_index(folder).senses["v"].get("run") == 2
    monkeypatch.undo()
    monkeypatch.setenv(wordnet_index.CACHE_ENV, str(tmp_path / "cache"))
    # one flipped byte in the body fails the checksum: warned and rebuilt
    raw = bytearray(cache.read_bytes())
    raw[-3] ^= 0x01
    cache.write_bytes(bytes(raw))
    wordnet_index.load_wordnet_index.cache_clear()
    with caplog.at_level(logging.WARNING):
        index = wordnet_index.load_wordnet_index(folder)
    assert "checksum" in caplog.text and index.morphy_noun("dogs") == "dog"
    assert cache.read_bytes() != bytes(raw)
    # a changed source file (size) makes the cache stale
    with open(folder / "index.verb", "a") as handle:
        handle.write("walk v 1 0 1 0 00000005\n")
    wordnet_index.load_wordnet_index.cache_clear()
    assert "walk" in wordnet_index.load_wordnet_index(folder).senses["v"]
    wordnet_index.load_wordnet_index.cache_clear()


@requires_wordnet
def test_compact_index_agrees_with_nltk():
    wn = load_nltk_wordnet()
    if wn is None:
        pytest.skip("nltk's WordNet reader could not be loaded")
    compact, reference = WordNetMatcher(), WordNetMatcher(wordnet=wn)
    caption_nouns = ["puppy", "automobile", "gentleman", "lady", "ladies", "vehicle", "glasses", "geese", "men",
                     "surfer", "jetliner", "cellphone", "tennis player", "hot dog", "t-shirt", "sheep", "buses",
                     "boxes", "knives", "mice", "sailboat", "container", "human hand", "xyzzy"]
    names = [n.replace("_", " ") for n in builtin_vg150().object_classes[1:]]
    for a in caption_nouns + names[:40]:
        for b in names:
            assert compact.relation(a, b) == reference.relation(a, b), (a, b)
