"""Relation rules over the chunk sequence (docs/LANGUAGE.md).

Rules, in the order the walker applies them:
  R1  NP [AUX] VERB NP                 -> (subject, verb, object)
  R2  NP [AUX] VERB [ADV] PREP NP      -> (subject, "verb prep", object); NP PREP NP -> (NP, prep, NP);
      NP AUX(be) PREP NP               -> (subject, prep, object)
  R3  a later PP attaches to the clause subject when the clause has a verb, else to the nearest NP;
      "of" always attaches to the nearest NP, and the object of "of" is skipped as an attachment point;
      after "in"/"at" + a place ("grazing in a field behind a fence") it attaches to the place, and
      the object of "a picture of" (depiction nouns) stays an attachment point ("a photo of a cat on a bed")
  R4  NP [AUX] VERB-ed by NP           -> (agent, verb, NP); PPs right after the agent attach to it
  R5  NP AUX(be) NP                    -> (subject, "be", NP), only with ``copula=True``
  R6  NP and NP                        -> cross product; a shared subject carries to a second verb;
      VERB and VERB share their complements
  R7  NP who/that/which VERB ...       -> the relative clause's subject is that NP
  R8  pronouns and "each other" fill a slot but make no entity; "there is X" makes X the subject
  R9  X 's Y                           -> (X, "have", Y) and Y takes X's place
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sgg_bench.language import lexicon as lx
from sgg_bench.language.chunker import Item

Group = list  # list[int] entity indices


@dataclass
class RelationOptions:
    """``verb_prep``: "merge" joins a verb and the preposition right after it ("sit on");
    "listed" does so only for phrasal verbs in ``phrasal_verbs`` (sng behaviour), otherwise the
    relation is the preposition and the verb goes to the ``verb`` field. ``copula`` enables R5.
    ``sng_compat`` drops the final "of" of multiword prepositions in ``lemma_relation``."""
    verb_prep: str = "merge"
    copula: bool = False
    sng_compat: bool = False
    phrasal_verbs: frozenset = field(default_factory=frozenset)


@dataclass
class _Verb:
    surfaces: list[str]
    lemmas: list[str]
    subject: Group | None
    open: bool = True       # waiting for a direct object or a preposition
    passive: bool = False


@dataclass
class _PendingPrep:
    attach: Group | None
    relations: list[tuple[str, str, str | None]]  # (surface, lemma, verb lemma kept aside)
    reverse: bool = False   # passive agent: the coming NP is the subject
    is_of: bool = False
    prep: str = ""


class RelationWalker:
    """Walks the items of one caption and collects relation dicts (sng schema)."""

    def __init__(self, items: list[Item], *, options: RelationOptions, places: frozenset[int] = frozenset(),
                 depictions: frozenset[int] = frozenset()):
        self.items = self._group(items)
        self.options = options
        self.places = places  # entity indices of place nouns (type "scene")
        self.depictions = depictions  # entity indices of "picture", "photo", ...: "of" shows what they show
        self.relations: list[dict] = []
        self._seen: set[tuple[int, int, str]] = set()

    # -- preprocessing --------------------------------------------------------------------
    @staticmethod
    def _group(items: list[Item]) -> list:
        """Merge possessives (R9) and coordinated NPs (R6) into ("NPG", [entity...]) items."""
        out: list = []
        possessions: list[tuple[int, int]] = []
        i = 0
        n = len(items)
        while i < n:
            item = items[i]
            if item.kind != "NP":
                out.append(item)
                i += 1
                continue
            entity = item.entity
            while i + 2 < n and items[i + 1].kind == "PMARK" and items[i + 2].kind == "NP":
                possessions.append((entity, items[i + 2].entity))
                entity = items[i + 2].entity
                i += 2
            group = [entity]
            i += 1
            while True:
                j = i
                saw_conj = False
                while j < n and items[j].kind in ("CONJ", "PUNCT") and (
                        items[j].kind == "CONJ" and items[j].token.text in ("and", "or", "&")
                        or items[j].kind == "PUNCT" and items[j].token.text == ","):
                    saw_conj = saw_conj or items[j].kind == "CONJ"
                    j += 1
                if j == i or j >= n or items[j].kind != "NP":
                    break
                if not saw_conj and not _list_continues_to_conj(items, j):
                    break
                group.append(items[j].entity)
                i = j + 1
            out.append(("NPG", group))
        out.append(("POSSESSIONS", possessions))
        return out

    # -- emission -------------------------------------------------------------------------
    def _emit(self, subjects: Group | None, objects: Group | None, surface: str, lemma: str, verb: str | None = None) -> None:
        if not subjects or not objects:
            return
        if self.options.sng_compat and lemma.endswith(" of") and len(lemma.split()) > 2:
            lemma = lemma[: -len(" of")]
        for s in subjects:
            for o in objects:
                if s == o or (s, o, lemma) in self._seen:
                    continue
                self._seen.add((s, o, lemma))
                relation = {"subject": s, "object": o, "relation": surface, "lemma_relation": lemma}
                if verb:
                    relation["verb"] = verb
                self.relations.append(relation)

    def _verb_prep(self, verb_surface: str, verb_lemma: str, prep: str) -> tuple[str, str, str | None]:
        merged_lemma = f"{verb_lemma} {prep}"
        if self.options.verb_prep == "merge" or merged_lemma in self.options.phrasal_verbs:
            return f"{verb_surface} {prep}", merged_lemma, None
        return prep, prep, verb_lemma

    # -- the walk -------------------------------------------------------------------------
    def run(self) -> list[dict]:
        items = self.items
        subject: Group | None = None
        last_group: Group | None = None      # nearest attachment point (skips "of" objects)
        agent: Group | None = None
        place: Group | None = None           # object of "in"/"at" + a place noun, R3's exception
        verb: _Verb | None = None
        pending: _PendingPrep | None = None
        copula = False
        existential = False
        rel_subject: Group | None = None
        prev_kind = "START"
        for index, item in enumerate(items):
            if isinstance(item, tuple):
                kind, payload = item
                if kind == "POSSESSIONS":
                    for owner, owned in payload:
                        self._emit([owner], [owned], "'s", "have")
                    continue
                group: Group = payload
                if pending is not None:
                    for surface, lemma, kept in pending.relations:
                        if pending.reverse:
                            self._emit(group, pending.attach, surface, lemma)
                        else:
                            self._emit(pending.attach, group, surface, lemma, kept)
                    if pending.reverse:
                        agent = group
                        last_group = group
                    elif not pending.is_of or all(e in self.depictions for e in pending.attach or [None]):
                        last_group = group
                        agent = None
                    place = group if pending.prep in ("in", "at") and all(e in self.places for e in group) else None
                    pending = None
                elif verb is not None and verb.open:
                    for surface, lemma in zip(verb.surfaces, verb.lemmas):
                        self._emit(verb.subject, group, surface, lemma)
                    verb.open = False
                    last_group = group
                    agent = None
                elif copula:
                    if existential:
                        subject = group
                    elif self.options.copula:
                        self._emit(rel_subject or subject, group, "be", "be")
                    copula = False
                    existential = False
                    last_group = group
                else:
                    subject = group
                    last_group = group
                    verb = None
                    rel_subject = None
                prev_kind = "NPG"
                continue

            kind = item.kind
            token = item.token
            text = token.text if token is not None else ""
            if kind == "PRON":
                if pending is not None:
                    pending = None
                elif verb is not None and verb.open:
                    verb.open = False
                elif subject is None:
                    subject = []
            elif kind == "VERB":
                following = _next_kinds(items, index)
                if verb is not None and verb.open and prev_kind == "CONJ" and _before_conj_is_verb(items, index):
                    verb.surfaces.append(text)
                    verb.lemmas.append(token.lemma)
                else:
                    verb_subject = rel_subject if rel_subject is not None else subject
                    if token.form == "ing" and prev_kind == "NPG" and agent is not None and last_group is agent:
                        # "flown by a boy wearing a hat": a participle right after the agent describes it
                        verb_subject = agent
                    verb = _Verb(surfaces=[text], lemmas=[token.lemma], subject=verb_subject)
                copula = False
                existential = False
                nxt = _next_item(items, index)
                if _is_prep(nxt, "by") and (token.form == "ed" or prev_kind == "AUX"):
                    verb.passive = True
                elif nxt is not None and not isinstance(nxt, tuple) and nxt.kind == "PREP" \
                        and nxt.token.text in lx.PARTICLES and following[1:2] in (["PREP"], ["TO"]):
                    # "lined up along": the particle belongs to the verb
                    verb.surfaces[-1] += f" {nxt.token.text}"
                    verb.lemmas[-1] += f" {nxt.token.text}"
                    nxt.kind = "PART"
                if following[:2] == ["TO", "VERB"] or following[:3] == ["PART", "TO", "VERB"]:
                    verb.open = False  # control verb: "trying to catch", "bending down to drink"
            elif kind == "AUX":
                if text in lx.BE_FORMS and _next_kinds(items, index, skip=("ADV", "NEG"))[:1] != ["VERB"]:
                    copula = True
                    existential = prev_kind == "EX"
            elif kind == "PREP":
                prep = text
                if verb is not None and verb.passive and prep == "by" and verb.open:
                    relations = [(surface, lemma, None) for surface, lemma in zip(verb.surfaces, verb.lemmas)]
                    pending = _PendingPrep(attach=verb.subject, relations=relations, reverse=True)
                    verb.open = False
                elif verb is not None and verb.open and prev_kind in ("VERB", "PART"):
                    relations = [self._verb_prep(s, l, prep) for s, l in zip(verb.surfaces, verb.lemmas)]
                    pending = _PendingPrep(attach=verb.subject, relations=relations, prep=prep)
                    verb.open = False
                elif copula:
                    pending = _PendingPrep(attach=rel_subject or subject, relations=[(prep, prep, None)], prep=prep)
                    copula = False
                    existential = False
                else:
                    if prep == "of":
                        attach = last_group
                    elif agent is not None and last_group is agent:
                        attach = agent
                    elif place is not None and last_group is place and prev_kind == "NPG":
                        attach = place
                    elif verb is not None and verb.subject:
                        attach = verb.subject
                    else:
                        attach = last_group
                    if prev_kind not in ("NPG", "PRON", "ADV", "PUNCT", "VERB", "PART"):
                        attach = None if prev_kind == "START" else attach
                    pending = _PendingPrep(attach=attach, relations=[(prep, prep, None)], is_of=prep == "of", prep=prep)
                    if verb is not None:
                        verb.open = False
            elif kind == "REL":
                rel_subject = last_group
                verb = None
                copula = False
                pending = None
            elif kind == "PUNCT":
                pending = None
                copula = False
                if verb is not None:
                    verb.open = False
                if text in (".", ";", "!", "?"):
                    subject = last_group = agent = verb = rel_subject = None
            # ADV, NEG, PART, ADJ, TO, CONJ, EX and stray determiners change no state here; the
            # previous-kind bookkeeping below lets the next item see them.
            if kind not in ("ADV", "NEG"):
                prev_kind = kind
        return self.relations


def _list_continues_to_conj(items: list[Item], j: int) -> bool:
    """In "a couch, a lamp and a tv", the comma-separated NPs are one list only if a conjunction follows."""
    k = j + 1
    while k < len(items):
        kind = items[k].kind
        if kind == "CONJ":
            return k + 1 < len(items) and items[k + 1].kind == "NP"
        if kind == "PUNCT" and items[k].token.text == "," and k + 1 < len(items) and items[k + 1].kind == "NP":
            k += 2
            continue
        return False
    return False


def _next_item(items: list, index: int, skip=("ADV", "NEG")):
    for item in items[index + 1:]:
        if isinstance(item, tuple) or item.kind not in skip:
            return item
    return None


def _next_kinds(items: list, index: int, skip=("ADV", "NEG")) -> list[str]:
    kinds = []
    for item in items[index + 1:]:
        kind = item[0] if isinstance(item, tuple) else item.kind
        if kind in skip:
            continue
        kinds.append(kind)
        if len(kinds) == 3:
            break
    return kinds


def _is_prep(item, word: str) -> bool:
    return item is not None and not isinstance(item, tuple) and item.kind == "PREP" and item.token.text == word


def _before_conj_is_verb(items: list, index: int) -> bool:
    k = index - 1
    while k >= 0 and not isinstance(items[k], tuple) and items[k].kind in ("CONJ", "ADV", "NEG"):
        k -= 1
    return k >= 0 and not isinstance(items[k], tuple) and items[k].kind == "VERB"
