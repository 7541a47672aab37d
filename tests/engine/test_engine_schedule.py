"""Warmup + multi-step learning rate and the optimizer builder."""
import pytest
import torch

from sgg_bench.engine.schedule import WarmupMultiStepLR, build_optimizer


def _lrs(scheduler, optimizer, steps):
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return values


def test_warmup_then_steps():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    scheduler = WarmupMultiStepLR(optimizer, milestones=[4, 6], gamma=0.1, warmup_iters=2, warmup_factor=0.5)
    assert _lrs(scheduler, optimizer, 8) == pytest.approx([0.5, 0.75, 1.0, 1.0, 0.1, 0.1, 0.01, 0.01])


def test_state_survives_weights_only_round_trip(tmp_path):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    scheduler = WarmupMultiStepLR(optimizer, milestones=[3], warmup_iters=2)
    _lrs(scheduler, optimizer, 3)
    torch.save(scheduler.state_dict(), tmp_path / "s.pth")
    fresh_opt = torch.optim.SGD([param], lr=1.0)
    fresh = WarmupMultiStepLR(fresh_opt, milestones=[3], warmup_iters=2)
    fresh.load_state_dict(torch.load(tmp_path / "s.pth", weights_only=True))
    assert fresh.last_epoch == 3 and fresh.get_lr() == pytest.approx([0.1])


def test_bad_milestones():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="increasing"):
        WarmupMultiStepLR(optimizer, milestones=[5, 2])


def test_build_optimizer_skips_frozen_and_rejects_unknown():
    frozen = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
    live = torch.nn.Parameter(torch.zeros(1))
    optimizer = build_optimizer([frozen, live], name="sgd", base_lr=0.1)
    assert optimizer.param_groups[0]["params"] == [live]
    assert isinstance(build_optimizer([live], name="adamw", base_lr=0.1), torch.optim.AdamW)
    with pytest.raises(ValueError, match="unknown optimizer"):
        build_optimizer([live], name="lion", base_lr=0.1)
    with pytest.raises(ValueError, match="no trainable"):
        build_optimizer([frozen], name="sgd", base_lr=0.1)


def test_resumed_schedule_takes_its_shape_from_the_constructor():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    old = WarmupMultiStepLR(optimizer, milestones=[2])
    _lrs(old, optimizer, 3)
    fresh = WarmupMultiStepLR(torch.optim.SGD([param], lr=1.0), milestones=[5])
    fresh.load_state_dict(old.state_dict())
    assert fresh.milestones == [5] and fresh.last_epoch == 3 and fresh.get_lr() == pytest.approx([1.0])
