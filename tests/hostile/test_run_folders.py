"""Hostile run folders and provenance (category 5): ``eval --all`` reports a broken run folder by
file and field and still publishes the good ones (exit 1 when any failed); a run whose config was
edited after it finished is refused, so no record pairs predictions with another config; a run
that failed after its config was parsed leaves nothing ``eval --all`` trips on and the next run
reuses its folder; ``run.name`` is a plain name.
"""
from __future__ import annotations

import json
import shutil

import pytest

from hostile_data import main, ranked_image, test_split_gt, write_prediction_file, write_vg_folder
from sgg_bench.config import load_config, save_config
from sgg_bench.runs.folder import write_run_json


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A finished relation run folder on the tiny VG folder, whose R@20 is 2/3 (hostile_data.ranked_image)."""
    root = tmp_path_factory.mktemp("template")
    vg = write_vg_folder(root / "vg", settings={"num_val_im": 1})
    folder = root / "run"
    (folder / "checkpoints").mkdir(parents=True)
    save_config(load_config(None, [f"dataset.root={vg}", "dataset.name=vg", "run.device=cpu"]), folder / "config.yaml")
    (folder / "checkpoints" / "model_final.pth").write_bytes(b"weights")
    write_prediction_file(folder / "predictions.h5", [ranked_image(test_split_gt(vg))])
    return folder, vg


def _copy_run(template, outputs, name):
    folder, vg = template
    target = outputs / "vg" / name
    shutil.copytree(folder, target)
    write_run_json(target, run_id=f"vg-{name}", model="motifs", dataset="vg", dataset_root=str(vg), mode="predcls",
                   split="test", protocol="vg", seed=0, checkpoint=target / "checkpoints" / "model_final.pth",
                   train_seconds=1.0, extra={"device": "cpu"})
    return target


def _eval_all(tmp_path, capsys):
    capsys.readouterr()
    code = main(["eval", "--all", "--outputs", str(tmp_path / "outputs"), "--results", str(tmp_path / "results")])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def _edit_run_json(change):
    def mutate(folder):
        path = folder / "run.json"
        run = json.loads(path.read_text())
        change(run)
        path.write_text(json.dumps(run))
    return mutate


def _raw(name, data):
    def mutate(folder):
        (folder / name).write_bytes(data)
    return mutate


TEXT_FIELDS = ("run_id", "model", "dataset", "dataset_root", "mode", "split", "protocol")
# name: (mutation of a finished run folder, file named, field named)
CASES = {
    "run.json not JSON": (_raw("run.json", b"{oops"), "run.json", "(file)"),
    "run.json not UTF-8": (_raw("run.json", '{"model": "caf\xe9"}'.encode("latin-1")), "run.json", "(file)"),
    "run.json nested 100000 deep": (_raw("run.json", b"[" * 100_000 + b"]" * 100_000), "run.json", "(file)"),
    "run.json with a 5000-digit seed": (_raw("run.json", b'{"seed": 1' + b"0" * 5000 + b"}"), "run.json", "(file)"),
    "run.json a list": (_raw("run.json", b"[1, 2]"), "run.json", "(top level)"),
    "run.json empty": (_raw("run.json", b""), "run.json", "(file)"),
    **{f"{field} missing": (_edit_run_json(lambda r, f=field: r.pop(f)), "run.json", field) for field in TEXT_FIELDS},
    **{f"{field} a number": (_edit_run_json(lambda r, f=field: r.update({f: 7})), "run.json", field)
       for field in TEXT_FIELDS},
    **{f"{field} empty": (_edit_run_json(lambda r, f=field: r.update({f: ""})), "run.json", field)
       for field in TEXT_FIELDS},
    "run_id climbing out": (_edit_run_json(lambda r: r.update(run_id="../../escape")), "run.json", "run_id"),
    "run_id with a slash": (_edit_run_json(lambda r: r.update(run_id="a/b")), "run.json", "run_id"),
    "hidden run_id": (_edit_run_json(lambda r: r.update(run_id=".hidden")), "run.json", "run_id"),
    "unknown mode": (_edit_run_json(lambda r: r.update(mode="detect")), "run.json", "mode"),
    "checkpoint a number": (_edit_run_json(lambda r: r.update(checkpoint=5)), "run.json", "checkpoint"),
    "absolute checkpoint": (_edit_run_json(lambda r: r.update(checkpoint="/etc/hostname")), "run.json", "checkpoint"),
    "checkpoint outside the folder": (_edit_run_json(lambda r: r.update(checkpoint="../good/checkpoints/model_final.pth")),
                                      "run.json", "checkpoint"),
    "checkpoint missing": (_edit_run_json(lambda r: r.update(checkpoint="checkpoints/absent.pth")), "run.json",
                           "checkpoint"),
    "config.yaml missing": (lambda f: (f / "config.yaml").unlink(), "config.yaml", "(file)"),
    "config.yaml edited after the run": (lambda f: (f / "config.yaml").write_text(
        (f / "config.yaml").read_text().replace("iou_threshold: 0.5", "iou_threshold: 0.3")), "config.yaml",
        "(contents)"),
    "config.yaml not YAML": (_raw("config.yaml", b"eval: {protocol: [\n"), "config.yaml", "not valid YAML"),
    "config.yaml not UTF-8": (_raw("config.yaml", "run: {name: caf\xe9}\n".encode("latin-1")), "config.yaml",
                              "not UTF-8"),
    "config.yaml a list": (_raw("config.yaml", b"- 1\n"), "config.yaml", "expected a mapping"),
    "config.yaml python tag": (_raw("config.yaml", b"eval: !!python/object/apply:os.system ['touch pwned']\n"),
                               "config.yaml", "not valid YAML"),
    "config.yaml wrong type": (_raw("config.yaml", b"eval: {iou_threshold: high}\n"), "config.yaml",
                               "eval.iou_threshold: expected"),
    "predictions not HDF5": (_raw("predictions.h5", b"not hdf5"), "predictions.h5", "file"),
    "predictions of another split": (None, "predictions.h5", "attrs/split"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_run_reported_by_file_and_field_the_good_one_published(template, tmp_path, capsys, monkeypatch,
                                                                       case):
    mutate, file_name, field = CASES[case]
    monkeypatch.chdir(tmp_path)
    outputs = tmp_path / "outputs"
    _copy_run(template, outputs, "good")
    bad = _copy_run(template, outputs, "bad")
    if mutate is None:
        write_prediction_file(bad / "predictions.h5", [ranked_image(test_split_gt(template[1]))], split="val")
    else:
        if file_name == "config.yaml" and field != "(contents)":
            # a run.json of an older run, without config_sha256: the file's own checks must catch these
            _edit_run_json(lambda r: r.pop("config_sha256"))(bad)
        mutate(bad)
    code, out = _eval_all(tmp_path, capsys)
    assert code == 1
    (failed,) = [line for line in out.splitlines() if line.startswith("  FAILED ")]
    assert f"FAILED {bad}: " in failed and f"{file_name}: " in failed and field in failed, failed
    assert "\n" not in failed and len(failed) < 600
    assert "1 evaluated" in out and "1 failed" in out
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["vg-good.json"]
    record = json.loads((tmp_path / "results" / "vg-good.json").read_text())
    assert record["metrics"]["R@20"] == pytest.approx(2 / 3) and record["metrics"]["ngR@20"] == pytest.approx(1.0)
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "pwned").exists()
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_record_keeps_the_config_its_predictions_came_from(template, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = _copy_run(template, tmp_path / "outputs", "good")
    assert _eval_all(tmp_path, capsys)[0] == 0
    published = tmp_path / "results" / "vg-good.json"
    before = published.read_bytes()
    (run / "config.yaml").write_text((run / "config.yaml").read_text().replace("seed: 0", "seed: 9"))
    code, out = _eval_all(tmp_path, capsys)
    assert code == 1 and "config_sha256 in run.json" in out
    assert published.read_bytes() == before          # the published record is neither replaced nor removed
    assert json.loads(before)["provenance"]["config"]["run"]["seed"] == 0


def test_run_failing_after_config_parse_leaves_no_stub(template, tmp_path, capsys, monkeypatch):
    """A relation run whose detector weights are not a checkpoint fails after its folder is made:
    ``eval --all`` skips the folder, and the same command can run again without --force."""
    monkeypatch.chdir(tmp_path)
    _, vg = template
    (tmp_path / "weights.pth").write_bytes(b"not a checkpoint")
    argv = ["train", "--model", "frequency", "--dataset", "vg", "--output-root", "outputs", f"dataset.root={vg}",
            "detector.name=tiny", f"detector.weights={tmp_path / 'weights.pth'}", "solver.max_iter=0",
            "dataset.num_val_im=1"]
    for attempt in range(2):
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "weights.pth: file: expected a state dict readable with torch.load" in err[0]
        assert "--resume" not in err[0]                               # not refused as an unfinished run
        folder = tmp_path / "outputs" / "vg" / "frequency-predcls"
        assert sorted(p.name for p in folder.iterdir() if p.name != "checkpoints") == ["config.yaml", "log.txt"]
        code, out = _eval_all(tmp_path, capsys)
        assert code == 0 and "0 failed" in out and "FAILED" not in out
        assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())
