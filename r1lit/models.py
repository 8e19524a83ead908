"""Load any causal LM and tokenizer by `name_or_path`: a hub id, a local folder, or the embedded tiny model.

Every command goes through `resolve_model_path`, so the embedded tiny model (`r1lit-tiny`, built
offline on first use into the cache) and the random-weight architecture twins (`r1lit-twin/qwen2.5`,
r1lit.tiny.twins) are loaded exactly like `Qwen/Qwen2.5-0.5B-Instruct` would be.
No Lightning import here: the evaluation harness uses this module too.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from r1lit.cache import cache_dir  # noqa: F401  (callers name the cache as r1lit.models.cache_dir)

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

TINY_PREFIX = "r1lit-tiny"
TWIN_PREFIXES = ("r1lit-twin/", "r1lit-shape/")  # = r1lit.tiny.twins.TWIN_PREFIX, SHAPE_PREFIX
DTYPES = ("float32", "bfloat16", "float16", "auto")


def is_tiny(name_or_path: str) -> bool:
    return str(name_or_path).startswith(TINY_PREFIX)


def is_twin(name_or_path: str) -> bool:
    """An architecture twin or shape name (`r1lit-twin/*`, `r1lit-shape/*`, see r1lit.tiny.twins)."""
    return str(name_or_path).startswith(TWIN_PREFIXES)


def resolve_model_path(name_or_path: str) -> str:
    """Map `r1lit-tiny*`, `r1lit-twin/*` and `r1lit-shape/*` names to their built folder (building on
    first use); pass anything else through."""
    if is_tiny(name_or_path):
        from r1lit.tiny.build import ensure_tiny_model

        return str(ensure_tiny_model(str(name_or_path)))
    if is_twin(name_or_path):
        from r1lit.tiny.twins import ensure_twin_model

        return str(ensure_twin_model(str(name_or_path)))
    return str(name_or_path)


def load_tokenizer(name_or_path: str, revision: str | None = None) -> PreTrainedTokenizerBase:
    """Tokenizer with a pad token and left padding (what batched generation needs)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(resolve_model_path(name_or_path), revision=revision)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return tok


def load_causal_lm(
    name_or_path: str, revision: str | None = None, dtype: str = "float32", device: str = "cpu"
) -> PreTrainedModel:
    """An `AutoModelForCausalLM` in the requested dtype on the requested device."""
    import torch
    from transformers import AutoModelForCausalLM

    if dtype not in DTYPES:
        raise ValueError(f"model.dtype={dtype!r} is not one of {DTYPES}")
    torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
    model = AutoModelForCausalLM.from_pretrained(
        resolve_model_path(name_or_path), revision=revision, dtype=torch_dtype
    )
    return model.to(device)


def disable_dropout(model: torch.nn.Module) -> int:
    """Set every dropout probability in `model` to 0; returns how many were non-zero.

    Covers `nn.Dropout` modules (GPT-2's resid/embd/attn dropout) and the float rates attention
    modules pass to their attention kernels in train mode (`attention_dropout`, e.g. Qwen2, Llama).
    Train mode then computes exactly what eval mode does, while train-mode-only machinery (gradient
    checkpointing) keeps working. The model's config is left alone, so an exported checkpoint keeps
    its own dropout settings.
    """
    import torch

    changed = 0
    for module in model.modules():
        if isinstance(module, torch.nn.modules.dropout._DropoutNd) and module.p > 0:
            module.p, changed = 0.0, changed + 1
        rate = getattr(module, "attention_dropout", None)
        if isinstance(rate, float) and rate > 0:
            module.attention_dropout, changed = 0.0, changed + 1
    return changed


def cache_keyword(model: torch.nn.Module) -> str:
    """`forward`'s KV-cache argument name: transformers 5 renamed `past_key_values` to `cache`
    (the old name warns and is due to be removed in 5.40); older versions and custom models keep it."""
    model = getattr(model, "module", model)  # DDP and similar wrappers hide the signature
    get_base = getattr(model, "get_base_model", None)  # so does a peft model (it forwards **kwargs)
    forward = (get_base() if callable(get_base) else model).forward
    return "cache" if "cache" in inspect.signature(forward).parameters else "past_key_values"


def returned_cache(output: Any) -> Any:
    """The KV cache a forward returned, under either name (see `cache_keyword`)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values
