"""AdamW with a warmup + {constant, linear, cosine} schedule, shared by every LightningModule."""

from __future__ import annotations

import math
from typing import Any, Literal

import torch

Schedule = Literal["constant", "linear", "cosine"]


def lr_factor(
    step: int, warmup_steps: int, total_steps: int, schedule: Schedule, min_ratio: float = 0.0
) -> float:
    """Multiplier of the base learning rate at optimizer step `step` (linear warmup, then decay)."""
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant" or total_steps <= warmup_steps:
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    decay = 1.0 - progress if schedule == "linear" else 0.5 * (1.0 + math.cos(math.pi * progress))
    return min_ratio + (1.0 - min_ratio) * decay


def adamw_with_schedule(
    params: list[torch.nn.Parameter],
    lr: float,
    weight_decay: float,
    betas: tuple[float, float],
    warmup_steps: int,
    total_steps: int,
    schedule: Schedule,
) -> dict:
    """The `configure_optimizers` return value: AdamW + a per-step LambdaLR."""
    decay = [p for p in params if p.requires_grad and p.ndim >= 2]  # no decay on norms and biases
    no_decay = [p for p in params if p.requires_grad and p.ndim < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # foreach=False: same numbers, without foreach's temporaries the size of every parameter (2 GB at 0.5B)
    optimizer = torch.optim.AdamW(groups, lr=lr, betas=tuple(betas), foreach=False)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, warmup_steps, total_steps, schedule)
    )
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def adamw_from_hparams(params: list[torch.nn.Parameter], hp: Any, total_steps: int) -> dict:
    """`adamw_with_schedule` from a module's hparams (learning_rate, weight_decay, betas, warmup_steps, lr_schedule)."""
    return adamw_with_schedule(
        params, hp.learning_rate, hp.weight_decay, hp.betas, hp.warmup_steps, total_steps, hp.lr_schedule
    )
