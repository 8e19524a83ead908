"""Log-probs GRPO scores without gradients: pi_ref for the KL term and pi_theta_old for mu > 1.

Where pi_ref comes from is the memory choice of a run (`configure_model`):
- a resident frozen copy of the initial policy (the default with beta != 0, full fine-tuning);
- the policy itself with its LoRA adapters disabled (`lora.r > 0`: no second copy at all);
- a copy loaded for each rollout's scoring and freed after (`reference_offload`: full fine-tuning
  without a resident second copy, for one load per rollout; same numbers).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from r1lit.lora import adapters_disabled
from r1lit.memory import release_freed_memory
from r1lit.modules.rollout_batch import PackedRollout, completion_logprobs
from r1lit.rollout.grad_free import grad_free


class FrozenScorer:
    """Scores packed rollouts at the sampling temperature, as the training forward does, without grad.

    Args:
        temperature: the rollout's sampling temperature (log-probs of logits / T).
        share_prompt_prefix, length_buckets, chunk_size: as in `completion_logprobs`.
    """

    def __init__(
        self, temperature: float, share_prompt_prefix: bool, length_buckets: int, chunk_size: int | None
    ):
        self.temperature, self.share_prefix = temperature, share_prompt_prefix
        self.buckets, self.chunk_size = length_buckets, chunk_size

    @torch.no_grad()
    def logprobs(self, model: torch.nn.Module, chunk: PackedRollout) -> torch.Tensor:
        """log p of each completion token under `model`.  # [n, Lc]"""
        with grad_free(model):
            logps, _ = completion_logprobs(
                model,
                chunk,
                self.temperature,
                self.share_prefix,
                n_buckets=self.buckets,
                chunk_size=self.chunk_size,
            )
        return logps.clone()  # a normal tensor: inference tensors cannot enter autograd graphs

    def reference(
        self,
        policy: torch.nn.Module,
        resident: torch.nn.Module | None,
        load_copy: Callable[[], torch.nn.Module | None],
        chunks: list[PackedRollout],
    ) -> list[torch.Tensor]:
        """log pi_ref of every micro-batch: from `resident`, else from the copy `load_copy` returns (freed
        after), else from `policy` with its adapters disabled (LoRA)."""
        if resident is not None:
            return [self.logprobs(resident, c) for c in chunks]
        copy = load_copy()
        if copy is not None:
            try:
                return [self.logprobs(copy, c) for c in chunks]
            finally:
                del copy
                release_freed_memory()
        with adapters_disabled(policy):
            return [self.logprobs(policy, c) for c in chunks]
