"""CUDA smoke check of the detector code (run on a GPU machine):

    PYTHONPATH=. python benchmarks/detector_gpu_check.py

Builds ``x101_fpn`` (random weights), runs the frozen-feature path (encode, ROI and union
features, detection) on two images, times AMP training steps of ``x101_fpn`` and ``tiny``.
"""
import time

import torch
import torchvision

from sgg_bench.detector import build_detector
from sgg_bench.detector.features import DetectorFeatures
from sgg_bench.detector.training import DetectionModule


def timed(label, fn, repeats=3):
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.time()
        out = fn()
        torch.cuda.synchronize()
        print(f"{label}: {time.time() - start:.3f} s", flush=True)
    return out


def main():
    print(torch.__version__, torchvision.__version__, torch.cuda.get_device_name())
    dev = torch.device("cuda")
    torch.manual_seed(0)
    features = DetectorFeatures(build_detector("x101_fpn", num_classes=151).to(dev))
    images = [torch.rand(3, 480, 640, device=dev), torch.rand(3, 600, 800, device=dev)]
    boxes = [torch.tensor([[10.0, 20, 200, 300], [50, 60, 400, 470]], device=dev),
             torch.tensor([[0.0, 0, 799, 599]], device=dev)]
    pairs = [torch.tensor([[0, 1], [1, 0]], device=dev), torch.zeros((0, 2), dtype=torch.long, device=dev)]

    def frozen_pass():
        batch = features.encode(images, boxes)
        return (batch, features.roi_features(batch, batch.boxes), features.union_features(batch, batch.boxes, pairs),
                features.detect(batch))

    batch, roi, union, dets = timed("x101 encode+roi+union+detect, 2 images", frozen_pass)
    print("sizes", batch.image_sizes, [tuple(r.shape) for r in roi], [tuple(u.shape) for u in union],
          [tuple(d["boxes"].shape) for d in dets])
    print("round-trip error px", float((batch.to_original(batch.boxes[0], 0) - boxes[0]).abs().max()))
    anchors = features.detector.rpn.anchor_generator.cell_anchors[0]
    print("anchor", anchors[0].tolist(), anchors.device)
    items = [{"image": images[0], "boxes": boxes[0], "labels": torch.tensor([1, 2], device=dev)},
             {"image": images[1], "boxes": boxes[1], "labels": torch.tensor([3], device=dev)}]
    for name in ("x101_fpn", "tiny"):
        module = DetectionModule(build_detector(name, num_classes=151).to(dev)).train()

        def step():
            with torch.autocast("cuda"):
                losses = module(items)
            sum(losses.values()).backward()
            return losses

        losses = timed(f"{name} AMP train step, 2 images", step)
        print(name, {k: round(float(v.detach()), 4) for k, v in losses.items()})
    print("max memory GiB", round(torch.cuda.max_memory_allocated() / 2 ** 30, 2))


if __name__ == "__main__":
    main()
