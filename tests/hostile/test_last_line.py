"""The last line of defence (category 8): whatever a command raises, the user sees one line. An
unexpected exception is ``sgg-bench <command>: internal error (FILE): Type: message; rerun with
--debug for the traceback`` and exit status 1; ``--debug`` shows the traceback; a bad-input error
(``SggBenchError``) is one ``sgg-bench: error:`` line and exit status 2; Ctrl-C is 130.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_data import main, write_vg_folder
from sgg_bench.errors import ConfigError, DataFormatError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    vg = write_vg_folder(root / "vg", settings={"num_val_im": 1})
    (root / "caps.json").write_text(json.dumps({"annotations": [{"image_id": 1, "caption": "a cat on a bed"}]}))
    (root / "results").mkdir()
    (root / "p.h5").write_bytes(b"x")
    return root, vg


# command: (argv with {root}/{vg}, the function the command calls, the input named in the message)
COMMANDS = {
    "data check": (["data", "check", "{vg}"], "sgg_bench.data.check.check_dataset", "{vg}"),
    "data dump": (["data", "dump", "{vg}", "--out", "{root}/d.json"], "sgg_bench.data.ground_truth.dump_ground_truth",
                  "{vg}"),
    "data convert": (["data", "convert", "--from", "vg-json", "{root}", "--out", "{root}/converted"],
                     "sgg_bench.data.convert.run_conversion", "{root}"),
    "eval": (["eval", "--predictions", "{root}/p.h5", "--dataset", "{vg}"],
             "sgg_bench.evaluation.evaluate_predictions", "{root}/p.h5"),
    "eval --all": (["eval", "--all", "--outputs", "{root}/outputs", "--results", "{root}/results"],
                   "sgg_bench.runs.evaluate_all.evaluate_all", None),
    "leaderboard": (["leaderboard", "--results", "{root}/results", "--reference", "", "--out", "{root}/i.html"],
                    "sgg_bench.leaderboard.build.build_leaderboard", "{root}/results"),
    "captions parse": (["captions", "parse", "{root}/caps.json", "--out", "{root}/o.json", "--quiet"],
                       "sgg_bench.language.captions_file.read_captions_file", "{root}/caps.json"),
    "train": (["train", "--model", "frequency", "--dataset", "vg"], "sgg_bench.runs.train.train", None),
    "models": (["models", "--dataset", "vg"], "sgg_bench.runs.model_table.model_rows", None),
}
FAILURES = {
    "ZeroDivisionError": ZeroDivisionError("division by zero"),
    "KeyError": KeyError("boxes"),
    "multi-line RuntimeError": RuntimeError("first line\n  second line\n\tthird " + "x" * 1000),
    "MemoryError": MemoryError(),
}


def _patch(monkeypatch, target, error):
    module_name, name = target.rsplit(".", 1)
    module = __import__(module_name, fromlist=[name])
    if not hasattr(module, name):
        pytest.fail(f"{target} does not exist: the corpus must inject where the command really calls")

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(module, name, fail)


def _fill(text, root, vg):
    return None if text is None else text.replace("{root}", str(root)).replace("{vg}", str(vg))


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unexpected_exception_is_one_line_exit_1(inputs, monkeypatch, capsys, command, failure):
    root, vg = inputs
    argv, target, named = COMMANDS[command]
    argv = [_fill(a, root, vg) for a in argv]
    error = FAILURES[failure]
    _patch(monkeypatch, target, error)
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    line = err[0]
    assert line.startswith(f"sgg-bench {argv[0]}: internal error")
    assert f": {type(error).__name__}" in line and line.endswith("; rerun with --debug for the traceback")
    if named:
        assert f"(processing {_fill(named, root, vg)})" in line
    assert len(line) < 300 + 200 + len(str(root))
    # --debug: the same failure with its traceback (the exception itself propagates)
    with pytest.raises(type(error)):
        main(["--debug"] + argv)


@pytest.mark.parametrize("error", [DataFormatError("x.h5", "boxes", "4 columns", 5), ConfigError("bad: key"),
                                   DataFormatError("y.json", "top level", "an object")])
@pytest.mark.parametrize("command", ["eval", "captions parse", "leaderboard"])
def test_bad_input_error_is_one_line_exit_2_even_with_debug(inputs, monkeypatch, capsys, command, error):
    root, vg = inputs
    argv, target, _ = COMMANDS[command]
    argv = [_fill(a, root, vg) for a in argv]
    _patch(monkeypatch, target, error)
    for prefix in ([], ["--debug"]):
        capsys.readouterr()
        assert main(prefix + argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"sgg-bench: error: {error}"]


def test_os_error_names_its_file(inputs, monkeypatch, capsys):
    root, vg = inputs
    _patch(monkeypatch, "sgg_bench.evaluation.evaluate_predictions",
           PermissionError(13, "Permission denied", str(root / "locked.h5")))
    assert main(["eval", "--predictions", str(root / "p.h5"), "--dataset", str(vg)]) == 1
    line = capsys.readouterr().err.strip()
    assert f"internal error (while reading {root / 'locked.h5'}): PermissionError" in line


def test_interrupt_is_130(inputs, monkeypatch, capsys):
    root, vg = inputs
    _patch(monkeypatch, "sgg_bench.evaluation.evaluate_predictions", KeyboardInterrupt())
    assert main(["eval", "--predictions", str(root / "p.h5"), "--dataset", str(vg)]) == 130
    assert capsys.readouterr().err.strip() == "sgg-bench: interrupted"


def _run_process(code, cwd):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_real_process_exit_statuses_and_no_traceback(inputs, tmp_path):
    """The console entry point as a process: bad input 2, internal error 1, stderr one line each."""
    root, vg = inputs
    code = ("import sys\nfrom sgg_bench.cli import main\n"
            "import sgg_bench.evaluation as e\n"
            "bad = main(['eval', '--predictions', 'absent.h5', '--dataset', %r])\n"
            "def boom(*a, **k): raise AssertionError('invariant broken')\n"
            "e.evaluate_predictions = boom\n"
            "internal = main(['eval', '--predictions', %r, '--dataset', %r])\n"
            "sys.exit(bad * 10 + internal)\n") % (str(vg), str(root / "p.h5"), str(vg))
    done = _run_process(code, tmp_path)
    assert done.returncode == 21, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr
    assert lines[0].startswith("sgg-bench: error: ") and "expected an existing predictions file" in lines[0]
    assert lines[1].startswith("sgg-bench eval: internal error (processing ") and "AssertionError" in lines[1]
