from dataclasses import dataclass

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from sgg_bench.detector import build_detector
from sgg_bench.detector.training import DetectionModule, training_targets
from sgg_bench.runs.detector import evaluate_detector
from sgg_bench.structures import DatasetVocabulary, ImageGroundTruth

LOSS_NAMES = {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}


def test_detection_module_returns_torchvision_losses(toy_batch):
    torch.manual_seed(0)
    module = DetectionModule(build_detector("tiny", num_classes=4)).train()
    losses = module(toy_batch)
    assert set(losses) == LOSS_NAMES
    assert all(value.ndim == 0 and torch.isfinite(value) for value in losses.values())


def test_detection_module_accepts_image_without_boxes(toy_batch):
    torch.manual_seed(0)
    empty = dict(toy_batch[0], boxes=torch.zeros((0, 4)), labels=torch.zeros(0, dtype=torch.int64))
    losses = DetectionModule(build_detector("tiny", num_classes=4)).train()([empty])
    assert set(losses) == LOSS_NAMES


def test_degenerate_boxes_are_widened_not_dropped():
    target = training_targets({"boxes": torch.tensor([[5.0, 5.0, 5.0, 9.0]]), "labels": torch.tensor([2])},
                              torch.device("cpu"))
    assert target["boxes"].tolist() == [[5.0, 5.0, 6.0, 9.0]]


def test_short_training_reduces_loss(toy_batch):
    torch.manual_seed(0)
    module = DetectionModule(build_detector("tiny", num_classes=4, representation_size=128,
                                           min_size=96, max_size=128)).train()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.02, momentum=0.9)
    history = []
    for _ in range(25):
        total = sum(module(toy_batch).values())
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 5.0)  # as the Trainer's solver.grad_clip
        optimizer.step()
        history.append(float(total.detach()))
    assert np.mean(history[-5:]) < 0.5 * np.mean(history[:3]), [round(v, 3) for v in history]


# ---------------------------------------------------------------- evaluate_detector


@dataclass
class _Record:
    image_id: int
    image_path: object
    width: int
    height: int
    boxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray

    def training_relations(self, rng=None):
        return self.relations


class _Dataset:
    """The parts of ``SGGDataset`` that evaluation uses."""

    def __init__(self, records):
        self.records = records
        self.vocab = DatasetVocabulary(["__background__", "a", "b", "c"], ["__background__", "on"])

    def __len__(self):
        return len(self.records)

    def __getitem__(self, index):
        return self.records[index]

    def ground_truth(self):
        return [ImageGroundTruth(r.image_id, r.width, r.height, r.boxes, r.labels, r.relations) for r in self.records]


class _ScriptedDetector(nn.Module):
    """Returns fixed detections per call, in dataset order."""

    def __init__(self, outputs):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))
        self.outputs = list(outputs)

    def forward(self, images):
        return [self.outputs.pop(0) for _ in images]


@pytest.fixture
def two_image_dataset(tmp_path):
    records = []
    for image_id, boxes, labels in [(7, [[10, 10, 40, 50]], [1]), (9, [[5, 5, 30, 30], [40, 10, 60, 50]], [2, 1])]:
        path = tmp_path / f"{image_id}.jpg"
        Image.new("RGB", (64, 60), (128, 128, 128)).save(path)
        records.append(_Record(image_id, path, 64, 60, np.array(boxes, np.float32), np.array(labels, np.int64),
                               np.zeros((0, 3), np.int64)))
    return _Dataset(records)


def _output(boxes, labels, scores):
    return {"boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor(labels, dtype=torch.int64), "scores": torch.tensor(scores)}


def test_evaluate_detector_perfect_detections_score_one(two_image_dataset):
    detector = _ScriptedDetector([_output([[10, 10, 40, 50]], [1], [0.9]),
                                  _output([[5, 5, 30, 30], [40, 10, 60, 50]], [2, 1], [0.8, 0.7])])
    metrics = evaluate_detector(detector, two_image_dataset, batch_size=1, progress=False)
    assert metrics == {"mAP": pytest.approx(1.0), "AP50": pytest.approx(1.0)}


def test_evaluate_detector_hand_computed_half(two_image_dataset):
    # Class 1: both boxes found (AP 1). Class 2: its only box labelled 3 instead (AP 0).
    # Class 3 has no ground truth, so COCO leaves it out of the mean: mAP = (1 + 0) / 2.
    detector = _ScriptedDetector([_output([[10, 10, 40, 50]], [1], [0.9]),
                                  _output([[5, 5, 30, 30], [40, 10, 60, 50]], [3, 1], [0.8, 0.7])])
    metrics = evaluate_detector(detector, two_image_dataset, batch_size=2, progress=False)
    assert metrics == {"mAP": pytest.approx(0.5), "AP50": pytest.approx(0.5)}
    assert detector.training  # mode restored


def test_evaluate_real_tiny_detector_runs(two_image_dataset):
    torch.manual_seed(0)
    detector = build_detector("tiny", num_classes=4, box_score_thresh=0.0).eval()
    metrics = evaluate_detector(detector, two_image_dataset, batch_size=2, progress=False)
    assert 0.0 <= metrics["mAP"] <= metrics["AP50"] <= 1.0
    assert not detector.training
