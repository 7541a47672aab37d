"""Training engine: deterministic batches, the plain training loop with hooks, atomic
checkpoints with exact resume, torch.distributed helpers, inference into predictions files and
run folders (see docs/TRAINING.md)."""
