"""Fixtures for the language tests (one parser per backend and lexicon, shared by the session)."""
from __future__ import annotations

import os
import tempfile

import pytest

# The compact WordNet index is cached per user; tests build their own instead of writing to ~/.cache.
os.environ.setdefault("SGG_BENCH_CACHE", tempfile.mkdtemp(prefix="sgg-bench-test-cache-"))

from sgg_bench.language.parser import RulesParser


@pytest.fixture(scope="session")
def rules_parser() -> RulesParser:
    return RulesParser()


@pytest.fixture(scope="session")
def fallback_parser() -> RulesParser:
    return RulesParser(use_wordnet=False)
