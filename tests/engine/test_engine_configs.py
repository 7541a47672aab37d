"""Every shipped config resolves, matches its file name, and builds its relation head."""
from pathlib import Path

import pytest
import torch

from sgg_bench.commands.train import DATASETS, MODES, default_config_path, resolve_config
from sgg_bench.config import configs_root
from sgg_bench.errors import ConfigError
from sgg_bench.structures import DatasetVocabulary

HEADS = ("frequency", "imp", "motifs")
CASES = [(head, dataset, mode) for head in HEADS for dataset in DATASETS for mode in MODES]


@pytest.mark.parametrize("head,dataset,mode", CASES)
def test_relation_config_resolves_and_builds_its_head(head, dataset, mode):
    from sgg_bench.modeling.build import build_relation_head

    cfg = resolve_config(model=head, dataset=dataset, mode=mode, config=None)
    assert cfg.dataset.name == dataset and cfg.model.head == head and cfg.model.mode == mode
    assert cfg.eval.protocol == ("oi" if dataset == "openimages" else "vg")
    vocab = DatasetVocabulary(["__background__", "a", "b", "c"], ["__background__", "on", "near"])
    prior = torch.zeros(4, 4, 3)
    built = build_relation_head(head, vocab=vocab, freq_log_prior=prior, obj_feature_dim=8, union_feature_dim=8,
                                head_args=dict(cfg.model.head_args))
    assert isinstance(built, torch.nn.Module)


@pytest.mark.parametrize("dataset", DATASETS)
def test_detector_config_resolves(dataset):
    cfg = resolve_config(model="detector", dataset=dataset, mode=None, config=None)
    assert cfg.dataset.name == dataset and cfg.solver.max_iter > 0
    assert default_config_path("detector", dataset, "predcls") == configs_root() / "detector" / f"{dataset}.yaml"


def test_every_config_file_is_covered():
    files = {p.relative_to(configs_root()).as_posix() for p in configs_root().rglob("*.yaml")}
    expected = {f"{h}/{d}_{m}.yaml" for h, d, m in CASES} | {f"detector/{d}.yaml" for d in DATASETS}
    expected |= {"_base_/defaults.yaml"} | {f"_base_/{d}.yaml" for d in DATASETS}
    assert files == expected


def test_mismatches_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="--model"):
        resolve_config(model="imp", dataset="synth", mode="predcls",
                       config=str(default_config_path("motifs", "synth", "predcls")))
    with pytest.raises(ConfigError, match="--dataset"):
        resolve_config(model="motifs", dataset="vg", mode="predcls",
                       config=str(default_config_path("motifs", "synth", "predcls")))
    with pytest.raises(ConfigError, match="--mode"):
        resolve_config(model="motifs", dataset="synth", mode="sgdet",
                       config=str(default_config_path("motifs", "synth", "predcls")))
    with pytest.raises(ConfigError, match="relation mode"):
        resolve_config(model="detector", dataset="synth", mode="predcls", config=None)
    with pytest.raises(ConfigError, match="unknown config key"):
        resolve_config(model="motifs", dataset="synth", mode="predcls", config=None, overrides=["solver.max_iters=3"])


def test_overrides_and_output_root():
    cfg = resolve_config(model="motifs", dataset="synth", mode="sgcls", config=None,
                         overrides=["solver.max_iter=7"], output_root="elsewhere")
    assert cfg.solver.max_iter == 7 and cfg.run.output_root == "elsewhere"
    assert Path(cfg.dataset.root) == Path("datasets/synth/vg")
