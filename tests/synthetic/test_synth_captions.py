"""Captions: COCO-captions JSON, 3-5 per image, ids = VG image ids, varied and partly out of vocabulary."""
import json
import re

import h5py
import pytest

from sgg_bench.data.synthetic.captions import captions_for_scene, _plural


def _load(root, name):
    return json.loads((root / "captions" / f"captions_{name}.json").read_text())


def test_captions_json_shape_and_ids(tiny_root):
    ids = [e["image_id"] for e in json.loads((tiny_root / "vg" / "image_data.json").read_text())]
    with h5py.File(tiny_root / "vg" / "VG-SGG-with-attri.h5", "r") as f:
        split = f["split"][()]
    train, test = _load(tiny_root, "train"), _load(tiny_root, "test")
    assert [im["id"] for im in train["images"]] == [i for i, s in zip(ids, split) if s == 0]
    assert [im["id"] for im in test["images"]] == [i for i, s in zip(ids, split) if s == 2]
    for data in (train, test):
        assert set(data) == {"images", "annotations"}
        assert all(set(im) == {"id", "file_name", "width", "height"} for im in data["images"])
        assert all(set(a) == {"id", "image_id", "caption"} for a in data["annotations"])
        per_image = {im["id"]: 0 for im in data["images"]}
        for a in data["annotations"]:
            per_image[a["image_id"]] += 1
        assert all(3 <= n <= 5 for n in per_image.values())
    all_ids = [a["id"] for a in train["annotations"] + test["annotations"]]
    assert len(set(all_ids)) == len(all_ids)


def test_captions_vary_and_leave_the_vocabulary(tiny_scenes):
    texts = [t for s in tiny_scenes for t in captions_for_scene(s, seed=0)]
    joined = " ".join(texts).lower()
    assert all(t[0].isupper() and t.endswith(".") for t in texts)
    assert re.search(r"\b(guy|gentleman|lady|person|puppy|bicycle|mug)\b", joined)      # synonyms
    assert re.search(r"\b(next to|beside|on top of|underneath|in back of)\b", joined)   # paraphrased predicates
    assert re.search(r"\b(two|three|four|several) \w+", joined)                         # counted plurals
    assert re.search(r"\b(sunny|sky|park|beach|afternoon|lake|water|grass)\b", joined)  # outside the vocabulary
    assert len(set(texts)) > 0.8 * len(texts)


def test_plurals():
    assert _plural("man") == "men" and _plural("bench") == "benches" and _plural("slice of pizza") == "slices of pizza"
    assert _plural("dog") == "dogs" and _plural("park bench") == "park benches"
    assert _plural("lady") == "ladies" and _plural("gentleman") == "gentlemen" and _plural("guy") == "guys"


def test_every_caption_noun_and_its_plural_is_spelled_as_wordnet_knows_it():
    """Spelling guard (the generator once wrote "ladys"): each head noun is a WordNet noun and its
    plural lemmatizes back to it."""
    from sgg_bench.data.synthetic.captions import NOUNS
    from sgg_bench.language.lemmatizer import Lemmatizer
    from sgg_bench.language.lexicon import load_open_class_lexicon
    from sgg_bench.language.wordnet_match import wordnet_installed

    if not wordnet_installed():
        pytest.skip("WordNet is not installed")
    lemmatizer = Lemmatizer(lexicon=load_open_class_lexicon(None))
    for word in sorted({w for words in NOUNS.values() for w in words}):
        head = word.split()[0] if " of " in word else word.split()[-1]
        plural = _plural(word)
        plural_head = plural.split()[0] if " of " in plural else plural.split()[-1]
        assert lemmatizer.lexicon.has(head, "n"), word
        if plural_head != "people":  # the parser keeps "people" (a plural-only noun in its lists)
            assert lemmatizer.noun(plural_head) == head, (word, plural)
