"""Config loading: one _base_ level, dotted overrides, unknown keys named with their file."""
from pathlib import Path

import pytest

from sgg_bench.config import load_config, save_config, parse_override, read_yaml
from sgg_bench.errors import ConfigError

DEFAULTS = """
run: {seed: 0, name: ""}
solver: {base_lr: 0.01, steps: [], amp: true}
model: {head: motifs, head_args: {}}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "defaults.yaml").write_text(DEFAULTS)
    (tmp_path / "base.yaml").write_text("solver: {base_lr: 0.1}\nrun: {seed: 3}\n")
    (tmp_path / "child.yaml").write_text("_base_: base.yaml\nsolver: {steps: [10, 20]}\nrun: {seed: 7}\n")
    return tmp_path


def test_base_then_child_then_override(tree):
    cfg = load_config(tree / "child.yaml", ["solver.base_lr=0.005", "model.head=imp"], defaults=tree / "defaults.yaml")
    assert cfg.solver.base_lr == 0.005
    assert cfg.solver.steps == [10, 20]
    assert cfg.solver.amp is True
    assert cfg.run.seed == 7
    assert cfg.model.head == "imp"


def test_unknown_key_names_key_and_file(tree):
    (tree / "bad.yaml").write_text("solver: {base_lrr: 0.1}\n")
    with pytest.raises(ConfigError) as err:
        load_config(tree / "bad.yaml", defaults=tree / "defaults.yaml")
    assert "solver.base_lrr" in str(err.value) and "bad.yaml" in str(err.value)


def test_unknown_key_in_base_names_base_file(tree):
    (tree / "base2.yaml").write_text("nope: 1\n")
    (tree / "c2.yaml").write_text("_base_: base2.yaml\n")
    with pytest.raises(ConfigError) as err:
        load_config(tree / "c2.yaml", defaults=tree / "defaults.yaml")
    assert "'nope'" in str(err.value) and "base2.yaml" in str(err.value)


def test_unknown_override_is_error(tree):
    with pytest.raises(ConfigError) as err:
        load_config(tree / "child.yaml", ["solver.lr=1"], defaults=tree / "defaults.yaml")
    assert "solver.lr" in str(err.value) and "command line" in str(err.value)


def test_open_section_accepts_any_key(tree):
    cfg = load_config(None, ["model.head_args.hidden_dim=256"], defaults=tree / "defaults.yaml")
    assert cfg.model.head_args == {"hidden_dim": 256}


def test_only_one_base_level(tree):
    (tree / "grand.yaml").write_text("_base_: child.yaml\n")
    with pytest.raises(ConfigError, match="one level"):
        load_config(tree / "grand.yaml", defaults=tree / "defaults.yaml")


def test_override_value_types():
    assert parse_override("a.b=0.01") == ("a.b", 0.01)
    assert parse_override("a=true") == ("a", True)
    assert parse_override("a=[1, 2]") == ("a", [1, 2])
    assert parse_override("a=hello") == ("a", "hello")
    with pytest.raises(ConfigError):
        parse_override("no-equals-sign")


def test_section_replaced_by_scalar_is_error(tree):
    with pytest.raises(ConfigError, match="section"):
        load_config(None, ["solver=3"], defaults=tree / "defaults.yaml")


def test_saved_config_round_trips(tree, tmp_path):
    cfg = load_config(tree / "child.yaml", defaults=tree / "defaults.yaml")
    save_config(cfg, tmp_path / "out" / "config.yaml")
    assert read_yaml(tmp_path / "out" / "config.yaml") == cfg.to_dict()


def test_project_configs_all_resolve():
    """Every shipped config resolves against the real defaults."""
    root = Path(__file__).resolve().parent.parent / "configs"
    files = [p for p in root.rglob("*.yaml") if "_base_" not in p.parts]
    for path in files:
        load_config(path)
