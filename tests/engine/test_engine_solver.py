"""KT's relation-training recipe: learning rate per image, no weight decay on biases, decay on
validation plateaus and the stop after the last decay."""
import pytest
import torch

from engine_toy import build_trainer
from sgg_bench.engine.hooks import Hook
from sgg_bench.config import load_config
from sgg_bench.engine.schedule import WarmupPlateauLR, parameter_groups
from sgg_bench.runs.solver import build_solver


def test_plateau_decays_after_patience_and_finishes():
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=1.0)
    schedule = WarmupPlateauLR(optimizer, gamma=0.1, warmup_iters=0, patience=2, threshold=0.001, max_decays=2)
    lrs = []
    for metric in (0.50, 0.60, 0.6005, 0.59, 0.70, None, 0.69, 0.71, 0.7105):
        schedule.report(metric)
        lrs.append(round(optimizer.param_groups[0]["lr"], 6))
    # 0.6005 is within the threshold of 0.60 (no improvement), 0.59 too: first decay; 0.70 improves;
    # None and 0.69 do not: second decay, which is the last.
    assert lrs[:4] == [1.0, 1.0, 1.0, 0.1] and lrs[4:7] == [0.1, 0.1, 0.01]
    assert schedule.finished and schedule.decays == 2
    restored = WarmupPlateauLR(torch.optim.SGD([weight], lr=1.0), gamma=0.1, patience=2, max_decays=2)
    restored.load_state_dict(schedule.state_dict())
    assert restored.finished and restored.best == pytest.approx(0.71)


def test_warmup_then_plateau_factor():
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.12)
    schedule = WarmupPlateauLR(optimizer, gamma=0.1, warmup_iters=10, patience=1)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.012)  # warmup starts at 0.1x
    for _ in range(5):
        optimizer.step()
        schedule.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.12 * (0.1 * 0.5 + 0.5))
    schedule.report(None)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.12 * 0.55 * 0.1)


def test_bias_parameters_get_their_own_weight_decay():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Embedding(4, 2))
    model.freq_bias = torch.nn.Embedding(2, 2)  # KT's substring rule: the frequency-bias table too
    groups = parameter_groups(model, weight_decay=1e-4, weight_decay_bias=0.0)
    decayed, free = groups
    assert decayed["weight_decay"] == 1e-4 and free["weight_decay"] == 0.0
    assert {id(p) for p in free["params"]} == {id(model[0].bias), id(model.freq_bias.weight)}
    assert len(parameter_groups(model, weight_decay=1e-4, weight_decay_bias=None)) == 1


def test_vg_recipe_scales_the_learning_rate_by_the_batch():
    cfg = load_config(None, ["solver.lr_scale_by_batch=true", "solver.ims_per_batch=12", "solver.base_lr=0.01",
                             "solver.weight_decay_bias=0.0", "solver.schedule=plateau", "solver.warmup_iters=0"])
    model = torch.nn.Linear(2, 2)
    optimizer, schedule = build_solver(cfg.solver, model)
    assert isinstance(schedule, WarmupPlateauLR)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.12, 0.12])
    assert [g["weight_decay"] for g in optimizer.param_groups] == [1e-4, 0.0]


def test_the_trainer_stops_when_the_schedule_is_finished(tmp_path):
    trainer = build_trainer(run_dir=tmp_path / "run", data_dir=tmp_path / "data", max_iter=20, period=5)
    plateau = WarmupPlateauLR(trainer.optimizer, patience=1, max_decays=1)

    trainer.scheduler = plateau

    class Stall(Hook):
        def after_step(self, trainer):
            if trainer.iteration == 7:
                plateau.report(None)

    trainer.hooks.insert(0, Stall())
    final = trainer.train()
    assert trainer.iteration == 7 and final.name == "model_final.pth"  # stopped at the last decay, not 20


def test_a_plateau_schedule_needs_validations():
    from sgg_bench.errors import ConfigError
    from sgg_bench.runs.configs import resolve_run_config
    from sgg_bench.runs.validate import validate_relation_config

    cfg = resolve_run_config(model="imp", dataset="vg", mode="predcls")
    assert cfg.solver.schedule == "plateau" and cfg.solver.lr_scale_by_batch and cfg.solver.weight_decay_bias == 0.0
    validate_relation_config(cfg)
    with pytest.raises(ConfigError, match="solver.val_period: a plateau schedule decays on validations"):
        validate_relation_config(resolve_run_config(model="imp", dataset="vg", mode="predcls",
                                                    overrides=["solver.val_period=0"]))
    # A statistics-only head trains nothing, so it needs no validations.
    validate_relation_config(resolve_run_config(model="frequency", dataset="vg", mode="predcls",
                                                overrides=["solver.val_period=0"]))
