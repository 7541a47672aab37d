"""Heavily tied random cases: ngR in KT's exact order, and tie ranges against a brute force over all tie orders.

Independent of the evaluator: plain per-image loops, KT's ``np.argsort(-x.ravel())`` for the
no-graph ranking, the reference matcher, and every choice of tied candidates at each cut.
"""
import itertools
import math

import numpy as np
import pytest

from sgg_bench.evaluation import evaluate
from evaluation.random_cases import random_case
from evaluation.reference_impl import match

C_OBJ, C_REL, KS = 4, 5, (20, 50, 100)


def tied_case(seed, mode):
    gts, preds = random_case(seed, mode=mode, max_boxes=9)
    for p in preds.values():
        p.rel_scores = (np.round(p.rel_scores * 40) / 40).astype(np.float32)       # multiples of 1/40: many ties
        if mode != "predcls":
            p.scores = (np.round(p.scores * 2) / 2 + 0.5).astype(np.float32)
        if len(p.rel_pairs):        # keep the file ranked by r * s_i * s_j (stable among ties)
            t = p.rel_scores[:, 1:].max(axis=1) * p.scores[p.rel_pairs[:, 0]] * p.scores[p.rel_pairs[:, 1]]
            order = np.argsort(-t, kind="stable")
            p.rel_pairs, p.rel_scores = p.rel_pairs[order], p.rel_scores[order]
    return gts, preds


def image_view(gt, pred, mode):
    if mode == "predcls":
        return gt.boxes, gt.labels, np.ones(len(gt.labels), np.float32)
    return pred.boxes, pred.labels, pred.scores


def recall_range(certain, block_sets, q, num_gt):
    """Smallest and largest |certain ∪ chosen| / R over every choice of q of the block's candidates."""
    values = [len(certain.union(*(block_sets[i] for i in chosen))) / num_gt
              for chosen in itertools.combinations(range(len(block_sets)), q)]
    return min(values), max(values)


def brute_force(gts, preds, mode):
    """{kind: {K: (value, low, high)}} of R (graph constraint) and ngR, per image then averaged."""
    per = {"R": {k: [] for k in KS}, "ngR": {k: [] for k in KS}}
    for gt in gts:
        pred = preds[gt.image_id]
        if len(gt.relations) == 0 or len(pred.rel_pairs) == 0:
            continue
        boxes, labels, s = image_view(gt, pred, mode)
        gtt = [(gt.boxes[a], gt.boxes[b], int(gt.labels[a]), int(p), int(gt.labels[b])) for a, b, p in gt.relations]
        pairs, probs = pred.rel_pairs, pred.rel_scores
        fg = probs[:, 1:]
        # no graph constraint: KT's ranking call on KT's array
        flat = ((s[pairs[:, 0]] * s[pairs[:, 1]])[:, None] * fg).ravel()
        ng_order = np.argsort(-flat)
        ng_trip = [(boxes[pairs[e // fg.shape[1], 0]], boxes[pairs[e // fg.shape[1], 1]],
                    int(labels[pairs[e // fg.shape[1], 0]]), int(e % fg.shape[1]) + 1,
                    int(labels[pairs[e // fg.shape[1], 1]])) for e in ng_order]
        ng_sets = [set(h) for h in match(gtt, ng_trip)]
        ng_values = flat[ng_order]
        # graph constraint: delivered rows, one predicate each, ranked by r * s_i * s_j
        best = fg.max(axis=1)
        gc_values = best * s[pairs[:, 0]] * s[pairs[:, 1]]
        gc_trip = [(boxes[i], boxes[j], int(labels[i]), int(fg[m].argmax()) + 1, int(labels[j]))
                   for m, (i, j) in enumerate(pairs)]
        gc_sets = [set(h) for h in match(gtt, gc_trip)]
        for kind, sets, values in (("R", gc_sets, gc_values), ("ngR", ng_sets, ng_values)):
            for k in KS:
                value = len(set().union(*sets[:k])) / len(gtt)
                low = high = value
                if len(values) > k and values[k - 1] == values[k]:
                    a = k - 1
                    while a > 0 and values[a - 1] == values[k - 1]:
                        a -= 1
                    b = k
                    while b < len(values) and values[b] == values[k - 1]:
                        b += 1
                    if math.comb(b - a, k - a) > 20000:
                        pytest.skip("block too large for the brute force")
                    low, high = recall_range(set().union(*sets[:a]), sets[a:b], k - a, len(gtt))
                per[kind][k].append((value, low, high))
    return {kind: {k: tuple(float(np.mean([v[i] for v in rows])) for i in range(3)) for k, rows in by_k.items()}
            for kind, by_k in per.items()}


@pytest.mark.parametrize("mode", ["predcls", "sgdet"])
@pytest.mark.parametrize("seed", range(16))
def test_tied_cases_match_brute_force(mode, seed):
    gts, preds = tied_case(seed, mode)
    result = evaluate(gts, preds, mode=mode, num_rel_classes=C_REL, num_obj_classes=C_OBJ, detection=False)
    expected = brute_force(gts, preds, mode)
    for kind in ("R", "ngR"):
        for k in KS:
            value, low, high = expected[kind][k]
            got = result["metrics"][f"{kind}@{k}"]
            assert got == pytest.approx(value, abs=1e-12), (kind, k)
            if high - low > 1e-12:
                assert result["tie_ranges"][f"{kind}@{k}"] == pytest.approx([low, high], abs=1e-12), (kind, k)
            else:
                assert f"{kind}@{k}" not in result["tie_ranges"], (kind, k)


def test_the_tied_cases_do_exercise_ranges():
    with_ranges = 0
    for seed in range(16):
        gts, preds = tied_case(seed, "predcls")
        with_ranges += bool(evaluate(gts, preds, mode="predcls", num_rel_classes=C_REL, num_obj_classes=C_OBJ,
                                     detection=False)["tie_ranges"])
    assert with_ranges >= 6
