"""Atomic checkpoints: weights_only loading, RNG round trip, temporaries never count."""
import random

import numpy as np
import pytest
import torch

from sgg_bench.engine import checkpoint as ckpt
from sgg_bench.errors import DataFormatError


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_rng_round_trip():
    state = ckpt.capture_rng()
    expected = _draws()
    _draws()
    ckpt.restore_rng(state)
    assert _draws() == expected


def test_save_load_with_weights_only(tmp_path):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    path = ckpt.save_checkpoint(tmp_path / "model_0000004.pth", model=model, optimizer=optimizer, iteration=4,
                                extra={"note": "x"})
    state = ckpt.load_checkpoint(path)
    assert state["iteration"] == 4 and state["extra"] == {"note": "x"}
    assert torch.equal(state["model"]["weight"], model.weight)
    assert "momentum_buffer" in state["optimizer"]["state"][0]
    ckpt.restore_rng(state["rng"][0])  # the RNG entry survives weights_only loading
    assert [p.name for p in tmp_path.iterdir()] == ["model_0000004.pth"]


def test_latest_checkpoint_order_and_last_pointer(tmp_path):
    model = torch.nn.Linear(1, 1)
    assert ckpt.latest_checkpoint(tmp_path / "missing") is None
    assert ckpt.latest_checkpoint(tmp_path) is None
    for iteration in (20, 100, 3):
        path = ckpt.save_checkpoint(tmp_path / ckpt.periodic_name(iteration), model=model, iteration=iteration)
    ckpt.point_last(path)
    assert ckpt.latest_checkpoint(tmp_path).name == "model_0000100.pth"
    assert ckpt.load_checkpoint(tmp_path / "last.pth")["iteration"] == 3
    final = ckpt.save_checkpoint(tmp_path / ckpt.FINAL_NAME, model=model, iteration=120)
    ckpt.point_last(final)
    assert ckpt.latest_checkpoint(tmp_path) == final
    assert ckpt.load_checkpoint(tmp_path / "last.pth")["iteration"] == 120
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_temporary_files_are_ignored_and_not_loadable(tmp_path):
    model = torch.nn.Linear(1, 1)
    ckpt.save_checkpoint(tmp_path / ckpt.periodic_name(5), model=model, iteration=5)
    half = tmp_path / ".model_0000010.pth.abc123.tmp"
    half.write_bytes(b"PK\x03\x04 truncated")
    assert ckpt.latest_checkpoint(tmp_path).name == "model_0000005.pth"
    with pytest.raises(DataFormatError, match="temporary"):
        ckpt.load_checkpoint(half)
    assert ckpt.remove_stale_temporaries(tmp_path) == [half]
    assert not half.exists()


def test_damaged_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / "model_0000001.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(DataFormatError, match="model_0000001.pth"):
        ckpt.load_checkpoint(bad)
    with pytest.raises(DataFormatError, match="existing"):
        ckpt.load_checkpoint(tmp_path / "absent.pth")


def test_failed_save_leaves_previous_file_and_no_temporary(tmp_path, monkeypatch):
    model = torch.nn.Linear(1, 1)
    path = ckpt.save_checkpoint(tmp_path / "model_final.pth", model=model, iteration=1)

    def broken_save(state, target, *args, **kwargs):
        with open(target, "wb") as handle:
            handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        ckpt.save_checkpoint(path, model=model, iteration=2)
    monkeypatch.undo()
    assert ckpt.load_checkpoint(path)["iteration"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["model_final.pth"]


def test_unwrap_plain_model():
    model = torch.nn.Linear(1, 1)
    assert ckpt.unwrap(model) is model
