"""Per-token estimators of KL(pi_theta || pi_ref) from sampled-token log-probabilities.

GRPO (DeepSeekMath eq. 4 / DeepSeek-R1 eq. 2) penalises `beta * D_KL(pi_theta || pi_ref)` estimated per
token on samples `o_t ~ pi_theta_old` with Schulman's unbiased, always-positive "k3" estimator:

    D_KL ~= pi_ref / pi_theta - log(pi_ref / pi_theta) - 1
          = exp(ref - logp) - (ref - logp) - 1

The other two estimators of http://joschu.net/blog/kl-approx.html are here for ablations:
`k1 = logp - ref` (unbiased, can be negative) and `k2 = (logp - ref)^2 / 2` (biased, low variance).
Pick one by name from `KL_ESTIMATORS`.

Deliberate difference from the paper: none in the formula. The samples come from pi_theta_old, not
pi_theta, so for mu > 1 the estimate is slightly off-policy, exactly as in the paper and TRL.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

__all__ = ["KL_ESTIMATORS", "kl_k1", "kl_k2", "kl_k3"]


def kl_k1(logps: Tensor, ref_logps: Tensor) -> Tensor:
    """k1 = log pi_theta - log pi_ref.  # [N, L], [N, L] -> [N, L]"""
    return logps - ref_logps


def kl_k2(logps: Tensor, ref_logps: Tensor) -> Tensor:
    """k2 = (log pi_theta - log pi_ref)^2 / 2.  # [N, L], [N, L] -> [N, L]"""
    return 0.5 * (logps - ref_logps).pow(2)


def kl_k3(logps: Tensor, ref_logps: Tensor) -> Tensor:
    """k3 = exp(ref - logp) - (ref - logp) - 1, the paper's estimator (>= 0).  # [N, L], [N, L] -> [N, L]"""
    log_ratio = ref_logps - logps  # [N, L] log(pi_ref / pi_theta)
    return log_ratio.exp() - log_ratio - 1.0


KL_ESTIMATORS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "k1": kl_k1,
    "k2": kl_k2,
    "k3": kl_k3,
}
