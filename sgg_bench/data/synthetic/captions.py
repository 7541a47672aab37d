"""Image captions generated from each scene graph, written as COCO-captions JSON.

Each image gets 3-5 captions. They paraphrase the graph rather than copy it: nouns go
through synonyms ("man" -> "guy"/"gentleman"/"person"), predicates through paraphrases
("near" -> "next to"/"beside"), some relations are passive ("a plate held by a woman"),
repeated classes are counted ("two dogs"), colours appear as adjectives, and every image
mixes in words outside the dataset vocabulary (weather, places, moods, "lamp post").
That makes them a realistic input for the caption-to-scene-graph (language supervision) path.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from .appearance import colour_name
from .layout import Scene

NOUNS = {
    "man": ["man", "guy", "gentleman", "person", "male"], "woman": ["woman", "lady", "girl", "person"],
    "dog": ["dog", "puppy", "pup"], "horse": ["horse", "pony", "brown horse"], "bird": ["bird", "small bird"],
    "car": ["car", "vehicle", "automobile"], "bike": ["bike", "bicycle"], "boat": ["boat", "sailboat"],
    "building": ["building", "house", "brick building"], "tree": ["tree", "leafy tree"],
    "window": ["window", "windowpane"], "sign": ["sign", "street sign"], "pole": ["pole", "lamp post", "post"],
    "table": ["table", "wooden table", "desk"], "chair": ["chair", "seat"], "bench": ["bench", "park bench"],
    "plate": ["plate", "dish"], "cup": ["cup", "mug"], "bottle": ["bottle"], "bag": ["bag", "handbag", "purse"],
    "umbrella": ["umbrella", "parasol"], "kite": ["kite"], "pizza": ["pizza", "slice of pizza"],
    "shirt": ["shirt", "striped shirt", "t-shirt"], "hat": ["hat", "cap"], "wheel": ["wheel", "tire"],
    "street": ["street", "road"],
}
PLURALS = {"man": "men", "woman": "women", "person": "people", "bus": "buses", "glass": "glasses",
           "sheep": "sheep", "dish": "dishes", "bench": "benches", "pony": "ponies", "puppy": "puppies",
           "slice of pizza": "slices of pizza"}
PREDICATES = {
    "on": ["on", "on top of", "sitting on", "resting on"], "has": ["has", "with"], "wearing": ["wearing", "dressed in"],
    "of": ["of", "belonging to"], "in": ["in", "inside"], "near": ["near", "next to", "beside", "by"],
    "behind": ["behind", "in back of"], "in front of": ["in front of"], "holding": ["holding", "with"],
    "sitting on": ["sitting on", "seated on"], "standing on": ["standing on"], "riding": ["riding", "on"],
    "under": ["under", "underneath", "below"], "above": ["above", "over", "flying over"],
    "parked on": ["parked on", "parked along"], "hanging from": ["hanging from", "dangling from"],
    "attached to": ["attached to", "fixed to"], "carrying": ["carrying"], "walking on": ["walking on", "walking down"],
    "eating": ["eating", "chewing on"], "looking at": ["looking at", "watching", "staring at"],
    "laying on": ["laying on", "lying on", "stretched out on"], "mounted on": ["mounted on", "on top of"],
}
PASSIVES = {"holding": "held by", "wearing": "worn by", "riding": "ridden by", "eating": "being eaten by",
            "carrying": "carried by", "looking at": "watched by", "has": "on"}
NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}
PLACES = {"grass": ["in the park", "on the grass", "in a grassy field"], "sand": ["at the beach", "on the sand"],
          "pavement": ["on the pavement", "in a plaza", "in the town square"]}
EXTRAS = ["on a sunny day", "under a blue sky", "in the afternoon", "on a clear day", "with clouds in the sky"]
MOODS = ["looking happy", "smiling", "enjoying the day", "relaxing"]


def _article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _plural(noun: str) -> str:
    if noun in PLURALS:
        return PLURALS[noun]
    head = noun.split()[-1]
    tail = noun[: len(noun) - len(head)]
    if head in PLURALS:
        return tail + PLURALS[head]
    if head.endswith("man"):
        return noun[:-3] + "men"  # gentleman -> gentlemen
    if head.endswith("y") and head[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"  # lady -> ladies
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")


class _Phraser:
    def __init__(self, scene: Scene, rng: np.random.Generator):
        self.scene = scene
        self.rng = rng

    def choice(self, options):
        return options[int(self.rng.integers(len(options)))]

    def noun(self, index: int) -> str:
        obj = self.scene.objects[index]
        word = self.choice(NOUNS[obj.label])
        if len(word.split()) == 1 and self.rng.random() < 0.3 and obj.label not in ("man", "woman", "street"):
            word = f"{colour_name(obj.label, obj.variant)} {word}"
        return _article(word)

    def triplet(self, s: int, o: int, predicate: str) -> str:
        if predicate in PASSIVES and self.rng.random() < 0.3:
            return f"{self.noun(o)} {PASSIVES[predicate]} {self.noun(s)}"
        return f"{self.noun(s)} {self.choice(PREDICATES[predicate])} {self.noun(o)}"

    def counted(self, label: str, count: int) -> str:
        word = self.choice(NOUNS[label])
        return f"{NUMBERS.get(count, 'several')} {_plural(word)}" if count > 1 else _article(word)


def _finish(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:] + "."


def captions_for_scene(scene: Scene, seed: int) -> list[str]:
    """3-5 captions for one scene; deterministic for (seed, scene.index)."""
    rng = np.random.default_rng([seed, scene.index, 4242])
    phr = _Phraser(scene, rng)
    places = PLACES[scene.ground] if scene.water_top is None else ["by the lake", "near the water"]
    place = phr.choice(places)
    rels = [r for k, r in enumerate(scene.relations) if k not in scene.secondary_rows]
    order = rng.permutation(len(rels)) if rels else []
    n_captions = int(rng.integers(3, 6))
    captions: list[str] = []
    # 1) one or two relations, optionally joined, with a place or weather phrase outside the vocabulary
    for k in order[:n_captions - 1]:
        s, o, p = rels[int(k)]
        text = phr.triplet(s, o, p)
        if len(rels) > 1 and rng.random() < 0.3:
            s2, o2, p2 = rels[int(order[(int(np.flatnonzero(order == k)[0]) + 1) % len(order)])]
            if s2 == s:
                text += f" and {phr.choice(PREDICATES[p2])} {phr.noun(o2)}"
        if rng.random() < 0.35:
            text += " " + phr.choice([place] + EXTRAS)
        if scene.objects[s].label in ("man", "woman") and rng.random() < 0.15:
            text += " " + phr.choice(MOODS)
        captions.append(_finish(text))
    # 2) counting sentence over the most common figures, plus the scene's place
    counts = Counter(o.label for o in scene.objects if o.label not in ("shirt", "hat", "wheel", "window", "street"))
    while len(captions) < n_captions:
        if counts:
            common = [phr.counted(label, c) for label, c in counts.most_common(int(rng.integers(1, 3)))]
            text = " and ".join(common) + " " + place
            if rng.random() < 0.5:
                text = phr.choice(["there are ", "a picture of ", "a scene with ", ""]) + text
        else:
            text = "an empty scene " + place
        captions.append(_finish(text + ("" if rng.random() < 0.6 else " " + phr.choice(EXTRAS))))
        counts = Counter(dict(list(counts.items())[1:]))  # vary the next counting sentence
    return captions


def captions_json(scenes: list[Scene], seed: int, first_annotation_id: int = 1) -> dict:
    """COCO-captions dict {"images": [...], "annotations": [...]} for ``scenes``; image ids = VG image ids."""
    images, annotations = [], []
    next_id = first_annotation_id
    for scene in scenes:
        images.append({"id": scene.image_id, "file_name": f"{scene.image_id}.jpg", "width": scene.width,
                       "height": scene.height})
        for text in captions_for_scene(scene, seed):
            annotations.append({"id": next_id, "image_id": scene.image_id, "caption": text})
            next_id += 1
    return {"images": images, "annotations": annotations}
