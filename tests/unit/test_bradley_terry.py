"""Bradley-Terry loss and pair accuracy against hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.algos.bradley_terry import bradley_terry_loss, pair_accuracy


def test_loss_matches_hand_computed_values() -> None:
    chosen = torch.tensor([2.0, 0.0, -1.0])
    rejected = torch.tensor([1.0, 0.0, 1.0])
    # differences 1, 0, -2: -log sigma(d) = log(1 + e^-d)
    expected = (math.log(1 + math.exp(-1)) + math.log(2) + math.log(1 + math.exp(2))) / 3
    assert bradley_terry_loss(chosen, rejected).item() == pytest.approx(expected, rel=1e-6)
    # the margin shifts every difference: d - 1 = 0, -1, -3
    with_margin = (math.log(2) + math.log(1 + math.e) + math.log(1 + math.exp(3))) / 3
    assert bradley_terry_loss(chosen, rejected, margin=1.0).item() == pytest.approx(with_margin, rel=1e-6)


def test_loss_is_finite_and_its_gradient_is_sigma_of_minus_d() -> None:
    chosen = torch.tensor([-200.0, 200.0], requires_grad=True)
    rejected = torch.tensor([200.0, -200.0])
    loss = bradley_terry_loss(chosen, rejected)
    assert loss.item() == pytest.approx(400.0 / 2, rel=1e-6)  # log(1 + e^400) ~ 400, no inf
    loss.backward()
    # d loss / d r_w = -sigma(-d) / P: -1/2 for the badly ranked pair, ~0 for the well ranked one
    assert chosen.grad.tolist() == pytest.approx([-0.5, 0.0], abs=1e-6)


def test_pair_accuracy_counts_ties_as_half() -> None:
    chosen = torch.tensor([1.0, 0.5, 0.0, 3.0])
    rejected = torch.tensor([0.0, 0.5, 1.0, 2.0])
    assert pair_accuracy(chosen, rejected).item() == pytest.approx((1 + 0.5 + 0 + 1) / 4)


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="same shape"):
        bradley_terry_loss(torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="1-D"):
        pair_accuracy(torch.zeros(2, 2), torch.zeros(2, 2))
