"""Randomized agreement of the vectorised evaluator with the plain reference (tests/evaluation/reference_impl.py)."""
import numpy as np
import pytest

from sgg_bench.evaluation import evaluate
from evaluation.random_cases import random_case
from evaluation.reference_impl import reference_oi, reference_vg

C_OBJ, C_REL = 4, 5


def _close(fast, ref, keys):
    for key in keys:
        a, b = fast[key], ref[key]
        assert (a is None) == (b is None), (key, a, b)
        if a is not None:
            assert abs(a - b) <= 1e-9, (key, a, b)


@pytest.mark.parametrize("mode", ["predcls", "sgcls", "sgdet"])
@pytest.mark.parametrize("seed", range(40))
def test_vg_agrees_with_reference(mode, seed):
    gts, preds = random_case(seed, mode=mode, max_boxes=12 if seed % 5 == 0 else 6)
    zeroshot = np.array([[1, 2, 1], [2, 1, 3], [3, 3, 2], [1, 1, 4]])
    motifs = seed % 3 == 0
    fast = evaluate(gts, preds, mode=mode, num_rel_classes=C_REL, num_obj_classes=C_OBJ, zeroshot=zeroshot,
                    motifs_rule=motifs, detection=False)["metrics"]
    ref = reference_vg(gts, preds, mode=mode, num_rel_classes=C_REL, zeroshot=zeroshot, motifs_rule=motifs)
    _close(fast, ref, ref.keys())


@pytest.mark.parametrize("variant", ["phrdet", "preddet"])
@pytest.mark.parametrize("seed", range(15))
def test_alternative_modes_agree_with_reference(variant, seed):
    mode = "sgdet" if variant == "phrdet" else "predcls"
    gts, preds = random_case(1000 + seed, mode=mode)
    fast = evaluate(gts, preds, mode=mode, variant=variant, num_rel_classes=C_REL, num_obj_classes=C_OBJ,
                    detection=False)["metrics"]
    ref = reference_vg(gts, preds, mode=variant, num_rel_classes=C_REL, phrase=variant == "phrdet",
                       multiple_preds=True)
    _close(fast, ref, [k for k in ref if not k.startswith("A@")])


@pytest.mark.parametrize("mode", ["predcls", "sgdet"])
@pytest.mark.parametrize("seed", range(30))
def test_openimages_agrees_with_reference(mode, seed):
    gts, preds = random_case(2000 + seed, mode=mode, num_images=8)
    fast = evaluate(gts, preds, mode=mode, protocol="oi", num_rel_classes=C_REL, num_obj_classes=C_OBJ,
                    detection=False)["metrics"]
    ref = reference_oi(gts, preds, num_rel_classes=C_REL)
    _close(fast, ref, ref.keys())
    ref_vg = reference_vg(gts, preds, mode=mode, num_rel_classes=C_REL)
    _close(fast, ref_vg, ["R@50", "ngR@100", "mR@100"])
