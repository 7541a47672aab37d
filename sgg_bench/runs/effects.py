"""Test-time effects of one trained model (``sgg-bench train --effect E``): one run folder and one
record per effect, all from the same training run and checkpoint.

A head whose registry metadata lists ``effects`` (the causal predictor: none, TDE, NIE, TE) and
whose constructor takes ``effect`` can be evaluated under several of them. The training run's
own folder ``<run>`` scores the effect of its config (``model.head_args.effect``); every other
requested effect E gets the sibling folder ``<run>+E``: its config (the same, with that effect),
``run.json`` (pointing to the training run's checkpoint, ``trained_in`` naming that run),
``predictions.h5`` and ``result.json``, whose ``setting`` names the effect. These folders are
ordinary finished runs to ``eval --all``, which re-scores any of them whose predictions,
checkpoint or evaluator changed; it never runs inference, so an effect nobody asked for has no
folder (``train ... --resume --effect E`` adds it from the final checkpoint).

They are derived from the training run: a new training run (``--force``, or a fresh folder)
moves its old effect folders aside (``.replaced/``); after ``--resume`` the requested ones are
rewritten and any other one is moved aside unless its record was made from the same final
checkpoint. So no effect folder describes another checkpoint.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

from sgg_bench.errors import ConfigError

EFFECT_SEPARATOR = "+"


def head_setting(model: str, head_args: Mapping[str, Any]) -> str:
    """The named variant of a head (e.g. IMP with the frequency bias), from its registry metadata."""
    from sgg_bench.registry import RELATION_HEADS

    describe = RELATION_HEADS.info(model).get("setting")
    return str(describe(dict(head_args))) if callable(describe) else ""


def requested_effects(model: str, head_args: Mapping[str, Any], effects: Iterable[str]) -> list[str]:
    """The effects to add beside the config's own, checked against the head; ``effects`` items may be
    comma lists ("TDE,NIE"). A ConfigError before anything is written."""
    from sgg_bench.modeling.build import head_argument_names
    from sgg_bench.registry import RELATION_HEADS

    wanted = [e.strip() for text in effects for e in str(text).split(",") if e.strip()]
    if not wanted:
        return []
    if model == "detector" or model not in RELATION_HEADS:
        raise ConfigError(f"--effect: only relation heads with test-time effects take it, not {model!r}")
    known = tuple(RELATION_HEADS.info(model).get("effects") or ())
    if not known or "effect" not in head_argument_names(model)[0]:
        raise ConfigError(f"--effect: head {model} has no test-time effects")
    for effect in wanted:
        if effect not in known:
            raise ConfigError(f"--effect {effect}: expected one of {', '.join(known)} for head {model}")
    own = str(head_args.get("effect", known[0]))
    return [e for e in dict.fromkeys(wanted) if e != own]


def effect_run_dir(run_dir: Path, effect: str) -> Path:
    return run_dir.parent / f"{run_dir.name}{EFFECT_SEPARATOR}{effect}"


def effect_run_dirs(run_dir: Path) -> list[Path]:
    """The effect folders of the training run ``run_dir`` that exist."""
    return sorted(p for p in run_dir.parent.glob(f"{run_dir.name}{EFFECT_SEPARATOR}*")
                  if p.is_dir() and (p / "run.json").is_file() and _trained_in(p) == run_dir.name)


def _trained_in(path: Path) -> str | None:
    import json

    try:
        return json.loads((path / "run.json").read_text(encoding="utf-8")).get("trained_in")
    except (OSError, ValueError, AttributeError):
        return None


def retire_effect_runs(run_dir: Path, *, checkpoint_sha256: str | None = None) -> list[Path]:
    """Move the effect folders of ``run_dir`` aside, except those whose record was made from the
    checkpoint with ``checkpoint_sha256`` (None: move every one)."""
    import json

    from sgg_bench.runs.folder import move_aside

    moved = []
    for path in effect_run_dirs(run_dir):
        try:
            recorded = json.loads((path / "result.json").read_text(encoding="utf-8"))["provenance"]["checkpoint_sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            recorded = None
        if checkpoint_sha256 is None or recorded != checkpoint_sha256:
            moved.append(move_aside(path))
    return moved


def write_effect_runs(cfg, run_dir: Path, network, *, model: str, effects: list[str], checkpoint, train_seconds: float,
                      device) -> list[Path]:
    """Predict the test split under each effect in ``effects`` and write its folder and record."""
    from sgg_bench.config import save_config
    from sgg_bench.engine import distributed as dist_utils
    from sgg_bench.engine.inference import write_predictions
    from sgg_bench.runs import folder as run_folder
    from sgg_bench.runs.evaluate import evaluate_run
    from sgg_bench.runs.splits import open_split

    head = network.head
    own = head.effect
    written = []
    try:
        for effect in effects:
            target = effect_run_dir(run_dir, effect)
            variant_cfg = copy.deepcopy(cfg)
            variant_cfg.model.head_args["effect"] = effect
            if dist_utils.is_main_process():
                if target.exists():
                    run_folder.move_aside(target)
                target.mkdir(parents=True)
                save_config(variant_cfg, target / "config.yaml")
            dist_utils.barrier()
            head.set_effect(effect)
            speed = write_predictions(network, open_split(cfg, "test"), target / "predictions.h5",
                                      dataset_name=cfg.dataset.name, mode=cfg.model.mode,
                                      batch_size=int(cfg.test.ims_per_batch), cache_images=False)
            if dist_utils.is_main_process():
                run_folder.write_run_json(
                    target, run_id=run_folder.run_id(cfg.dataset.name, target.name), model=model,
                    dataset=cfg.dataset.name, dataset_root=str(cfg.dataset.root), mode=cfg.model.mode, split="test",
                    protocol=cfg.eval.protocol, seed=int(cfg.run.seed), checkpoint=checkpoint,
                    train_seconds=train_seconds,
                    extra={"inference_images_per_second": speed["images_per_second"], "device": str(device),
                           "setting": head_setting(model, variant_cfg.model.head_args), "trained_in": run_dir.name})
                evaluate_run(target)
            dist_utils.barrier()
            written.append(target)
    finally:
        head.set_effect(own)
    return written
