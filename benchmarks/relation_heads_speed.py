"""Train / inference speed of each relation head (images per second) on CPU.

Usage:
    .venv/bin/python benchmarks/relation_heads_speed.py --threads 2 [--dataset datasets/synth/vg]
        [--heads frequency imp motifs] [--modes predcls sgcls sgdet] [--images 32]

Model: ``tiny`` detector (random weights unless --detector-weights; at most --detections boxes,
so a random detector puts SGDet at its worst case) frozen (RelationFeatures with frozen extractors),
plus each head with its synthetic-config sizes (``configs/overrides/synth/<head>.yaml``). Images come from the dataset's train
split when --dataset is given, else random toy scenes (8 boxes, 6 relations, 192x256 px).
Reports the best of --passes timed passes after one full warm-up pass; a "train step" is forward +
backward + SGD step on a batch of --batch-size images.
"""
from __future__ import annotations

import argparse
import time

import torch

from sgg_bench.detector import build_detector, load_weights
from sgg_bench.modeling.features import RelationFeatures
from sgg_bench.modeling.build import build_scene_graph_model
from sgg_bench.structures import DatasetVocabulary



def synth_head_args(head: str, mode: str) -> dict:
    """The head's constructor arguments under the synthetic config (configs/overrides/synth/)."""
    from sgg_bench.runs.configs import resolve_run_config

    return dict(resolve_run_config(model=head, dataset="synth", mode=mode)["model"]["head_args"] or {})


def toy_batches(count: int, batch_size: int, num_obj: int, num_rel: int) -> list[list[dict]]:
    generator = torch.Generator().manual_seed(0)
    items = []
    for index in range(count):
        xy = torch.rand((8, 2), generator=generator) * torch.tensor([180.0, 130.0])
        wh = 16 + torch.rand((8, 2), generator=generator) * 60
        relations = torch.stack([torch.arange(6), (torch.arange(6) + 1) % 8,
                                 torch.randint(1, num_rel, (6,), generator=generator)], dim=1)
        items.append({"image": torch.rand((3, 192, 256), generator=generator), "image_id": index,
                      "width": 256, "height": 192, "boxes": torch.cat([xy, xy + wh], 1),
                      "labels": torch.randint(1, num_obj, (8,), generator=generator), "relations": relations})
    return [items[i:i + batch_size] for i in range(0, count, batch_size)]


def dataset_batches(root: str, count: int, batch_size: int):
    from sgg_bench.data import open_dataset
    from sgg_bench.engine.loader import SceneGraphBatches

    dataset = open_dataset(root, "train")
    loader = SceneGraphBatches(dataset, batch_size=batch_size, seed=0, shuffle=False, cache_images=True)
    batches = [loader.batch_at(i) for i in range((min(count, len(dataset)) + batch_size - 1) // batch_size)]
    return dataset.vocab, batches


def timed(function, batches, passes: int) -> float:
    """Best images/s of ``passes`` passes over ``batches`` after a full warm-up pass (on a shared
    machine the best pass is the one least disturbed by other jobs)."""
    for batch in batches:
        function(batch)
    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        for batch in batches:
            function(batch)
        rates.append(sum(len(b) for b in batches) / (time.perf_counter() - start))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dataset", default="")
    parser.add_argument("--detector-weights", default="")
    parser.add_argument("--heads", nargs="+", default=None, help="default: every registered head")
    parser.add_argument("--modes", nargs="+", default=["predcls", "sgcls", "sgdet"])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--detections", type=int, default=32, help="box_detections_per_img (synth config: 32)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import sgg_bench.modeling.heads  # noqa: F401  (registers every head)
    from sgg_bench.registry import RELATION_HEADS
    if args.heads is None:
        args.heads = RELATION_HEADS.names()

    if args.dataset:
        vocab, batches = dataset_batches(args.dataset, args.images, args.batch_size)
    else:
        vocab = DatasetVocabulary(["__background__"] + [f"o{i}" for i in range(20)],
                                  ["__background__"] + [f"p{i}" for i in range(10)])
        batches = toy_batches(args.images, args.batch_size, vocab.num_object_classes, vocab.num_predicate_classes)
    num_obj, num_rel = vocab.num_object_classes, vocab.num_predicate_classes
    prior = torch.log(torch.full((num_obj, num_obj, num_rel), 1.0 / num_rel) + 1e-3)

    print(f"| head | mode | train img/s | inference img/s |  ({args.threads} threads, batch {args.batch_size}, "
          f"{sum(len(b) for b in batches)} images)")
    print("|---|---|---:|---:|")
    for head in args.heads:
        for mode in args.modes:
            if mode not in RELATION_HEADS.info(head).get("modes", args.modes):
                continue
            torch.manual_seed(0)
            detector = build_detector("tiny", num_classes=num_obj, box_detections_per_img=args.detections)
            if args.detector_weights:
                load_weights(detector, args.detector_weights)
            model = build_scene_graph_model(features=RelationFeatures(detector, freeze=True, rect_masks=False), head_name=head, vocab=vocab,
                                            mode=mode, freq_log_prior=prior, head_args=synth_head_args(head, mode))
            train_rate = float("nan")
            if model.requires_training:
                optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3)

                def step(batch):
                    model.train()
                    optimizer.zero_grad()
                    sum(model(batch).values()).backward()
                    optimizer.step()

                train_rate = timed(step, batches, args.passes)
            model.eval()
            infer_rate = timed(model.predict, batches, args.passes)
            train_text = "n/a (no training)" if train_rate != train_rate else f"{train_rate:.1f}"
            print(f"| {head} | {mode} | {train_text} | {infer_rate:.1f} |", flush=True)


if __name__ == "__main__":
    main()
