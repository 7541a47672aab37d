"""Config layers over the typed defaults: one _base_ level, dotted overrides, every key typed and
range-checked, every error one line naming the key and where the value came from."""
from pathlib import Path

import pytest

from sgg_bench.config import compose, load_config, parse_override, read_yaml, save_config
from sgg_bench.config_schema import SCHEMA, Key, defaults
from sgg_bench.errors import ConfigError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text("solver: {base_lr: 0.1}\nrun: {seed: 3}\n")
    (tmp_path / "child.yaml").write_text("_base_: base.yaml\nsolver: {steps: [10, 20]}\nrun: {seed: 7}\n")
    return tmp_path


def test_defaults_then_base_then_child_then_override(tree):
    cfg = load_config(tree / "child.yaml", ["solver.base_lr=0.005", "model.head=imp"])
    assert cfg.solver.base_lr == 0.005 and cfg.solver.steps == [10, 20] and cfg.solver.amp is True
    assert cfg.run.seed == 7 and cfg.model.head == "imp"
    assert load_config(tree / "child.yaml").solver.base_lr == 0.1


def test_layers_merge_in_order(tree):
    (tree / "later.yaml").write_text("run: {seed: 11}\n")
    assert compose([tree / "child.yaml", None, tree / "later.yaml"]).run.seed == 11


def test_unknown_keys_name_the_key_and_file(tree):
    (tree / "bad.yaml").write_text("solver: {base_lrr: 1}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown config key 'solver\.base_lrr'"):
        load_config(tree / "bad.yaml")
    (tree / "bad_base.yaml").write_text("run: {colour: red}\n")
    (tree / "uses.yaml").write_text("_base_: bad_base.yaml\n")
    with pytest.raises(ConfigError, match=r"bad_base\.yaml: unknown config key 'run\.colour'"):
        load_config(tree / "uses.yaml")
    with pytest.raises(ConfigError, match="command line: unknown config key 'solver.max_iters'"):
        load_config(None, ["solver.max_iters=3"])


def test_open_sections_accept_any_key():
    cfg = load_config(None, ["model.head_args.hidden_dim=8", "detector.args.min_size=96"])
    assert cfg.model.head_args.hidden_dim == 8 and cfg.detector.args.min_size == 96


def test_only_one_base_level(tree):
    (tree / "a.yaml").write_text("_base_: child.yaml\n")
    with pytest.raises(ConfigError, match="one level only"):
        load_config(tree / "a.yaml")


def test_override_value_types():
    assert parse_override("solver.base_lr=0.01") == ("solver.base_lr", 0.01)
    assert parse_override("solver.steps=[1, 2]") == ("solver.steps", [1, 2])
    assert parse_override("solver.amp=false") == ("solver.amp", False)
    assert parse_override("run.name=") == ("run.name", "")
    for bad in ("solver.base_lr", "=3", "solver..x=1"):
        with pytest.raises(ConfigError, match="command line"):
            parse_override(bad)


def test_section_replaced_by_scalar_is_error():
    with pytest.raises(ConfigError, match="'solver' is a section"):
        load_config(None, ["solver=3"])


@pytest.mark.parametrize("override,message", [
    ("solver.base_lr=abc", "solver.base_lr: expected a number > 0.0, found 'abc'"),
    ("solver.base_lr=0", "solver.base_lr: expected a number > 0.0"),
    ("solver.base_lr=.nan", "solver.base_lr: expected a number"),
    ("solver.ims_per_batch=0", "solver.ims_per_batch: expected an integer >= 1, found 0"),
    ("solver.ims_per_batch=2.5", "solver.ims_per_batch: expected an integer >= 1"),
    ("solver.max_iter=-5", "solver.max_iter: expected an integer >= 0, found -5"),
    ("solver.checkpoint_period=-1", "solver.checkpoint_period: expected an integer >= 0"),
    ("solver.steps=[20, 10]", "solver.steps: expected an ascending list of integers"),
    ("solver.amp=yes please", "solver.amp: expected true or false"),
    ("solver.momentum=1.5", "solver.momentum: expected a number >= 0.0 and <= 1.0"),
    ("run.device=banana", "run.device: expected auto | cpu | cuda | cuda:N, found 'banana'"),
    ("run.name=../escape", "run.name: expected a plain name"),
    ("run.name=/abs/path", "run.name: expected a plain name"),
    ("run.seed=-1", "run.seed: expected an integer >= 0"),
    ("model.mode=detect", "model.mode: expected one of predcls | sgcls | sgdet"),
    ("eval.iou_threshold=0", "eval.iou_threshold: expected a number > 0.0 and <= 1.0"),
    ("eval.protocol=coco", "eval.protocol: expected one of vg | oi"),
    ("dataset.num_val_im=-3", "dataset.num_val_im: expected an integer >= 0 or null"),
    ("detector.name=yolo", "detector.name: expected one of tiny"),
    ("test.detections_per_img=0", "test.detections_per_img: expected an integer >= 1"),
])
def test_wrong_values_are_one_line_errors_naming_the_key(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(None, [override])
    text = str(info.value)
    assert text.startswith("command line: ") and message in text and "\n" not in text


def test_a_wrong_value_in_a_file_names_the_file(tmp_path):
    (tmp_path / "c.yaml").write_text("solver: {ims_per_batch: zero}\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: solver\.ims_per_batch: expected an integer >= 1"):
        load_config(tmp_path / "c.yaml")


def test_every_schema_default_is_valid():
    def walk(schema, values):
        for name, entry in schema.items():
            if isinstance(entry, Key):
                assert entry.check(values[name]) is None, name
            elif isinstance(entry, dict):
                walk(entry, values[name])
    walk(SCHEMA, defaults())


def test_unreadable_files_are_clean_errors(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes("run: {name: caf\xe9}\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="latin1.yaml: not UTF-8"):
        load_config(tmp_path / "latin1.yaml")
    with pytest.raises(ConfigError, match="is a folder; expected a YAML config file"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level"):
        load_config(tmp_path / "list.yaml")
    (tmp_path / "broken.yaml").write_text("run: {seed: [\n")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        load_config(tmp_path / "broken.yaml")


def test_alias_expansion_is_bounded(tmp_path):
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 8):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*{'a' if level == 1 else 'l' + str(level - 1)}"] * 10) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="bomb.yaml: expands to more than"):
        read_yaml(tmp_path / "bomb.yaml")


def test_saved_config_round_trips(tree, tmp_path):
    cfg = load_config(tree / "child.yaml")
    save_config(cfg, tmp_path / "out" / "config.yaml")
    assert read_yaml(tmp_path / "out" / "config.yaml") == cfg.to_dict()
