"""Tiny hand-made scenes for detector tests: coloured rectangles on a grey background, one
colour per class, so a few training steps can learn them."""
from __future__ import annotations

import pytest
import torch

CLASS_COLOURS = {1: (1.0, 0.1, 0.1), 2: (0.1, 0.9, 0.1), 3: (0.1, 0.2, 1.0)}


def toy_scene(height: int, width: int, boxes: list[tuple[float, float, float, float]], labels: list[int]) -> dict:
    """One batch item as the engine's loader yields it (image RGB in [0, 1], original pixels)."""
    image = torch.full((3, height, width), 0.5)
    for (x1, y1, x2, y2), label in zip(boxes, labels):
        colour = torch.tensor(CLASS_COLOURS[label])[:, None, None]
        image[:, int(y1):int(y2), int(x1):int(x2)] = colour
    return {
        "image": image, "image_id": 0, "width": width, "height": height,
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels, dtype=torch.int64),
        "relations": torch.zeros((0, 3), dtype=torch.int64),
    }


@pytest.fixture
def toy_batch() -> list[dict]:
    first = toy_scene(120, 160, [(10, 12, 60, 70), (90, 30, 150, 100)], [1, 2])
    second = toy_scene(144, 128, [(20, 40, 100, 120)], [3])
    second["image_id"] = 1
    return [first, second]


@pytest.fixture(autouse=True)
def one_thread():
    """Detector steps on a shared 2-core machine run far faster single-threaded than with
    oversubscribed thread pools; restore the setting afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
