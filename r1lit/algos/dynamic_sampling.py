"""Which GRPO groups carry a learning signal (DAPO's dynamic sampling).

With group-relative advantages (DeepSeekMath eq. 3, `A_i = (r_i - mean(r)) / std(r)`), a group whose
valid rewards are all equal (every sample right, or every sample wrong) has zero advantage everywhere
and contributes only the KL term. DAPO (Yu et al. 2025, §3.2 "Dynamic Sampling", eq. 10's constraint
`0 < |{o_i : is_equivalent(a, o_i)}| < G`) drops such groups and samples more prompts until the batch is
full. The functions here only decide; dropping and refilling is the caller's job.

Deliberate differences from DAPO:
- The test is "at least two valid rewards and not all equal" rather than "0 < #correct < G", so it
  also works for non-binary rewards. Rewards that are NaN (a reward function returned None) do not
  count as valid.
- Equality is exact (`max == min`): identical floats are identical, and any real spread is kept.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["as_groups", "expand_groups", "groups_with_signal", "rows_with_signal"]


def as_groups(rewards: Tensor, group_size: int) -> Tensor:
    """Reshape flat rewards grouped by prompt.  # [B*G] -> [B, G]"""
    if rewards.dim() != 1:
        raise ValueError(f"rewards must be flat [B*G], got shape {tuple(rewards.shape)}")
    if group_size < 1 or rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards cannot be split into groups of {group_size}")
    return rewards.view(-1, group_size)


def groups_with_signal(rewards: Tensor, group_size: int) -> Tensor:
    """True for each group whose valid (non-NaN) rewards are at least two and not all equal.

    Args:
        rewards: `[B*G]` rewards, the G samples of a prompt contiguous; NaN = excluded (reward None).
        group_size: G.

    Returns:
        `[B]` bool: keep this group.
    """
    grouped = as_groups(rewards, group_size)  # [B, G]
    valid = ~torch.isnan(grouped)  # [B, G]
    inf = torch.full_like(grouped, float("inf"))
    hi = torch.where(valid, grouped, -inf).amax(dim=1)  # [B]
    lo = torch.where(valid, grouped, inf).amin(dim=1)  # [B]
    return (valid.sum(dim=1) >= 2) & (hi > lo)  # [B]


def expand_groups(group_mask: Tensor, group_size: int) -> Tensor:
    """Repeat a per-group value for each of its G samples.  # [B] -> [B*G]"""
    return group_mask.repeat_interleave(group_size, dim=0)


def rows_with_signal(rewards: Tensor, group_size: int) -> Tensor:
    """Row indices (into the flat `[B*G]` batch) of the groups to keep, in order.  # [B*G] -> [K*G] long"""
    keep = expand_groups(groups_with_signal(rewards, group_size), group_size)  # [B*G]
    return keep.nonzero(as_tuple=True)[0]
