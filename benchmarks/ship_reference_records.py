"""Copy a sweep's result records into leaderboard/reference, the shipped reference runs.

Usage:
    .venv/bin/python benchmarks/ship_reference_records.py WORK [--out leaderboard/reference]

WORK is the scratch folder of benchmarks/synth_results_table.sh (records in WORK/out/synth/*/).
Records are copied unchanged except for the paths in them: WORK/out becomes `outputs` and
WORK/synth becomes `datasets/synth`, the places the README's commands use, so a shipped record
names no folder of the machine it ran on. Every JSON file already in --out is replaced.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from sgg_bench.utils.atomic import atomic_write_text


def relocated(value, prefixes: dict[str, str]):
    """The record with every string that starts with a sweep folder rewritten to its README path."""
    if isinstance(value, dict):
        return {key: relocated(item, prefixes) for key, item in value.items()}
    if isinstance(value, list):
        return [relocated(item, prefixes) for item in value]
    if isinstance(value, str):
        for old, new in prefixes.items():
            if value == old or value.startswith(old + "/"):
                return new + value[len(old):]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work")
    parser.add_argument("--out", default="leaderboard/reference")
    args = parser.parse_args()
    work, out = Path(args.work).resolve(), Path(args.out)
    prefixes = {str(work / "out"): "outputs", str(work / "synth"): "datasets/synth"}
    records = sorted((work / "out" / "synth").glob("*/result.json"))
    if not records:
        raise SystemExit(f"{work / 'out' / 'synth'}: no */result.json records")
    for old in out.glob("*.json"):
        old.unlink()
    for path in records:
        record = relocated(json.loads(path.read_text(encoding="utf-8")), prefixes)
        atomic_write_text(out / f"{record['run_id']}.json", json.dumps(record, indent=1) + "\n")
    print(f"{len(records)} records -> {out}")


if __name__ == "__main__":
    main()
