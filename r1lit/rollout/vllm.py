"""`VLLMGenerator`: the `Generator` interface on a vLLM engine (GPU). vllm is imported only when built.

Conventions match `HFGenerator`: prompts are rendered with the HF tokenizer (`hf.encode_prompt`) and
passed as token ids, so both backends see identical prompt ids; stop strings stay in the text
(`include_stop_str_in_output`); logprobs are those of the processed sampling distribution
(`logprobs_mode="processed_logprobs"`, vLLM >= 0.10.2); a seeded call gives prompt i the seed `seed + i`;
each prompt's budget is capped by the engine's `max_model_len` exactly as in `HFGenerator`
(`r1lit.rollout.context`), so a long prompt is handled by `prompt_overflow` rather than by a vLLM error.

For GRPO on a live policy call `load_weights(policy)` after each optimizer step (or pass the policy as
`model`, which syncs before every `generate`). This reaches into the in-process engine
(`VLLM_ENABLE_V1_MULTIPROCESSING=0`), as TRL's colocated mode does; vLLM's internals move between
releases, so the path is checked at run time and fails loudly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from r1lit.rollout.base import Completion, Prompt, SamplingParams
from r1lit.rollout.context import Budget, fit_to_context
from r1lit.rollout.hf import encode_prompt
from r1lit.rollout.stops import truncate_at_stop

log = logging.getLogger(__name__)


def _vllm() -> Any:
    try:
        import vllm
    except ImportError as e:  # pragma: no cover - exercised only without vllm
        raise ImportError("rollout backend 'vllm' needs `pip install r1lit[vllm]` (and a GPU)") from e
    return vllm


def sync_weights(policy: torch.nn.Module) -> Iterable[tuple[str, torch.Tensor]]:
    """(HF name, tensor) pairs the engine loads: the parameters, or for LoRA the merged base weights."""
    from r1lit.lora import is_lora, merged_state_dict

    return merged_state_dict(policy).items() if is_lora(policy) else policy.named_parameters()


class VLLMGenerator:
    """Generation through vLLM.

    Args:
        model: a `name_or_path` (including `r1lit-tiny*`), or a live HF policy: vLLM then loads the
            policy's checkpoint path and its current weights are pushed before every `generate`.
        tokenizer: the HF tokenizer used to render prompts; loaded from `model` when None.
        max_batch_size: most sequences decoded together (vLLM's `max_num_seqs`); None keeps vLLM's default.
        **llm_kwargs: passed to `vllm.LLM` (e.g. `gpu_memory_utilization`, `max_model_len`, `dtype`).
    """

    def __init__(
        self,
        model: str | torch.nn.Module,
        tokenizer: Any | None = None,
        max_batch_size: int | None = None,
        **llm_kwargs: Any,
    ) -> None:
        from r1lit.models import load_tokenizer, resolve_model_path

        self.policy = model if isinstance(model, torch.nn.Module) else None
        name = model.config._name_or_path if self.policy is not None else str(model)
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(name)
        if self.policy is not None:
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # weights are pushed in-process
        llm_kwargs.setdefault("logprobs_mode", "processed_logprobs")
        if max_batch_size is not None:
            llm_kwargs.setdefault("max_num_seqs", max_batch_size)
        self.llm = _vllm().LLM(model=resolve_model_path(name), **llm_kwargs)
        model_config = getattr(self.llm.llm_engine, "model_config", None)
        self.max_context: int | None = getattr(model_config, "max_model_len", None) or llm_kwargs.get(
            "max_model_len"
        )

    def load_weights(self, policy: torch.nn.Module | Iterable[tuple[str, torch.Tensor]]) -> None:
        """Copy the policy's current parameters into the engine (HF parameter names).

        A LoRA policy is pushed with its adapters folded into the base weights, under the base model's
        names: the engine serves the plain architecture, which has no `lora_A`/`base_layer` parameters.
        """
        weights = sync_weights(policy) if isinstance(policy, torch.nn.Module) else policy
        try:
            runner = self.llm.llm_engine.model_executor.driver_worker.worker.model_runner
        except AttributeError as e:
            raise RuntimeError(
                "cannot reach the vLLM model runner in-process; set VLLM_ENABLE_V1_MULTIPROCESSING=0 "
                "before building VLLMGenerator, or sync weights through your vLLM version's RPC"
            ) from e
        runner.model.load_weights(((n, p.detach()) for n, p in weights))
        self.llm.reset_prefix_cache()  # cached prompt KV was computed with the old weights

    def _params(self, params: SamplingParams, seed: int | None, max_tokens: int) -> Any:
        return _vllm().SamplingParams(
            n=params.n,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k if params.top_k > 0 else -1,
            max_tokens=max_tokens,
            stop=list(params.stop) or None,
            include_stop_str_in_output=True,
            seed=seed,
            logprobs=0,  # the sampled token's logprob only
        )

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[Completion]]:
        """For each prompt, in order, `params.n` completions (see `r1lit.rollout.base.Generator`)."""
        if self.policy is not None:
            self.load_weights(self.policy)
        budgets = [
            fit_to_context(
                encode_prompt(self.tokenizer, p),
                params.max_new_tokens,
                self.max_context,
                params.prompt_overflow,
            )
            for p in prompts
        ]
        requests = [{"prompt_token_ids": b.prompt_ids} for b in budgets]
        seeds = [None if params.seed is None else params.seed + i for i in range(len(prompts))]
        per_prompt = [self._params(params, s, b.max_new_tokens) for s, b in zip(seeds, budgets, strict=True)]
        outputs = self.llm.generate(requests, per_prompt, use_tqdm=False)
        return [
            [self._completion(o, params, b) for o in out.outputs]
            for out, b in zip(outputs, budgets, strict=True)
        ]

    @staticmethod
    def _completion(out: Any, params: SamplingParams, budget: Budget) -> Completion:
        token_ids = list(out.token_ids)
        logprobs = [step[tok].logprob for step, tok in zip(out.logprobs or [], token_ids, strict=False)]
        text, hit = truncate_at_stop(out.text, params.stop)
        reason = "stop" if (out.finish_reason == "stop" or hit) else "length"
        return Completion(
            text,
            token_ids,
            logprobs,
            reason,
            list(budget.prompt_ids),
            budget.max_new_tokens,
            budget.prompt_truncated,
        )
