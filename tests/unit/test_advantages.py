"""Group-relative advantages and dynamic-sampling group selection, against hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.algos.advantages import REWARD_SCALES, group_advantages, nanstd, rewards_to_tensor
from r1lit.algos.dynamic_sampling import expand_groups, groups_with_signal, rows_with_signal

NAN = float("nan")


def t(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float32)


def test_group_scale_hand_computed() -> None:
    # group [1, 0, 0, 1]: mean 0.5, sample std sqrt((4 * 0.25) / 3) = sqrt(1/3) -> A = +-0.5 * sqrt(3) = +-0.8660254
    # group [2, 0]:       mean 1,   sample std sqrt((1 + 1) / 1) = sqrt(2)   -> A = +-1/sqrt(2)
    a = group_advantages(t(1, 0, 0, 1), group_size=4, scale="group", eps=0.0)
    torch.testing.assert_close(a, t(1, -1, -1, 1) * math.sqrt(3) / 2)
    b = group_advantages(t(2, 0), group_size=2, scale="group", eps=0.0)
    torch.testing.assert_close(b, t(1, -1) / math.sqrt(2))
    # eps is added to the std: 0.5 / (sqrt(1/3) + 1e-4)
    c = group_advantages(t(1, 0, 0, 1), group_size=4, scale="group", eps=1e-4)
    torch.testing.assert_close(c[0], torch.tensor(0.5 / (math.sqrt(1 / 3) + 1e-4)))


def test_batch_scale_hand_computed() -> None:
    # rewards [1, 0 | 3, 3]; centred by group mean: [0.5, -0.5, 0, 0]
    # batch std of [1, 0, 3, 3]: mean 1.75, squared deviations .5625 + 3.0625 + 1.5625 + 1.5625 = 6.75, /3 = 2.25 -> 1.5
    a = group_advantages(t(1, 0, 3, 3), group_size=2, scale="batch", eps=0.0)
    torch.testing.assert_close(a, t(1 / 3, -1 / 3, 0, 0))


def test_no_scale_is_dr_grpo_centring() -> None:
    # [1, 0, 0, 0]: mean 0.25 -> [0.75, -0.25, -0.25, -0.25], no division
    a = group_advantages(t(1, 0, 0, 0), group_size=4, scale="none")
    torch.testing.assert_close(a, t(0.75, -0.25, -0.25, -0.25))


@pytest.mark.parametrize("scale", sorted(REWARD_SCALES))
@pytest.mark.parametrize("eps", [0.0, 1e-4])
def test_zero_variance_groups_give_exact_zero(scale: str, eps: float) -> None:
    # 0.3 is not exactly representable, so mean(0.3, 0.3, 0.3) - 0.3 may be a rounding error, not 0
    r = t(1, 1, 1, 0.3, 0.3, 0.3, 0, 1, 0)
    a = group_advantages(r, group_size=3, scale=scale, eps=eps)
    assert torch.isfinite(a).all()
    assert torch.equal(a[:6], torch.zeros(6))
    assert (a[6:] != 0).all()


def test_none_rewards_are_left_out_of_the_group() -> None:
    # [1, None, 0, 0]: valid [1, 0, 0], mean 1/3, sample std sqrt((4/9 + 1/9 + 1/9) / 2) = sqrt(1/3)
    # A = (2/3) / sqrt(1/3) = 1.1547005, (-1/3) / sqrt(1/3) = -0.5773503; the None sample gets 0
    r = rewards_to_tensor([1.0, None, 0.0, 0.0])
    assert torch.isnan(r[1]) and r.dtype == torch.float32
    a = group_advantages(r, group_size=4, scale="group", eps=0.0)
    s3 = math.sqrt(3)
    torch.testing.assert_close(a, t(2 / s3, 0, -1 / s3, -1 / s3))


@pytest.mark.parametrize("scale", sorted(REWARD_SCALES))
def test_groups_with_fewer_than_two_valid_rewards_get_zero(scale: str) -> None:
    r = rewards_to_tensor([None, 1.0, None, None, None, None, None, None, 1.0, 0.0, 0.0, 1.0])
    a = group_advantages(r, group_size=4, scale=scale)
    assert torch.isfinite(a).all()
    assert torch.equal(a[:8], torch.zeros(8))
    assert (a[8:] != 0).all()


def test_nanstd_matches_torch_std_and_ignores_nan() -> None:
    x = torch.randn(5, 7, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(nanstd(x, dim=1), x.std(dim=1))
    torch.testing.assert_close(nanstd(x), x.std())
    y = torch.cat([x, torch.full((5, 1), NAN)], dim=1)
    torch.testing.assert_close(nanstd(y, dim=1, keepdim=True), x.std(dim=1, keepdim=True))
    assert torch.isnan(nanstd(t(1.0, NAN)))  # one valid value: undefined


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="unknown reward scale"):
        group_advantages(t(1, 0), 2, scale="rank")
    with pytest.raises(ValueError, match="groups of 3"):
        group_advantages(t(1, 0), 3)


def test_dynamic_sampling_keeps_groups_with_spread() -> None:
    # groups of 2: [0,0] no | [0,1] yes | [1,1] no | [nan,1] no (one valid) | [nan,nan] no | [.5,.25] yes
    r = t(0, 0, 0, 1, 1, 1, NAN, 1, NAN, NAN, 0.5, 0.25)
    keep = groups_with_signal(r, group_size=2)
    assert keep.tolist() == [False, True, False, False, False, True]
    assert expand_groups(keep, 2).tolist() == [False, False, True, True] + [False] * 6 + [True, True]
    assert rows_with_signal(r, group_size=2).tolist() == [2, 3, 10, 11]
    assert groups_with_signal(t(1, NAN, 0), group_size=3).tolist() == [True]  # two valid, different
