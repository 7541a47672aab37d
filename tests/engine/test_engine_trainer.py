"""The training loop: losses, checkpoints, in-process resume, hooks, validation, TensorBoard."""
import random

import pytest
import torch

from engine_toy import build_trainer
from sgg_bench.engine import checkpoint as ckpt
from sgg_bench.engine.hooks import Hook, PeriodicValidation, TensorBoardLogger
from sgg_bench.engine.trainer import Trainer


def _weights(trainer):
    return {k: v.clone() for k, v in ckpt.unwrap(trainer.model).state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


class Crash(Hook):
    def __init__(self, at):
        self.at = at

    def after_step(self, trainer):
        if trainer.iteration == self.at:
            raise RuntimeError("simulated crash")


class RecordLoss(Hook):
    def __init__(self):
        self.losses = []

    def after_step(self, trainer):
        self.losses.append(trainer.latest_losses["total_loss"])


def test_train_writes_periodic_final_and_last(tmp_path):
    recorder = RecordLoss()
    trainer = build_trainer(run_dir=tmp_path / "run", data_dir=tmp_path / "data", max_iter=12, period=5,
                            hooks=[recorder])
    final = trainer.train()
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == ["last.pth", "model_0000005.pth", "model_0000010.pth", "model_final.pth"]
    assert final.name == "model_final.pth" and ckpt.load_checkpoint(final)["iteration"] == 12
    assert ckpt.load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pth")["iteration"] == 12
    assert len(recorder.losses) == 12
    assert sum(recorder.losses[-4:]) < sum(recorder.losses[:4])


@pytest.mark.parametrize("keep,expected", [(0, []), (1, ["model_0000010.pth"]),
                                           (2, ["model_0000005.pth", "model_0000010.pth"])])
def test_only_the_newest_periodic_checkpoints_are_kept(tmp_path, keep, expected):
    seen = []

    class Listing(Hook):
        def after_step(self, trainer):
            seen.append(sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("model_0*.pth")))

    trainer = build_trainer(run_dir=tmp_path / "run", data_dir=tmp_path / "data", max_iter=12, period=5,
                            keep_checkpoints=keep, hooks=[Listing()])
    trainer.train()
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert names == sorted(["last.pth", "model_final.pth", *expected])
    assert seen[10] == ["model_0000010.pth"] if keep <= 1 else seen[10] == expected  # the newest kept while training


def test_resume_after_crash_matches_uninterrupted(tmp_path):
    straight = build_trainer(run_dir=tmp_path / "a", data_dir=tmp_path / "data", max_iter=12, period=5)
    straight.train()
    crashed = build_trainer(run_dir=tmp_path / "b", data_dir=tmp_path / "data", max_iter=12, period=5,
                            hooks=[Crash(at=8)])
    with pytest.raises(RuntimeError, match="simulated"):
        crashed.train()
    random.random(), torch.rand(3)  # disturb the generators: resume must restore them
    resumed = build_trainer(run_dir=tmp_path / "b", data_dir=tmp_path / "data", max_iter=12, period=5)
    resumed.train(resume=True)
    assert resumed.start_iteration == 5
    assert _same(_weights(straight), _weights(resumed))


def test_resume_of_finished_run_keeps_final(tmp_path):
    first = build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=4, period=0)
    final = first.train()
    stamp = final.stat().st_mtime_ns
    again = build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=4, period=0)
    assert again.train(resume=True) == final and final.stat().st_mtime_ns == stamp
    assert _same(_weights(first), _weights(again))


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    trainer = build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=2, period=0)
    trainer.train(resume=True)
    assert trainer.start_iteration == 0 and trainer.iteration == 2


def test_validation_does_not_change_the_trajectory(tmp_path):
    calls = []

    def noisy_evaluate(trainer):
        trainer.model.eval()
        calls.append(trainer.iteration)
        torch.rand(5), random.random()
        return {"R@50": 0.5, "note": None}

    plain = build_trainer(run_dir=tmp_path / "a", data_dir=tmp_path / "data", max_iter=8, period=0)
    plain.train()
    validated = build_trainer(run_dir=tmp_path / "b", data_dir=tmp_path / "data", max_iter=8, period=0,
                              hooks=[PeriodicValidation(period=3, evaluate=noisy_evaluate)])
    validated.train()
    assert calls == [3, 6]
    assert _same(_weights(plain), _weights(validated))
    assert len((tmp_path / "b" / "validation.jsonl").read_text().splitlines()) == 2


def test_zero_iterations_without_optimizer(tmp_path):
    model = torch.nn.Linear(2, 2)
    trainer = Trainer(model, None, batches=None, max_iter=0, run_dir=tmp_path, checkpoint_period=10, seed=0)
    final = trainer.train()
    assert ckpt.load_checkpoint(final)["iteration"] == 0
    with pytest.raises(ValueError, match="optimizer"):
        Trainer(model, None, batches=None, max_iter=1, run_dir=tmp_path, checkpoint_period=1, seed=0)


def test_non_finite_loss_is_reported(tmp_path):
    class NaNModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, batch):
            return {"loss_bad": self.w * float("nan")}

    class Batches:
        def batch_at(self, iteration):
            return []

    model = NaNModel()
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), Batches(), max_iter=3, run_dir=tmp_path,
                      checkpoint_period=0, seed=0)
    with pytest.raises(FloatingPointError, match="iteration 0.*loss_bad"):
        trainer.train()


def test_amp_is_ignored_on_cpu(tmp_path):
    model = torch.nn.Linear(1, 1)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), None, max_iter=1, run_dir=tmp_path,
                      amp=True, checkpoint_period=0, seed=0)
    assert trainer.amp is False and trainer.grad_scaler is None


@pytest.mark.skipif(not TensorBoardLogger.available(), reason="tensorboard not installed")
def test_tensorboard_event_file(tmp_path):
    board = TensorBoardLogger(log_dir=tmp_path / "tb", period=2)
    build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=4, period=0, hooks=[board]).train()
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "tb").iterdir())


def test_fresh_start_removes_checkpoints_of_an_earlier_run(tmp_path):
    build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=10, period=5).train()
    build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=4, period=3).train()
    names = sorted(p.name for p in (tmp_path / "r" / "checkpoints").iterdir())
    assert names == ["last.pth", "model_0000003.pth", "model_final.pth"]
    assert ckpt.load_checkpoint(tmp_path / "r" / "checkpoints" / "last.pth")["iteration"] == 4


def test_continuing_past_the_final_checkpoint(tmp_path):
    def grow(run, hooks=()):  # 4 steps, then raise max_iter to 8 and resume
        return build_trainer(run_dir=tmp_path / run, data_dir=tmp_path / "data", max_iter=8, period=3, hooks=hooks)

    for run in ("a", "b"):
        build_trainer(run_dir=tmp_path / run, data_dir=tmp_path / "data", max_iter=4, period=0).train()
    reference = grow("a")
    reference.train(resume=True)
    with pytest.raises(RuntimeError, match="simulated"):
        grow("b", hooks=[Crash(at=7)]).train(resume=True)
    checkpoints = tmp_path / "b" / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["last.pth", "model_0000004.pth", "model_0000006.pth"]
    again = grow("b")
    again.train(resume=True)
    assert again.start_iteration == 6
    assert _same(_weights(reference), _weights(again))


def test_resume_with_a_different_model_is_a_clear_error(tmp_path):
    from sgg_bench.errors import DataFormatError

    build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=2, period=0).train()
    other = build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=4, period=0)
    other.model.net[0] = torch.nn.Linear(5, 8)
    with pytest.raises(DataFormatError, match="model_final.pth"):
        other.train(resume=True)


def test_train_seconds_survive_resume(tmp_path):
    first = build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=3, period=0)
    first.train()
    assert first.train_seconds > 0
    saved = ckpt.load_checkpoint(tmp_path / "r" / "checkpoints" / "model_final.pth")["extra"]["train_seconds"]
    longer = build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=5, period=0)
    longer.train(resume=True)
    assert longer.train_seconds > saved == pytest.approx(first.train_seconds, abs=1e-3)


def test_trainer_logs_to_run_folder(tmp_path):
    build_trainer(run_dir=tmp_path / "r", data_dir=tmp_path / "data", max_iter=2, period=0).train()
    text = (tmp_path / "r" / "log.txt").read_text()
    assert "saved checkpoint" in text and "model_final.pth" in text


@pytest.mark.parametrize("damage,field", [
    (lambda s: s.pop("iteration"), "iteration"),
    (lambda s: s.update(iteration="7"), "iteration"),
    (lambda s: s.pop("rng"), "rng"),
    (lambda s: s.update(rng=[{"python": [3]}]), "rng"),
    (lambda s: s.pop("optimizer"), "optimizer"),
    (lambda s: s.update(optimizer={"state": {}, "param_groups": []}), "optimizer"),
])
def test_a_checkpoint_missing_what_resume_needs_is_a_clean_error(tmp_path, damage, field):
    from sgg_bench.errors import DataFormatError

    build_trainer(run_dir=tmp_path / "run", data_dir=tmp_path / "data", max_iter=6, period=3).train()
    final = tmp_path / "run" / "checkpoints" / "model_final.pth"
    state = torch.load(final, weights_only=True)
    damage(state)
    torch.save(state, final)
    again = build_trainer(run_dir=tmp_path / "run", data_dir=tmp_path / "data", max_iter=9, period=3)
    with pytest.raises(DataFormatError) as caught:
        again.train(resume=True)
    message = str(caught.value)
    assert "model_final.pth" in message and field in message and "\n" not in message
