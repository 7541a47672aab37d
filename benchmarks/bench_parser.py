"""Caption parser benchmark: triplet P/R/F1 on the gold set and throughput (captions per second).

    .venv/bin/python benchmarks/bench_parser.py [--repeat 3] [--errors]

Quality is measured with WordNet (when installed) and without it (SGG_BENCH_NO_WORDNET-style
fallback lexicon), on the whole gold set and on its two fixed halves (``split`` = dev / heldout;
only dev errors are ever printed, see tests/language/GOLD_CONVENTIONS.md). Throughput parses the gold captions with the parse cache disabled (every
caption is parsed from scratch; word-level lemma/tag memoization stays on), single process.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from sgg_bench.language.gold_eval import load_gold, score_parser, split_items
from sgg_bench.language.parser import RulesParser

GOLD = Path(__file__).resolve().parents[1] / "tests" / "language" / "gold_captions.jsonl"


def throughput(parser: RulesParser, captions: list[str], repeat: int) -> float:
    parser.parse(captions[0])  # warm the lexicon
    best = 0.0
    for _ in range(repeat):
        parser._cached.cache_clear()
        start = time.perf_counter()
        for caption in captions:
            parser._parse_uncached(caption)
        best = max(best, len(captions) / (time.perf_counter() - start))
    return best


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--repeat", type=int, default=3)
    args.add_argument("--errors", action="store_true",
                      help="print the dev-half captions whose triplets differ from gold (held-out errors are never printed)")
    options = args.parse_args()
    items = load_gold(GOLD)
    print(f"gold set: {len(items)} captions, {sum(len(i.triplets) for i in items)} triplets ({GOLD.name})")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for label, use_wordnet in (("rules + WordNet", None), ("rules, no WordNet", False)):
        started = time.perf_counter()
        parser = RulesParser(use_wordnet=use_wordnet)
        load_seconds = time.perf_counter() - started
        scores, _ = score_parser(parser, items)
        _, errors = score_parser(parser, split_items(items, "dev"))
        halves = {}
        for name, split in (("dev half", "dev"), ("held-out half", "heldout")):
            part, _ = score_parser(parser, split_items(items, split))
            halves[f"{name} ({len(split_items(items, split))})"] = part
        captions = [i.caption for i in items]
        cold_parser = RulesParser(use_wordnet=use_wordnet, cache_size=0)
        cold_parser.lemmatizer.noun.cache_clear()
        cold_parser.lemmatizer.verb.cache_clear()
        start = time.perf_counter()
        for caption in captions:
            cold_parser._parse_uncached(caption)
        cold_rate = len(captions) / (time.perf_counter() - start)
        rate = throughput(parser, captions, options.repeat)
        print(f"\n[{label}] lexicon: {parser.lexicon.source.split(':')[0]}, load {load_seconds:.2f} s")
        print(f"  all   : P={scores.precision:.3f} R={scores.recall:.3f} F1={scores.f1:.3f} "
              f"(tp={scores.true_positives} fp={scores.false_positives} fn={scores.false_negatives})")
        for name, part in halves.items():
            print(f"  {name:20s}: P={part.precision:.3f} R={part.recall:.3f} F1={part.f1:.3f}")
        print(f"  throughput: {rate:,.0f} captions/s warm word caches, {cold_rate:,.0f} captions/s first pass "
              f"with empty caches (single process, parse cache off)")
        if options.errors:
            for item, predicted in errors:
                print(f"  #{item.id} {item.caption}\n     missing {sorted(item.triplets - predicted)}\n"
                      f"     extra   {sorted(predicted - item.triplets)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
