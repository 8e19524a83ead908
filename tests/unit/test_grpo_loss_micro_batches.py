"""Each loss aggregation says how micro-batch losses combine (`Aggregation.row_weighted`): weighted that way,
a batch split into micro-batches gives the whole batch's loss and gradient."""

from __future__ import annotations

import pytest
import torch

from r1lit.algos.grpo_loss import LOSS_AGGREGATIONS, grpo_loss

# Rows of different lengths, so a token mean and a row mean differ and a wrong weighting shows.
MASK = torch.tensor(
    [[1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]]
).bool()
ADV = torch.tensor([1.0, -2.0, 0.5, -0.5, 3.0, -1.0])
SPLITS = [(0, 2), (2, 3), (3, 6)]  # uneven micro-batches of rows [start, stop)
KW = {"epsilon_low": 0.2, "beta": 0.0, "max_completion_length": 4}


def _logps() -> torch.Tensor:
    torch.manual_seed(0)
    return (-torch.rand(6, 4) * 3).requires_grad_(True)  # [N, L]


def _old() -> torch.Tensor:
    torch.manual_seed(1)
    return -torch.rand(6, 4) * 3  # [N, L] ratios != 1: the clip and the weighting both matter


def test_which_aggregations_weight_rows() -> None:
    flags = {name: agg.row_weighted for name, agg in LOSS_AGGREGATIONS.items()}
    assert flags == {"grpo": True, "bnpo": True, "dr_grpo": True, "dapo": False, "token": False}
    assert LOSS_AGGREGATIONS["grpo"].micro_batch_weight(2, 8) == 0.25
    assert LOSS_AGGREGATIONS["dapo"].micro_batch_weight(2, 8) == 1.0


@pytest.mark.parametrize("loss_agg", ["grpo", "dr_grpo", "dapo", "token"])
def test_weighted_micro_batches_equal_the_whole_batch(loss_agg: str) -> None:
    whole_logps, old = _logps(), _old()
    num_tokens = MASK.sum()  # the whole batch's count: what GRPOModule passes every micro-batch
    whole, _ = grpo_loss(
        whole_logps, ADV, MASK, loss_agg=loss_agg, old_logps=old, num_tokens=num_tokens, **KW
    )
    whole.backward()

    split_logps, agg, total = _logps(), LOSS_AGGREGATIONS[loss_agg], 0.0
    for a, b in SPLITS:
        loss, _ = grpo_loss(
            split_logps[a:b],
            ADV[a:b],
            MASK[a:b],
            loss_agg=loss_agg,
            old_logps=old[a:b],
            num_tokens=num_tokens,
            **KW,
        )
        weighted = loss * agg.micro_batch_weight(b - a, len(ADV))
        weighted.backward()
        total += float(weighted)
    assert total == pytest.approx(float(whole), abs=1e-6)
    torch.testing.assert_close(split_logps.grad, whole_logps.grad)


def test_bnpo_is_the_row_weighted_mean_of_micro_batch_token_means() -> None:
    logps, agg = _logps(), LOSS_AGGREGATIONS["bnpo"]
    total = 0.0
    for a, b in SPLITS:
        loss, _ = grpo_loss(logps[a:b], ADV[a:b], MASK[a:b], loss_agg="bnpo", old_logps=_old()[a:b], **KW)
        token_mean, _ = grpo_loss(
            logps[a:b], ADV[a:b], MASK[a:b], loss_agg="dapo", old_logps=_old()[a:b], **KW
        )
        assert float(loss) == pytest.approx(float(token_mean))  # its own tokens, not the batch's
        total += float(loss) * agg.micro_batch_weight(b - a, len(ADV))
    whole, _ = grpo_loss(logps, ADV, MASK, loss_agg="bnpo", old_logps=_old(), **KW)
    assert total != pytest.approx(float(whole))  # by design not the whole batch's token mean
