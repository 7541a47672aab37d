"""Paths and markers shared by the language tests (imported by name; pytest puts this folder on sys.path)."""
from __future__ import annotations

from pathlib import Path

import pytest

from sgg_bench.language.wordnet_match import wordnet_installed

HERE = Path(__file__).resolve().parent
GOLD_PATH = HERE / "gold_captions.jsonl"
SHARED_DATA = HERE.parents[2] / "shared" / "data"  # /work/shared/data beside the checkout

requires_wordnet = pytest.mark.skipif(not wordnet_installed(), reason="WordNet for nltk is not set up "
                                      "(python -m sgg_bench.language.wordnet_setup)")
