"""`sgg-bench captions parse`: parse COCO-style captions into scene-graph triplets linked to a vocabulary.

Output JSON (written atomically): ``counts`` (images, captions, parsed, skipped, triplets, linked,
unlinked), ``skipped`` (captions left out, with annotation index and reason) and ``images``: per
image its parsed lemma triplets, the ``linked`` triplets (class names and vocabulary indices) and
the ``unlinked`` leftovers (with the parts that found no class). See
``sgg_bench/language/captions_file.py`` for which bad inputs stop the run and which are skipped.
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from sgg_bench.utils.atomic import atomic_write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("captions", help="parse image captions into scene-graph triplets")
    actions = parser.add_subparsers(dest="captions_command", metavar="ACTION")
    parse = actions.add_parser("parse", help="parse a COCO-captions JSON file and link triplets to a vocabulary")
    parse.add_argument("file", type=Path, help="COCO-captions-style JSON ({'images': [...], 'annotations': [{image_id, caption}]})")
    parse.add_argument("--out", type=Path, required=True, help="output JSON file (written atomically)")
    parse.add_argument("--vocab", type=Path, default=None,
                       help="dataset folder or dictionary file (VG-SGG-dicts*.json or categories_dict.json); default: built-in VG150")
    parse.add_argument("--backend", choices=("rules", "spacy", "auto"), default="rules",
                       help="caption parser backend (default: rules; spacy needs spaCy and an English model)")
    parse.add_argument("--max-length", type=int, default=1000, help="skip (and report) captions longer than this many characters")
    parse.add_argument("--no-wordnet", action="store_true", help="link without WordNet (exact, last-word, manual, alias rules only)")
    parse.add_argument("--workers", type=int, default=None,
                       help="parser processes (default: up to 2, never more than the usable CPUs; 1 = this process only)")
    parse.add_argument("--quiet", action="store_true", help="no progress bar")
    parse.set_defaults(func=_run_parse)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def _run_parse(args: argparse.Namespace) -> int:
    from sgg_bench.errors import ConfigError
    from sgg_bench.language.captions_file import parse_and_link, read_captions_file
    from sgg_bench.language.linking import ConceptLinker
    from sgg_bench.language.parallel_parse import default_workers
    from sgg_bench.language.parser import get_parser
    from sgg_bench.language.spacy_backend import SpacyUnavailable
    from sgg_bench.language.vocabularies import find_vocabulary_file, load_vocabulary

    logging.basicConfig(level=logging.WARNING, format="sgg-bench: %(message)s")
    if args.max_length < 1:
        raise ConfigError(f"--max-length must be >= 1, got {args.max_length}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    image_ids, records, skipped = read_captions_file(args.file, max_length=args.max_length)
    vocabulary = load_vocabulary(args.vocab)
    try:
        parser = get_parser(args.backend, use_wordnet=False if args.no_wordnet else None)
    except SpacyUnavailable as exc:
        raise ConfigError(f"--backend spacy: {exc}; install spaCy and a model, or use --backend rules|auto") from None
    linker = ConceptLinker(vocabulary=vocabulary, use_wordnet=False if args.no_wordnet else None)
    images = parse_and_link(records, image_ids, parser=parser, linker=linker,
                            progress=not args.quiet and sys.stderr.isatty(),
                            workers=args.workers or default_workers())
    counts = {
        "images": len(images), "captions": len(records) + len(skipped), "captions_parsed": len(records),
        "captions_skipped": len(skipped), "triplets": sum(i["num_triplets"] for i in images),
        "linked_triplets": sum(i["num_linked"] for i in images),
        "unlinked_triplets": sum(i["num_unlinked"] for i in images)}
    output = {
        "source": str(args.file),
        "vocabulary": {"source": str(find_vocabulary_file(args.vocab)) if args.vocab else "built-in VG150",
                       "num_objects": len(vocabulary.object_classes) - 1,
                       "num_predicates": len(vocabulary.predicate_classes) - 1},
        "backend": type(parser).__name__, "wordnet": linker.uses_wordnet,
        "counts": counts, "skipped": skipped, "images": images}
    atomic_write_json(args.out, output, indent=None)  # one line: the C encoder, ~10x faster than indented
    reasons = Counter(entry["reason"].split(" (")[0] for entry in skipped)
    skipped_text = f" ({', '.join(f'{n} {reason}' for reason, n in reasons.most_common())})" if reasons else ""
    print(f"captions: {counts['captions_parsed']} parsed, {counts['captions_skipped']} skipped{skipped_text}; "
          f"{counts['triplets']} triplets over {counts['images']} images, {counts['linked_triplets']} linked "
          f"-> {args.out}")
    for entry in skipped[:5]:
        print(f"  skipped annotations[{entry['annotation_index']}] (image {entry['image_id']}): {entry['reason']}", file=sys.stderr)
    if len(skipped) > 5:
        print(f"  ... {len(skipped) - 5} more skipped captions listed in {args.out}", file=sys.stderr)
    return 0
