"""`sgg-bench models`: every registered relation head with its paper, reference implementation,
modes and trainable parameter counts under a dataset's config (head, and the relation-stage
box/union feature extractors), built on the meta device so nothing is allocated."""
from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    from sgg_bench.runs.configs import dataset_names

    parser = subparsers.add_parser("models", help="list the relation heads with their papers and parameter counts",
                                   description=__doc__)
    parser.add_argument("--dataset", default="vg", choices=dataset_names(),
                        help="whose config sizes the heads and extractors (default vg)")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from sgg_bench.runs.model_table import model_rows

    rows = model_rows(args.dataset)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    names = [f"{row['name']}[{row['variant']}]" if row["variant"] else row["name"] for row in rows]
    width = max([len("name")] + [len(name) for name in names]) + 2  # names never run into the modes
    header = f"{'name':<{width}}{'modes':<21}{'params_head':>13}{'params_features':>17}  paper"
    print(header)
    for name, row in zip(names, rows):
        print(f"{name:<{width}}{','.join(row['modes']):<21}{row['params_head']:>13,}{row['params_features']:>17,}"
              f"  {row['paper']}")
    return 0
