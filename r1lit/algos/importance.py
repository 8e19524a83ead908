"""Importance ratios once rollouts and training differ: GSPO's sequence-level ratio, and truncated IS.

Two independent corrections, each picked by name from a small dict:

- `LOG_RATIO_LEVELS` (the `ratio_level` option): which ratio the clipped surrogate sees.
  "token"    rho_it = pi_theta(o_it) / pi_old(o_it), DeepSeek-R1 eq. 1 (GRPO, PPO);
  "sequence" s_i = exp(1/|o_i| sum_t log rho_it) for every token of o_i: GSPO (Zheng et al. 2025,
             eq. 7), the length-normalised sequence likelihood ratio, clipped once per sequence. GSPO's
             objective is `loss_agg=grpo` (a per-sequence mean of a per-sequence constant); token-sum
             aggregations weight each sequence's term by its length instead.
- `IS_CORRECTIONS` (the `is_correction` option): a detached weight on each token's surrogate for the gap
  between the sampler (vLLM kernels, bf16) and the trainer, w = pi_trainer_old / pi_sampler, the
  truncated importance sampling of Yao et al. 2025 ("Your efficient RL framework secretly brings you
  off-policy RL training"), as verl and TRL apply it:
  "token_truncate"    w_it = min(exp(old_it - samp_it), cap);
  "token_mask"        w_it = exp(old_it - samp_it), 0 where it exceeds cap;
  "sequence_truncate" w_i = min(exp(sum_t (old_it - samp_it)), cap), the same for every token of o_i;
  "sequence_mask"     w_i = exp(sum_t ...), 0 where it exceeds cap;
  "none"              no weight.

Deliberate differences from TRL 1.16: only an upper bound (no lower clip); the sequence log-gap is
clamped to <= 20 before `exp` so an extreme gap gives a finite weight (then truncated or masked); a
token whose sampling log-prob is unknown (NaN, e.g. a scripted generator) contributes a zero log-gap.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from r1lit.algos.logprobs import masked_mean, masked_sum

__all__ = ["IS_CORRECTIONS", "LOG_RATIO_LEVELS", "importance_weights", "sequence_log_ratio"]

_MAX_LOG_GAP = 20.0  # exp(20) ~ 5e8: far above any cap, finite in float32


def _token_log_ratio(log_ratio: Tensor, mask: Tensor) -> Tensor:
    return log_ratio


def sequence_log_ratio(log_ratio: Tensor, mask: Tensor) -> Tensor:
    """GSPO: each row's mean log-ratio over its tokens, on every position.  # [N, L] -> [N, L]"""
    per_seq = masked_sum(log_ratio, mask, dim=1) / mask.sum(dim=1).clamp(min=1)  # [N]
    return per_seq.unsqueeze(1).expand_as(log_ratio)


LOG_RATIO_LEVELS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "token": _token_log_ratio,
    "sequence": sequence_log_ratio,
}


def _token_gap(gap: Tensor, mask: Tensor) -> Tensor:
    return gap  # [N, L]


def _sequence_gap(gap: Tensor, mask: Tensor) -> Tensor:
    return masked_sum(gap, mask, dim=1).unsqueeze(1).expand_as(gap)  # [N, L]: log of the sequence ratio


# name -> (log-gap level, truncate (True) or mask (False)); "none" is handled by `importance_weights`
IS_CORRECTIONS: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], bool] | None] = {
    "none": None,
    "token_truncate": (_token_gap, True),
    "token_mask": (_token_gap, False),
    "sequence_truncate": (_sequence_gap, True),
    "sequence_mask": (_sequence_gap, False),
}


def importance_weights(
    trainer_logps: Tensor, sampling_logps: Tensor, mask: Tensor, correction: str, cap: float
) -> tuple[Tensor | None, dict[str, Tensor]]:
    """Truncated (or masked) importance weights pi_trainer / pi_sampler for the rollout's tokens.

    Args:
        trainer_logps: `[N, L]` log pi_theta_old under the trainer (detached; with mu = 1 the current
            policy's detached log-probs).
        sampling_logps: `[N, L]` log-probs the generator reported for the same tokens (NaN: unknown).
        mask: `[N, L]` tokens that count.
        correction: a key of `IS_CORRECTIONS`.
        cap: the upper bound C (> 0): truncate to it, or zero weights above it.

    Returns:
        `(weights [N, L] detached, or None for "none"; metrics)`: metrics "is_weight_mean/min/max" over
        masked tokens and "is_masked_frac" (tokens a mask mode zeroed).
    """
    if correction not in IS_CORRECTIONS:
        raise ValueError(f"unknown is_correction {correction!r}; choose from {sorted(IS_CORRECTIONS)}")
    rule = IS_CORRECTIONS[correction]
    if rule is None:
        return None, {}
    if cap <= 0:
        raise ValueError(f"is_cap must be > 0, got {cap}")
    level, truncate = rule
    mask = mask.bool()
    gap = (trainer_logps - sampling_logps).detach()  # [N, L]
    gap = torch.where(mask & ~gap.isnan(), gap, torch.zeros_like(gap))  # unknown / padding: no correction
    raw = level(gap, mask).clamp(max=_MAX_LOG_GAP).exp()  # [N, L]
    over = raw > cap  # [N, L]
    weights = raw.clamp(max=cap) if truncate else torch.where(over, torch.zeros_like(raw), raw)
    kept = weights[mask]
    metrics = {
        "is_weight_mean": masked_mean(weights, mask),
        "is_weight_min": kept.min() if kept.numel() else weights.new_zeros(()),
        "is_weight_max": kept.max() if kept.numel() else weights.new_zeros(()),
        "is_masked_frac": masked_mean(over.float(), mask) if not truncate else weights.new_zeros(()),
    }
    return weights, metrics
