"""The docs/RESULTS.md table from a sweep's run folders (benchmarks/synth_results_table.sh).

Groups the finished runs (``result.json``) by head, mode and setting, averages their seeds (mean
and sample sd, n − 1, as the leaderboard), and prints a Markdown table, the probe line and, per
mode, which heads are within seed noise of each other on R@50 and mR@50 (their mean ± sd
intervals overlap: the leaderboard's noise rule) and whether each visual head beats frequency.

Usage: python benchmarks/synth_results_summary.py WORK/out/synth [--probe WORK/out/probe.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import torch

COLUMNS = ["R@20", "R@50", "R@100", "mR@20", "mR@50", "mR@100", "ngR@50", "zR@50", "mAP"]
MODES = ["predcls", "sgcls", "sgdet"]


def load_runs(folder: Path) -> dict:
    """(head, mode, setting) -> list of {seed, metrics, seconds, steps} of finished runs."""
    groups: dict = defaultdict(list)
    for run_dir in sorted(p for p in folder.iterdir() if (p / "result.json").is_file()):
        run = json.loads((run_dir / "run.json").read_text())
        if run["model"].startswith("detector"):
            continue
        record = json.loads((run_dir / "result.json").read_text())
        final = run_dir / run.get("checkpoint", "checkpoints/model_final.pth")  # effect folders share their run's
        steps = torch.load(final, map_location="cpu", weights_only=True).get("iteration") if final.is_file() else None
        batch = record["provenance"]["config"]["solver"]["ims_per_batch"]
        groups[(run["model"], run["mode"], run.get("setting") or "")].append(
            {"seed": run["seed"], "metrics": record["metrics"], "seconds": run["train_seconds"], "steps": steps,
             "train_ips": steps * batch / run["train_seconds"] if steps and run["train_seconds"] else None,
             "test_ips": run.get("inference_images_per_second")})
    return groups


def mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def cell(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return ""
    mean, sd = mean_sd(values)
    return f"{mean:.3f} ± {sd:.3f}" if len(values) > 1 else f"{mean:.3f}"


def table(groups: dict) -> list[str]:
    lines = ["| head | mode | n (seeds) | " + " | ".join(COLUMNS) + " | steps | train s |",
             "|---|---|---|" + "---:|" * (len(COLUMNS) + 2)]
    order = sorted(groups, key=lambda k: (MODES.index(k[1]) if k[1] in MODES else 9, k[0] != "frequency", k[0], k[2]))
    for head, mode, setting in order:
        runs = groups[(head, mode, setting)]
        name = f"{head} ({setting})" if setting else head
        seeds = ",".join(str(r["seed"]) for r in runs)
        metrics = [cell([r["metrics"].get(c) for r in runs]) for c in COLUMNS]
        steps = "/".join(str(r["steps"]) for r in runs)
        seconds = statistics.fmean(r["seconds"] for r in runs)
        lines.append(f"| {name} | {mode} | {len(runs)} ({seeds}) | " + " | ".join(metrics) + f" | {steps} | {seconds:.0f} |")
    return lines


def speed_table(groups: dict) -> list[str]:
    """Per head and mode: training images/s (steps x batch / train_seconds, validations and
    checkpoints included) and the test pass's images/s, mean over seeds; effect records share
    their run's training, so only the first setting of a head and mode is listed."""
    lines = ["| head | mode | train img/s | test img/s |", "|---|---|---:|---:|"]
    seen = set()
    for head, mode, setting in sorted(groups, key=lambda k: (k[0], MODES.index(k[1]) if k[1] in MODES else 9, k[2])):
        if (head, mode) in seen:
            continue
        seen.add((head, mode))
        runs = groups[(head, mode, setting)]
        train, test = ([r[key] for r in runs if r[key]] for key in ("train_ips", "test_ips"))
        lines.append(f"| {head} | {mode} | {_mean_text(train)} | {_mean_text(test)} |")
    return lines


def _mean_text(values: list[float]) -> str:
    return f"{statistics.fmean(values):.0f}" if values else "–"


def comparisons(groups: dict, mode: str, metric: str) -> list[str]:
    """Overlapping mean ± sd intervals on ``metric`` and the comparison with frequency."""
    rows = {}
    for (head, run_mode, setting), runs in groups.items():
        values = [r["metrics"].get(metric) for r in runs if r["metrics"].get(metric) is not None]
        if run_mode == mode and values:
            rows[f"{head} ({setting})" if setting else head] = (*mean_sd(values), len(values))
    lines = []
    names = sorted(rows, key=lambda n: -rows[n][0])
    for a in names:
        text = f"- {mode} {metric}: {a} {rows[a][0]:.3f} ± {rows[a][1]:.3f} (n={rows[a][2]})"
        if rows[a][2] < 2:
            lines.append(text + "; one seed: no noise estimate, not ranked")
            continue
        near = [b for b in names if b != a and abs(rows[a][0] - rows[b][0]) <= rows[a][1] + rows[b][1]]
        lines.append(text + (f"; within noise of {', '.join(near)}" if near else "; apart from every other head"))
    if "frequency" in rows:
        base = rows["frequency"][0]
        losers = [n for n in names if n != "frequency" and rows[n][0] <= base]
        lines.append(f"- {mode} {metric}: every other head above frequency ({base:.3f})" if not losers
                     else f"- {mode} {metric}: NOT above frequency ({base:.3f}): {', '.join(losers)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="<output root>/synth of the sweep")
    parser.add_argument("--probe", type=Path, default=None, help="the probe's JSON line")
    parser.add_argument("--speed", action="store_true", help="print the per-head speed table instead")
    args = parser.parse_args()
    groups = load_runs(args.folder)
    if args.speed:
        print("\n".join(speed_table(groups)))
        return
    print("\n".join(table(groups)))
    if args.probe is not None and args.probe.is_file():
        probe = json.loads(args.probe.read_text())
        print(f"\nprobe (ceiling on graph-constrained R@K / mR@K in PredCls): test top-1 {probe['test_top1']:.3f}, "
              f"mean per predicate {probe['test_mean_per_predicate']:.3f} (epoch {probe['chosen_epoch']} chosen on val)")
    print()
    for mode in MODES:
        for metric in ("R@50", "mR@50"):
            lines = comparisons(groups, mode, metric)
            if lines:
                print("\n".join(lines))


if __name__ == "__main__":
    main()
