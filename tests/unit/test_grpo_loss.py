"""GRPO loss, KL estimators and token log-probs, against hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from r1lit.algos.grpo_loss import LOSS_AGGREGATIONS, build_loss_mask, grpo_loss, truncated_rows
from r1lit.algos.kl import KL_ESTIMATORS, kl_k1, kl_k2, kl_k3
from r1lit.algos.logprobs import entropy_from_logits, logprobs_and_entropy, masked_mean, selective_log_softmax

LN = math.log


def leaf(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32, requires_grad=True)


# ---- aggregation variants on the plain policy gradient (mu = 1: old = current, ratio = 1) ----------------
# mask [[1, 1], [1, 0]], A = [2, -1]: per-token loss -A * ratio = [[-2, -2], [1, (masked)]]
MASK = torch.tensor([[1, 1], [1, 0]], dtype=torch.bool)
ADV = torch.tensor([2.0, -1.0])
AGG_CASES = {
    # name: (loss, d loss / d logps, extra kwargs)
    # grpo: mean over rows of row means: ((-2 - 2) / 2 + 1 / 1) / 2 = -0.5; token weights 1/(2*2), 1/(2*1)
    "grpo": (-0.5, [[-0.5, -0.5], [0.5, 0.0]], {}),
    # bnpo / dapo: (-2 - 2 + 1) / 3 tokens = -1
    "bnpo": (-1.0, [[-2 / 3, -2 / 3], [1 / 3, 0.0]], {}),
    "dapo": (-1.0, [[-2 / 3, -2 / 3], [1 / 3, 0.0]], {}),
    "token": (-0.5, [[-1 / 3, -1 / 3], [1 / 6, 0.0]], {"num_tokens": 6}),  # -3 / 6 with a given normaliser
    # dr_grpo: -3 / (2 rows * max_completion_length 4) = -0.375
    "dr_grpo": (-0.375, [[-0.25, -0.25], [0.125, 0.0]], {"max_completion_length": 4}),
}


def test_every_aggregation_has_a_hand_computed_case() -> None:
    assert set(AGG_CASES) == set(LOSS_AGGREGATIONS)


@pytest.mark.parametrize("loss_agg", sorted(AGG_CASES))
def test_aggregations_hand_computed(loss_agg: str) -> None:
    expected_loss, expected_grad, kwargs = AGG_CASES[loss_agg]
    logps = leaf([[-0.3, -1.2], [-0.7, -5.0]])
    loss, metrics = grpo_loss(logps, ADV, MASK, epsilon_low=0.2, beta=0.0, loss_agg=loss_agg, **kwargs)
    loss.backward()
    torch.testing.assert_close(loss, torch.tensor(expected_loss))
    torch.testing.assert_close(logps.grad, torch.tensor(expected_grad))  # d ratio / d logp = ratio = 1
    torch.testing.assert_close(metrics["ratio_mean"], torch.tensor(1.0))
    assert metrics["clip_frac_region"] == 0


def test_dr_grpo_needs_the_generation_limit() -> None:
    with pytest.raises(ValueError, match="max_completion_length"):
        grpo_loss(leaf([[0.0]]), ADV[:1], MASK[:1, :1], epsilon_low=0.2, beta=0.0, loss_agg="dr_grpo")


# ---- clipping (mu > 1: old log-probs given) -----------------------------------------------------------
def test_clipped_surrogate_hand_computed() -> None:
    # one token per row, pi_old = 1 (log 0), eps = 0.2 -> clip range [0.8, 1.2]
    # row: ratio, A  -> min(ratio*A, clip*A)          -> loss   d/dlogp (grad through ratio only if unclipped)
    # 0:   1.5, +1  -> min(1.5, 1.2) = 1.2 (clipped)   -> -1.2   0
    # 1:   0.5, -1  -> min(-0.5, -0.8) = -0.8 (clipped) -> 0.8   0
    # 2:   0.5, +1  -> min(0.5, 0.8) = 0.5             -> -0.5   -A*ratio = -0.5
    # 3:   1.5, -1  -> min(-1.5, -1.2) = -1.5          -> 1.5    -A*ratio = 1.5
    # grpo: mean = (-1.2 + 0.8 - 0.5 + 1.5) / 4 = 0.15; grads / 4
    logps = leaf([[LN(1.5)], [LN(0.5)], [LN(0.5)], [LN(1.5)]])
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])
    mask = torch.ones(4, 1, dtype=torch.bool)
    loss, m = grpo_loss(
        logps, adv, mask, old_logps=torch.zeros(4, 1), epsilon_low=0.2, beta=0.0, loss_agg="grpo"
    )
    loss.backward()
    torch.testing.assert_close(loss, torch.tensor(0.15))
    torch.testing.assert_close(logps.grad, torch.tensor([[0.0], [0.0], [-0.125], [0.375]]))
    torch.testing.assert_close(m["clip_frac_low"], torch.tensor(0.25))  # row 1
    torch.testing.assert_close(m["clip_frac_high"], torch.tensor(0.25))  # row 0
    torch.testing.assert_close(m["clip_frac_region"], torch.tensor(0.5))
    torch.testing.assert_close(m["ratio_mean"], torch.tensor(1.0))  # (1.5 + 0.5 + 0.5 + 1.5) / 4


def test_clip_higher() -> None:
    # ratio 1.25, A = +1: symmetric eps 0.2 clips to 1.2; DAPO's eps_high = 0.28 keeps 1.25
    logps, old, adv, mask = torch.tensor([[LN(1.25)]]), torch.zeros(1, 1), torch.ones(1), torch.ones(1, 1)
    sym, m_sym = grpo_loss(logps, adv, mask, old_logps=old, epsilon_low=0.2, beta=0.0, loss_agg="grpo")
    hi, m_hi = grpo_loss(
        logps, adv, mask, old_logps=old, epsilon_low=0.2, epsilon_high=0.28, beta=0.0, loss_agg="grpo"
    )
    torch.testing.assert_close(sym, torch.tensor(-1.2))
    torch.testing.assert_close(hi, torch.tensor(-1.25))
    assert m_sym["clip_frac_high"] == 1 and m_hi["clip_frac_high"] == 0


# ---- KL ---------------------------------------------------------------------------------------------
def test_kl_estimators_hand_computed() -> None:
    # pi = 0.5, pi_ref = 0.25: ref - logp = ln 0.5
    # k3 = 0.5 - ln 0.5 - 1 = 0.1931472; k1 = ln 2 = 0.6931472; k2 = (ln 2)^2 / 2 = 0.2402265
    logp, ref = torch.tensor([LN(0.5)]), torch.tensor([LN(0.25)])
    torch.testing.assert_close(kl_k3(logp, ref), torch.tensor([0.5 - LN(0.5) - 1]))
    torch.testing.assert_close(kl_k1(logp, ref), torch.tensor([LN(2)]))
    torch.testing.assert_close(kl_k2(logp, ref), torch.tensor([LN(2) ** 2 / 2]))
    assert kl_k3(logp, logp).item() == 0.0 and set(KL_ESTIMATORS) == {"k1", "k2", "k3"}


def test_kl_penalty_in_the_loss() -> None:
    # A = 0, so the loss is beta * k3 = 0.1 * 0.1931472; d k3 / d logp = 1 - exp(ref - logp) = 0.5 -> grad 0.05
    logps = leaf([[LN(0.5)]])
    loss, m = grpo_loss(
        logps,
        torch.zeros(1),
        torch.ones(1, 1),
        ref_logps=torch.tensor([[LN(0.25)]]),
        epsilon_low=0.2,
        beta=0.1,
        loss_agg="grpo",
    )
    loss.backward()
    torch.testing.assert_close(loss, torch.tensor(0.1 * (0.5 - LN(0.5) - 1)))
    torch.testing.assert_close(m["kl"], torch.tensor(0.5 - LN(0.5) - 1))
    torch.testing.assert_close(logps.grad, torch.tensor([[0.05]]))
    with pytest.raises(ValueError, match="ref_logps"):
        grpo_loss(logps, torch.zeros(1), torch.ones(1, 1), epsilon_low=0.2, beta=0.1, loss_agg="grpo")


def test_entropy_bonus() -> None:
    # token-mean entropy over MASK: (1 + 2 + 3) / 3 = 2 (the masked 100 is ignored); loss = policy - 0.1 * 2
    ent = torch.tensor([[1.0, 2.0], [3.0, 100.0]], requires_grad=True)
    logps = torch.zeros(2, 2)
    loss, m = grpo_loss(
        logps, ADV, MASK, epsilon_low=0.2, beta=0.0, loss_agg="grpo", entropies=ent, entropy_coef=0.1
    )
    loss.backward()
    torch.testing.assert_close(m["entropy"], torch.tensor(2.0))
    torch.testing.assert_close(loss, m["policy_loss"] - 0.2)
    torch.testing.assert_close(ent.grad, torch.tensor([[-0.1 / 3, -0.1 / 3], [-0.1 / 3, 0.0]]))
    with pytest.raises(ValueError, match="entropies with grad"):  # a bonus on detached entropies does nothing
        grpo_loss(
            logps.requires_grad_(True), ADV, MASK, epsilon_low=0.2, beta=0.0, loss_agg="grpo",
            entropies=ent.detach(), entropy_coef=0.1,
        )  # fmt: skip


# ---- masks --------------------------------------------------------------------------------------------
def test_build_loss_mask_drops_truncated_and_unscored_rows() -> None:
    completion_mask = torch.tensor([[1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 1, 0]])
    truncated = truncated_rows(["stop", "length", "stop", "stop"])
    valid = ~torch.isnan(torch.tensor([1.0, 0.0, float("nan"), 0.0]))
    mask = build_loss_mask(completion_mask, truncated=truncated, reward_valid=valid)
    assert truncated.tolist() == [False, True, False, False]
    assert mask.tolist() == [[True, True, False], [False] * 3, [False] * 3, [True, True, False]]
    assert build_loss_mask(completion_mask).tolist() == completion_mask.bool().tolist()


@pytest.mark.parametrize("loss_agg", sorted(LOSS_AGGREGATIONS))
def test_empty_mask_gives_zero_loss_and_finite_grads(loss_agg: str) -> None:
    # garbage at masked positions (-inf, huge) must not leak NaN into the loss or its gradient
    logps = leaf([[-float("inf"), 50.0], [-3.0, 0.0]])
    ent = torch.ones(2, 2, requires_grad=True)
    loss, m = grpo_loss(
        logps,
        torch.tensor([1.0, -1.0]),
        torch.zeros(2, 2, dtype=torch.bool),
        old_logps=torch.tensor([[0.0, -80.0], [float("nan"), 0.0]]),
        ref_logps=torch.tensor([[90.0, -90.0], [0.0, 0.0]]),
        epsilon_low=0.2,
        beta=0.04,
        loss_agg=loss_agg,
        entropies=ent,
        entropy_coef=0.01,
        max_completion_length=2,
    )
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(logps.grad, torch.zeros(2, 2)) and torch.equal(ent.grad, torch.zeros(2, 2))
    assert all(torch.isfinite(v) for v in m.values())


def test_empty_batch_is_finite() -> None:
    loss, _ = grpo_loss(
        torch.zeros(0, 3), torch.zeros(0), torch.zeros(0, 3), epsilon_low=0.2, beta=0.0, loss_agg="grpo"
    )
    assert loss.item() == 0.0


def test_unknown_variant_names_raise() -> None:
    with pytest.raises(ValueError, match="unknown loss_agg"):
        grpo_loss(
            torch.zeros(1, 1), torch.zeros(1), torch.ones(1, 1), epsilon_low=0.2, beta=0.0, loss_agg="ppo"
        )
    with pytest.raises(ValueError, match="unknown kl_estimator"):
        grpo_loss(
            torch.zeros(1, 1),
            torch.zeros(1),
            torch.ones(1, 1),
            epsilon_low=0.2,
            beta=0.0,
            loss_agg="grpo",
            kl_estimator="k4",
        )


# ---- log-probs and entropy from logits ----------------------------------------------------------------
def test_logprobs_and_entropy_hand_computed() -> None:
    # logits [ln 3, 0] -> p = (0.75, 0.25); H = -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623351
    # at T = 2: logits/T = [ln sqrt3, 0] -> p = (sqrt3, 1) / (sqrt3 + 1)
    logits = torch.tensor([[[LN(3), 0.0], [0.0, 0.0]]])  # [B=1, L=2, V=2]
    ids = torch.tensor([[0, 1]])
    h = -(0.75 * LN(0.75) + 0.25 * LN(0.25))
    torch.testing.assert_close(selective_log_softmax(logits, ids), torch.tensor([[LN(0.75), LN(0.5)]]))
    torch.testing.assert_close(entropy_from_logits(logits), torch.tensor([[h, LN(2)]]))
    s3 = math.sqrt(3)
    torch.testing.assert_close(
        selective_log_softmax(logits, ids, temperature=2.0)[0, 0], torch.tensor(LN(s3 / (s3 + 1)))
    )
    lp, ent = logprobs_and_entropy(logits, ids)
    torch.testing.assert_close(lp, selective_log_softmax(logits, ids))
    torch.testing.assert_close(ent, entropy_from_logits(logits))


def test_logprobs_match_naive_and_handle_bf16() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 17, generator=g) * 4
    ids = torch.randint(0, 17, (3, 5), generator=g)
    naive = logits.log_softmax(-1).gather(-1, ids[..., None])[..., 0]
    torch.testing.assert_close(selective_log_softmax(logits, ids), naive)
    torch.testing.assert_close(
        entropy_from_logits(logits, chunk_size=4), -(logits.softmax(-1) * logits.log_softmax(-1)).sum(-1)
    )
    bf = selective_log_softmax(logits.bfloat16(), ids)
    assert bf.dtype == torch.float32
    torch.testing.assert_close(
        bf, logits.bfloat16().float().log_softmax(-1).gather(-1, ids[..., None])[..., 0]
    )


def test_masked_mean() -> None:
    x = torch.tensor([[1.0, float("nan")], [3.0, 5.0]])
    m = torch.tensor([[1, 0], [1, 1]])
    torch.testing.assert_close(masked_mean(x, m), torch.tensor(3.0))
    torch.testing.assert_close(masked_mean(x, m, dim=1), torch.tensor([1.0, 4.0]))
    assert masked_mean(x, torch.zeros_like(m)).item() == 0.0
