"""Noun-phrase chunker: turns tagged tokens into entities and a flat item sequence for the rules.

NP = (DET|NUM|POSS|QUANT)* (ADJ|NOUN)* NOUN, where the trailing run of nouns is the head
compound ("tennis racket"), except when it ends in a person noun (``data/person_nouns.txt``):
"tennis player" has head "player" and "tennis" as a compound modifier. Everything else stays a single item. Pronouns become PRON items
(they fill a slot but make no entity).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sgg_bench.language.lemmatizer import Lemmatizer
from sgg_bench.language.tagger import Token

_MODIFIER_DEPS = {"DET": "det", "NUM": "nummod", "POSS": "poss", "QUANT": "quantmod", "ADJ": "amod", "NOUN": "compound"}


@dataclass(slots=True)
class Entity:
    """One noun phrase. ``span_bounds`` = (first token, last token + 1) in tokenizer positions."""
    span: str
    lemma_span: str
    head: str
    lemma_head: str
    span_bounds: tuple[int, int]
    modifiers: list[dict] = field(default_factory=list)
    type: str = "unknown"

    def as_dict(self) -> dict:
        return {"span": self.span, "lemma_span": self.lemma_span, "head": self.head,
                "lemma_head": self.lemma_head, "span_bounds": self.span_bounds,
                "modifiers": self.modifiers, "type": self.type}


@dataclass(slots=True)
class Item:
    """A chunk-level unit: kind NP (``entity`` index), or a token's tag (VERB, PREP, ...)."""
    kind: str
    token: Token | None = None
    entity: int = -1


def chunk(tokens: list[Token], *, lemmatizer: Lemmatizer, scene_nouns: frozenset[str],
          person_nouns: frozenset[str] = frozenset()) -> tuple[list[Entity], list[Item]]:
    entities: list[Entity] = []
    items: list[Item] = []
    i = 0
    n = len(tokens)
    while i < n:
        j = i
        while j < n and tokens[j].tag in ("DET", "NUM", "POSS", "QUANT"):
            j += 1
        k = j
        while k < n and tokens[k].tag in ("ADJ", "NOUN"):
            k += 1
        # The NP ends at its last noun; trailing adjectives ("the sky is blue") are not part of it.
        end = k
        while end > j and tokens[end - 1].tag != "NOUN":
            end -= 1
        if end > j:
            entities.append(_make_entity(tokens[i:end], lemmatizer, scene_nouns, person_nouns))
            items.append(Item("NP", entity=len(entities) - 1))
            i = end
            continue
        if j > i and j < n and tokens[j].tag == "PRON":
            i = j  # "each other" after a determiner-like word
        token = tokens[i]
        if token.tag == "VERB":
            token.lemma = lemmatizer.verb(token.norm or token.text)
        items.append(Item(token.tag, token=token))
        i += 1
    return entities, items


def _make_entity(tokens: list[Token], lemmatizer: Lemmatizer, scene_nouns: frozenset[str],
                 person_nouns: frozenset[str]) -> Entity:
    head_start = len(tokens)
    while head_start > 0 and tokens[head_start - 1].tag == "NOUN":
        head_start -= 1
    last = tokens[-1]
    if head_start < len(tokens) - 1 and lemmatizer.noun(last.norm or last.text) in person_nouns:
        head_start = len(tokens) - 1  # "tennis player": the person, not the activity
    head_words = [t.text for t in tokens[head_start:]]
    head = " ".join(head_words)
    lemma_head = lemmatizer.noun(" ".join(t.norm or t.text for t in tokens[head_start:]))
    lemma_words = []
    for index, token in enumerate(tokens):
        norm = token.norm or token.text
        lemma_words.append(lemmatizer.noun(norm) if token.tag == "NOUN" and index == len(tokens) - 1 else norm)
    modifiers = [{"dep": _MODIFIER_DEPS[t.tag], "span": t.text, "lemma_span": t.text}
                 for t in tokens[:head_start] if t.tag in _MODIFIER_DEPS]
    last = lemma_head.rsplit(" ", 1)[-1]
    kind = "scene" if lemma_head in scene_nouns or last in scene_nouns else "unknown"
    return Entity(span=" ".join(t.text for t in tokens), lemma_span=" ".join(lemma_words), head=head,
                  lemma_head=lemma_head, span_bounds=(tokens[0].start, tokens[-1].end),
                  modifiers=modifiers, type=kind)
