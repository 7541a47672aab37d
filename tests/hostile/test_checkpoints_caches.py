"""Hostile checkpoints and caches (category 4): a checkpoint that cannot be resumed exactly is a
``DataFormatError`` naming the file and the entry, and it is left in place (nothing lost); a
damaged statistics or feature cache entry is detected by its checksum and recomputed, never used.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from engine_toy import build_trainer  # noqa: E402

from hostile_data import write_vg_folder  # noqa: E402
from sgg_bench.data import open_dataset  # noqa: E402
from sgg_bench.data.stat_cache import CACHE_DIR  # noqa: E402
from sgg_bench.data.statistics import get_frequency_statistics  # noqa: E402
from sgg_bench.engine import checkpoint as ckpt  # noqa: E402
from sgg_bench.errors import DataFormatError  # noqa: E402
from sgg_bench.modeling.feature_cache import FIELDS, FeatureCache  # noqa: E402

FINAL = "model_final.pth"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A toy run trained to iteration 6 (checkpoints at 3 and 6 + final), and its data folder."""
    root = tmp_path_factory.mktemp("toy")
    build_trainer(run_dir=root / "run", data_dir=root / "data", max_iter=6, period=3).train()
    return root


def _state(trained):
    return torch.load(trained / "run" / "checkpoints" / FINAL, weights_only=True)


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def _other_optimizer_state():
    model = torch.nn.Linear(2, 2)
    return torch.optim.Adam(model.parameters()).state_dict()


# name: (new final checkpoint: a state mutation or raw bytes, entry named in the error)
STATE_CASES = {
    "iteration missing": (lambda s: s.pop("iteration"), "iteration"),
    "iteration a string": (lambda s: s.update(iteration="6"), "iteration"),
    "iteration a float": (lambda s: s.update(iteration=6.0), "iteration"),
    "iteration a bool": (lambda s: s.update(iteration=True), "iteration"),
    "negative iteration": (lambda s: s.update(iteration=-1), "iteration"),
    "rng missing": (lambda s: s.pop("rng"), "rng"),
    "rng empty": (lambda s: s.update(rng=[]), "rng"),
    "rng a dict": (lambda s: s.update(rng={"python": 1}), "rng"),
    "rng of numbers": (lambda s: s.update(rng=[1, 2]), "rng"),
    "rng without torch state": (lambda s: s["rng"][0].pop("torch"), "rng"),
    "rng with a bad python state": (lambda s: s["rng"][0].update(python=[3, [1, 2], None]), "rng"),
    "optimizer missing": (lambda s: s.update(optimizer=None), "optimizer"),
    "optimizer a list": (lambda s: s.update(optimizer=[1]), "optimizer"),
    "optimizer without param_groups": (lambda s: s["optimizer"].pop("param_groups"), "optimizer"),
    "optimizer of another model": (lambda s: s.update(optimizer=_other_optimizer_state()), "optimizer"),
    "model missing": (lambda s: s.pop("model"), "model"),
    "model of another shape": (lambda s: s.update(model={"net.0.weight": torch.zeros(3, 3)}), "model"),
    "not a dict": ("list", "model"),
    "empty file": (b"", "contents"),
    "text file": (b"not a checkpoint\n", "contents"),
    "zip header only": (b"PK\x03\x04 half a checkpoint", "contents"),
    "pickle payload": (pickle.dumps(_Payload()), "contents"),
    "truncated checkpoint": ("truncate", "contents"),
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_unresumable_checkpoint_is_a_clean_error_and_kept(trained, tmp_path, monkeypatch, case):
    change, entry = STATE_CASES[case]
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)
    final = run / "checkpoints" / FINAL
    if isinstance(change, bytes):
        final.write_bytes(change)
    elif change == "list":
        torch.save([1, 2, 3], final)
    elif change == "truncate":
        data = final.read_bytes()
        final.write_bytes(data[: len(data) // 2])
    else:
        state = _state(trained)
        change(state)
        torch.save(state, final)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (run / "checkpoints").iterdir()
              if p.is_file() and not p.is_symlink()}
    trainer = build_trainer(run_dir=run, data_dir=trained / "data", max_iter=9, period=3)
    with pytest.raises(DataFormatError) as caught:
        trainer.train(resume=True)
    error = caught.value
    assert Path(error.path).name == FINAL and error.field == entry, str(error)
    assert "\n" not in str(error) and len(str(error)) < 400
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (run / "checkpoints").iterdir()
             if p.is_file() and not p.is_symlink()}
    assert after == before            # nothing removed, renamed or overwritten
    assert not (tmp_path / "pwned").exists()


def test_folder_in_place_of_a_checkpoint(tmp_path):
    (tmp_path / "model_0000003.pth").mkdir()
    with pytest.raises(DataFormatError) as caught:
        ckpt.load_checkpoint(tmp_path / "model_0000003.pth")
    assert caught.value.field in ("file", "contents")


# ----------------------------------------------------------------------------- statistics cache
@pytest.fixture(scope="module")
def vg_reference(tmp_path_factory):
    root = write_vg_folder(tmp_path_factory.mktemp("vgref") / "vg", settings={"num_val_im": 1})
    stats = get_frequency_statistics(root, use_cache=False)
    test = open_dataset(root, "test", check_images=False)
    return stats, test.image_ids.tolist(), str(test.fingerprint)


def _flip_bytes(path):
    """Every 40th byte inverted (one flip may land in header padding, which holds no data)."""
    data = bytearray(path.read_bytes())
    for index in range(20, len(data), 40):
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))


def _foreign_npz(path):
    with open(path, "wb") as handle:
        np.savez(handle, a0=np.zeros(3), a1=np.ones(2), sha256=np.array("0" * 64))


def _edited_npz(path):
    """Valid npz, values changed, checksum kept: only the checksum can tell."""
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    first = sorted(n for n in arrays if n != "sha256")[0]
    arrays[first] = arrays[first] + 1
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _edited_json(path):
    path.write_text(path.read_text().replace('"value": "', '"value": "0'))


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "flipped bytes": _flip_bytes,
    "garbage": lambda p: p.write_bytes(b"\x00\x01garbage" * 10),
    "pickled object": lambda p: p.write_bytes(pickle.dumps(_Payload())),
}
CACHE_ENTRIES = {"freq": "freq-v2_*.npz", "image_data": "image_data-v2_*.npz", "fingerprint": "fingerprint-v2_*.json"}
STAT_CASES = [(entry, damage) for entry in CACHE_ENTRIES for damage in DAMAGE]
STAT_CASES += [("freq", "edited values"), ("image_data", "edited values"), ("freq", "foreign arrays"),
               ("image_data", "foreign arrays"), ("fingerprint", "edited value")]
EXTRA = {"edited values": _edited_npz, "foreign arrays": _foreign_npz, "edited value": _edited_json}


@pytest.mark.parametrize("entry,damage", STAT_CASES)
def test_damaged_statistics_cache_is_recomputed(vg_reference, tmp_path, monkeypatch, caplog, entry, damage):
    expected_stats, expected_ids, expected_fingerprint = vg_reference
    monkeypatch.chdir(tmp_path)
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    get_frequency_statistics(root)                           # fills all three cache entries
    (path,) = (root / CACHE_DIR).glob(CACHE_ENTRIES[entry])
    (DAMAGE.get(damage) or EXTRA[damage])(path)
    from sgg_bench.data import dataset as dataset_module
    dataset_module._fingerprint_cached.cache_clear()         # a new process would not remember it
    with caplog.at_level("WARNING", logger="sgg_bench.data"):
        stats = get_frequency_statistics(root)
        test = open_dataset(root, "test", check_images=False)
        fingerprint = str(test.fingerprint)
    for key in ("fg_matrix", "bg_matrix", "pred_dist"):
        np.testing.assert_array_equal(stats[key], expected_stats[key])
    assert stats["num_images"] == expected_stats["num_images"] == 3
    assert test.image_ids.tolist() == expected_ids and fingerprint == expected_fingerprint
    assert any("damaged" in r.getMessage() and path.name in r.getMessage() for r in caplog.records)
    # The entry was rewritten whole: the next read uses it without a warning.
    caplog.clear()
    dataset_module._fingerprint_cached.cache_clear()
    with caplog.at_level("WARNING", logger="sgg_bench.data"):
        get_frequency_statistics(root)
        open_dataset(root, "test", check_images=False).fingerprint
    assert not [r for r in caplog.records if "damaged" in r.getMessage()]
    assert not (tmp_path / "pwned").exists()


# ----------------------------------------------------------------------------- feature cache
def _entry():
    generator = torch.Generator().manual_seed(0)
    return {"boxes": torch.rand(3, 4, generator=generator), "box_features": torch.rand(3, 8, generator=generator),
            "obj_logits": torch.rand(3, 5, generator=generator), "pair_table": torch.rand(6, 8, generator=generator),
            "class_boxes": torch.rand(3, 5, 4, generator=generator), "image_size": torch.tensor([32, 40]), "original_size": torch.tensor([64, 80])}


def _swap_values(path):
    entry = torch.load(path, weights_only=True)
    entry["box_features"] = entry["box_features"] + 1.0      # the stored sha256 kept
    torch.save(entry, path)


def _drop_field(path):
    entry = torch.load(path, weights_only=True)
    entry.pop("pair_table")
    torch.save(entry, path)


FEATURE_DAMAGE = dict(DAMAGE, **{"edited tensor": _swap_values, "missing field": _drop_field,
                                 "foreign tensor file": lambda p: torch.save(torch.zeros(3), p)})


@pytest.mark.parametrize("damage", sorted(FEATURE_DAMAGE))
def test_damaged_feature_cache_entry_is_recomputed(tmp_path, monkeypatch, damage):
    monkeypatch.chdir(tmp_path)
    cache = FeatureCache(tmp_path / "cache", "detector-key")
    tensors = _entry()
    cache.store("abcdef", tensors)
    FEATURE_DAMAGE[damage](cache.path("abcdef"))
    fresh = FeatureCache(tmp_path / "cache", "detector-key")   # a new process: nothing in memory
    assert fresh.load("abcdef") is None and fresh.damaged == 1 and fresh.hits == 0
    fresh.store("abcdef", tensors)                            # recomputed, rewritten whole
    again = FeatureCache(tmp_path / "cache", "detector-key")
    loaded = again.load("abcdef")
    assert again.damaged == 0 and again.hits == 1
    for field in FIELDS:
        assert torch.equal(loaded[field], tensors[field])
    assert not (tmp_path / "pwned").exists()
    assert not [p for p in (tmp_path / "cache").rglob("*.tmp")]
