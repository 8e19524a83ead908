"""GSPO's sequence-level ratio (`ratio_level="sequence"`) against numbers computed by hand.

Two completions, eps = 0.2, `loss_agg="grpo"`:
row 0 (A = +1): log-ratios [0.5, 0.1] -> s_0 = exp(0.3) = 1.3499 > 1.2, clipped: term -1.2, no gradient;
row 1 (A = -1): log-ratios [-0.1, 0, 0.2] -> s_1 = exp(1/30) = 1.0339, inside the clip: term +s_1,
gradient (1/2) * s_1 / 3 on each of its three tokens. The token-level ratio gives another loss.
"""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.algos import grpo_loss, sequence_log_ratio

PAD = -50.0  # garbage on padding: must never matter


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    logps = torch.tensor([[-1.0, -2.0, PAD], [-1.0, -1.0, -1.0]], requires_grad=True)
    old = torch.tensor([[-1.5, -2.1, 7.0], [-0.9, -1.0, -1.2]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    return logps, old, mask, torch.tensor([1.0, -1.0])


def _loss(level: str) -> tuple[torch.Tensor, torch.Tensor, dict]:
    logps, old, mask, adv = _batch()
    loss, metrics = grpo_loss(
        logps, adv, mask, epsilon_low=0.2, beta=0.0, loss_agg="grpo", old_logps=old, ratio_level=level
    )
    loss.backward()
    return loss, logps.grad, metrics


def test_sequence_ratio_matches_hand_computation() -> None:
    loss, grad, metrics = _loss("sequence")
    s1 = math.exp(1 / 30)
    assert loss.item() == pytest.approx((-1.2 + s1) / 2, abs=1e-6)
    expected = torch.tensor([[0.0, 0.0, 0.0], [s1 / 6, s1 / 6, s1 / 6]])
    torch.testing.assert_close(grad, expected, atol=1e-6, rtol=1e-6)
    # every token of row 0 is clipped (A > 0, ratio > 1.2), no token of row 1
    assert metrics["clip_frac_high"].item() == pytest.approx(2 / 5)


def test_token_ratio_differs_and_matches_hand_computation() -> None:
    loss, _, _ = _loss("token")
    row0 = -(1.2 + math.exp(0.1)) / 2
    row1 = (math.exp(-0.1) + 1.0 + math.exp(0.2)) / 3  # A < 0: -min(-r, -clip(r)) = max(r, clip(r))
    assert loss.item() == pytest.approx((row0 + row1) / 2, abs=1e-6)
    assert loss.item() != pytest.approx(_loss("sequence")[0].item(), abs=1e-3)


def test_sequence_log_ratio_is_the_masked_mean_on_every_position() -> None:
    log_ratio = torch.tensor([[0.5, 0.1, 9.0], [0.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]], dtype=torch.bool)
    out = sequence_log_ratio(log_ratio, mask)
    torch.testing.assert_close(out, torch.tensor([[0.3, 0.3, 0.3], [0.0, 0.0, 0.0]]))


def test_unknown_ratio_level_is_rejected() -> None:
    logps, old, mask, adv = _batch()
    with pytest.raises(ValueError, match="ratio_level"):
        grpo_loss(logps, adv, mask, epsilon_low=0.2, beta=0.0, loss_agg="grpo", ratio_level="seq")
