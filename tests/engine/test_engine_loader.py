"""SceneGraphBatches: batches are a pure function of (seed, iteration); ranks split each batch."""
import pytest
import torch

from engine_toy import ToyDataset, make_toy_dataset
from sgg_bench.engine.loader import SceneGraphBatches


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_toy_dataset(tmp_path_factory.mktemp("toy"), num_images=10)


def test_batch_at_is_pure_function_of_seed_and_iteration(dataset):
    first = SceneGraphBatches(dataset, batch_size=4, seed=1)
    second = SceneGraphBatches(dataset, batch_size=4, seed=1)
    for iteration in (7, 0, 3):
        a, b = first.batch_at(iteration), second.batch_at(iteration)
        assert [x["image_id"] for x in a] == [x["image_id"] for x in b]
        for x, y in zip(a, b):
            assert torch.equal(x["relations"], y["relations"])
            assert torch.equal(x["image"], y["image"])
    other_seed = SceneGraphBatches(dataset, batch_size=4, seed=2)
    assert [first.indices_at(i) for i in range(5)] != [other_seed.indices_at(i) for i in range(5)]


def test_each_epoch_is_a_permutation(dataset):
    batches = SceneGraphBatches(dataset, batch_size=5, seed=0)
    epoch0 = batches.indices_at(0) + batches.indices_at(1)
    epoch1 = batches.indices_at(2) + batches.indices_at(3)
    assert sorted(epoch0) == list(range(10)) and sorted(epoch1) == list(range(10))
    assert epoch0 != epoch1


def test_batch_straddles_epochs(dataset):
    batches = SceneGraphBatches(dataset, batch_size=4, seed=0)  # 10 images: batch 2 = positions 8..11
    stream = [i for it in range(5) for i in batches.indices_at(it)]
    assert sorted(stream[:10]) == list(range(10)) and sorted(stream[10:20]) == list(range(10))


def test_no_shuffle_walks_in_order(dataset):
    batches = SceneGraphBatches(dataset, batch_size=3, seed=0, shuffle=False)
    assert batches.indices_at(0) == [0, 1, 2] and batches.indices_at(3) == [9, 0, 1]


def test_ranks_split_each_global_batch(dataset):
    whole = SceneGraphBatches(dataset, batch_size=4, seed=5)
    rank0 = SceneGraphBatches(dataset, batch_size=4, seed=5, rank=0, world_size=2)
    rank1 = SceneGraphBatches(dataset, batch_size=4, seed=5, rank=1, world_size=2)
    for iteration in range(4):
        a, b = rank0.indices_at(iteration), rank1.indices_at(iteration)
        assert len(a) == len(b) == 2
        assert sorted(a + b) == sorted(whole.indices_at(iteration))
        # the per-slot relation filtering matches the single-process batch
        single = whole.batch_at(iteration)
        for slot, item in zip((0, 2), rank0.batch_at(iteration)):
            assert torch.equal(item["relations"], single[slot]["relations"])


def test_item_format(dataset):
    item = SceneGraphBatches(dataset, batch_size=1, seed=0, shuffle=False).batch_at(0)[0]
    record = dataset[0]
    assert item["image"].dtype == torch.float32 and item["image"].shape == (3, record.height, record.width)
    assert 0.0 <= float(item["image"].min()) and float(item["image"].max()) <= 1.0
    assert item["image_id"] == record.image_id and (item["width"], item["height"]) == (record.width, record.height)
    assert item["boxes"].dtype == torch.float32 and item["boxes"].shape == (1, 4)
    assert item["labels"].dtype == torch.int64 and item["labels"].shape == (1,)
    assert item["relations"].dtype == torch.int64 and item["relations"].shape[1] == 3


def test_training_items_deduplicate_relations_and_inference_keeps_raw(dataset):
    train = SceneGraphBatches(dataset, batch_size=10, seed=0, shuffle=False)
    raw = SceneGraphBatches(dataset, batch_size=10, seed=0, shuffle=False, training=False)
    for item in train.batch_at(0):
        assert item["relations"].shape[0] == 1  # both toy relations share one pair
    for item in raw.batch_at(0):
        assert item["relations"].shape[0] == 2


def test_iterate_once_visits_every_image_in_order(dataset):
    batches = SceneGraphBatches(dataset, batch_size=4, seed=0, training=False)
    sizes = [len(b) for b in batches.iterate_once()]
    ids = [item["image_id"] for b in batches.iterate_once(batch_size=3) for item in b]
    assert sizes == [4, 4, 2]
    assert ids == [dataset[i].image_id for i in range(10)]


def test_empty_dataset():
    batches = SceneGraphBatches(ToyDataset([]), batch_size=2, seed=0)
    assert len(batches) == 0 and list(batches.iterate_once()) == []
    with pytest.raises(ValueError, match="empty"):
        batches.batch_at(0)


def test_bad_arguments(dataset):
    with pytest.raises(ValueError):
        SceneGraphBatches(dataset, batch_size=0, seed=0)
    with pytest.raises(ValueError):
        SceneGraphBatches(dataset, batch_size=1, seed=0, rank=0, world_size=2)
    with pytest.raises(ValueError):
        SceneGraphBatches(dataset, batch_size=2, seed=0, rank=2, world_size=2)


def test_image_cache_returns_same_pixels(dataset):
    cached = SceneGraphBatches(dataset, batch_size=2, seed=0, cache_images=True)
    a = cached.batch_at(0)[0]["image"]
    b = cached.batch_at(0)[0]["image"]
    a.add_(1.0)  # callers may modify their copy in place
    assert torch.equal(b, cached.batch_at(0)[0]["image"]) and not torch.equal(a, b)


def test_prefetching_returns_the_same_batches_in_any_order(dataset):
    from sgg_bench.engine.loader import PrefetchingBatches

    plain = SceneGraphBatches(dataset, batch_size=3, seed=4)
    prefetching = PrefetchingBatches(SceneGraphBatches(dataset, batch_size=3, seed=4), depth=2, workers=2)
    try:
        for iteration in (0, 1, 2, 7, 3, 4, 4):
            expected, got = plain.batch_at(iteration), prefetching.batch_at(iteration)
            assert [x["image_id"] for x in got] == [x["image_id"] for x in expected]
            for x, y in zip(got, expected):
                assert torch.equal(x["image"], y["image"]) and torch.equal(x["relations"], y["relations"])
        assert sorted(prefetching._pending) == [5, 6]
        assert len(prefetching) == len(dataset)
    finally:
        prefetching.close()
    with pytest.raises(ValueError):
        PrefetchingBatches(plain, depth=0)
