"""Truncated importance sampling between the sampler's and the trainer's log-probs, by hand.

Row 0 gaps (trainer - sampler) [0.5, -1.0, unknown]; row 1 gaps [0.4, 0.6] and a padding position
whose huge gap must not count. cap = 1.5.
"""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.algos import grpo_loss, importance_weights

NAN = float("nan")
TRAINER = torch.tensor([[-1.0, -2.0, -0.5], [-1.0, -1.0, 0.0]])
SAMPLER = torch.tensor([[-1.5, -1.0, NAN], [-1.4, -1.6, -100.0]])
MASK = torch.tensor([[1, 1, 1], [1, 1, 0]], dtype=torch.bool)
E = math.exp


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("token_truncate", [[1.5, E(-1.0), 1.0], [E(0.4), 1.5]]),
        ("token_mask", [[0.0, E(-1.0), 1.0], [E(0.4), 0.0]]),
        ("sequence_truncate", [[E(-0.5)] * 3, [1.5, 1.5]]),  # row 1: exp(1.0) = 2.72 > cap
        ("sequence_mask", [[E(-0.5)] * 3, [0.0, 0.0]]),
    ],
)
def test_weights_match_hand_computation(mode: str, expected: list[list[float]]) -> None:
    weights, metrics = importance_weights(TRAINER, SAMPLER, MASK, mode, cap=1.5)
    got = [weights[0].tolist(), weights[1, :2].tolist()]
    for row, want in zip(got, expected, strict=True):
        assert row == pytest.approx(want, abs=1e-6)
    assert not weights.isnan().any()
    flat = [w for row in expected for w in row]
    assert metrics["is_weight_mean"].item() == pytest.approx(sum(flat) / 5, abs=1e-6)
    assert metrics["is_weight_max"].item() == pytest.approx(max(flat), abs=1e-6)
    masked = {"token_mask": 2 / 5, "sequence_mask": 2 / 5}.get(mode, 0.0)
    assert metrics["is_masked_frac"].item() == pytest.approx(masked)


def test_none_gives_no_weights_and_bad_names_fail() -> None:
    assert importance_weights(TRAINER, SAMPLER, MASK, "none", cap=1.5) == (None, {})
    with pytest.raises(ValueError, match="is_correction"):
        importance_weights(TRAINER, SAMPLER, MASK, "token", cap=1.5)


def test_weights_scale_the_surrogate_but_not_the_kl() -> None:
    # ratio 1 and A = 1: surrogate -1 per token; k3 KL [exp(0.1) - 1.1, 0]; beta = 0.5
    logps = torch.tensor([[-1.0, -2.0]], requires_grad=True)
    ref = torch.tensor([[-0.9, -2.0]])
    weights = torch.tensor([[0.5, 2.0]])
    loss, _ = grpo_loss(
        logps, torch.tensor([1.0]), torch.ones(1, 2, dtype=torch.bool), epsilon_low=0.2, beta=0.5,
        loss_agg="grpo", ref_logps=ref, is_weights=weights,
    )  # fmt: skip
    kl0 = E(0.1) - 1.1
    assert loss.item() == pytest.approx((-0.5 + 0.5 * kl0 - 2.0) / 2, abs=1e-6)
