"""Part-of-speech tagger for captions: closed-class lists, multiword merging, contextual rules.

Tags: DET NUM POSS QUANT PRON AUX EX PREP TO CONJ REL NEG ADV ADJ NOUN VERB PMARK (the possessive
``'s``) PUNCT. Verb tokens carry ``form`` in ``base``, ``s``, ``ing``, ``ed``. Multiword
prepositions ("in front of"), partitives ("a herd of") and reciprocals ("each other") become one
token whose ``text`` holds the words joined by spaces; ``start``/``end`` are token positions in
the tokenizer output (end exclusive).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from sgg_bench.language import lexicon as lx
from sgg_bench.language.lemmatizer import Lemmatizer
from sgg_bench.language.main_verb import could_end_noun_phrase, is_plural_subject, modified_subject
from sgg_bench.language.spelling import SpellingCorrector

OBJECT_STARTERS = frozenset({"DET", "POSS", "NUM", "QUANT"})
NP_INTERNAL = frozenset({"DET", "POSS", "NUM", "QUANT", "ADJ"})
PLURAL_OPENERS = frozenset("two three four five six seven eight nine ten twelve twenty several many few these those "
                           "both various multiple numerous".split())
_PUNCT = set(".,;:!?\"()[]{}-/'")


@dataclass(slots=True)
class Token:
    text: str
    tag: str
    start: int
    end: int
    form: str = ""     # verbs: base | s | ing | ed
    lemma: str = ""
    norm: str = ""     # spelling-corrected text used for lemmas (== text unless a typo was fixed)


@dataclass(frozen=True)
class WordInfo:
    """Context-free readings of one open-class word."""
    noun: bool
    verb: bool
    adj: bool
    adv: bool
    form: str          # base | s | ing | ed (morphological shape when read as a verb)
    plural: bool       # noun reading is plural
    noun_weight: int
    verb_weight: int
    adj_weight: int


def _phrase_table(phrases) -> dict[str, list[tuple[str, ...]]]:
    table: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        table.setdefault(words[0], []).append(words)
    for entries in table.values():
        entries.sort(key=len, reverse=True)  # longest first
    return table


_MULTIWORD_PREPS = _phrase_table(lx.MULTIWORD_PREPOSITIONS)
_FRAMING = _phrase_table(lx.FRAMING_PHRASES)
_RECIPROCALS = _phrase_table(lx.RECIPROCALS)
_ADVERBIALS = _phrase_table(lx.ADVERBIAL_PHRASES)
# Closed-class words whose tag depends on the next or previous word (see _closed_class_rules).
_CONTEXT_WORDS = frozenset({"'s", "that", "which", "who", "there", "her", "to", "one"}) | lx.HAVE_FORMS
# Words that can open a merged phrase (any table above, or a partitive "a herd of", "dozens of").
_PHRASE_STARTS = frozenset(_MULTIWORD_PREPS) | frozenset(_FRAMING) | frozenset(_RECIPROCALS) | frozenset(_ADVERBIALS) \
    | lx.PARTITIVE_LEADERS | lx.NUMERALS | lx.PARTITIVE_NOUNS | lx.COUNTED_QUANTITIES


class Tagger:
    """``tag(tokens) -> list[Token]``. ``partitives=True`` merges "a group of" into one QUANT token."""

    def __init__(self, *, lexicon: lx.OpenClassLexicon, lemmatizer: Lemmatizer, partitives: bool = True):
        self.lexicon = lexicon
        self.lemmatizer = lemmatizer
        self.partitives = partitives
        self.person_nouns = lx.load_word_list("person_nouns.txt")
        self._closed_fixed = self._fixed_closed_tags()
        self._closed_words = frozenset(self._closed_fixed) | _CONTEXT_WORDS
        self.spelling = SpellingCorrector(lexicon=lexicon, lemmatizer=lemmatizer)
        self.word_info = functools.lru_cache(maxsize=65536)(self._word_info)

    # -- context-free readings ------------------------------------------------------------
    def _word_info(self, word: str) -> WordInfo:
        lex = self.lexicon
        noun_lemma = self.lemmatizer.noun(word)
        verb_lemma = self.lemmatizer.verb(word)
        noun = lex.has(noun_lemma, "n") or lex.has(word, "n")
        verb = lex.has(verb_lemma, "v")
        adj = lex.has(word, "a")
        adv = lex.has(word, "r")
        if word.endswith("ing") and verb_lemma != word:
            form = "ing"
        elif verb_lemma != word and (word.endswith("ed") or word in lex.exceptions.get("v", {})) \
                and not word.endswith("s"):
            form = "ed"
        elif word.endswith("s") and verb_lemma != word:
            form = "s"
        else:
            form = "base"
        if not (noun or verb or adj or adv):
            # Unknown word (typo, rare word): guess from the suffix.
            if word.endswith("ing") and len(word) > 5:
                verb, form = True, "ing"
            elif word.endswith("ed") and len(word) > 4:
                verb, form = True, "ed"
            elif word.endswith("ly") and len(word) > 4:
                adv = True
            elif word.endswith(("ous", "ful", "ive", "ish", "less", "ic", "able")):
                adj = True
            else:
                noun = True
        plural = noun and noun_lemma != word
        return WordInfo(noun=noun, verb=verb, adj=adj, adv=adv, form=form, plural=plural,
                        noun_weight=max(lex.count(noun_lemma, "n"), lex.count(word, "n")),
                        verb_weight=lex.count(verb_lemma, "v"), adj_weight=lex.count(word, "a"))

    # -- tagging --------------------------------------------------------------------------
    def tag(self, words: list[str]) -> list[Token]:
        tokens = self._merge_phrases(words)
        for index, token in enumerate(tokens):
            if not token.tag:
                token.tag, token.form = self._closed_class(tokens, index)
        for token in tokens:
            token.norm = token.text if token.tag else self.spelling.correct(token.text)
        for index, token in enumerate(tokens):
            if not token.tag:
                token.tag, token.form = self._open_class(tokens, index)
        return tokens

    def _merge_phrases(self, words: list[str]) -> list[Token]:
        tokens: list[Token] = []
        i = 0
        n = len(words)
        while i < n:
            word = words[i]
            if word not in _PHRASE_STARTS:  # most words start no phrase: skip the table look-ups
                tokens.append(Token(word, "", i, i + 1))
                i += 1
                continue
            merged = None
            for table, tag in ((_FRAMING, "QUANT"), (_RECIPROCALS, "PRON"), (_MULTIWORD_PREPS, "PREP")):
                for phrase in table.get(word, ()):
                    if tuple(words[i:i + len(phrase)]) == phrase:
                        merged = (tag, len(phrase))
                        break
                if merged:
                    break
            if merged is None:
                for phrase in _ADVERBIALS.get(word, ()):
                    after = words[i + len(phrase)] if i + len(phrase) < len(words) else "."
                    if tuple(words[i:i + len(phrase)]) == phrase and (after in _PUNCT or after in lx.CONJUNCTIONS):
                        merged = ("ADV", len(phrase))
                        break
            if merged is None and self.partitives:
                merged = self._partitive_at(words, i)
            if merged is not None:
                tag, length = merged
                if tag == "QUANT" and tokens and tokens[-1].tag == "" and tokens[-1].text in ("a", "an", "the"):
                    tokens.pop()  # "a close up of": the article belongs to the frame
                    i -= 1
                    length += 1
                tokens.append(Token(" ".join(words[i:i + length]), tag, i, i + length))
                i += length
                continue
            tokens.append(Token(word, "", i, i + 1))
            i += 1
        return tokens

    @staticmethod
    def _partitive_at(words: list[str], i: int):
        """("QUANT", length) for "[a|two|...] herd of" followed by a word, else None."""
        start = i
        if words[i] in lx.COUNTED_QUANTITIES and i + 2 < len(words) and words[i + 1] == "of" \
                and words[i + 2] not in _PUNCT:
            return ("QUANT", 2)  # "dozens of birds"
        if words[i] in lx.PARTITIVE_LEADERS or words[i] in lx.NUMERALS:
            i += 1
        if i + 2 < len(words) and words[i] in lx.PARTITIVE_NOUNS and words[i + 1] == "of" \
                and words[i + 2] not in _PUNCT:
            return ("QUANT", i + 2 - start)
        return None

    def _closed_class(self, tokens: list[Token], i: int) -> tuple[str, str]:
        word = tokens[i].text
        fixed = self._closed_fixed.get(word)
        if fixed is not None:
            return fixed
        if word not in _CONTEXT_WORDS and word.isalpha():
            return self._closed_class_rules(tokens, i) if word in self._closed_words else ("", "")
        return self._closed_class_rules(tokens, i)

    def _fixed_closed_tags(self) -> dict[str, tuple[str, str]]:
        """Tags of closed-class words whose reading does not depend on the neighbours (computed once)."""
        words = lx.AUXILIARIES | lx.NEGATIONS | lx.DETERMINERS | lx.NUMERALS | lx.POSSESSIVES | lx.PRONOUNS \
            | lx.CONJUNCTIONS | lx.PREPOSITIONS | lx.ADVERBS
        return {word: self._closed_class_rules([Token(word, "", 0, 1)], 0) for word in words - _CONTEXT_WORDS}

    def _closed_class_rules(self, tokens: list[Token], i: int) -> tuple[str, str]:
        word = tokens[i].text
        nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
        prev = tokens[i - 1] if i > 0 else None
        if word == "'s":
            # "'s" after a noun is a possessive unless a participle or "a/an" follows (then "is").
            if nxt in ("a", "an", "the", "being", "on", "in", "at", "next to") or nxt.endswith("ing"):
                return "AUX", ""
            return "PMARK", ""
        if word and (word[0].isdigit()):
            return "NUM", ""
        if all(ch in _PUNCT or not ch.isalnum() for ch in word):
            return "PUNCT", ""
        if word in ("that", "which", "who"):
            if word == "that" and (prev is None or not self._verb_like(nxt)):
                return "DET", ""  # "that dog", "holding that umbrella"
            return "REL", ""
        if word == "there":
            if nxt in lx.BE_FORMS or nxt in ("seems", "appear", "appears"):
                return "EX", ""
            return "ADV", ""
        if word == "her":
            return ("POSS", "") if nxt and nxt not in lx.PREPOSITIONS and nxt not in _PUNCT \
                and nxt not in lx.CONJUNCTIONS else ("PRON", "")
        if word in lx.HAVE_FORMS:
            if nxt in ("been",) or (nxt.endswith("ed") and nxt not in lx.DETERMINERS):
                return "AUX", ""
            return "VERB", {"has": "s", "had": "ed", "having": "ing"}.get(word, "base")
        if word in lx.AUXILIARIES:
            return "AUX", ""
        if word in lx.NEGATIONS:
            return "NEG", ""
        if word == "to":
            info = self.word_info(nxt) if nxt.isalpha() else None
            if info is not None and info.verb and nxt not in lx.DETERMINERS and nxt not in lx.POSSESSIVES \
                    and (info.verb_weight >= info.noun_weight or not info.noun) and info.form == "base":
                return "TO", ""
            return "PREP", ""
        if word in lx.DETERMINERS:
            return "DET", ""
        if word in lx.NUMERALS:
            if word == "one" and (not nxt or nxt in lx.PREPOSITIONS or nxt in _PUNCT):
                return "PRON", ""
            return "NUM", ""
        if word in lx.POSSESSIVES:
            return "POSS", ""
        if word in lx.PRONOUNS:
            return "PRON", ""
        if word in lx.CONJUNCTIONS:
            return "CONJ", ""
        if word in lx.PREPOSITIONS:
            return "PREP", ""
        if word in lx.ADVERBS and not self.lexicon.has(word, "n"):
            return "ADV", ""
        return "", ""

    def _open_class(self, tokens: list[Token], i: int) -> tuple[str, str]:
        word = tokens[i].norm or tokens[i].text
        info = self.word_info(word)
        prev = tokens[i - 1] if i > 0 else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev_tag = prev.tag if prev is not None else "START"
        readings = [r for r, ok in (("NOUN", info.noun), ("VERB", info.verb), ("ADJ", info.adj),
                                    ("ADV", info.adv)) if ok]
        if len(readings) == 1:
            only = readings[0]
            if only == "VERB" and info.form == "ed" and prev_tag in NP_INTERNAL and self._noun_follows(tokens, i):
                return "ADJ", ""  # "a stuffed animal"
            return only, info.form if only == "VERB" else ""
        next_is_noun = self._noun_follows(tokens, i)
        inside_np = prev_tag in NP_INTERNAL
        # Participles and gerunds.
        if info.verb and info.form in ("ing", "ed"):
            if word in lx.ING_NOUNS and prev_tag == "NOUN" and prev.text not in self.person_nouns \
                    and (nxt is None or nxt.tag not in OBJECT_STARTERS | {"PRON"}):
                return "NOUN", ""  # "a brick building near a tree" (but "a man painting ...")
            if info.form == "ing" and info.noun and next_is_noun and (
                    prev_tag == "VERB" or inside_np and (not info.adj or self._lexical_compound(tokens, i))):
                return "NOUN", ""  # "a fishing pole", "a living room", "holding fishing poles"
            if inside_np:
                if next_is_noun:
                    return "ADJ", ""
                return ("NOUN", "") if info.noun else ("VERB", info.form)
            if prev_tag == "PREP" and info.noun and info.form == "ing":
                return "NOUN", ""
            return "VERB", info.form
        if inside_np:
            if info.adj and next_is_noun and nxt is not None and nxt.text.endswith("ing"):
                # "a tall building" (ADJ) versus "a stuffed animal sitting" (NOUN): lexical preference
                if word in lx.COMMON_ADJECTIVES or info.adj_weight > info.noun_weight:
                    return "ADJ", ""
                return "NOUN", ""
            if info.adj and (next_is_noun or self._adjective_coordination(tokens, i)):
                return "ADJ", ""
            if info.noun:
                return "NOUN", ""
            return ("ADJ", "") if info.adj else ("VERB", info.form)
        if prev_tag in ("AUX", "ADV", "REL", "TO", "NEG") and info.verb:
            if prev_tag == "AUX" and prev.text in lx.BE_FORMS and info.adj and not info.form == "ing":
                return "ADJ", ""
            return "VERB", info.form
        if prev_tag == "NOUN" and info.verb and self._finite_verb_after_noun(tokens, i, info):
            return "VERB", info.form
        if prev_tag == "CONJ" and i >= 2:
            before = tokens[i - 2]
            if before.tag == "VERB" and info.verb:
                return "VERB", info.form
            if before.tag == "ADJ" and info.adj:
                return "ADJ", ""
            if info.verb and nxt is not None and nxt.tag in OBJECT_STARTERS | {"PREP"} and \
                    not self._clause_has_no_verb(tokens, i):
                return "VERB", info.form  # "... and reads a newspaper"
        if info.noun:
            if info.adj and next_is_noun and prev_tag in ("START", "PREP", "CONJ", "PUNCT"):
                return "ADJ", ""  # "black jacket" without a determiner
            return "NOUN", ""
        if info.adj:
            return "ADJ", ""
        if info.verb:
            return "VERB", info.form
        return "ADV", ""

    def _verb_like(self, word: str) -> bool:
        """Could ``word`` open a relative clause's verb phrase ("that is", "that sits")?"""
        if word in lx.AUXILIARIES or word in lx.HAVE_FORMS or word in lx.ADVERBS:
            return True
        if not word.isalpha() or word in lx.DETERMINERS or word in lx.PREPOSITIONS:
            return False
        info = self.word_info(word)
        return info.verb and info.form in ("s", "ed", "base")

    def _noun_follows(self, tokens: list[Token], i: int) -> bool:
        """The next token is a noun-capable open-class word (not yet tagged) or a NOUN."""
        if i + 1 >= len(tokens):
            return False
        nxt = tokens[i + 1]
        if nxt.tag:
            return nxt.tag == "NOUN"
        info = self.word_info(nxt.norm or nxt.text)
        if not info.noun:
            return False
        if info.verb and info.form == "ing":
            # "a tall building." (noun) versus "a man holding a bat" (participle with an object)
            after = tokens[i + 2].text if i + 2 < len(tokens) else ""
            return after not in lx.DETERMINERS and after not in lx.POSSESSIVES and after not in lx.NUMERALS \
                and not (after and self.word_info(after).noun and after.isalpha() and after not in lx.PREPOSITIONS)
        return True

    def _lexical_compound(self, tokens: list[Token], i: int) -> bool:
        """``tokens[i]`` and the next word form a WordNet compound noun ("living room", "fishing pole")."""
        if i + 1 >= len(tokens) or not self.lexicon.source.startswith("wordnet"):
            return False
        nxt = tokens[i + 1].text
        compound = f"{tokens[i].text}_{self.lemmatizer.noun(nxt)}"
        return self.lexicon.has(compound, "n")

    def _adjective_coordination(self, tokens: list[Token], i: int) -> bool:
        """"black and white dog": an adjective followed by a conjunction and another adjective."""
        if i + 2 >= len(tokens) or tokens[i + 1].text not in ("and", "or", "&"):
            return False
        info = self.word_info(tokens[i].norm or tokens[i].text)
        if not (tokens[i].text in lx.COMMON_ADJECTIVES or info.adj_weight >= info.noun_weight):
            return False
        other = tokens[i + 2]
        return not other.tag and self.word_info(other.norm or other.text).adj and self._noun_follows(tokens, i + 2)

    def _finite_verb_after_noun(self, tokens: list[Token], i: int, info: WordInfo) -> bool:
        """Read an N/V-ambiguous word right after a noun as the clause's finite verb?

        Needs no verb yet in the clause, number agreement ("a man sits" / "dogs play") and an
        object or prepositional phrase (or the end) after it. After a participle phrase or a
        relative clause ("a girl wearing a hat holds ...") it must agree with the modified subject.
        """
        if self._clause_has_no_verb(tokens, i):
            prev = tokens[i - 1]
            prev_info = self.word_info((prev.norm or prev.text).split()[-1])
            prev_plural = prev_info.plural or prev.text in ("people", "sheep", "cattle", "fish", "deer")
            if not prev_plural and i >= 2 and tokens[i - 2].text in PLURAL_OPENERS:
                return False  # "two park benches": a singular noun after "two" is a modifier
        else:
            found = modified_subject(tokens, i)
            if found is None or not could_end_noun_phrase(tokens, i, info.form, self.word_info) \
                    and info.verb_weight <= info.noun_weight:
                return False  # "playing a video game together": more likely a compound noun
            prev_plural = is_plural_subject(*found, self.word_info)
        if info.form == "s" and prev_plural:
            return False
        if info.form == "base" and not prev_plural:
            return False
        if info.form not in ("s", "base"):
            return False
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is None or nxt.tag == "PUNCT":
            return info.verb_weight > info.noun_weight
        return nxt.tag in OBJECT_STARTERS or nxt.tag in ("PREP", "ADV", "PRON") or nxt.text in lx.PARTICLES

    @staticmethod
    def _clause_has_no_verb(tokens: list[Token], i: int) -> bool:
        for token in reversed(tokens[:i]):
            if token.tag in ("REL",) or token.text in (",", ";", "."):
                return True
            if token.tag in ("VERB", "AUX"):
                return False
        return True
