"""Finding the main verb after a participle phrase or a relative clause.

"a girl wearing a red hat holds an umbrella", "the boy who is holding a kite stands on the hill":
the word after the modifier phrase's object ("holds", "stands") is the sentence's finite verb,
not part of a compound noun ("hat holds"). ``modified_subject`` finds the noun such a verb would
agree with; the tagger then checks number agreement against it instead of the nearest noun.
"""
from __future__ import annotations

SENTENCE_BREAKS = frozenset({".", ";", "!", "?"})
_PLURAL_WORDS = frozenset({"people", "sheep", "cattle", "fish", "deer"})


def modified_subject(tokens: list, i: int) -> tuple[object, bool] | None:
    """(subject token, coordinated) when every verb before ``tokens[i]`` in the sentence belongs to
    a participle phrase or a relative clause after the subject, else None.

    ``tokens`` are tagged up to ``i`` (exclusive). The subject is the last noun before the first
    verb, relativizer or auxiliary; ``coordinated`` says whether "and" joined nouns in front of it
    ("a man and a woman holding hands ...").
    """
    start = 0
    for k in range(i - 1, -1, -1):
        if tokens[k].text in SENTENCE_BREAKS:
            start = k + 1
            break
    subject = None
    coordinated = False
    saw_modifier = False
    in_relative = False
    for k in range(start, i):
        token = tokens[k]
        tag = token.tag
        if subject is None or not saw_modifier:
            if tag == "NOUN" and not saw_modifier:
                subject = token
                continue
            if tag == "CONJ" and token.text in ("and", "&") and subject is not None:
                coordinated = True
                continue
        if tag == "REL":
            if subject is None:
                return None
            saw_modifier = in_relative = True
        elif tag == "AUX":
            if not in_relative and token.text != "being":
                return None  # "a man is riding ...": the sentence has its finite verb
            saw_modifier = saw_modifier or token.text == "being"
        elif tag == "VERB":
            if subject is None:
                return None
            participle = token.form in ("ing", "ed") and tokens[k - 1].tag != "AUX"
            if not (participle or in_relative):
                return None
            saw_modifier = True
        elif tag == "PUNCT" and token.text == ",":
            in_relative = False
    if subject is None or not saw_modifier:
        return None
    return subject, coordinated


def is_plural_subject(subject, coordinated: bool, word_info) -> bool:
    """Number of the modified subject: plural noun, plural-like word, or a coordination."""
    if coordinated or subject.text in _PLURAL_WORDS:
        return True
    return word_info((subject.norm or subject.text).split()[-1]).plural


_SINGULAR_DETERMINERS = frozenset({"a", "an", "one", "each", "every", "this", "that", "another"})


def could_end_noun_phrase(tokens: list, i: int, form: str, word_info) -> bool:
    """True when the noun phrase before ``tokens[i]`` is complete, so an N/V word there is a verb.

    A plural noun is rarely a compound modifier ("birds sits" is no compound), and a phrase opened
    by "a"/"each" cannot take a plural head ("a bike waves"). Otherwise ("a baseball game",
    "ocean waves") the word may be the head of a compound and the caller weighs the readings.
    """
    prev = tokens[i - 1]
    if word_info((prev.norm or prev.text).split()[-1]).plural:
        return True
    if form != "s":
        return False
    k = i - 1
    while k > 0 and tokens[k].tag in ("NOUN", "ADJ"):
        k -= 1
    return tokens[k].text in _SINGULAR_DETERMINERS
