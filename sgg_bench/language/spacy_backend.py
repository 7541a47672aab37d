"""Optional spaCy backend: SceneGraphParser-style rules over a dependency parse.

The rules are a reimplementation (not a copy) of those of vacancy/SceneGraphParser (MIT licence,
credit to its authors), as summarised in docs/LANGUAGE.md. spaCy is imported lazily and is not a
dependency: ``SpacyParser.from_environment()`` raises ``SpacyUnavailable`` when spaCy or the model
named by ``SGG_SPACY_MODEL`` (default ``en_core_web_sm``) cannot be loaded.

``parse_doc`` reads only ``i``, ``text``, ``lemma_``, ``pos_``, ``dep_``, ``head`` and ``children``
of each token (and ``len``/iteration/indexing of the doc), so it also runs on hand-built
``spacy.tokens.Doc`` objects and on plain stand-ins in tests.
"""
from __future__ import annotations

import os

from sgg_bench.language.lexicon import load_word_list

DEFAULT_MODEL = "en_core_web_sm"
MODEL_ENV = "SGG_SPACY_MODEL"
_NOUN_POS = {"NOUN", "PROPN"}
_CHUNK_MODIFIER_DEPS = {"det", "amod", "compound", "nummod", "poss", "predet", "nmod"}
_KEPT_MODIFIER_DEPS = ("det", "nummod", "amod")
# Nouns inside phrasal prepositions ("in front of", "on top of"); they make no entity.
_PHRASAL_PREP_NOUNS = {"front", "top", "side", "middle", "back", "edge", "center", "centre", "corner", "bottom", "end"}


class SpacyUnavailable(RuntimeError):
    """spaCy or its English model is not installed."""


class SpacyParser:
    """``parse(caption) -> dict`` using a loaded spaCy pipeline ``nlp``."""

    def __init__(self, *, nlp, sng_compat: bool = False):
        self.nlp = nlp
        self.sng_compat = sng_compat

    @classmethod
    def from_environment(cls, *, sng_compat: bool = False) -> "SpacyParser":
        model = os.environ.get(MODEL_ENV, DEFAULT_MODEL)
        try:
            import spacy  # noqa: PLC0415 - optional dependency
        except ImportError as exc:
            raise SpacyUnavailable("spaCy is not installed") from exc
        try:
            nlp = spacy.load(model)
        except (OSError, IOError, ValueError) as exc:
            raise SpacyUnavailable(f"spaCy model {model!r} could not be loaded ({exc.__class__.__name__})") from exc
        return cls(nlp=nlp, sng_compat=sng_compat)

    def parse(self, caption: str) -> dict:
        if not isinstance(caption, str):
            raise TypeError(f"caption must be a str, got {type(caption).__name__}")
        return parse_doc(self.nlp(caption.lower()), sng_compat=self.sng_compat)


def _children(token, *deps):
    return [c for c in token.children if c.dep_ in deps]


def _chunk_tokens(root) -> list:
    """The root noun and its left-side modifiers (recursively), in sentence order."""
    out = [root]
    stack = [c for c in root.children if c.dep_ in _CHUNK_MODIFIER_DEPS and c.i < root.i]
    while stack:
        token = stack.pop()
        out.append(token)
        stack.extend(c for c in token.children if c.i < root.i and c.dep_ in _CHUNK_MODIFIER_DEPS | {"advmod", "cc", "conj"})
    return sorted(out, key=lambda t: t.i)


def _is_phrasal_prep_noun(token) -> bool:
    """"front" in "in front of": a noun under a preposition that itself governs "of"."""
    return (token.lemma_ in _PHRASAL_PREP_NOUNS and token.dep_ == "pobj" and token.head.dep_ == "prep"
            and any(c.dep_ == "prep" and c.text == "of" for c in token.children))


def _conj_root(token):
    """The first conjunct of a coordination chain ("cats" in "dogs and cats" -> "dogs")."""
    while token.dep_ == "conj" and token.head is not token:
        token = token.head
    return token


def _conjuncts(token) -> list:
    out = [token]
    for child in token.children:
        if child.dep_ == "conj":
            out.extend(_conjuncts(child))
    return out


def parse_doc(doc, *, sng_compat: bool = False, scene_nouns: frozenset | None = None) -> dict:
    """sng-style scene graph of a parsed doc (see the module docstring for what it reads)."""
    if scene_nouns is None:
        scene_nouns = load_word_list("scene_nouns.txt")
    phrasal_verbs = load_word_list("phrasal_verbs.txt")
    entities: list[dict] = []
    entity_of: dict[int, int] = {}
    for token in doc:
        if token.pos_ not in _NOUN_POS or token.dep_ == "compound" or _is_phrasal_prep_noun(token):
            continue
        chunk = _chunk_tokens(token)
        compounds = sorted(_children(token, "compound"), key=lambda t: t.i)
        head = " ".join([c.text for c in compounds] + [token.text])
        lemma_head = " ".join([c.lemma_ for c in compounds] + [token.lemma_])
        modifiers = []
        for child in sorted(token.children, key=lambda t: t.i):
            if child.dep_ in _KEPT_MODIFIER_DEPS and child.i < token.i:
                for part in _conjuncts(child) if child.dep_ == "amod" else [child]:
                    modifiers.append({"dep": child.dep_, "span": part.text, "lemma_span": part.lemma_})
        entity_of[token.i] = len(entities)
        entities.append({
            "span": " ".join(t.text for t in chunk), "lemma_span": " ".join(t.lemma_ for t in chunk),
            "head": head, "lemma_head": lemma_head, "span_bounds": (chunk[0].i, chunk[-1].i + 1),
            "modifiers": modifiers, "type": "scene" if lemma_head in scene_nouns else "unknown"})

    relations: list[dict] = []
    seen: set = set()

    def entity_ids(token) -> list[int]:
        return [entity_of[t.i] for t in _conjuncts(token) if t.i in entity_of]

    def emit(subjects, objects, relation, lemma):
        if sng_compat and lemma.endswith(" of") and len(lemma.split()) > 2:
            lemma = lemma[: -len(" of")]
        for s in subjects:
            for o in objects:
                key = (s, o, lemma)
                if s != o and key not in seen:
                    seen.add(key)
                    relations.append({"subject": s, "object": o, "relation": relation, "lemma_relation": lemma})

    def verb_subjects(verb) -> list[int]:
        for child in verb.children:
            if child.dep_ in ("nsubj", "expl") and child.i in entity_of:
                return entity_ids(child)
        if verb.dep_ in ("acl", "relcl") and verb.head.i in entity_of:
            return entity_ids(_conj_root(verb.head)) if verb.head.dep_ != "conj" else [entity_of[verb.head.i]]
        if verb.dep_ == "conj" and verb.head is not verb:
            return verb_subjects(verb.head)
        return []

    def attachment(head_token) -> list[int]:
        """Who a preposition governed by ``head_token`` relates."""
        if head_token.i in entity_of:
            return [entity_of[head_token.i]]
        if head_token.pos_ in ("VERB", "AUX"):
            return verb_subjects(head_token)
        if head_token.dep_ == "pobj" and _is_phrasal_prep_noun(head_token):
            return attachment(head_token.head.head)
        return []

    for token in doc:
        if token.i not in entity_of:
            continue
        first = _conj_root(token)
        if first is not token:
            continue  # handled with its first conjunct (cross product)
        dep = token.dep_
        objects = entity_ids(token)
        if dep in ("dobj", "attr"):
            verb = token.head
            subjects = verb_subjects(verb)
            if dep == "attr":
                emit(subjects, objects, verb.text, "be" if verb.lemma_ == "be" else verb.lemma_)
            else:
                emit(subjects, objects, verb.text, verb.lemma_)
        elif dep == "pobj":
            prep = token.head
            if prep.dep_ == "agent":
                continue
            governor = prep.head
            if governor.dep_ == "pobj" and _is_phrasal_prep_noun(governor):
                outer = governor.head  # "in" of "in front of"
                words = [outer.text, governor.text, prep.text]
                emit(attachment(outer.head), objects, " ".join(words), " ".join(words))
            elif governor.pos_ == "VERB" and governor.i + 1 == prep.i and \
                    f"{governor.lemma_} {prep.text}" in phrasal_verbs:
                emit(verb_subjects(governor), objects, f"{governor.text} {prep.text}", f"{governor.lemma_} {prep.text}")
            elif governor.text == "next" and governor.dep_ in ("amod", "advmod"):
                emit(attachment(governor.head), objects, "next to", "next to")
            else:
                emit(attachment(governor), objects, prep.text, prep.lemma_)
        elif dep == "nsubjpass":
            verb = token.head
            for agent in _children(verb, "agent"):
                for pobj in _children(agent, "pobj"):
                    if pobj.i in entity_of:
                        emit(entity_ids(pobj), objects, verb.text, verb.lemma_)
    return {"entities": entities, "relations": relations}
