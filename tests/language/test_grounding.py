"""Each grounding rule of LANGUAGE.md §4 on hand-built images and graphs."""
from types import SimpleNamespace

import numpy as np
import pytest

from sgg_bench.language.grounding import (KIND_BACKGROUND_BOX, KIND_BACKGROUND_PREDICATE, KIND_POSITIVE,
                                          GroundingConfig, assign_box_labels, box_iou, ground, ground_localized,
                                          relation_per_pair)

# Detector classes: 1 person, 2 animal, 3 table, 4 lamp (maps to nothing). Targets: 1 man, 2 woman, 3 dog, 4 table.
DET_TO_CLASSES = {0: [], 1: [1, 2], 2: [3], 3: [4], 4: []}
MAN, WOMAN, DOG, TABLE = 1, 2, 3, 4
NEAR, ON, HOLDING = 1, 2, 3


def image(boxes, labels, nodes, triplets):
    return SimpleNamespace(boxes=np.asarray(boxes, np.float32).reshape(-1, 4), labels=np.asarray(labels, np.int64),
                           node_classes=np.asarray(nodes, np.int64), triplets=np.asarray(triplets, np.int64).reshape(-1, 3))


def positives(targets):
    keep = targets.pair_kind == KIND_POSITIVE
    return {(int(s), int(o), int(p)) for (s, o), p in zip(targets.pairs[keep], targets.pair_predicates[keep])}


def rng(seed=0):
    return np.random.default_rng(seed)


# -- rule 1: every detection labelled on its own, class level, random concept then random instance --------------
def test_a_detection_whose_class_maps_to_no_image_concept_is_background():
    labels, nodes = assign_box_labels(np.array([4, 2, 0]), np.array([MAN]), DET_TO_CLASSES, rng())
    assert labels.tolist() == [0, 0, 0] and nodes.tolist() == [-1, -1, -1]  # lamp: no map; animal: no dog; bg


def test_the_concept_is_drawn_at_random_among_the_present_ones():
    seen = {int(assign_box_labels(np.array([1]), np.array([MAN, WOMAN, DOG]), DET_TO_CLASSES, rng(s))[0][0])
            for s in range(40)}
    assert seen == {MAN, WOMAN}  # person -> man or woman, never dog
    only_woman = assign_box_labels(np.array([1]), np.array([WOMAN, DOG]), DET_TO_CLASSES, rng())[0]
    assert only_woman.tolist() == [WOMAN]


def test_the_instance_is_drawn_at_random_among_nodes_of_that_class():
    nodes = np.array([DOG, MAN, DOG])
    chosen = {int(assign_box_labels(np.array([2]), nodes, DET_TO_CLASSES, rng(s))[1][0]) for s in range(40)}
    assert chosen == {0, 2}


def test_no_iou_and_no_score_test_every_mapped_box_gets_a_label():
    # Three person boxes far apart and one table: all persons take "man", the only person concept.
    img = image([[0, 0, 5, 5], [100, 100, 110, 110], [50, 0, 51, 1], [0, 0, 50, 50]], [1, 1, 1, 3], [MAN, TABLE], [])
    targets = ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng())
    assert targets.box_labels.tolist() == [MAN, MAN, MAN, TABLE]
    assert targets.box_nodes.tolist() == [0, 0, 0, 1]


# -- rule 2: candidates, overlap, 4 per triplet, 4 per image, background fill ----------------------------------
def test_candidates_are_class_level_every_box_of_the_class_pairs_with_every_box_of_the_other():
    img = image([[0, 0, 20, 20], [10, 10, 30, 30], [15, 0, 40, 25]], [1, 1, 3], [MAN, TABLE], [[0, 1, NEAR]])
    targets = ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(), transformer_variant=False)
    assert positives(targets) == {(0, 2, NEAR), (1, 2, NEAR)}


def test_head_and_tail_differ():
    one_man = image([[0, 0, 20, 20]], [1], [MAN], [[0, 0, NEAR]])
    assert positives(ground(one_man, detector_to_classes=DET_TO_CLASSES, rng=rng())) == set()
    two_men = image([[0, 0, 20, 20], [10, 0, 30, 20]], [1, 1], [MAN], [[0, 0, NEAR]])
    assert positives(ground(two_men, detector_to_classes=DET_TO_CLASSES, rng=rng())) == {(0, 1, NEAR), (1, 0, NEAR)}


def test_dictionary_matching_requires_overlap_and_excludes_identical_boxes():
    apart = image([[0, 0, 10, 10], [50, 50, 60, 60]], [1, 3], [MAN, TABLE], [[0, 1, NEAR]])
    assert positives(ground(apart, detector_to_classes=DET_TO_CLASSES, rng=rng())) == set()
    loose = GroundingConfig(require_overlap=False)
    assert positives(ground(apart, detector_to_classes=DET_TO_CLASSES, rng=rng(), config=loose)) == {(0, 1, NEAR)}
    identical = image([[0, 0, 10, 10], [0, 0, 10, 10]], [1, 3], [MAN, TABLE], [[0, 1, NEAR]])
    assert positives(ground(identical, detector_to_classes=DET_TO_CLASSES, rng=rng())) == set()


def test_more_than_four_candidates_are_sub_sampled_to_four_uniformly():
    # 3 men x 2 tables, all overlapping: 6 candidates for (man, on, table).
    boxes = [[0, 0, 30, 30], [5, 5, 35, 35], [10, 10, 40, 40], [2, 2, 32, 32], [8, 8, 38, 38]]
    img = image(boxes[:3] + boxes[3:], [1, 1, 1, 3, 3], [MAN, TABLE], [[0, 1, ON]])
    all_candidates = {(h, t, ON) for h in (0, 1, 2) for t in (3, 4)}
    drawn = set()
    for seed in range(20):
        found = positives(ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(seed)))
        assert len(found) == 4 and found <= all_candidates
        drawn |= found
    assert drawn == all_candidates


def test_at_most_four_positive_pairs_per_image_and_background_pairs_fill_up_to_sixteen():
    # 3 overlapping men on one table (12 candidate pairs over 3 triplets), 2 dogs far away (no triplet):
    # 30 ordered foreground pairs, 18 of them not candidates.
    boxes = [[i * 3, 0, i * 3 + 20, 20] for i in range(3)] + [[0, 0, 40, 40], [100, 100, 110, 110], [120, 100, 130, 110]]
    img = image(boxes, [1, 1, 1, 3, 2, 2], [MAN, TABLE, DOG], [[0, 1, ON], [1, 0, NEAR], [0, 0, HOLDING]])
    targets = ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(), transformer_variant=False)
    kinds = targets.pair_kind.tolist()
    assert kinds.count(KIND_POSITIVE) == 4
    assert len(kinds) == 16 and kinds.count(KIND_BACKGROUND_PREDICATE) == 12
    background = targets.pairs[targets.pair_kind == KIND_BACKGROUND_PREDICATE]
    assert (targets.pair_predicates[targets.pair_kind == KIND_BACKGROUND_PREDICATE] == 0).all()
    assert (targets.box_labels[background] > 0).all() and (background[:, 0] != background[:, 1]).all()


def test_background_pairs_never_repeat_a_candidate_pair_and_need_no_overlap():
    # man 0 overlaps table 1; man 2 is far from everything: the only background pairs are 0<->2, 2<->1, 1->0.
    img = image([[0, 0, 20, 20], [10, 10, 30, 30], [100, 100, 120, 120]], [1, 3, 1], [MAN, TABLE], [[0, 1, NEAR]])
    targets = ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(), transformer_variant=False)
    assert positives(targets) == {(0, 1, NEAR)}
    background = {tuple(p) for p in targets.pairs[targets.pair_kind == KIND_BACKGROUND_PREDICATE].tolist()}
    assert background == {(1, 0), (0, 2), (2, 0), (1, 2), (2, 1)}


# -- rule 3 (Transformer variant): 3 x sampled pairs with a background box ----------------------------------------
def test_background_box_pairs_are_three_times_the_sampled_pairs_and_hold_a_background_box():
    boxes = [[0, 0, 20, 20], [10, 10, 30, 30]] + [[j * 10, 50, j * 10 + 8, 58] for j in range(8)]
    img = image(boxes, [1, 3] + [4] * 8, [MAN, TABLE], [[0, 1, NEAR]])  # 8 lamps: background
    targets = ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng())
    sampled = int((targets.pair_kind != KIND_BACKGROUND_BOX).sum())
    assert sampled == 2  # (0, 1) positive, (1, 0) background predicate
    with_bg = targets.pairs[targets.pair_kind == KIND_BACKGROUND_BOX]
    assert len(with_bg) == 3 * sampled
    assert ((targets.box_labels[with_bg] == 0).any(1)).all() and (with_bg[:, 0] != with_bg[:, 1]).all()
    assert KIND_BACKGROUND_BOX not in ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(),
                                             transformer_variant=False).pair_kind


# -- duplicates (§4.4) and determinism ------------------------------------------------------------------------------
def test_one_random_predicate_per_node_pair():
    triplets = np.array([[0, 1, NEAR], [0, 1, ON], [1, 0, HOLDING]])
    chosen = {tuple(map(tuple, relation_per_pair(triplets, rng(s), deduplicate=True).tolist())) for s in range(30)}
    assert chosen == {((0, 1, NEAR), (1, 0, HOLDING)), ((0, 1, ON), (1, 0, HOLDING))}
    replaced = {tuple(relation_per_pair(triplets, rng(s), deduplicate=False)[0].tolist()) for s in range(30)}
    assert replaced == {(0, 1, NEAR), (0, 1, ON)}  # the second replaces the first with probability 0.5


def test_same_seed_same_sample_and_other_seeds_differ():
    boxes = [[i * 3, 0, i * 3 + 20, 20] for i in range(6)] + [[0, 0, 40, 40]]
    img = image(boxes, [1] * 6 + [3], [MAN, WOMAN, TABLE], [[0, 2, ON], [1, 2, NEAR]])
    first, again = (ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(7)) for _ in range(2))
    for name in ("box_labels", "box_nodes", "pairs", "pair_predicates", "pair_kind"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    others = {ground(img, detector_to_classes=DET_TO_CLASSES, rng=rng(s)).pairs.tobytes() for s in range(10)}
    assert len(others) > 1


def test_empty_image_and_empty_graph():
    empty = ground(image(np.zeros((0, 4)), [], [], []), detector_to_classes=DET_TO_CLASSES, rng=rng())
    assert empty.pairs.shape == (0, 2) and empty.box_labels.shape == (0,)
    no_graph = ground(image([[0, 0, 5, 5], [1, 1, 6, 6]], [1, 3], [], []), detector_to_classes=DET_TO_CLASSES, rng=rng())
    assert no_graph.box_labels.tolist() == [0, 0]
    # No foreground pair is sampled, so 3 x 0 background-box pairs: nothing (SGNLS pads a dummy [0, 0] pair here).
    assert no_graph.pairs.shape == (0, 2) and no_graph.pair_kind.shape == (0,)


# -- full setting: IoU matching on the same detections --------------------------------------------------------------
def test_localized_grounding_matches_by_iou_at_instance_level():
    dets = image([[0, 0, 10, 10], [1, 0, 11, 10], [40, 40, 50, 50], [80, 80, 90, 90]], [1, 1, 3, 1], [], [])
    gt_boxes = np.array([[0, 0, 10, 10], [40, 40, 50, 50], [60, 60, 70, 70]], np.float32)
    targets = ground_localized(dets, gt_boxes=gt_boxes, gt_labels=np.array([MAN, TABLE, DOG]),
                               gt_relations=np.array([[0, 1, ON], [2, 1, NEAR]]), rng=rng(), transformer_variant=False)
    assert targets.box_labels.tolist() == [MAN, MAN, TABLE, 0]   # det 3 overlaps nothing
    assert targets.box_nodes.tolist() == [0, 0, 1, -1]
    assert positives(targets) == {(0, 2, ON), (1, 2, ON)}        # no box matches the dog: its relation is lost


def test_box_iou_by_hand():
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [10, 10, 20, 20], [0, 0, 10, 10]]))
    assert iou.tolist() == [[pytest.approx(50 / 150), 0.0, 1.0]]
