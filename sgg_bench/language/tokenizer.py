"""Caption tokenizer: lower-case, split punctuation and the possessive ``'s``, keep hyphenated words."""
from __future__ import annotations

import re

# Order matters: contractions and possessives before plain words; numbers with separators;
# words with inner hyphens or apostrophes ("t-shirt", "o'clock"); any other non-space symbol.
_TOKEN_RE = re.compile(
    r"n't|'s|'re|'ll|'ve|'m|'d"
    r"|\d+(?:[.,:]\d+)*(?:st|nd|rd|th)?"
    r"|[a-z]+(?:-[a-z0-9]+)*(?=n't)"
    r"|[a-z0-9]+(?:[-'][a-z0-9]+)*"
    r"|[^\sa-z0-9]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens of ``text``; ``"A man's hat."`` -> ``['a', 'man', "'s", 'hat', '.']``."""
    text = text.lower().translate(_APOSTROPHES)
    tokens = _TOKEN_RE.findall(text)
    # "o'clock"-style words keep their apostrophe, but a trailing "'s" inside a word is a possessive.
    out: list[str] = []
    for token in tokens:
        if token.endswith("'s") and len(token) > 2 and token[0].isalpha():
            out.extend((token[:-2], "'s"))
        else:
            out.append(token)
    return out
