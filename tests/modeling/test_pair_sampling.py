import torch

from sgg_bench.modeling.pair_sampling import (all_ordered_pairs, deduplicate_relations, match_boxes_to_gt,
                                              relations_for_matched_boxes, sample_pairs)


def test_all_ordered_pairs():
    assert all_ordered_pairs(3).tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    assert all_ordered_pairs(1).shape == (0, 2)
    assert all_ordered_pairs(0).shape == (0, 2)


def test_deduplicate_keeps_one_predicate_per_pair_and_drops_self_relations():
    relations = torch.tensor([[0, 1, 3], [0, 1, 5], [1, 0, 2], [2, 2, 1]])
    seen = set()
    for seed in range(20):
        out = deduplicate_relations(relations, generator=torch.Generator().manual_seed(seed))
        assert out[:, :2].tolist() == [[0, 1], [1, 0]]
        assert out[1, 2] == 2
        seen.add(int(out[0, 2]))
    assert seen == {3, 5}  # both predicates get chosen under some seed
    assert deduplicate_relations(torch.zeros(0, 3, dtype=torch.long)).shape == (0, 3)


def test_sample_pairs_all_when_small():
    pairs, labels = sample_pairs(3, torch.tensor([[0, 1, 4], [2, 0, 1]]), pairs_per_image=256)
    # 2 fg first, then all 4 remaining ordered pairs as background.
    assert pairs[:2].tolist() == [[0, 1], [2, 0]] and labels[:2].tolist() == [4, 1]
    assert sorted(map(tuple, pairs[2:].tolist())) == [(0, 2), (1, 0), (1, 2), (2, 1)]
    assert labels[2:].tolist() == [0, 0, 0, 0]


def test_sample_pairs_caps_fg_and_total():
    relations = torch.tensor([[i, (i + 1) % 10, 1] for i in range(10)])
    pairs, labels = sample_pairs(10, relations, pairs_per_image=16, fg_fraction=0.25,
                                 generator=torch.Generator().manual_seed(0))
    assert pairs.shape == (16, 2)
    assert int((labels > 0).sum()) == 4
    # Background never contains a GT pair, even one dropped by the fg cap.
    gt = {(i, (i + 1) % 10) for i in range(10)}
    assert not any(tuple(p) in gt for p in pairs[labels == 0].tolist())
    assert len(set(map(tuple, pairs.tolist()))) == 16


def test_sample_pairs_single_box_and_empty():
    pairs, labels = sample_pairs(1, torch.zeros(0, 3, dtype=torch.long))
    assert pairs.shape == (0, 2) and labels.shape == (0,)
    pairs, labels = sample_pairs(0, torch.zeros(0, 3, dtype=torch.long))
    assert pairs.shape == (0, 2)


def test_match_boxes_to_gt():
    gt = torch.tensor([[0., 0, 10, 10], [20, 20, 30, 30]])
    boxes = torch.tensor([[0., 0, 10, 9], [21, 21, 30, 30], [0, 0, 30, 30], [50, 50, 60, 60]])
    assert match_boxes_to_gt(boxes, gt).tolist() == [0, 1, -1, -1]
    assert match_boxes_to_gt(boxes, torch.zeros(0, 4)).tolist() == [-1, -1, -1, -1]


def test_relations_for_matched_boxes():
    # boxes 0 and 2 match GT 0; box 1 matches GT 1; box 3 unmatched. GT relation 0 -> 1 (pred 3).
    matches = torch.tensor([0, 1, 0, -1])
    out = relations_for_matched_boxes(matches, torch.tensor([[0, 1, 3]]))
    assert out.tolist() == [[0, 1, 3], [2, 1, 3]]
    assert relations_for_matched_boxes(matches, torch.zeros(0, 3, dtype=torch.long)).shape == (0, 3)
