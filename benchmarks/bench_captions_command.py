"""`sgg-bench captions parse` end to end next to the parser alone, on synthetic captions.

    python benchmarks/bench_captions_command.py [--captions 20000] [--repeat 3] [--workers 2]

Builds ``--captions`` COCO-style captions with the synthetic generator (and its VG-style
vocabulary), then, interleaved ``--repeat`` times in this one run:

* **command**: ``python -m sgg_bench.cli captions parse FILE --vocab DIR --workers W`` in a fresh
  subprocess, timed from process start to exit (interpreter start-up, imports, reading the file,
  WordNet index, parsing, linking, writing the output), once per worker count;
* **parser alone**: a ``RulesParser`` already loaded in this process parsing every caption, one
  process, parse cache off (the figure ``bench_parser.py`` reports).

The WordNet index cache is built first in a temporary cache folder (its cold build time is
printed); the command runs then find it warm, as every run after the first does. Best wall time
of the repeats is kept; CPU seconds of the subprocess come from ``getrusage`` (children). The
machine's load average is printed before and after: on a shared machine compare figures from the
same run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_captions(count: int, folder: Path) -> tuple[Path, Path]:
    from sgg_bench.data.synthetic.captions import captions_json
    from sgg_bench.data.synthetic.scenes import sample_scenes
    from sgg_bench.data.synthetic.write_vg import build_dicts

    scenes = sample_scenes(max(10, count // 3), seed=0)
    data = captions_json(scenes, seed=0)
    while len(data["annotations"]) < count:
        scenes = sample_scenes(len(scenes) * 2, seed=0)
        data = captions_json(scenes, seed=0)
    data["annotations"] = data["annotations"][:count]
    used = {a["image_id"] for a in data["annotations"]}
    data["images"] = [image for image in data["images"] if image["id"] in used]
    captions = folder / "captions.json"
    captions.write_text(json.dumps(data))
    vocab = folder / "vocab"
    vocab.mkdir()
    (vocab / "VG-SGG-dicts-with-attri.json").write_text(json.dumps(build_dicts(scenes)))
    return captions, vocab


def run_command(captions: Path, vocab: Path, out: Path, workers: int, env: dict) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, output counts) of one end-to-end command run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sgg_bench.cli", "captions", "parse", str(captions), "--out", str(out),
                    "--vocab", str(vocab), "--workers", str(workers), "--quiet"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(out.read_text())["counts"]


def parser_alone(parser, captions: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds for the loaded parser to parse every caption, parse cache off."""
    parser._cached.cache_clear()
    start, cpu_start = time.perf_counter(), time.process_time()
    for caption in captions:
        parser._parse_uncached(caption)
    return time.perf_counter() - start, time.process_time() - cpu_start


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--captions", type=int, default=20_000)
    args.add_argument("--repeat", type=int, default=3)
    args.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    options = args.parse_args()
    sys.path.insert(0, str(REPO))
    from sgg_bench.language import wordnet_index
    from sgg_bench.language.lexicon import find_wordnet_dir
    from sgg_bench.language.parser import RulesParser

    with tempfile.TemporaryDirectory(prefix="bench-captions-") as tmp:
        folder = Path(tmp)
        captions_path, vocab = make_captions(options.captions, folder)
        texts = [a["caption"] for a in json.loads(captions_path.read_text())["annotations"]]
        env = dict(os.environ, SGG_BENCH_CACHE=str(folder / "cache"),
                   PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        os.environ["SGG_BENCH_CACHE"] = env["SGG_BENCH_CACHE"]
        wordnet = find_wordnet_dir()
        print(f"{len(texts):,} captions ({len(set(texts)):,} distinct), {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}, WordNet: {wordnet or 'absent'}")
        if wordnet is not None:
            start = time.perf_counter()
            wordnet_index.load_wordnet_index(wordnet)
            print(f"WordNet index cache, cold build: {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        parser = RulesParser()
        load = time.perf_counter() - start
        best: dict[str, tuple[float, float]] = {}
        counts = None
        for _ in range(options.repeat):
            for workers in options.workers:
                wall, cpu, counts = run_command(captions_path, vocab, folder / "out.json", workers, env)
                key = f"command, {workers} worker{'s' if workers > 1 else ''}"
                best[key] = min(best.get(key, (wall, cpu)), (wall, cpu))
            wall, cpu = parser_alone(parser, texts)
            best["parser alone"] = min(best.get("parser alone", (wall, cpu)), (wall, cpu))
        print(f"load average after: {os.getloadavg()[0]:.1f}; parser load (in process, warm cache): {load:.2f} s")
        print(f"\n| run (best of {options.repeat}) | wall s | CPU s | captions/s (wall) | vs parser alone |")
        print("|---|---|---|---|---|")
        base = len(texts) / best["parser alone"][0]
        for key, (wall, cpu) in best.items():
            rate = len(texts) / wall
            print(f"| {key} | {wall:.2f} | {cpu:.2f} | {rate:,.0f} | {rate / base:.2f}x |")
        print(f"\nlinked triplets: {counts['linked_triplets']:,} of {counts['triplets']:,} "
              f"({counts['linked_triplets'] / max(1, counts['triplets']):.1%}) to the synthetic vocabulary")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
