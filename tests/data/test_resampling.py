"""Bi-level resampling (BGNN / PySGG ``bi_lvl_rsmp.py``): repeat factors and drop rates computed
by hand on a tiny hand-built dataset; determinism under the seed through the loader."""
import math

import numpy as np
import pytest
import torch
from PIL import Image

from sgg_bench.data.dataset import ImageRecord
from sgg_bench.data.resampling import (BilevelResampledDataset, DroppingImageRecord, class_repeat_factors,
                                       drop_probabilities, image_repeat_factor, predicate_counts,
                                       resample_for_training)
from sgg_bench.engine.loader import SceneGraphBatches
from sgg_bench.structures import DatasetVocabulary

# image 0: p1 three times; image 1: p1 and p2; image 2: p3; image 3: no relation. p4 never occurs.
RELATIONS = [[[0, 1, 1], [1, 0, 1], [0, 2, 1]], [[0, 1, 1], [1, 0, 2]], [[1, 0, 3]], []]


class HandDataset:
    vocab = DatasetVocabulary(["__background__", "a", "b"], ["__background__", "p1", "p2", "p3", "p4"])
    split = "train"

    def __init__(self, image_path):
        self.records = [ImageRecord(image_id=10 + i, image_path=image_path, width=8, height=6,
                                    boxes=np.array([[0, 0, 3, 3], [2, 2, 7, 5], [1, 1, 4, 4]], dtype=np.float32),
                                    labels=np.array([1, 2, 1]), relations=np.array(r, dtype=np.int64).reshape(-1, 3),
                                    gt_box_index=np.arange(3)) for i, r in enumerate(RELATIONS)]

    def __len__(self):
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i]


class FixedDraws:
    """Stands in for a numpy Generator: ``random`` returns the given numbers."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float64)

    def random(self, shape):
        return self.values[:int(np.prod(shape))].reshape(shape)


@pytest.fixture()
def dataset(tmp_path):
    path = tmp_path / "image.png"
    Image.new("RGB", (8, 6), (10, 20, 30)).save(path)
    return HandDataset(path)


def test_predicate_counts(dataset):
    counts = predicate_counts(dataset, 5, np.random.default_rng(0))
    assert counts.tolist() == [0, 4, 1, 1, 0]


def test_class_repeat_factors_by_hand():
    # shares f = 4/6, 1/6, 1/6, 0 with t = 0.5: r = sqrt(0.5 / f) -> 0.866 (clipped to 1), sqrt(3), sqrt(3), huge
    draws = [0.9, 0.5, 0.8, 0.0]
    factors = class_repeat_factors(np.array([0, 4, 1, 1, 0]), repeat_factor=0.5, rng=FixedDraws(draws))
    # sqrt(3) = 1.732: floor 1, +1 when the draw is below 0.732 (0.5 yes, 0.8 no)
    assert factors[:4].tolist() == [1, 1, 2, 1]
    huge = math.sqrt(0.5 / 1e-11)
    assert factors[4] == math.floor(huge) + 1  # draw 0.0 < its fraction


def test_image_repeat_factor_is_the_max_over_its_predicates():
    class_repeats = np.array([1, 1, 2, 3, 5])
    assert [image_repeat_factor(np.array(p), class_repeats) for p in ([1, 1, 1], [1, 2], [3, 2], [])] == [1, 2, 3, 1]


def test_drop_probabilities_by_hand():
    class_repeats = np.array([1, 1, 2, 4, 5])
    # image repeated 4 times, drop rate 0.9: p1 (1 - 1/4) 0.9 = 0.675, p2 (1 - 2/4) 0.9 = 0.45, p3 0
    probs = drop_probabilities(np.array([1, 2, 3]), class_repeats, 4, 0.9)
    np.testing.assert_allclose(probs, [0.675, 0.45, 0.0], atol=1e-9)  # PySGG's 1e-11 guard
    np.testing.assert_allclose(drop_probabilities(np.array([1]), class_repeats, 4, 1.6), [1.0])  # clipped
    assert drop_probabilities(np.array([1, 2]), class_repeats, 1, 0.9).tolist() == [0.0, 0.0]  # not repeated


def test_dropping_record_drops_where_the_draw_is_below_the_probability(dataset):
    base = dataset[1]
    record = DroppingImageRecord(**{k: getattr(base, k) for k in ("image_id", "image_path", "width", "height",
                                                                     "boxes", "labels", "relations", "gt_box_index")},
                                 class_repeats=np.array([1, 1, 2, 1, 1]), image_repeat=2, drop_rate=0.9)
    # p1: (1 - 1/2) 0.9 = 0.45, p2: 0
    assert record.training_relations(FixedDraws([0.44, 0.5])).tolist() == [[1, 0, 2]]
    assert record.training_relations(FixedDraws([0.46, 0.5])).tolist() == [[0, 1, 1], [1, 0, 2]]


def test_resampled_dataset_lists_images_by_their_repeat_factor(dataset):
    view = BilevelResampledDataset(dataset, repeat_factor=0.5, drop_rate=0.9, seed=3)
    # p2 and p3 are sqrt(3) = 1.73 -> 1 or 2 by the seeded draw; p1 is 1
    assert view.class_repeats[1] == 1 and set(view.class_repeats[2:4].tolist()) <= {1, 2}
    expected = [1, max(1, int(view.class_repeats[2])), int(view.class_repeats[3]), 1]
    assert view.image_repeats.tolist() == expected
    assert len(view) == sum(expected)
    assert [view[j].image_id for j in range(len(view))] == [10 + i for i, r in enumerate(expected) for _ in range(r)]
    assert view.vocab is dataset.vocab and view.split == "train"
    again = BilevelResampledDataset(dataset, repeat_factor=0.5, drop_rate=0.9, seed=3)
    assert again.class_repeats.tolist() == view.class_repeats.tolist()


def test_drop_rate_over_many_loads(dataset):
    view = BilevelResampledDataset(dataset, repeat_factor=10.0, drop_rate=0.9, seed=0)
    # t = 10: every factor is sqrt(10 / f) >= 3.87; image 1 repeats max(r_p1, r_p2) = r_p2 times
    r1, r2 = int(view.class_repeats[1]), int(view.class_repeats[2])
    assert view.image_repeats[1] == r2 and r2 > r1
    record = view[int(np.flatnonzero(view.positions == 1)[0])]
    kept = [record.training_relations(np.random.default_rng([7, i]))[:, 2].tolist() for i in range(4000)]
    dropped_p1 = sum(1 not in k for k in kept) / len(kept)
    assert dropped_p1 == pytest.approx((1 - r1 / r2) * 0.9, abs=0.03)
    assert all(2 in k for k in kept)  # the rarest predicate of the image is never dropped


def test_loader_batches_stay_a_pure_function_of_seed_and_iteration(dataset):
    view = resample_for_training(dataset, {"method": "bilevel", "repeat_factor": 10.0, "drop_rate": 0.9}, seed=1)
    first, second = (SceneGraphBatches(view, batch_size=3, seed=1) for _ in range(2))
    for iteration in (5, 0, 2):
        a, b = first.batch_at(iteration), second.batch_at(iteration)
        assert [x["image_id"] for x in a] == [x["image_id"] for x in b]
        assert all(torch.equal(x["relations"], y["relations"]) for x, y in zip(a, b))
    assert resample_for_training(dataset, {"method": "none"}, seed=1) is dataset
