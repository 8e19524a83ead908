"""Group-relative advantages for GRPO (outcome supervision).

Implements DeepSeekMath eq. 3 / DeepSeek-R1 eq. 3: for the G samples of one prompt with rewards
`r_1..r_G`, every token of sample i gets

    A_i = (r_i - mean(r_1..r_G)) / std(r_1..r_G)

The denominator is chosen by name from `REWARD_SCALES`:
- "group": the group's std, as in the paper;
- "batch": the std of all rewards in the batch (Hu et al. 2025, "REINFORCE++"-style; TRL's "batch");
- "none":  no scaling, `A_i = r_i - mean`, as in Dr. GRPO (Liu et al. 2025, §3.1), which argues the
  std division over-weights too-easy and too-hard prompts.

Deliberate differences from the paper's formula (all shared with TRL 1.16's GRPOTrainer):
- std is the Bessel-corrected sample std (the paper does not say which), and `eps` (1e-4 by default)
  is added to it so near-constant groups do not explode.
- Rewards may be NaN (a reward function returned None): such a sample is left out of its group's mean
  and std and gets advantage 0. The loss should also mask it out (`grpo_loss.build_loss_mask`).
- A group with fewer than two valid rewards, or whose valid rewards are all equal, gets advantage 0
  exactly (TRL returns 0 only up to rounding: `(r - mean) / (std + eps)` with a rounding-error mean).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from r1lit.algos.dynamic_sampling import as_groups, groups_with_signal

__all__ = ["REWARD_SCALES", "group_advantages", "nanstd", "rewards_to_tensor"]


def rewards_to_tensor(rewards: Sequence[float | None], device: torch.device | str | None = None) -> Tensor:
    """Reward-function output to a float32 tensor, `None` -> NaN.  # list[N] -> [N]"""
    return torch.tensor(
        [float("nan") if r is None else float(r) for r in rewards], dtype=torch.float32, device=device
    )


def nanstd(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Bessel-corrected std ignoring NaNs; NaN where fewer than two values are valid.

    Args:
        x: any shape.
        dim: reduce this dim; `None` reduces everything.
        keepdim: keep the reduced dim (ignored when `dim` is None).

    Returns:
        the std, with `dim` reduced.
    """
    if dim is None:
        x, dim, keepdim = x.reshape(-1), 0, False
    valid = ~torch.isnan(x)
    count = valid.sum(dim=dim, keepdim=True).to(x.dtype)
    mean = torch.nanmean(x, dim=dim, keepdim=True)
    sq_dev = torch.where(valid, (x - mean).pow(2), torch.zeros_like(x))
    var = sq_dev.sum(dim=dim, keepdim=True) / (count - 1.0)
    var = torch.where(count > 1, var, torch.full_like(var, float("nan")))
    std = var.sqrt()
    return std if keepdim else std.squeeze(dim)


# Each scaler maps (grouped rewards [B, G] with NaN, centred rewards [B, G], eps) to advantages [B, G].
def _scale_group(grouped: Tensor, centred: Tensor, eps: float) -> Tensor:
    return centred / (nanstd(grouped, dim=1, keepdim=True) + eps)  # [B, G] / [B, 1]


def _scale_batch(grouped: Tensor, centred: Tensor, eps: float) -> Tensor:
    return centred / (nanstd(grouped) + eps)  # [B, G] / []


def _scale_none(grouped: Tensor, centred: Tensor, eps: float) -> Tensor:
    return centred


REWARD_SCALES: dict[str, Callable[[Tensor, Tensor, float], Tensor]] = {
    "group": _scale_group,
    "batch": _scale_batch,
    "none": _scale_none,
}


def group_advantages(rewards: Tensor, group_size: int, scale: str = "group", eps: float = 1e-4) -> Tensor:
    """Group-relative advantages, one per sample.

    Args:
        rewards: `[B*G]` rewards, the G samples of a prompt contiguous; NaN = excluded.
        group_size: G.
        scale: a key of `REWARD_SCALES` ("group", "batch", "none").
        eps: added to the std before dividing.

    Returns:
        `[B*G]` float advantages; 0 for NaN rewards and for groups without signal. Never NaN.
    """
    if scale not in REWARD_SCALES:
        raise ValueError(f"unknown reward scale {scale!r}; choose from {sorted(REWARD_SCALES)}")
    grouped = as_groups(rewards.float(), group_size)  # [B, G]
    valid = ~torch.isnan(grouped)  # [B, G]
    has_signal = groups_with_signal(rewards, group_size)  # [B]
    mean = torch.nanmean(grouped, dim=1, keepdim=True)  # [B, 1] (NaN for an all-NaN group)
    advantages = REWARD_SCALES[scale](grouped, grouped - mean, eps)  # [B, G]
    keep = valid & has_signal.unsqueeze(1)  # [B, G]
    return torch.where(keep, advantages, torch.zeros_like(advantages)).reshape(-1)  # [B*G]
