"""GRPO's clipped surrogate loss with a KL penalty to a frozen reference, and its published variants.

Implements DeepSeek-R1 eq. 1-2 (= DeepSeekMath eq. 3 with outcome supervision) as a loss to minimise:

    L = -1/G sum_i 1/|o_i| sum_t [ min(rho_it A_i, clip(rho_it, 1 - eps_low, 1 + eps_high) A_i)
                                   - beta * D_KL,it ]
    rho_it = pi_theta(o_it | q, o_i,<t) / pi_theta_old(o_it | q, o_i,<t)

with `A_i` from `advantages.group_advantages` and `D_KL,it` the k3 estimator (`kl.kl_k3`). The paper
takes mu inner gradient steps on each batch with `pi_theta_old` fixed; pass its log-probs as
`old_logps`. With mu = 1, `pi_theta_old == pi_theta`, so `old_logps=None` uses `logps.detach()`
(ratio 1, gradient of the plain policy gradient) and no extra forward pass is needed.

Variants, each picked by name, never by an if-ladder:
- `loss_agg`, a key of `LOSS_AGGREGATIONS`, says how per-token losses become a scalar (and, by its
  `row_weighted` flag, how micro-batch losses combine into the batch's):
  "grpo"    1/G sum_i 1/|o_i| sum_t  (the paper: per-sequence mean, then mean over sequences);
  "bnpo"    sum_it / (#tokens in this batch);
  "dapo"    sum_it / num_tokens (DAPO eq. 8, token-level); `num_tokens` defaults to this batch's
            token count; pass the whole generation batch's count (per accumulation step) to keep the
            token mean exact under gradient accumulation. "token" is the same function;
  "dr_grpo" sum_it / (N * max_completion_length)  (Dr. GRPO's constant normaliser).
- `kl_estimator`, a key of `kl.KL_ESTIMATORS` ("k3" in the paper); `beta=0` drops the term.
- clip-higher (DAPO §3.1): `epsilon_high != epsilon_low`.
- an entropy bonus: `loss -= entropy_coef * token-mean entropy`.
- `ratio_level`, a key of `importance.LOG_RATIO_LEVELS`: "token" (the paper) or "sequence" (GSPO).
- `is_weights`: truncated importance weights for a sampler/trainer mismatch (`importance.importance_weights`),
  multiplying each token's surrogate (not the KL term), as TRL and verl do.
- masking rows: `build_loss_mask` removes truncated completions (DAPO §3.4, "overlong filtering")
  and completions whose reward is None.

Deliberate differences from the paper (the formula matches TRL 1.16's GRPOTrainer._compute_loss):
- "grpo" divides by all N rows, including rows whose mask is all zero (they contribute 0), as TRL.
- Masked positions are zeroed before any `exp`, so garbage log-probs at padding can never turn the
  loss or its gradient into NaN. An all-zero mask gives loss 0 with a (zero) gradient.
- The entropy bonus is a token mean whatever `loss_agg` is (as TRL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from r1lit.algos.importance import LOG_RATIO_LEVELS
from r1lit.algos.kl import KL_ESTIMATORS
from r1lit.algos.logprobs import masked_mean, masked_sum

__all__ = [
    "LOSS_AGGREGATIONS",
    "Aggregation",
    "build_loss_mask",
    "clip_fractions",
    "clipped_surrogate",
    "grpo_loss",
    "truncated_rows",
]


# ---- aggregations: (per_token [N, L], mask [N, L] bool, max_len, num_tokens) -> [] --------------------
def _agg_sequence_mean(
    x: Tensor, mask: Tensor, max_len: int | None, num_tokens: Tensor | float | None
) -> Tensor:
    per_seq = masked_sum(x, mask, dim=1) / mask.sum(dim=1).clamp(min=1)  # [N]
    return per_seq.sum() / max(x.shape[0], 1)


def _agg_local_tokens(
    x: Tensor, mask: Tensor, max_len: int | None, num_tokens: Tensor | float | None
) -> Tensor:
    return masked_sum(x, mask) / mask.sum().clamp(min=1)


def _agg_tokens(x: Tensor, mask: Tensor, max_len: int | None, num_tokens: Tensor | float | None) -> Tensor:
    denom = mask.sum() if num_tokens is None else torch.as_tensor(num_tokens, device=x.device)
    return masked_sum(x, mask) / denom.to(x.dtype).clamp(min=1.0)


def _agg_constant(x: Tensor, mask: Tensor, max_len: int | None, num_tokens: Tensor | float | None) -> Tensor:
    if max_len is None:
        raise ValueError(
            "loss_agg='dr_grpo' needs max_completion_length (the generation limit, not the padded L)"
        )
    return masked_sum(x, mask) / max(x.shape[0] * max_len, 1)


@dataclass(frozen=True)
class Aggregation:
    """A `loss_agg`: its per-token -> scalar function, and how the losses of micro-batches combine.

    `row_weighted`: the function normalises by its own micro-batch (its rows, or for "bnpo" its tokens),
    so a batch split into micro-batches weights each one's loss by its share of the rows (exactly the
    whole batch's loss for "grpo" and "dr_grpo"; "bnpo" is the row-weighted mean of micro-batch token
    means, as TRL computes it per local batch). Otherwise the function already divides by a count of the
    whole batch (`num_tokens`), and the micro-batch losses simply add up.
    """

    fn: Callable[[Tensor, Tensor, int | None, Tensor | float | None], Tensor]
    row_weighted: bool

    def micro_batch_weight(self, rows: int, total_rows: int) -> float:
        """The factor on the loss of a micro-batch of `rows` of the batch's `total_rows` (groups work too)."""
        return rows / total_rows if self.row_weighted else 1.0


LOSS_AGGREGATIONS: dict[str, Aggregation] = {
    "grpo": Aggregation(_agg_sequence_mean, row_weighted=True),
    "bnpo": Aggregation(_agg_local_tokens, row_weighted=True),
    "dapo": Aggregation(_agg_tokens, row_weighted=False),
    "token": Aggregation(_agg_tokens, row_weighted=False),
    "dr_grpo": Aggregation(_agg_constant, row_weighted=True),
}


# ---- masks ------------------------------------------------------------------------------------------
def truncated_rows(finish_reasons: Sequence[str], device: torch.device | str | None = None) -> Tensor:
    """True where a completion hit the length limit (`Completion.finish_reason == "length"`).  # [N]"""
    return torch.tensor([r == "length" for r in finish_reasons], dtype=torch.bool, device=device)


def build_loss_mask(
    completion_mask: Tensor, *, truncated: Tensor | None = None, reward_valid: Tensor | None = None
) -> Tensor:
    """Token mask for the loss: completion tokens of rows that are neither truncated nor unscored.

    Args:
        completion_mask: `[N, L]` 1 on completion tokens, 0 on padding.
        truncated: `[N]` bool, rows to drop (mask them only if the config asks for it).
        reward_valid: `[N]` bool, False where the reward was None (NaN).

    Returns:
        `[N, L]` bool.
    """
    keep = torch.ones(completion_mask.shape[0], dtype=torch.bool, device=completion_mask.device)  # [N]
    if truncated is not None:
        keep = keep & ~truncated.bool()
    if reward_valid is not None:
        keep = keep & reward_valid.bool()
    return completion_mask.bool() & keep.unsqueeze(1)  # [N, L]


# ---- the objective ----------------------------------------------------------------------------------
def clipped_surrogate(
    log_ratio: Tensor, advantages: Tensor, epsilon_low: float, epsilon_high: float
) -> tuple[Tensor, Tensor]:
    """PPO/GRPO clipped surrogate, negated to be minimised.

    Args:
        log_ratio: `[N, L]` log pi_theta - log pi_theta_old.
        advantages: `[N, 1]` (or `[N, L]`).
        epsilon_low: the ratio is clipped below at 1 - epsilon_low.
        epsilon_high: ... and above at 1 + epsilon_high.

    Returns:
        `(per_token_loss [N, L], ratio [N, L])` with
        `per_token_loss = -min(ratio * A, clip(ratio, 1 - eps_low, 1 + eps_high) * A)`.
    """
    ratio = log_ratio.exp()  # [N, L]
    clipped = ratio.clamp(1.0 - epsilon_low, 1.0 + epsilon_high)  # [N, L]
    return -torch.min(ratio * advantages, clipped * advantages), ratio


def clip_fractions(
    ratio: Tensor, advantages: Tensor, mask: Tensor, epsilon_low: float, epsilon_high: float
) -> dict[str, Tensor]:
    """Fraction of tokens whose gradient the clip removes (detached token means over `mask`).

    "low": ratio < 1 - eps_low with A < 0; "high": ratio > 1 + eps_high with A > 0; "region": either.
    """
    low = (ratio < 1.0 - epsilon_low) & (advantages < 0)  # [N, L]
    high = (ratio > 1.0 + epsilon_high) & (advantages > 0)  # [N, L]
    fractions = {"low": low, "high": high, "region": low | high}
    return {f"clip_frac_{k}": masked_mean(v.float(), mask).detach() for k, v in fractions.items()}


def grpo_loss(
    logps: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    epsilon_low: float,
    beta: float,
    loss_agg: str,
    epsilon_high: float | None = None,
    old_logps: Tensor | None = None,
    ref_logps: Tensor | None = None,
    kl_estimator: str = "k3",
    entropies: Tensor | None = None,
    entropy_coef: float = 0.0,
    max_completion_length: int | None = None,
    num_tokens: Tensor | float | None = None,
    ratio_level: str = "token",
    is_weights: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """GRPO loss for one (micro-)batch of completions.

    Args:
        logps: `[N, L]` log pi_theta of the sampled tokens (with grad), N = B*G.
        advantages: `[N]` (or `[N, L]`) from `group_advantages`.
        mask: `[N, L]` tokens that count (see `build_loss_mask`).
        epsilon_low: the ratio is clipped below at 1 - epsilon_low.
        beta: KL coefficient; 0 drops the KL term (then `ref_logps` may be None).
        loss_agg: a key of `LOSS_AGGREGATIONS`.
        epsilon_high: upper clip range; None means symmetric (= epsilon_low).
        old_logps: `[N, L]` log pi_theta_old; None (mu = 1) means `logps.detach()`.
        ref_logps: `[N, L]` log pi_ref; needed when beta != 0, logged as "kl" whenever given.
        kl_estimator: a key of `kl.KL_ESTIMATORS`.
        entropies: `[N, L]` per-token entropies; logged as "entropy" when given.
        entropy_coef: entropy bonus coefficient (needs `entropies` with grad).
        max_completion_length: the generation limit, for "dr_grpo".
        num_tokens: token-count normaliser for "dapo"/"token" (default: `mask.sum()`). When one
            generation batch is split into k micro-batches whose losses Lightning accumulates (and
            divides by k), pass `total_tokens_of_the_generation_batch / k` for an exact token mean.
        ratio_level: a key of `LOG_RATIO_LEVELS` ("sequence" = GSPO's length-normalised sequence ratio).
        is_weights: `[N, L]` detached importance weights on each token's surrogate (None: none).

    Returns:
        `(loss [], metrics)`; metrics are detached scalars: "policy_loss" (before the entropy bonus),
        "clip_frac_low", "clip_frac_high", "clip_frac_region", "ratio_mean", and "kl" / "entropy"
        when their inputs are given.
    """
    if loss_agg not in LOSS_AGGREGATIONS:
        raise ValueError(f"unknown loss_agg {loss_agg!r}; choose from {sorted(LOSS_AGGREGATIONS)}")
    if ratio_level not in LOG_RATIO_LEVELS:
        raise ValueError(f"unknown ratio_level {ratio_level!r}; choose from {sorted(LOG_RATIO_LEVELS)}")
    if kl_estimator not in KL_ESTIMATORS:
        raise ValueError(f"unknown kl_estimator {kl_estimator!r}; choose from {sorted(KL_ESTIMATORS)}")
    if beta != 0.0 and ref_logps is None:
        raise ValueError("beta != 0 needs ref_logps")
    if entropy_coef != 0.0 and (entropies is None or (logps.requires_grad and not entropies.requires_grad)):
        # a bonus on detached entropies would silently do nothing
        raise ValueError(
            "entropy_coef != 0 needs entropies with grad (logprobs_and_entropy(..., entropy_grad=True))"
        )
    epsilon_high = epsilon_low if epsilon_high is None else epsilon_high
    mask = mask.bool()  # [N, L]
    zeros = torch.zeros_like(logps)  # [N, L]
    old_logps = logps.detach() if old_logps is None else old_logps  # [N, L]
    adv = (advantages.unsqueeze(1) if advantages.dim() == 1 else advantages).to(logps.dtype)  # [N, 1]

    log_ratio = torch.where(mask, logps - old_logps, zeros)  # [N, L], 0 off-mask: no exp of garbage
    log_ratio = LOG_RATIO_LEVELS[ratio_level](log_ratio, mask)  # [N, L]
    per_token, ratio = clipped_surrogate(log_ratio, adv, epsilon_low, epsilon_high)  # [N, L], [N, L]
    if is_weights is not None:
        per_token = per_token * is_weights.detach()  # [N, L]
    metrics = clip_fractions(ratio, adv, mask, epsilon_low, epsilon_high)
    metrics["ratio_mean"] = masked_mean(ratio, mask).detach()

    if ref_logps is not None:
        kl = KL_ESTIMATORS[kl_estimator](torch.where(mask, logps, zeros), torch.where(mask, ref_logps, zeros))
        metrics["kl"] = masked_mean(kl, mask).detach()  # kl: [N, L], 0 off-mask
        if beta != 0.0:
            per_token = per_token + beta * kl  # [N, L]

    loss = LOSS_AGGREGATIONS[loss_agg].fn(per_token, mask, max_completion_length, num_tokens)  # []
    metrics["policy_loss"] = loss.detach()
    if entropies is not None:
        entropy = masked_mean(entropies, mask)  # []
        metrics["entropy"] = entropy.detach()
        if entropy_coef != 0.0:
            loss = loss - entropy_coef * entropy
    return loss, metrics
