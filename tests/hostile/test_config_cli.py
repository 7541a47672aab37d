"""Hostile configs and command lines (category 3): every config key typed and range-checked before
anything is written, on the command line and in a ``--config`` file; unreadable, hostile or
misplaced files are one-line errors naming the file; exit status 2, no traceback, no run folder.

The corpus is generated from the schema itself, so a key added later is covered by the type cases.
"""
from __future__ import annotations

import re

import pytest

from hostile_data import main, write_vg_folder
from sgg_bench.config_schema import SCHEMA, Key

FLAG_KEYS = {"model.head", "model.mode", "dataset.name"}     # given by --model / --mode / --dataset


def _leaf_keys(schema=SCHEMA, prefix=""):
    for name, entry in schema.items():
        if isinstance(entry, Key):
            yield prefix + name
        elif isinstance(entry, dict):
            yield from _leaf_keys(entry, prefix + name + ".")


LEAF_KEYS = sorted(_leaf_keys())
# Out-of-range (or out-of-choice) values, one per key that has a range; found by reading the schema.
OUT_OF_RANGE = {
    "run.seed": "-1", "run.num_threads": "-1", "run.keep_checkpoints": "-1", "run.device": "banana",
    "run.name": "a/b", "dataset.num_val_im": "-1", "dataset.num_im": "-2", "detector.name": "yolo",
    "solver.optimizer": "adam", "solver.base_lr": "0", "solver.momentum": "1.5", "solver.weight_decay": "-0.1",
    "solver.weight_decay_bias": "-1", "solver.schedule": "cosine", "solver.plateau_patience": "0",
    "solver.plateau_threshold": "-0.5", "solver.plateau_max_decays": "0", "solver.max_iter": "-5",
    "solver.warmup_iters": "-1", "solver.steps": "[-1, 4]", "solver.gamma": "1.5", "solver.grad_clip": "-1",
    "solver.ims_per_batch": "0", "solver.checkpoint_period": "-1", "solver.val_period": "-1",
    "solver.log_period": "0", "test.ims_per_batch": "0", "test.detections_per_img": "0",
    "eval.protocol": "coco", "eval.iou_threshold": "1.5",
}
# Values of the wrong type for a key of each kind (a nested list is no key's type).
WRONG_TYPE = "[[1]]"
FRACTIONAL = {k: "2.5" for k in ("run.seed", "solver.max_iter", "solver.ims_per_batch", "test.ims_per_batch",
                                 "solver.checkpoint_period", "dataset.num_im")}
NOT_A_NUMBER = {k: v for k, v in (("solver.base_lr", "abc"), ("solver.momentum", ".nan"),
                                  ("solver.gamma", ".inf"), ("eval.iou_threshold", "yes"),
                                  ("solver.grad_clip", "true"))}


@pytest.fixture(scope="module")
def vg_root(tmp_path_factory):
    return write_vg_folder(tmp_path_factory.mktemp("vg") / "vg", settings={"num_val_im": 1})


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)        # anything written by mistake lands here, and is seen
    return tmp_path


def _train(vg_root, *extra):
    return ["train", "--model", "imp", "--dataset", "vg", "run.output_root=out", f"dataset.root={vg_root}",
            "detector.name=tiny", *extra]


GIVEN_BY_TRAIN = {"run.output_root", "dataset.root", "detector.name"}   # _train's own overrides win over a file


def assert_refused(argv, capsys, workdir, pattern):
    """Exit 2, one ``sgg-bench: error:`` line matching ``pattern``, no traceback, nothing written."""
    before = sorted(p.name for p in workdir.iterdir())
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sgg-bench: error: "), err
    assert re.search(pattern, err[0]), err[0]
    assert sorted(p.name for p in workdir.iterdir()) == before and not (workdir / "out").exists()
    return err[0]


def _override_cases():
    cases = [(key, WRONG_TYPE) for key in LEAF_KEYS if key not in FLAG_KEYS]
    cases += sorted(OUT_OF_RANGE.items()) + sorted(FRACTIONAL.items()) + sorted(NOT_A_NUMBER.items())
    return cases


@pytest.mark.parametrize("key,value", _override_cases())
def test_bad_override_refused_before_anything_is_written(vg_root, workdir, capsys, key, value):
    assert_refused(_train(vg_root, f"{key}={value}"), capsys, workdir,
                   rf"^sgg-bench: error: command line: {re.escape(key)}: expected ")


def _yaml_value(key, value):
    section, name = key.rsplit(".", 1)
    text = f"{name}: {value}"
    for part in reversed(section.split(".")):
        text = f"{part}: {{{text}}}"
    return text + "\n"


@pytest.mark.parametrize("key", [k for k in LEAF_KEYS if k not in FLAG_KEYS | GIVEN_BY_TRAIN])
def test_bad_value_in_a_config_file_names_the_file(vg_root, workdir, capsys, key):
    value = OUT_OF_RANGE.get(key, WRONG_TYPE)
    (workdir / "mine.yaml").write_text(_yaml_value(key, value))
    assert_refused(_train(vg_root, "--config", "mine.yaml"), capsys, workdir,
                   rf"mine\.yaml: {re.escape(key)}: expected ")


def test_range_table_names_real_keys():
    assert set(OUT_OF_RANGE) | set(FRACTIONAL) | set(NOT_A_NUMBER) <= set(LEAF_KEYS)


BOMB = "\n".join(['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'] + [
    f"l{i}: &l{i} [" + ", ".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 10) + "]" for i in range(1, 7)]) + "\n"
# file content (bytes), the error's pattern
CONFIG_FILES = {
    "latin-1": ("run: {name: caf\xe9}\n".encode("latin-1"), r"mine\.yaml: not UTF-8"),
    "utf-16": ("run: {seed: 1}\n".encode("utf-16"), r"mine\.yaml: not UTF-8"),
    "lone continuation byte": (b"run: {seed: \x80}\n", r"mine\.yaml: not UTF-8"),
    "alias bomb": (BOMB.encode(), r"mine\.yaml: expands to more than"),
    "python object tag": (b"run: !!python/object/apply:os.system ['touch pwned']\n", r"mine\.yaml: not valid YAML"),
    "python name tag": (b"solver: {base_lr: !!python/name:os.getcwd}\n", r"mine\.yaml: not valid YAML"),
    "unclosed bracket": (b"solver: {steps: [1, 2\n", r"mine\.yaml: not valid YAML"),
    "tab indentation": (b"solver:\n\tbase_lr: 0.1\n", r"mine\.yaml: not valid YAML"),
    "top-level list": (b"- solver\n- run\n", r"mine\.yaml: expected a mapping at the top level"),
    "top-level string": (b"just text\n", r"mine\.yaml: expected a mapping at the top level"),
    "unknown section": (b"optimiser: {lr: 1}\n", r"mine\.yaml: unknown config key 'optimiser'"),
    "unknown key": (b"solver: {base_lrr: 1}\n", r"mine\.yaml: unknown config key 'solver\.base_lrr'"),
    "section given a number": (b"solver: 3\n", r"mine\.yaml: config key 'solver' is a section"),
    "open section given a list": (b"model: {head_args: [1, 2]}\n", r"mine\.yaml: config key 'model\.head_args' is a"),
    "missing _base_": (b"_base_: nowhere.yaml\n", r"nowhere\.yaml: config file not found"),
    "_base_ is a folder": (b"_base_: sub\n", r"sub: is a folder"),
    "_base_ of a _base_": (b"_base_: base.yaml\n", r"base\.yaml: a _base_ file may not name another"),
    "_base_ not UTF-8": (b"_base_: latin.yaml\n", r"latin\.yaml: not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_FILES))
def test_hostile_config_file_refused(vg_root, workdir, capsys, case):
    content, pattern = CONFIG_FILES[case]
    (workdir / "sub").mkdir()
    (workdir / "base.yaml").write_text("_base_: other.yaml\n")
    (workdir / "latin.yaml").write_bytes("run: {name: \xe9}\n".encode("latin-1"))
    (workdir / "mine.yaml").write_bytes(content)
    assert_refused(_train(vg_root, "--config", "mine.yaml"), capsys, workdir, pattern)
    assert not (workdir / "pwned").exists()


def test_config_folder_and_absent_config(vg_root, workdir, capsys):
    (workdir / "adir").mkdir()
    assert_refused(_train(vg_root, "--config", "adir"), capsys, workdir, r"adir: is a folder; expected a YAML")
    assert_refused(_train(vg_root, "--config", "absent.yaml"), capsys, workdir, r"absent\.yaml: config file not found")


# Open sections: names checked against the constructor, simple annotated types too.
OPEN_SECTION_CASES = {
    "unknown head argument": ("model.head_args.hidden_dimm=8", r"model\.head_args\.hidden_dimm: not an argument"),
    "unknown model argument": ("model.args.pairs=8", r"model\.args\.pairs: not an argument of SceneGraphModel"),
    "unknown detector argument": ("detector.args.min_sise=8", r"detector\.args\.min_sise: not an argument"),
    "head int given a word": ("model.head_args.hidden_dim=abc", r"model\.head_args\.hidden_dim: expected an integer"),
    "head int given a float": ("model.head_args.num_iterations=2.5",
                               r"model\.head_args\.num_iterations: expected an integer"),
    "head bool given a word": ("model.head_args.use_frequency_bias=maybe",
                               r"model\.head_args\.use_frequency_bias: expected true or false"),
    "head float given a list": ("model.head_args.dropout=[0.1]", r"model\.head_args\.dropout: expected a number"),
    "model int given a string": ("model.args.pairs_per_image=many",
                                 r"model\.args\.pairs_per_image: expected an integer"),
    "a head argument the code derives": ("model.head_args.num_rel_classes=5",
                                         r"model\.head_args\.num_rel_classes: not an argument"),
}


@pytest.mark.parametrize("case", sorted(OPEN_SECTION_CASES))
def test_open_section_values_checked_before_anything_is_written(vg_root, workdir, capsys, case):
    override, pattern = OPEN_SECTION_CASES[case]
    assert_refused(_train(vg_root, override), capsys, workdir, pattern)


COMMAND_LINES = {
    "override without =": (["solver.base_lr"], r"override 'solver\.base_lr': expected KEY=VALUE"),
    "override without key": (["=3"], r"override '=3': expected a dotted key"),
    "override with empty part": (["solver..base_lr=1"], r"expected a dotted key"),
    "override of a section": (["solver=3"], r"'solver' is a section"),
    "override of model.mode": (["model.mode=sgdet"], r"model\.mode comes from --mode"),
    "override of model.head": (["model.head=motifs"], r"model\.head comes from --model"),
    "override of dataset.name": (["dataset.name=vg"], r"dataset\.name comes from --dataset"),
    "bad override after --resume": (["--resume", "solver.max_iter=-5"], r"command line: solver\.max_iter: expected"),
    "bad override after --force": (["--force", "run.device=banana"], r"command line: run\.device: expected"),
    "run.name climbing out": (["run.name=../../etc"], r"run\.name: expected a plain name"),
    "absolute run.name": (["run.name=/tmp/x"], r"run\.name: expected a plain name"),
    "hidden run.name": (["run.name=.hidden"], r"run\.name: expected a plain name"),
    "run.name with a space": (["run.name=my run"], r"run\.name: expected a plain name"),
    "run.name with NUL": (["run.name=a\0b"], r"run\.name: expected a plain name"),
    "missing detector weights": (["detector.weights=absent.pth"], r"detector\.weights: file absent\.pth does not exist"),
    "missing dataset root": (["dataset.root=nowhere"], r"dataset\.root nowhere: no such folder"),
}


@pytest.mark.parametrize("case", sorted(COMMAND_LINES))
def test_bad_command_line_refused(vg_root, workdir, capsys, case):
    extra, pattern = COMMAND_LINES[case]
    assert_refused(_train(vg_root, *extra), capsys, workdir, pattern)


def test_override_after_resume_is_taken(vg_root, workdir, capsys):
    """``--resume KEY=VALUE`` puts the override into the config (the error names its key, not argparse)."""
    line = assert_refused(["train", "--model", "imp", "--dataset", "vg", "--resume", "--output-root", "out",
                           f"dataset.root={vg_root}", "solver.ims_per_batch=0"], capsys, workdir,
                          r"solver\.ims_per_batch: expected an integer >= 1, found 0")
    assert "unrecognized" not in line


ARGPARSE_CASES = {
    "unknown option": ["train", "--model", "imp", "--dataset", "vg", "--bogus"],
    "unknown dataset": ["train", "--model", "imp", "--dataset", "coco"],
    "unknown mode": ["train", "--model", "imp", "--dataset", "vg", "--mode", "detect"],
    "resume and force": ["train", "--model", "imp", "--dataset", "vg", "--resume", "--force"],
    "unknown command": ["fly"],
    "eval bad split": ["eval", "--split", "dev"],
}


@pytest.mark.parametrize("case", sorted(ARGPARSE_CASES))
def test_argparse_errors_exit_2_with_usage(workdir, capsys, case):
    with pytest.raises(SystemExit) as exit_info:
        main(ARGPARSE_CASES[case])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ") and "error: " in err.splitlines()[-1] and "Traceback" not in err
    assert sorted(p.name for p in workdir.iterdir()) == []


FOLDER_OR_FILE = {
    "eval --dataset is a file": (["eval", "--predictions", "p.h5", "--dataset", "p.h5"],
                                 r"p\.h5: dataset folder: expected an existing folder, found a file"),
    "eval --zeroshot is a folder": (["eval", "--predictions", "zero.h5", "--dataset", "{vg}", "--zeroshot", "adir",
                                     "--allow-missing"], r"adir: file: expected a zero-shot .*, found a folder"),
    "eval --predictions is a folder": (["eval", "--predictions", "adir", "--dataset", "{vg}"],
                                       r"adir: file: expected a predictions file \(HDF5\), found a folder"),
    "eval without inputs": (["eval"], r"give --predictions FILE and --dataset DIR"),
    "captions file is a folder": (["captions", "parse", "adir", "--out", "o.json"],
                                  r"adir: file: expected an existing file, found a folder"),
    "captions --vocab is a missing file": (["captions", "parse", "caps.json", "--out", "o.json", "--vocab", "nope.json"],
                                           r"nope\.json"),
    "leaderboard --results is a file": (["leaderboard", "--results", "p.h5", "--out", "x.html"],
                                        r"--results p\.h5: expected a folder of result records, found a file"),
    "data check on a file": (["data", "check", "p.h5"], r"p\.h5: dataset folder: .*, found a file"),
    "data check on nothing": (["data", "check", "nowhere"], r"nowhere: dataset folder: .*, found nothing at this path"),
}


@pytest.mark.parametrize("case", sorted(FOLDER_OR_FILE))
def test_folder_given_for_a_file_and_back(vg_root, workdir, capsys, case):
    argv, pattern = FOLDER_OR_FILE[case]
    (workdir / "adir").mkdir()
    (workdir / "p.h5").write_bytes(b"x")
    (workdir / "caps.json").write_text('{"annotations": []}')
    from sgg_bench.evaluation.predictions import PredictionsWriter
    with PredictionsWriter(workdir / "zero.h5", dataset="vg", split="test", mode="sgdet", num_obj_classes=5,
                           num_rel_classes=4):
        pass
    argv = [a.replace("{vg}", str(vg_root)) for a in argv]
    assert_refused(argv, capsys, workdir, pattern)
