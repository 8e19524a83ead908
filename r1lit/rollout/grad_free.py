"""`grad_free(model)`: the no-gradient context for running `model` outside training steps.

`torch.inference_mode` is the faster one (no version counters, no view tracking), but every tensor made
under it is an inference tensor for good. FSDP2 (per-block `fully_shard`, `r1lit.fsdp`) gathers a block's
weights into buffers it allocates once and refills in place on each later forward: allocated under
inference mode (a rollout, a reference scoring), they cannot be refilled by the training forward
("Inplace update to inference tensor outside InferenceMode"). A sharded model runs under `no_grad`.
"""

from __future__ import annotations

import contextlib

import torch
from torch.distributed.tensor import DTensor


def has_dtensors(model: torch.nn.Module) -> bool:
    """Whether any parameter of `model` is a DTensor (FSDP2 / tensor-parallel sharded)."""
    return any(isinstance(p, DTensor) for p in model.parameters())


def grad_free(model: torch.nn.Module) -> contextlib.AbstractContextManager:
    """`torch.inference_mode()` for a plain model, `torch.no_grad()` for a sharded one."""
    return torch.no_grad() if has_dtensors(model) else torch.inference_mode()
