"""One generation interface for GRPO rollouts, rejection sampling and the evaluation harness.

`build_generator("hf" | "vllm" | "scripted", model, tokenizer, **kw)` returns a `Generator`; callers use
only `generate(prompts, SamplingParams) -> list[list[Completion]]`. Backends are imported lazily, so
importing this package pulls in neither torch nor vllm.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from r1lit.rollout.base import Completion, Generator, Prompt, SamplingParams

# backend name -> "module:class"
BACKENDS = {
    "hf": "r1lit.rollout.hf:HFGenerator",
    "vllm": "r1lit.rollout.vllm:VLLMGenerator",
    "scripted": "r1lit.rollout.fake:ScriptedGenerator",
}


def build_generator(backend: str, model: Any, tokenizer: Any, **kw: Any) -> Generator:
    """Build a backend.

    Args:
        backend: "hf" (live `transformers` model), "vllm" (`model` is a name/path or a live policy whose
            weights are synced) or "scripted" (tests; `model` is ignored, pass `script=...`).
        model: the model (see `backend`).
        tokenizer: its tokenizer (may be None for "vllm", which loads one, and for "scripted").
        **kw: backend options, e.g. `max_batch_size` for "hf", `gpu_memory_utilization` for "vllm".
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown rollout backend {backend!r}; expected one of {sorted(BACKENDS)}")
    module, cls = BACKENDS[backend].split(":")
    factory = getattr(import_module(module), cls)
    if backend == "scripted":
        return factory(tokenizer=tokenizer, **kw)
    return factory(model, tokenizer, **kw)


__all__ = ["BACKENDS", "Completion", "Generator", "Prompt", "SamplingParams", "build_generator"]
