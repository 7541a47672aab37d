"""`sgg-bench train --effect`: one training run, one folder and record per test-time effect, each
an ordinary run to `eval --all`; a new training run retires the old effect folders."""
import json

import pytest

from run_helpers import FAST, FROZEN
from sgg_bench.cli import main
from sgg_bench.evaluation.predictions import read_predictions
from sgg_bench.leaderboard.records import read_record
from sgg_bench.runs.folder import read_run_folder

SMALL = ["model.head_args.hidden_dim=8", "model.head_args.pooling_dim=8", "model.head_args.embed_dim=4",
         "model.head_args.position_dim=4", "model.head_args.average_ratio=0.5"]


def test_effect_of_a_head_without_effects_fails_before_anything_is_written(tmp_path, vg_root, capsys):
    outputs = tmp_path / "outputs"
    args = ["train", "--model", "motifs", "--dataset", "vg", "--output-root", str(outputs),
            f"dataset.root={vg_root}", "--effect", "TDE"]
    assert main(args) == 2
    assert "--effect: head motifs has no test-time effects" in capsys.readouterr().err
    assert main(["train", "--model", "causal", "--dataset", "vg", "--output-root", str(outputs),
                 f"dataset.root={vg_root}", "--effect", "TDE,TIE"]) == 2
    assert "--effect TIE: expected one of none, TDE, NIE, TE" in capsys.readouterr().err
    assert not outputs.exists()


@pytest.mark.slow
def test_one_training_run_one_record_per_effect(tmp_path, vg_root, capsys):
    outputs = tmp_path / "outputs"
    results = tmp_path / "results"
    assert main(["train", "--model", "detector", "--dataset", "vg", "--output-root", str(outputs),
                 f"dataset.root={vg_root}", *FAST]) == 0
    args = ["train", "--model", "causal", "--dataset", "vg", "--output-root", str(outputs), f"dataset.root={vg_root}",
            *FROZEN, *FAST, *SMALL]
    assert main(args + ["--effect", "TDE", "--effect", "none,NIE"]) == 0
    printed = capsys.readouterr().out
    base = outputs / "vg" / "causal-predcls"
    folders = {"none": base, "TDE": outputs / "vg" / "causal-predcls+TDE", "NIE": outputs / "vg" / "causal-predcls+NIE"}
    assert sorted(p.name for p in (outputs / "vg").iterdir() if p.name.startswith("causal")) == sorted(
        p.name for p in folders.values())    # "none" is the config's own effect: no extra folder
    scores = {}
    for effect, path in folders.items():
        folder = read_run_folder(path)
        assert folder.config["model"]["head_args"]["effect"] == effect
        assert folder.checkpoint_path.resolve() == (base / "checkpoints" / "model_final.pth").resolve()
        record = read_record(path / "result.json")
        assert record["run_id"] == f"vg-{path.name}" and record["setting"] == f"motifs {effect}"
        assert record["metrics"]["R@50"] is not None and f"{record['run_id']} |" in printed
        assert record["provenance"]["checkpoint_sha256"] == read_record(base / "result.json")["provenance"][
            "checkpoint_sha256"]
        with read_predictions(path / "predictions.h5") as predictions:
            scores[effect] = [p.rel_scores for p in predictions]
    assert json.loads((folders["TDE"] / "run.json").read_text())["trained_in"] == "causal-predcls"
    differs = lambda a, b: any(x.shape != y.shape or not (x == y).all() for x, y in zip(a, b))  # noqa: E731
    assert differs(scores["none"], scores["TDE"]) and differs(scores["TDE"], scores["NIE"])

    # eval --all: every effect is a run of its own; a second call has nothing to do.
    assert main(["eval", "--all", "--outputs", str(outputs), "--results", str(results)]) == 0
    published = sorted(p.stem for p in results.iterdir())
    assert [p for p in published if p.startswith("vg-causal")] == sorted(f"vg-{p.name}" for p in folders.values())
    capsys.readouterr()
    assert main(["eval", "--all", "--outputs", str(outputs), "--results", str(results)]) == 0
    assert "0 evaluated" in capsys.readouterr().out

    # --resume of the finished run adding an effect keeps the current ones (same checkpoint) ...
    assert main(args[:1] + ["--resume"] + args[1:] + ["--effect", "TE"]) == 0
    assert (outputs / "vg" / "causal-predcls+TE").is_dir() and folders["TDE"].is_dir() and folders["NIE"].is_dir()
    # ... and a new training run moves every old effect folder aside.
    assert main(args[:1] + ["--force"] + args[1:]) == 0
    assert not any(p.name.startswith("causal-predcls+") for p in (outputs / "vg").iterdir())
    replaced = [p.name for p in (outputs / "vg" / ".replaced").iterdir()]
    assert sum(name.startswith("causal-predcls+") for name in replaced) == 3
