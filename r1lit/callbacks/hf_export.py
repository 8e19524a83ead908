"""Save the trained policy with `save_pretrained` so any HF tool (and r1lit-eval) can load it.

A LoRA policy (r1lit.lora) is written with its adapters merged into the base weights: a plain HF
checkpoint that loads without peft (vLLM, r1lit-eval, the next pipeline stage).

Under FSDP each rank holds a slice of every weight, so the policy's full state dict is gathered first
(r1lit.fsdp.full_state_dict: every rank takes part, rank 0 receives it) and rank 0 writes that. Single
process and DDP (full replicas) write the live weights, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch

from r1lit.fsdp import full_state_dict, is_sharded, tie_shared
from r1lit.lora import save_pretrained_merged


def sharded_root(trainer: Any) -> torch.nn.Module | None:
    """The strategy's model when it is FSDP-sharded (FSDP1 or FSDP2), else None (single process, DDP)."""
    root = getattr(getattr(trainer, "strategy", None), "model", None)
    return root if root is not None and is_sharded(root) else None


def gathered_policy_state(trainer: Any, module: L.LightningModule) -> dict[str, torch.Tensor] | None:
    """`module.policy`'s full state dict on rank 0 ({} elsewhere) when the strategy shards it; else None.

    A collective under FSDP: every rank must call it at the same point.
    """
    root = sharded_root(trainer)
    if root is None:
        return None
    # the attribute the policy lives under ("policy"; the reward model's is "classifier")
    name = next(name for name, sub in module.named_modules() if sub is module.policy)
    return full_state_dict(root, prefix=f"{name}.")


class HFExport(L.Callback):
    """Writes `<dirpath>/step_<N>/` every N optimizer steps and `<dirpath>/final/` at the end of fit.

    The LightningModule must expose the trainable HF model as `policy` and its tokenizer as `tokenizer`.
    """

    def __init__(self, dirpath: str, every_n_train_steps: int) -> None:
        self.dirpath, self.every = Path(dirpath), every_n_train_steps

    def _save(self, trainer: L.Trainer, module: L.LightningModule, name: str) -> None:
        state = gathered_policy_state(trainer, module)  # every rank, before the rank-0 check
        if trainer.is_global_zero:
            out = self.dirpath / name
            if state is not None:
                state = tie_shared(state, module.policy)
            save_pretrained_merged(module.policy, out, state_dict=state)
            module.tokenizer.save_pretrained(out)

    def _due(self, trainer: L.Trainer, step: int) -> bool:
        if self.every <= 0 or step == 0 or step % self.every:
            return False
        exists = (self.dirpath / f"step_{step}").exists()
        if sharded_root(trainer) is not None:
            # rank 0's view decides: a rank that skipped the gather would leave the others waiting in it
            exists = trainer.strategy.broadcast(exists)
        return not exists

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        step = trainer.global_step
        if self._due(trainer, step):
            self._save(trainer, pl_module, f"step_{step}")

    def on_train_end(self, trainer, pl_module) -> None:  # noqa: ANN001
        self._save(trainer, pl_module, "final")
