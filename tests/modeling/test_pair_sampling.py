import torch

from sgg_bench.modeling.pair_sampling import all_ordered_pairs, deduplicate_relations, match_boxes_to_gt, sample_pairs
from sgg_bench.modeling.sgdet_sampling import sample_sgdet_pairs


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


def _sgdet_scene():
    # GT: 0 = person (1) at the left, 1 = horse (2) at the right; relation 0 -> 1 "riding" (3).
    gt_boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]])
    gt_labels = torch.tensor([1, 2])
    boxes = torch.tensor([
        [0.0, 0.0, 10.0, 10.0],    # 0: person, IoU 1 with GT 0
        [1.0, 0.0, 11.0, 10.0],    # 1: person, IoU 0.82 with GT 0
        [0.0, 1.0, 10.0, 11.0],    # 2: person, IoU 0.82 with GT 0
        [20.0, 0.0, 30.0, 10.0],   # 3: horse, IoU 1 with GT 1
        [21.0, 0.0, 31.0, 10.0],   # 4: horse, IoU 0.82 with GT 1
        [0.0, 0.0, 10.0, 10.0],    # 5: over GT 0 but labelled horse: label-inconsistent, no match
        [50.0, 50.0, 60.0, 60.0],  # 6: background box
    ])
    box_labels = torch.tensor([1, 1, 1, 2, 2, 2, 0])
    return boxes, box_labels, gt_boxes, gt_labels, torch.tensor([[0, 1, 3]])


def test_sgdet_pairs_label_consistent_with_a_cap_per_relation():
    boxes, box_labels, gt_boxes, gt_labels, relations = _sgdet_scene()
    pairs, labels = sample_sgdet_pairs(boxes, box_labels, gt_boxes, gt_labels, relations, pairs_per_image=100,
                                       fg_fraction=0.5, max_pairs_per_relation=4,
                                       generator=torch.Generator().manual_seed(0))
    fg = {tuple(p) for p, l in zip(pairs.tolist(), labels.tolist()) if l}
    # Candidates: subjects {0, 1, 2} x objects {3, 4} = 6 > 4, so 4 are drawn (never box 5, whose
    # label differs from GT 0's, and never the background box 6).
    assert len(fg) == 4 and fg <= {(s, o) for s in (0, 1, 2) for o in (3, 4)}
    assert set(labels[labels > 0].tolist()) == {3}
    bg = {tuple(p) for p, l in zip(pairs.tolist(), labels.tolist()) if l == 0}
    # Background: ordered pairs among the six foreground boxes, minus all six candidates.
    assert len(bg) == 6 * 5 - 6 and not any(6 in pair for pair in bg)
    assert not bg & {(s, o) for s in (0, 1, 2) for o in (3, 4)}


def test_sgdet_pairs_prefer_the_best_overlaps():
    boxes, box_labels, gt_boxes, gt_labels, relations = _sgdet_scene()
    counts = {}
    for seed in range(200):
        pairs, labels = sample_sgdet_pairs(boxes, box_labels, gt_boxes, gt_labels, relations, pairs_per_image=100,
                                           fg_fraction=0.5, max_pairs_per_relation=1,
                                           generator=torch.Generator().manual_seed(seed))
        (pair,) = [tuple(p) for p, l in zip(pairs.tolist(), labels.tolist()) if l]
        counts[pair] = counts.get(pair, 0) + 1
    # Drawn with probability IoU(s) * IoU(o): (0, 3) has weight 1, (1, 4) 0.82 ** 2 = 0.67.
    assert counts[(0, 3)] > counts.get((1, 4), 0)


def test_sgdet_pairs_without_matches_or_boxes():
    boxes, box_labels, gt_boxes, gt_labels, _ = _sgdet_scene()
    pairs, labels = sample_sgdet_pairs(boxes, box_labels, gt_boxes, gt_labels, torch.zeros(0, 3, dtype=torch.long))
    assert (labels == 0).all() and pairs.shape[0] == 6 * 5
    pairs, labels = sample_sgdet_pairs(boxes[:0], box_labels[:0], gt_boxes, gt_labels, torch.tensor([[0, 1, 3]]))
    assert pairs.shape == (0, 2) and labels.shape == (0,)
