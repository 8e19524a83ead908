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
    "adapters_disabled",
    "apply_lora",
    "is_lora",
    "make_trainable",
    "merged_state_dict",
    "save_pretrained_merged",
]


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


def merged_state_dict(
    model: torch.nn.Module, state_dict: dict[str, torch.Tensor] | None = None
) -> dict[str, torch.Tensor]:
    """The base model's state dict under its own key names, with each active adapter folded in.

    Args:
        model: a peft model from `apply_lora` (or any HF model: then its own state dict).
        state_dict: the full values of `model.state_dict()` gathered from FSDP shards (r1lit.fsdp); the
            live weights are then only slices, so the merge reads these instead. None: the live weights.

    Returns:
        Detached tensors keyed as the plain HF model's `state_dict()` (no `lora_` or `base_layer` keys).
    """
    if not is_lora(model):
        source = model.state_dict() if state_dict is None else state_dict
        return {k: v.detach() for k, v in source.items()}
    base = model.get_base_model()
    if state_dict is None:
        return _without_adapters(base.state_dict(), _merged_live(base))
    # peft keys its state dict "base_model.model.<the base model's keys>"
    prefix = f"{_peft_prefix(model, base)}."
    base_state = {k.removeprefix(prefix): v for k, v in state_dict.items()}
    return _without_adapters(base_state, _merged_from_state(base, base_state))


def _peft_prefix(model: torch.nn.Module, base: torch.nn.Module) -> str:
    return next(name for name, sub in model.named_modules() if sub is base)


def _merged_live(base: torch.nn.Module) -> dict[str, torch.Tensor]:
    """`{"<layer>.weight": W + deltas}` for each LoRA layer, from the model's own (unsharded) weights."""
    from peft.tuners.lora import LoraLayer

    merged = {}
    for name, module in base.named_modules():
        if isinstance(module, LoraLayer):
            weight = module.get_base_layer().weight
            deltas = [module.get_delta_weight(a) for a in module.active_adapters if a in module.lora_A]
            merged[f"{name}.weight"] = (weight + sum(deltas).to(weight.dtype)).detach()
    return merged


def _merged_from_state(base: torch.nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`_merged_live` computed from gathered tensors: peft's `Linear.get_delta_weight`, transpose(B @ A)
    * scaling (in fp32 for half-precision weights, as peft does on CPU), for plain LoRA linear layers."""
    import torch
    from peft.tuners.lora import Linear, LoraLayer
    from peft.utils.other import transpose

    merged = {}
    for name, module in base.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        active = [a for a in module.active_adapters if a in module.lora_A]
        if type(module) is not Linear or any(module.use_dora.get(a) for a in active):
            raise NotImplementedError(
                f"merging a gathered {type(module).__name__} LoRA layer ({name}): only plain linear LoRA (no DoRA)"
            )
        weight = state[f"{name}.base_layer.weight"]
        deltas = []
        for a in active:
            lora_a, lora_b = state[f"{name}.lora_A.{a}.weight"], state[f"{name}.lora_B.{a}.weight"]
            half = lora_b.dtype in (torch.float16, torch.bfloat16)
            delta = transpose(
                (lora_b.float() @ lora_a.float()) if half else lora_b @ lora_a, module.fan_in_fan_out
            )
            deltas.append((delta * module.scaling[a]).to(lora_b.dtype))
        merged[f"{name}.weight"] = (weight + sum(deltas).to(weight.dtype)).detach()
    return merged


def _without_adapters(
    base_state: dict[str, torch.Tensor], merged: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The plain HF keys: adapter tensors dropped, `.base_layer.` removed, merged weights swapped in."""
    out = {}
    for key, value in base_state.items():
        if ".lora_" in key:
            continue
        plain = key.replace(".base_layer.", ".")
        out[plain] = merged.get(plain, value.detach())
    return out


def save_pretrained_merged(
    model: torch.nn.Module, out: str | Path, state_dict: dict[str, torch.Tensor] | None = None
) -> None:
    """`save_pretrained` of `model` with its adapters merged (a plain HF checkpoint); the model is untouched.

    Args:
        model: an HF model or a peft model from `apply_lora`.
        out: the folder to write.
        state_dict: `model.state_dict()`'s full values gathered from FSDP shards (r1lit.fsdp), written
            instead of the live weights (slices under FSDP). None: the live weights.
    """
    if not is_lora(model):
        model.save_pretrained(out, state_dict=state_dict)
        return
    model.get_base_model().save_pretrained(out, state_dict=merged_state_dict(model, state_dict))


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
