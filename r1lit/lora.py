"""LoRA adapters (via `peft`) for SFT, GRPO and distillation, and exports with the adapters merged.

`apply_lora(model, r, ...)` wraps an HF causal LM in a peft `PeftModel` whose only trainable weights
are the low-rank adapters (r = 0: the model unchanged, full fine-tuning). With LoRA:

- the GRPO reference is the same model with its adapters switched off (`adapters_disabled`): the
  frozen base is exactly the initial policy, so no second copy of the weights is loaded;
- `merged_state_dict` gives the plain HF state dict with every adapter folded into its base weight
  (W + scale * B @ A), computed on the side: the live model is never merged and unmerged, which in
  bf16 would not restore the weights exactly;
- `save_pretrained_merged` writes that state dict with the base model's config, so any HF tool, vLLM
  and r1lit-eval load the export without peft.

`peft` is an optional dependency (`pip install 'r1lit[lora]'`); nothing imports it unless r > 0.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = [
    "adapters_disabled", "apply_lora", "is_lora", "make_trainable", "merged_state_dict", "save_pretrained_merged",
]  # fmt: skip


def apply_lora(
    model: torch.nn.Module, r: int, alpha: float, dropout: float, target_modules: str | list[str]
) -> torch.nn.Module:
    """`model` with LoRA adapters of rank `r` on `target_modules` ("all-linear": every linear layer but
    the LM head); r = 0 returns `model` itself.

    Args:
        model: an HF causal LM.
        r: adapter rank (0: no adapters, full fine-tuning).
        alpha: LoRA scaling numerator (the update is alpha / r * B @ A).
        dropout: dropout on the adapter input (0 for RL: GRPO needs a deterministic forward).
        target_modules: module names, or "all-linear".

    Returns:
        A peft `PeftModel` (base weights frozen, adapters trainable), or `model` when r = 0.
    """
    if r < 0:
        raise ValueError(f"lora.r must be >= 0, got {r}")
    if r == 0:
        return model
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as e:  # an optional extra: say how to get it
        raise ImportError("lora.r > 0 needs peft: pip install 'r1lit[lora]' (peft>=0.13)") from e
    targets = target_modules if isinstance(target_modules, str) else list(target_modules)
    config = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets, task_type="CAUSAL_LM"
    )
    return get_peft_model(model, config)


def is_lora(model: torch.nn.Module) -> bool:
    """Whether `model` is a peft model with adapters (see `apply_lora`)."""
    return hasattr(model, "peft_config") and hasattr(model, "disable_adapter")


def adapters_disabled(model: torch.nn.Module) -> AbstractContextManager:
    """Within this context `model` computes its frozen base (the initial policy); a no-op without LoRA."""
    return model.disable_adapter() if is_lora(model) else nullcontext()


def merged_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The base model's state dict under its own key names, with each active adapter folded in.

    Args:
        model: a peft model from `apply_lora` (or any HF model: then its own state dict).

    Returns:
        Detached tensors keyed as the plain HF model's `state_dict()` (no `lora_` or `base_layer` keys).
    """
    if not is_lora(model):
        return {k: v.detach() for k, v in model.state_dict().items()}
    from peft.tuners.lora import LoraLayer

    base = model.get_base_model()
    merged = {}
    for name, module in base.named_modules():
        if isinstance(module, LoraLayer):
            weight = module.get_base_layer().weight
            deltas = [module.get_delta_weight(a) for a in module.active_adapters if a in module.lora_A]
            merged[f"{name}.weight"] = (weight + sum(deltas).to(weight.dtype)).detach()
    out = {}
    for key, value in base.state_dict().items():
        if ".lora_" in key:
            continue
        plain = key.replace(".base_layer.", ".")
        out[plain] = merged.get(plain, value.detach())
    return out


def save_pretrained_merged(model: torch.nn.Module, out: str | Path) -> None:
    """`save_pretrained` of `model` with its adapters merged (a plain HF checkpoint); the model is untouched."""
    if not is_lora(model):
        model.save_pretrained(out)
        return
    model.get_base_model().save_pretrained(out, state_dict=merged_state_dict(model))


def make_trainable(
    model: torch.nn.Module, lora: dict[str, Any] | None, gradient_checkpointing: bool
) -> torch.nn.Module:
    """`model` ready to train: gradient checkpointing if asked, then LoRA adapters when `lora["r"] > 0`.

    Args:
        model: an HF causal LM in train mode.
        lora: `apply_lora`'s keyword arguments (the stage config's `lora` block); None: no adapters.
        gradient_checkpointing: HF gradient checkpointing (recompute each layer in backward).

    Returns:
        The model to train: `model` itself, or a peft model wrapping it.
    """
    if gradient_checkpointing:
        model.gradient_checkpointing_enable()
    if lora is not None:
        model = apply_lora(model, **lora)
    if gradient_checkpointing and is_lora(model):
        # frozen embeddings give checkpointed layers inputs without grad: adapters would get none
        model.enable_input_require_grads()
    return model
