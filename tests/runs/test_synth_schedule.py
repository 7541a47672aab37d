"""The synthetic configs train every relation head on the validation-driven schedule (val R@50
plateaus, stop at the last decay); the detector keeps its fixed steps."""
import pytest

import sgg_bench.modeling.heads  # noqa: F401  (registers every head)
from sgg_bench.registry import RELATION_HEADS
from sgg_bench.runs.configs import resolve_run_config
from sgg_bench.runs.validate import validate_detector_config, validate_relation_config


# sgnls trains on caption pseudo labels with SGNLS's fixed schedule: a validation on ground truth
# would leak the supervision the language setting does without (docs/LANGUAGE.md).
@pytest.mark.parametrize("head", [name for name in RELATION_HEADS.names() if name not in ("frequency", "sgnls")])
def test_every_visual_head_trains_until_val_r50_stops_improving(head):
    cfg = resolve_run_config(model=head, dataset="synth", mode="predcls")
    validate_relation_config(cfg)
    solver = cfg["solver"]
    assert solver["schedule"] == "plateau" and solver["plateau_metric"] == "R@50"
    assert 0 < solver["val_period"] < solver["max_iter"] and solver["plateau_max_decays"] >= 1
    assert solver["steps"] == [] and not solver["lr_scale_by_batch"] and solver["ims_per_batch"] == 4


def test_the_detector_keeps_its_fixed_schedule():
    cfg = resolve_run_config(model="detector", dataset="synth")
    validate_detector_config(cfg)
    solver = cfg["solver"]
    assert solver["schedule"] == "multistep" and solver["steps"] == [750] and solver["val_period"] == 0
