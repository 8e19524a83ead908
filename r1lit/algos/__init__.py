"""Pure tensor math for GRPO and distillation (torch only: no Lightning, no transformers).

- `advantages`: group-relative advantages (DeepSeekMath eq. 3) with group / batch / no scaling.
- `grpo_loss`: the clipped surrogate + KL objective (DeepSeek-R1 eq. 1) and its aggregation variants.
- `importance`: GSPO's sequence-level ratio and truncated importance sampling (sampler vs trainer).
- `kl`: per-token KL estimators (k1, k2, k3).
- `logprobs`: memory-lean token log-probs and entropies from logits, masked means.
- `dynamic_sampling`: which groups carry signal (DAPO dynamic sampling).
- `kd`: token-level distillation divergences (forward / reverse KL, generalized JSD) and the CE mix.
"""

from r1lit.algos.advantages import REWARD_SCALES, group_advantages, nanstd, rewards_to_tensor
from r1lit.algos.dynamic_sampling import as_groups, expand_groups, groups_with_signal, rows_with_signal
from r1lit.algos.grpo_loss import (
    LOSS_AGGREGATIONS,
    Aggregation,
    build_loss_mask,
    clip_fractions,
    clipped_surrogate,
    grpo_loss,
    truncated_rows,
)
from r1lit.algos.importance import IS_CORRECTIONS, LOG_RATIO_LEVELS, importance_weights, sequence_log_ratio
from r1lit.algos.kd import KD_DIVERGENCES, forward_kl, generalized_jsd, kd_divergence, kd_loss, reverse_kl
from r1lit.algos.kl import KL_ESTIMATORS, kl_k1, kl_k2, kl_k3
from r1lit.algos.logprobs import (
    entropy_from_logits,
    logprobs_and_entropy,
    masked_mean,
    masked_sum,
    selective_log_softmax,
)

__all__ = [
    "IS_CORRECTIONS",
    "KD_DIVERGENCES",
    "KL_ESTIMATORS",
    "LOG_RATIO_LEVELS",
    "LOSS_AGGREGATIONS",
    "REWARD_SCALES",
    "Aggregation",
    "as_groups",
    "build_loss_mask",
    "clip_fractions",
    "clipped_surrogate",
    "entropy_from_logits",
    "expand_groups",
    "forward_kl",
    "generalized_jsd",
    "group_advantages",
    "importance_weights",
    "groups_with_signal",
    "grpo_loss",
    "kd_divergence",
    "kd_loss",
    "kl_k1",
    "kl_k2",
    "kl_k3",
    "logprobs_and_entropy",
    "masked_mean",
    "masked_sum",
    "nanstd",
    "reverse_kl",
    "rewards_to_tensor",
    "rows_with_signal",
    "selective_log_softmax",
    "sequence_log_ratio",
    "truncated_rows",
]
