"""FSDP2 (`torch.distributed.fsdp.fully_shard`) for r1lit's LightningModules, and the full-state gather.

Lightning's `FSDPStrategy` wraps with FSDP1, which torch refuses on CPU ("FSDP needs a non-CPU
accelerator device") and Lightning refuses without a GPU. Its `ModelParallelStrategy` runs FSDP2 on CPU
(gloo) and GPU (nccl) but leaves the sharding to each module's `configure_model`. `FullyShardStrategy`
shards for the module instead, so the stage modules need no FSDP code:

- each block of every HF model in the module (the classes in its `_no_split_modules`, the units
  accelerate and TRL wrap too) is one FSDP unit: forward and backward gather one block at a time;
- the LightningModule is the root unit (embeddings, LM head, final norm, anything else), gathered for the
  whole of `training_step` / `validation_step` (registered as FSDP forward methods): a module may call
  submodules directly (SFT's chunked loss calls the decoder body, not the HF model's `forward`);
- data parallel only: a 1-D mesh over every rank of every node; gradients are reduce-scattered (averaged).

`full_state_dict` gathers the sharded weights into full tensors on rank 0: HF exports need it, since each
rank holds only its slice of every weight between steps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import torch
from lightning.pytorch.strategies import ModelParallelStrategy
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from torch.distributed.fsdp import (
    FSDPModule,
    FullyShardedDataParallel,
    fully_shard,
    register_fsdp_forward_method,
)

from r1lit.rollout.grad_free import has_dtensors

if TYPE_CHECKING:
    import lightning as L
    from torch.distributed.device_mesh import DeviceMesh

__all__ = ["FullyShardStrategy", "full_state_dict", "gathered", "is_sharded", "shard_module", "tie_shared"]

# LightningModule methods that run the model: the root unit is gathered for each call.
FORWARD_METHODS = ("training_step", "validation_step")


def block_classes(module: torch.nn.Module) -> set[str]:
    """Class names of the transformer blocks of every HF model inside `module` (`_no_split_modules`)."""
    names: set[str] = set()
    for sub in module.modules():
        names.update(getattr(sub, "_no_split_modules", None) or [])
    return names


def shard_module(module: torch.nn.Module, mesh: DeviceMesh, wrap_blocks: bool) -> None:
    """Shard `module` in place with FSDP2: one unit per transformer block (if `wrap_blocks`), then the root.

    Args:
        module: a LightningModule whose models are built (after `configure_model`).
        mesh: the 1-D data-parallel device mesh.
        wrap_blocks: one unit per block (peak memory: one gathered block). False: the root unit holds every
            weight, gathered for a whole step. (Rollouts gather every unit once: `gathered`.)
    """
    if wrap_blocks:
        blocks = block_classes(module)
        for sub in list(module.modules()):
            if type(sub).__name__ in blocks:
                fully_shard(sub, mesh=mesh)
    fully_shard(module, mesh=mesh)
    for name in FORWARD_METHODS:
        if hasattr(module, name):
            register_fsdp_forward_method(module, name)


def is_sharded(model: torch.nn.Module) -> bool:
    """Whether `model` holds FSDP-sharded weights (FSDP1 wrappers, FSDP2 units or DTensor parameters)."""
    return any(isinstance(m, FSDPModule | FullyShardedDataParallel) for m in model.modules()) or has_dtensors(
        model
    )


@contextlib.contextmanager
def gathered(root: torch.nn.Module) -> Iterator[None]:
    """Every FSDP2 unit in `root` holds its full weights inside the block: one all-gather per unit.

    Generation runs one forward per token and stops when this rank's rows are done. Gathering block by
    block on each forward would make every decode step a collective, and a rank whose rows finished
    first would leave the others waiting in it forever (a hang, not an error). So rollouts and held-out
    evaluation gather once, like TRL's `unwrap_model_for_generation` under ZeRO-3; peak memory inside is
    the full weights of `root`. A collective: every rank must enter. A no-op for an unsharded module.
    """
    units = [m for m in root.modules() if isinstance(m, FSDPModule)]
    if not units:
        yield
        return
    if units[0] is root:  # FSDP makes the first unit to run forward its root: the outermost one, as in
        root._get_fsdp_state()._lazy_init()  # training (private: no public lazy init; a no-op after a step)
    groups = [u._get_fsdp_state()._fsdp_param_group for u in units]  # None: a unit without weights
    before = [(u, g._reshard_after_forward, g.is_unsharded) for u, g in zip(units, groups, strict=True) if g]
    for unit, _, _ in before:
        unit.set_reshard_after_forward(False, recurse=False)
        unit.unshard()
    try:
        yield
    finally:
        for unit, reshard_after_forward, was_unsharded in before:
            unit.set_reshard_after_forward(reshard_after_forward, recurse=False)
            if not was_unsharded:  # the root inside training_step stays gathered for the rest of the step
                unit.reshard()


def full_state_dict(root: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    """The full (unsharded) CPU tensors of `root`'s state under `prefix`, keys without the prefix.

    A collective: every rank must call it (each contributes its shards). Rank 0 gets the tensors, the
    other ranks an empty dict, so only one full copy exists (in CPU memory).

    Args:
        root: the sharded model as the strategy holds it (`trainer.strategy.model`: FSDP1's wrapper or
            the FSDP2-sharded LightningModule).
        prefix: the submodule to keep, e.g. "policy.".
    """
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    state = get_model_state_dict(root, options=options)
    out = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
    if state and not out:  # rank 0 with nothing under the prefix: an export would be an empty model
        raise ValueError(f"no weights under {prefix!r} in the gathered state (keys: {sorted(state)[:5]}...)")
    return out


def tie_shared(state: dict[str, torch.Tensor], model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """`state` with the keys of parameters `model` shares (tied embeddings) pointing at one tensor again.

    The gather copies each key separately; `save_pretrained` drops a tied copy only when the two share
    storage, and would otherwise write `lm_head.weight` beside `embed_tokens.weight`.

    Args:
        state: a gathered state dict keyed like `model.state_dict()` (changed in place and returned).
        model: the live (sharded) model, whose parameter objects tell which keys are one weight.
    """
    first: dict[int, str] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        owner = first.setdefault(id(param), name)
        if owner != name and owner in state and name in state:
            state[name] = state[owner]
    return state


class FullyShardStrategy(ModelParallelStrategy):
    """Lightning's FSDP2 strategy, with r1lit's sharding (`shard_module`) applied after `configure_model`.

    Args:
        wrap_blocks: one FSDP unit per transformer block (see `shard_module`).
        save_distributed_checkpoint: True: each rank writes its shard (a checkpoint folder); False: one
            file gathered on rank 0 (what `resume: auto` looks for).
        process_group_backend: "gloo" (CPU) or "nccl" (GPU); None: the device's default.
        timeout: collective timeout.
    """

    def __init__(
        self,
        wrap_blocks: bool,
        save_distributed_checkpoint: bool,
        process_group_backend: str | None,
        timeout: timedelta = timedelta(minutes=30),
    ) -> None:
        super().__init__(
            save_distributed_checkpoint=save_distributed_checkpoint,
            process_group_backend=process_group_backend,
            timeout=timeout,
        )
        self.wrap_blocks = wrap_blocks

    def setup_environment(self) -> None:
        # Data parallel over all ranks (Lightning's "auto" would make each node a tensor-parallel group).
        self._data_parallel_size = self.num_nodes * self.num_processes
        self._tensor_parallel_size = 1
        super().setup_environment()

    def setup(self, trainer: L.Trainer) -> None:
        # Here the models exist (configure_model ran) and the optimizer does not yet: shard, then let
        # Lightning move, convert and build the optimizer over the sharded (DTensor) parameters.
        if not is_sharded(self.lightning_module):
            shard_module(self.lightning_module, self.device_mesh["data_parallel"], self.wrap_blocks)
        super().setup(trainer)
