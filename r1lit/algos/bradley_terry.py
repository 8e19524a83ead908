"""Bradley-Terry pairwise loss for reward models, and the held-out pair accuracy it is judged by.

The reward model of DeepSeek-R1's "RL for all scenarios" stage (§2.3.4, following DeepSeek-V3) scores
a (prompt, response) pair with one scalar r. Under the Bradley-Terry model the probability that the
preferred response y_w beats the rejected y_l is sigma(r_w - r_l); training maximises its log-likelihood
over preference pairs (InstructGPT eq. 1):

    loss = -mean_i log sigma(r_w[i] - r_l[i] - margin)

`log sigma` is computed as `-softplus(-x)`, which is finite for any x (a naive `log(sigmoid(x))`
gives -inf once sigmoid underflows). `margin` (Llama-2's margin term) is 0 by default.

Pair accuracy is the share of pairs the model ranks the right way, r_w > r_l; a tie counts one half
(a constant model scores 0.5, chance, rather than 0 or 1).

Deliberate difference from the paper: none known; the paper does not publish its RM loss, and this is
the standard pairwise objective.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["bradley_terry_loss", "pair_accuracy"]


def _check(chosen: Tensor, rejected: Tensor) -> None:
    if chosen.shape != rejected.shape or chosen.dim() != 1:
        raise ValueError(
            f"chosen and rejected must be 1-D and the same shape, got {tuple(chosen.shape)} and "
            f"{tuple(rejected.shape)}"
        )


def bradley_terry_loss(chosen: Tensor, rejected: Tensor, margin: float = 0.0) -> Tensor:
    """Mean negative log-likelihood that each preferred response wins.  # [P], [P] -> []

    Args:
        chosen: reward of the preferred response of each pair.
        rejected: reward of the rejected response of each pair.
        margin: how far r_w must exceed r_l before the loss stops pushing (0: plain Bradley-Terry).

    Returns:
        The scalar loss, `-mean(log sigmoid(chosen - rejected - margin))`.
    """
    _check(chosen, rejected)
    return F.softplus(-(chosen - rejected - margin)).mean()  # -log sigma(x) = softplus(-x)


def pair_accuracy(chosen: Tensor, rejected: Tensor) -> Tensor:
    """Share of pairs ranked the right way (r_w > r_l), ties counting 1/2.  # [P], [P] -> []"""
    _check(chosen, rejected)
    wins = (chosen > rejected).float() + 0.5 * (chosen == rejected).float()  # [P]
    return wins.mean() if wins.numel() else torch.tensor(float("nan"))
