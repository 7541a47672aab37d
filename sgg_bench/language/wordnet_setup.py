"""Install WordNet 3.0 for nltk from the Debian ``wordnet-base`` / ``wordnet-sense-index`` files.

Usage::

    python -m sgg_bench.language.wordnet_setup [--quiet] [--target DIR] [--source DIR]

The files are **copied** (nltk >= 3.10 refuses corpus files whose real path leaves the corpus
root, so symlinks do not work) into ``<target>/corpora/wordnet/``; the default target is
``<sys.prefix>/nltk_data``, which nltk searches without any environment variable. Debian does not
ship the ``lexnames`` file that nltk's reader needs, so it is written here (standard WordNet 3.0
content). Running it twice is harmless: files already identical are left alone.
"""
from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

DEFAULT_SOURCE = Path("/usr/share/wordnet")
REQUIRED_FILES = (
    "data.adj", "data.adv", "data.noun", "data.verb",
    "index.adj", "index.adv", "index.noun", "index.verb", "index.sense",
    "adj.exc", "adv.exc", "noun.exc", "verb.exc",
)
OPTIONAL_FILES = ("cntlist.rev",)

# WordNet 3.0 lexicographer files: number, name, syntactic category (1 noun, 2 verb, 3 adj, 4 adv).
_LEXNAMES = (
    ("adj.all", 3), ("adj.pert", 3), ("adv.all", 4), ("noun.Tops", 1), ("noun.act", 1),
    ("noun.animal", 1), ("noun.artifact", 1), ("noun.attribute", 1), ("noun.body", 1),
    ("noun.cognition", 1), ("noun.communication", 1), ("noun.event", 1), ("noun.feeling", 1),
    ("noun.food", 1), ("noun.group", 1), ("noun.location", 1), ("noun.motive", 1),
    ("noun.object", 1), ("noun.person", 1), ("noun.phenomenon", 1), ("noun.plant", 1),
    ("noun.possession", 1), ("noun.process", 1), ("noun.quantity", 1), ("noun.relation", 1),
    ("noun.shape", 1), ("noun.state", 1), ("noun.substance", 1), ("noun.time", 1),
    ("verb.body", 2), ("verb.change", 2), ("verb.cognition", 2), ("verb.communication", 2),
    ("verb.competition", 2), ("verb.consumption", 2), ("verb.contact", 2), ("verb.creation", 2),
    ("verb.emotion", 2), ("verb.motion", 2), ("verb.perception", 2), ("verb.possession", 2),
    ("verb.social", 2), ("verb.stative", 2), ("verb.weather", 2), ("adj.ppl", 3),
)


def lexnames_text() -> str:
    """The 45-line, tab-separated ``lexnames`` file of WordNet 3.0."""
    return "".join(f"{number:02d}\t{name}\t{category}\n" for number, (name, category) in enumerate(_LEXNAMES))


def default_target() -> Path:
    """``<sys.prefix>/nltk_data``: on nltk's default search path for this interpreter."""
    return Path(sys.prefix) / "nltk_data"


class WordNetSourceMissing(RuntimeError):
    """The Debian WordNet files are not installed."""


def install_wordnet(*, source: Path = DEFAULT_SOURCE, target: Path | None = None) -> Path:
    """Copy the WordNet files into ``<target>/corpora/wordnet`` and return that folder.

    Raises WordNetSourceMissing when ``source`` lacks any required file.
    """
    source = Path(source)
    target = Path(target) if target is not None else default_target()
    missing = [name for name in REQUIRED_FILES if not (source / name).is_file()]
    if missing:
        raise WordNetSourceMissing(
            f"{source}: missing WordNet files {', '.join(missing)}; install them with "
            "'apt-get install --no-install-recommends wordnet-base wordnet-sense-index'")
    corpus_dir = target / "corpora" / "wordnet"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for name in REQUIRED_FILES + OPTIONAL_FILES:
        src = source / name
        if not src.is_file():
            continue
        dest = corpus_dir / name
        if dest.is_symlink():
            dest.unlink()  # a symlink would be rejected by nltk ("escapes root")
        if dest.is_file() and filecmp.cmp(src, dest, shallow=False):
            continue
        tmp = dest.with_name(f".{name}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(dest)
    lexnames = corpus_dir / "lexnames"
    text = lexnames_text()
    if not lexnames.is_file() or lexnames.read_text(encoding="utf-8") != text:
        tmp = lexnames.with_name(".lexnames.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(lexnames)
    return corpus_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sgg_bench.language.wordnet_setup",
        description="Copy Debian's WordNet 3.0 files into an nltk_data folder (default <sys.prefix>/nltk_data).")
    parser.add_argument("--target", type=Path, default=None, help="nltk_data folder (default: %(default)s -> <sys.prefix>/nltk_data)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="Debian WordNet folder (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        corpus_dir = install_wordnet(source=args.source, target=args.target)
    except WordNetSourceMissing as exc:
        print(f"wordnet_setup: error: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"WordNet 3.0 installed for nltk in {corpus_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
