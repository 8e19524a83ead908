"""The model set-up every LightningModule shares in `configure_model`: a trainable policy, frozen copies.

- `trainable_policy(model, lora=..., gradient_checkpointing=..., dropout=...)`: train mode (HF
  `from_pretrained` returns eval mode and Lightning keeps each module's mode, so train mode must be set
  explicitly: dropout then acts as configured and gradient checkpointing, which runs in train mode
  only, works), then `r1lit.lora.make_trainable` (gradient checkpointing, LoRA adapters). `dropout`
  is each module's documented choice and has no default: SFT, distillation and the reward model keep
  the checkpoint's dropout (`True`); GRPO disables it (`False`), since its rollouts sample from the
  eval-mode policy and dropout in the update would compare the ratio and KL against another policy.
- `frozen_model(model)`: a fixed target (the distillation teacher, the GRPO reference): no dropout even
  if something switches the whole LightningModule to train mode, eval mode, no gradients.

Both take an already loaded model, so any loader fits (`r1lit.models.load_causal_lm`, the reward
model's sequence classifier).
"""

from __future__ import annotations

from typing import Any

import torch

from r1lit.lora import make_trainable
from r1lit.models import disable_dropout


def trainable_policy(
    model: torch.nn.Module,
    *,
    dropout: bool,
    lora: dict[str, Any] | None = None,
    gradient_checkpointing: bool = False,
) -> torch.nn.Module:
    """`model` ready to train: dropout kept or disabled, train mode, gradient checkpointing, LoRA.

    Args:
        model: a freshly loaded HF model (eval mode, as `from_pretrained` returns it).
        dropout: keep the checkpoint's dropout (True) or set every rate to 0 (False, for RL).
        lora: `r1lit.lora.apply_lora` keywords (the stage config's `lora` block); None or r = 0: full
            fine-tuning.
        gradient_checkpointing: recompute each layer in backward (less memory, more compute).

    Returns:
        The module to train and optimise: `model` itself, or a peft model wrapping it.
    """
    if not dropout:
        disable_dropout(model)
    model.train()
    return make_trainable(model, lora, gradient_checkpointing)


def frozen_model(model: torch.nn.Module) -> torch.nn.Module:
    """`model` as a fixed target (teacher, reference): dropout off, eval mode, `requires_grad=False`.

    Args:
        model: a loaded HF model.

    Returns:
        `model` itself, frozen in place.
    """
    disable_dropout(model)  # stays deterministic even if the LightningModule is switched to train()
    return model.eval().requires_grad_(False)
