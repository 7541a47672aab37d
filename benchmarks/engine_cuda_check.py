"""Device check of the engine's CUDA path: AMP training steps, checkpoint, resume.

    python benchmarks/engine_cuda_check.py --root datasets/synth/vg [--steps 6]

Trains the synth Motifs PredCls model (random detector weights) on CUDA with ``amp=True`` for
``--steps`` steps with a checkpoint half-way, then resumes a second trainer from that checkpoint and
checks that both end with the same weights and that the GradScaler state came back.
Prints one JSON line. Skips (exit 0, "skipped") without CUDA.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sgg_bench.runs.configs import resolve_run_config as resolve_config  # noqa: E402
from sgg_bench.engine.checkpoint import load_checkpoint  # noqa: E402
from sgg_bench.engine.hooks import Hook  # noqa: E402
from sgg_bench.engine.loader import SceneGraphBatches  # noqa: E402
from sgg_bench.runs.relation import build_relation_model  # noqa: E402
from sgg_bench.runs.splits import open_split  # noqa: E402
from sgg_bench.engine.schedule import WarmupMultiStepLR, build_optimizer  # noqa: E402
from sgg_bench.engine.trainer import Trainer, seed_everything  # noqa: E402


class StopAt(Hook):
    def __init__(self, at):
        self.at = at

    def after_step(self, trainer):
        if trainer.iteration == self.at:
            raise KeyboardInterrupt


def make_trainer(cfg, train_set, run_dir, steps, hooks=()):
    seed_everything(0)
    model = build_relation_model(cfg, train_set.vocab, torch.device("cuda"))
    optimizer = build_optimizer(model.parameters(), name="sgd", base_lr=0.01)
    scheduler = WarmupMultiStepLR(optimizer, milestones=[steps // 2], warmup_iters=2)
    batches = SceneGraphBatches(train_set, batch_size=4, seed=0, cache_images=True)
    return Trainer(model, optimizer, batches, max_iter=steps, run_dir=run_dir, scheduler=scheduler, hooks=hooks,
                   grad_clip=5.0, amp=True, checkpoint_period=steps // 2, seed=0, device=torch.device("cuda"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="datasets/synth/vg")
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "no CUDA"}))
        return 0
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    cfg = resolve_config(model="motifs", dataset="synth", mode="predcls", config=None,
                         overrides=[f"dataset.root={args.root}"])
    train_set = open_split(cfg, "train")
    with tempfile.TemporaryDirectory() as tmp:
        straight = make_trainer(cfg, train_set, Path(tmp) / "a", args.steps)
        straight.train()
        broken = make_trainer(cfg, train_set, Path(tmp) / "b", args.steps, hooks=[StopAt(args.steps // 2 + 1)])
        try:
            broken.train()
        except KeyboardInterrupt:
            pass
        resumed = make_trainer(cfg, train_set, Path(tmp) / "b", args.steps)
        resumed.train(resume=True)
        state = load_checkpoint(Path(tmp) / "b" / "checkpoints" / "model_final.pth")
        a = straight.model.state_dict()
        b = resumed.model.state_dict()
        max_diff = max(float((a[k].float() - b[k].float()).abs().max()) for k in a if a[k].numel())
        print(json.dumps({"device": torch.cuda.get_device_name(), "amp": straight.amp,
                          "scaler_scale": state["grad_scaler"]["scale"] if state["grad_scaler"] else None,
                          "resumed_from": resumed.start_iteration, "final_loss": straight.latest_losses,
                          "max_abs_weight_diff_resumed_vs_straight": max_diff}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
