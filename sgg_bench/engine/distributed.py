"""torch.distributed helpers: start-up from torchrun's environment, DDP wrapping, rank checks.

Launch: ``torchrun --nproc_per_node 2 -m sgg_bench train ...`` (CPU: gloo; CUDA: nccl, one
GPU per local rank). A single process without torchrun's variables runs undistributed.
Only rank 0 writes files; the others wait at ``barrier()``.
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    return get_rank() == 0


def barrier() -> None:
    if is_distributed() and get_world_size() > 1:
        dist.barrier()


def init_from_environment(timeout_minutes: float = 30.0) -> bool:
    """Join the process group described by torchrun's ``RANK``/``WORLD_SIZE``/``MASTER_*``.

    Returns True when running distributed. The backend is nccl when CUDA is available and
    gloo otherwise; with CUDA each process takes the GPU ``LOCAL_RANK``.
    """
    if is_distributed():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=backend, timeout=timedelta(minutes=timeout_minutes))
    return True


def shutdown() -> None:
    if is_distributed():
        dist.destroy_process_group()


def default_device(requested: str = "auto") -> torch.device:
    """``auto`` -> this rank's GPU when CUDA is available, else CPU."""
    if requested != "auto":
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def wrap_model(model: torch.nn.Module, device: torch.device, *, find_unused_parameters: bool = True) -> torch.nn.Module:
    """DistributedDataParallel around ``model`` when running distributed, else ``model``.

    DDP averages gradients over ranks, so with equal per-rank shares of a global batch and
    a per-image mean loss the step equals a single process on the whole batch.
    ``find_unused_parameters`` is on by default because some relation heads leave parts
    unused in some modes (e.g. object refinement in PredCls).
    """
    if not is_distributed() or get_world_size() == 1:
        return model
    device_ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(
        model, device_ids=device_ids, find_unused_parameters=find_unused_parameters)


def all_gather_objects(obj: Any) -> list[Any]:
    """``obj`` of every rank, in rank order (``[obj]`` when undistributed)."""
    if not is_distributed() or get_world_size() == 1:
        return [obj]
    gathered: list[Any] = [None] * get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def reduce_mean(values: dict[str, float]) -> dict[str, float]:
    """Average a dict of floats over ranks (for logging)."""
    if not is_distributed() or get_world_size() == 1 or not values:
        return dict(values)
    keys = sorted(values)
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else "cpu"
    tensor = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    tensor /= get_world_size()
    return {k: float(v) for k, v in zip(keys, tensor.tolist())}
