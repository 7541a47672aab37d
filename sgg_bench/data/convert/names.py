"""Name clean-up and alias lists of the standard VG150 recipe (DX's ``vg_to_roidb.py``, facts only).

A name is stripped of surrounding spaces, a few non-ASCII characters are spelled out, it is
lower-cased and ASCII punctuation is removed. An alias file has one group per line,
comma-separated; every name of the group maps to the group's first name (or to that name's
own target when the first name already belongs to an earlier group).
"""
from __future__ import annotations

import functools
import string
from pathlib import Path

from sgg_bench.errors import DataFormatError

SPELLED_OUT = {"½": "half", "—": "-", "™": "", "¢": "cent", "ç": "c", "û": "u", "é": "e", "°": " degree",
               "è": "e", "…": ""}
_DROP_PUNCTUATION = str.maketrans("", "", string.punctuation)


@functools.lru_cache(maxsize=1 << 17)
def clean_name(text: str) -> str:
    text = text.strip(" ")
    for character, spelled in SPELLED_OUT.items():
        text = text.replace(character, spelled)
    return text.lower().translate(_DROP_PUNCTUATION)


def read_alias_file(path: Path) -> dict[str, str]:
    """alias -> target name."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataFormatError(path, "encoding", "UTF-8 text", str(exc)) from None
    targets: dict[str, str] = {}
    for line_number, line in enumerate(lines, start=1):
        group = [name for name in line.strip("\r").split(",")]
        if not any(group):
            continue
        if "" in group:
            raise DataFormatError(path, f"line {line_number}", "comma-separated non-empty names", repr(line))
        target = targets.get(group[0], group[0])
        for name in group:
            targets[name] = target
    return targets


def canonical(name: str, aliases: dict[str, str]) -> str:
    cleaned = clean_name(name)
    return aliases.get(cleaned, cleaned)
