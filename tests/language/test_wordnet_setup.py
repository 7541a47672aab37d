"""python -m sgg_bench.language.wordnet_setup: copies, lexnames, idempotence, errors, smoke checks."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sgg_bench.language import wordnet_setup
from langtest_utils import requires_wordnet

DEBIAN = Path("/usr/share/wordnet")


def test_lexnames_is_45_tab_separated_lines():
    lines = wordnet_setup.lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[3] == "03\tnoun.Tops\t1"
    assert lines[29] == "29\tverb.body\t2"
    assert lines[44] == "44\tadj.ppl\t3"
    assert all(len(line.split("\t")) == 3 for line in lines)


def _fake_source(tmp_path: Path) -> Path:
    source = tmp_path / "debian"
    source.mkdir()
    for name in wordnet_setup.REQUIRED_FILES:
        (source / name).write_text(f"content of {name}\n")
    return source


def test_install_copies_files_not_symlinks_and_is_idempotent(tmp_path):
    source = _fake_source(tmp_path)
    target = tmp_path / "nltk_data"
    corpus = wordnet_setup.install_wordnet(source=source, target=target)
    assert corpus == target / "corpora" / "wordnet"
    for name in wordnet_setup.REQUIRED_FILES:
        assert (corpus / name).is_file() and not (corpus / name).is_symlink()
        assert (corpus / name).read_text() == f"content of {name}\n"
    assert (corpus / "lexnames").read_text() == wordnet_setup.lexnames_text()
    before = {p.name: p.stat().st_mtime_ns for p in corpus.iterdir()}
    wordnet_setup.install_wordnet(source=source, target=target)
    assert {p.name: p.stat().st_mtime_ns for p in corpus.iterdir()} == before  # nothing rewritten


def test_install_replaces_a_symlink(tmp_path):
    source = _fake_source(tmp_path)
    corpus = tmp_path / "t" / "corpora" / "wordnet"
    corpus.mkdir(parents=True)
    (corpus / "index.noun").symlink_to(source / "index.noun")
    wordnet_setup.install_wordnet(source=source, target=tmp_path / "t")
    assert not (corpus / "index.noun").is_symlink()


def test_missing_source_exits_nonzero_with_message(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sgg_bench.language.wordnet_setup", "--quiet",
                             "--source", str(tmp_path / "none"), "--target", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "missing WordNet files" in result.stderr and "wordnet-base" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not (DEBIAN / "index.noun").is_file(), reason="Debian wordnet-base not installed")
def test_cli_installs_real_files_into_target(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sgg_bench.language.wordnet_setup", "--target", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    corpus = tmp_path / "corpora" / "wordnet"
    assert (corpus / "index.sense").stat().st_size == (DEBIAN / "index.sense").stat().st_size
    assert len((corpus / "lexnames").read_text().splitlines()) == 45


@requires_wordnet
def test_smoke_checks_section_11_1():
    from nltk.corpus import wordnet as wn
    assert wn.get_version() == "3.0"
    assert wn.synset("dog.n.01").offset() == 2084071
    assert wn.morphy("riding", wn.VERB) == "ride"
    assert wn.morphy("children", "n") == "child"
