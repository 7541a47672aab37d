"""Fixtures for the language tests (one parser per backend and lexicon, shared by the session)."""
from __future__ import annotations

import pytest

from sgg_bench.language.parser import RulesParser


@pytest.fixture(scope="session")
def rules_parser() -> RulesParser:
    return RulesParser()


@pytest.fixture(scope="session")
def fallback_parser() -> RulesParser:
    return RulesParser(use_wordnet=False)
