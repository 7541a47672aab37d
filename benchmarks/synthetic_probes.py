"""Two small CPU probes of the synthetic data: can pixels tell the classes and the predicates apart?

1. Object probe: a 3-layer CNN classifies 32x32 crops of ground-truth boxes (10 % context,
   no box size or aspect ratio given) into the 27 classes.
2. Predicate probe: a 3-layer CNN sees the union box of each ground-truth pair as 5 channels
   (RGB + subject mask + object mask, 40x40) plus embeddings of the two class ids, and predicts
   the predicate; compared with the frequency prior (argmax of train counts per class pair).

Scenes are sampled and rendered in memory (``sample_scenes`` + ``render_scene``); images with
index < 70 % of N are train, the rest test. One thread; takes a few minutes.
Usage: python benchmarks/synthetic_probes.py [--images 1500] [--epochs 12] [--seed 0]
"""
from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict

import numpy as np
import torch
from PIL import Image
from torch import nn

from sgg_bench.data.synthetic.layout import clip_box
from sgg_bench.data.synthetic.render import render_scene
from sgg_bench.data.synthetic.scenes import sample_scenes
from sgg_bench.data.synthetic.vocabulary import LABEL_TO_INDEX, OBJECT_CLASSES, PREDICATE_TO_INDEX, PREDICATES


def _cnn(in_channels: int, flat: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(flat, 128), nn.ReLU())


class PredicateNet(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.cnn = _cnn(5, 64 * (size // 8) ** 2)
        self.classes = nn.Embedding(len(OBJECT_CLASSES) + 1, 16)
        self.out = nn.Linear(128 + 32, len(PREDICATES))

    def forward(self, pixels: torch.Tensor, pair_classes: torch.Tensor) -> torch.Tensor:
        return self.out(torch.cat([self.cnn(pixels), self.classes(pair_classes).flatten(1)], 1))


def _train(model: nn.Module, inputs: tuple, labels: torch.Tensor, train: torch.Tensor, test: torch.Tensor,
           epochs: int, name: str) -> float:
    optimizer = torch.optim.Adam(model.parameters(), 2e-3)
    start, accuracy = time.perf_counter(), 0.0
    for epoch in range(epochs):
        order = train[torch.randperm(len(train))]
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            loss = nn.functional.cross_entropy(model(*(x[idx] for x in inputs)), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            accuracy = (model(*(x[test] for x in inputs)).argmax(1) == labels[test]).float().mean().item()
        print(f"{name} epoch {epoch}: test top-1 {accuracy:.3f} ({time.perf_counter() - start:.0f} s)")
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    scenes = sample_scenes(args.images, args.seed)
    cut = int(0.7 * len(scenes))
    crops, crop_labels, crop_test = [], [], []
    unions, pairs, predicates, pair_test = [], [], [], []
    for scene in scenes:
        image = render_scene(scene)
        pixels = np.asarray(image, dtype=np.float32) / 255.0
        boxes = [clip_box(o.box, scene.width, scene.height) for o in scene.objects]
        for obj, (x1, y1, x2, y2) in zip(scene.objects, boxes):
            if obj.label == "street":
                continue
            w, h = x2 - x1, y2 - y1
            crop = image.crop((x1 - 0.1 * w, y1 - 0.1 * h, x2 + 0.1 * w, y2 + 0.1 * h)).resize((32, 32), Image.BILINEAR)
            crops.append(np.asarray(crop, dtype=np.float32) / 255.0)
            crop_labels.append(LABEL_TO_INDEX[obj.label] - 1)
            crop_test.append(scene.index >= cut)
        for s, o, p in scene.relations:
            a, b = boxes[s], boxes[o]
            u = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
            masks = np.zeros((scene.height, scene.width, 2), np.float32)
            masks[a[1]:a[3], a[0]:a[2], 0] = 1
            masks[b[1]:b[3], b[0]:b[2], 1] = 1
            window = torch.tensor(np.concatenate([pixels, masks], 2)[u[1]:u[3], u[0]:u[2]]).permute(2, 0, 1)[None]
            unions.append(nn.functional.interpolate(window, size=(40, 40), mode="bilinear", align_corners=False)[0])
            pairs.append((LABEL_TO_INDEX[scene.objects[s].label], LABEL_TO_INDEX[scene.objects[o].label]))
            predicates.append(PREDICATE_TO_INDEX[p] - 1)
            pair_test.append(scene.index >= cut)

    crop_x = torch.tensor(np.stack(crops)).permute(0, 3, 1, 2)
    crop_y, crop_t = torch.tensor(crop_labels), torch.tensor(crop_test)
    object_net = nn.Sequential(_cnn(3, 64 * 16), nn.Linear(128, len(OBJECT_CLASSES)))
    train, test = torch.nonzero(~crop_t).squeeze(1), torch.nonzero(crop_t).squeeze(1)
    print(f"object crops: {len(train)} train, {len(test)} test")
    _train(object_net, (crop_x,), crop_y, train, test, args.epochs, "objects")

    union_x, pair_c, pred_y = torch.stack(unions), torch.tensor(pairs), torch.tensor(predicates)
    pair_t = torch.tensor(pair_test)
    train, test = torch.nonzero(~pair_t).squeeze(1), torch.nonzero(pair_t).squeeze(1)
    counts: dict = defaultdict(Counter)
    for i in train.tolist():
        counts[tuple(pair_c[i].tolist())][pred_y[i].item()] += 1
    prior = np.mean([bool(counts[tuple(pair_c[i].tolist())])
                     and counts[tuple(pair_c[i].tolist())].most_common(1)[0][0] == pred_y[i].item()
                     for i in test.tolist()])
    print(f"relations: {len(train)} train, {len(test)} test; frequency prior top-1 {prior:.3f}")
    _train(PredicateNet(40), (union_x, pair_c), pred_y, train, test, args.epochs, "predicates")


if __name__ == "__main__":
    main()
