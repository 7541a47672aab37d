"""Names the synthetic dataset uses: a subset of the VG150 object, predicate and attribute vocabularies.

Every name below is spelled exactly as in the real ``VG-SGG-dicts-with-attri.json`` so that
code paths keyed by VG names (frequency priors, zero-shot lists, caption linking) meet
familiar words. The lists are kept sorted because VG numbers its vocabularies
alphabetically (index 1 = first name); the dict writer relies on that.

The real dict file is never read at run time: these names are hard-coded.
"""
from __future__ import annotations

# 27 object classes. "street" is a ground band; all others are drawn figures.
OBJECT_CLASSES: tuple[str, ...] = (
    "bag", "bench", "bike", "bird", "boat", "bottle", "building", "car", "chair", "cup",
    "dog", "hat", "horse", "kite", "man", "pizza", "plate", "pole", "shirt", "sign",
    "street", "table", "tree", "umbrella", "wheel", "window", "woman",
)

# 23 predicates; the visible rule of each one is in predicate_rules.py.
PREDICATES: tuple[str, ...] = (
    "above", "attached to", "behind", "carrying", "eating", "hanging from", "has", "holding",
    "in", "in front of", "laying on", "looking at", "mounted on", "near", "of", "on",
    "parked on", "riding", "sitting on", "standing on", "under", "walking on", "wearing",
)

# Attributes: colour names of the palettes in appearance.py plus pose/state words.
ATTRIBUTES: tuple[str, ...] = (
    "black", "blue", "brown", "flying", "green", "grey", "laying", "orange", "parked", "pink",
    "purple", "red", "sitting", "standing", "striped", "tan", "walking", "white", "wooden", "yellow",
)

PERSON_CLASSES = ("man", "woman")
ANIMAL_CLASSES = ("dog", "horse")

assert list(OBJECT_CLASSES) == sorted(OBJECT_CLASSES)
assert list(PREDICATES) == sorted(PREDICATES)
assert list(ATTRIBUTES) == sorted(ATTRIBUTES)

LABEL_TO_INDEX = {name: i + 1 for i, name in enumerate(OBJECT_CLASSES)}  # 1-based as VG
PREDICATE_TO_INDEX = {name: i + 1 for i, name in enumerate(PREDICATES)}
ATTRIBUTE_TO_INDEX = {name: i + 1 for i, name in enumerate(ATTRIBUTES)}
