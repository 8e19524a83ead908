"""r1lit's GRPO math against TRL 1.16 on identical tensors (equal within 1e-6).

How TRL is used as the oracle:
- The loss: TRL's own `GRPOTrainer._compute_loss` (trl/trainer/grpo_trainer.py:3020) is called as a plain
  function with a stub `self` whose `_get_per_token_logps_and_entropies` returns our tensors instead of
  running a model, so every line of TRL's loss, KL (k3), clipping and metric code runs unchanged.
- Advantages: TRL computes them inline in `_generate_and_score_completions`, which samples and scores
  with a model, so it cannot run in isolation. `trl_advantages` below re-implements that block
  (grpo_trainer.py:2759-2788 and :2810, "sum_then_normalize" with one reward function) in this test
  only, calling TRL's own `nanstd`.
- Token log-probs and entropies: `trl.trainer.utils.selective_log_softmax` / `entropy_from_logits`
  are free functions and are called directly.
"""

from __future__ import annotations

import os
from collections import defaultdict
from types import SimpleNamespace

import pytest
import torch

trl = pytest.importorskip("trl")
if not trl.__version__.startswith("1.16"):
    _reason = (
        f"the oracle is written against TRL 1.16 (pyproject's bench extra pins it), found {trl.__version__}"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {_reason}", pytrace=False)
    pytest.skip(_reason, allow_module_level=True)

from trl.trainer.grpo_trainer import GRPOTrainer  # noqa: E402
from trl.trainer.utils import entropy_from_logits as trl_entropy  # noqa: E402
from trl.trainer.utils import nanstd as trl_nanstd  # noqa: E402
from trl.trainer.utils import selective_log_softmax as trl_selective_log_softmax  # noqa: E402

from r1lit.algos.advantages import group_advantages  # noqa: E402
from r1lit.algos.grpo_loss import grpo_loss  # noqa: E402
from r1lit.algos.logprobs import entropy_from_logits, selective_log_softmax  # noqa: E402

ATOL = 1e-6
N, L, G, MAX_LEN = 8, 6, 4, 10  # N = B*G completions of padded length L; generation limit MAX_LEN


def trl_advantages(rewards: torch.Tensor, num_generations: int, scale_rewards: str) -> torch.Tensor:
    """TRL 1.16 grpo_trainer.py:2759-2788 + :2810 for a single reward function of weight 1 (test-only copy)."""
    rewards = rewards.clone()  # [B*G]; NaN = unscorable (every reward function returned None)
    mean_grouped_rewards = torch.nanmean(rewards.view(-1, num_generations), dim=1)
    mean_grouped_rewards = mean_grouped_rewards.repeat_interleave(num_generations, dim=0)
    if scale_rewards in ["group", "none"]:
        std_rewards = trl_nanstd(rewards.view(-1, num_generations), dim=1)
        std_rewards = std_rewards.repeat_interleave(num_generations, dim=0)
    else:  # "batch"
        std_rewards = trl_nanstd(rewards).expand_as(rewards)
    advantages = rewards - mean_grouped_rewards
    if scale_rewards != "none":
        advantages = advantages / (std_rewards + 1e-4)
    return torch.nan_to_num(advantages, nan=0.0)


@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_advantages_match_trl(scale: str) -> None:
    g = torch.Generator().manual_seed(1)
    continuous = torch.randn(6 * G, generator=g)
    binary = torch.tensor([1.0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1])  # incl. all-right / all-wrong
    with_none = continuous.clone()
    with_none[[1, 5, 6, 7, 20]] = float("nan")  # group 1 keeps a single valid reward
    for rewards in (continuous, binary, with_none):
        ours = group_advantages(rewards, group_size=G, scale=scale, eps=1e-4)
        torch.testing.assert_close(ours, trl_advantages(rewards, G, scale), atol=ATOL, rtol=0)


def _trl_stub(
    loss_type: str, beta: float, eps_low: float, eps_high: float, entropy_coef: float
) -> SimpleNamespace:
    """A stand-in `self` carrying exactly the attributes GRPOTrainer._compute_loss reads."""
    identity = lambda x, **_: x  # noqa: E731  (single process: gather / reduce are identities)
    return SimpleNamespace(
        model=SimpleNamespace(training=True),
        accelerator=SimpleNamespace(
            gather=identity,
            reduce=identity,
            gather_for_metrics=identity,
            num_processes=1,
            sync_gradients=True,
        ),
        args=SimpleNamespace(delta=None, use_bias_correction_kl=False, steps_per_generation=1),
        loss_type=loss_type,
        beta=beta,
        epsilon_low=eps_low,
        epsilon_high=eps_high,
        importance_sampling_level="token",
        top_entropy_quantile=1.0,
        off_policy_mask_threshold=None,
        use_vllm=False,
        aux_loss_enabled=False,
        max_completion_length=MAX_LEN,
        current_gradient_accumulation_steps=1,
        entropy_coef=entropy_coef,
        use_adaptive_entropy=False,
        _entropy_bonus_enabled=entropy_coef != 0.0,
        _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
        _get_per_token_logps_and_entropies=None,  # filled in by the caller
    )


def _batch(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([6, 3, 1, 5, 0, 6, 2, 4])  # one all-masked row (e.g. a truncated completion)
    mask = (torch.arange(L)[None, :] < lengths[:, None]).int()  # [N, L]
    logps = -torch.rand(N, L, generator=g) * 3  # [N, L]
    return {
        "logps": logps,
        "old": logps + 0.3 * torch.randn(N, L, generator=g),  # ratios spread across both clip edges
        "ref": logps + 0.5 * torch.randn(N, L, generator=g),
        "entropies": torch.rand(N, L, generator=g) * 2,
        "adv": torch.randn(N, generator=g),
        "mask": mask,
    }


CASES = [
    # loss_type, beta, eps_low, eps_high, entropy_coef, old given (mu > 1)
    ("grpo", 0.04, 0.2, 0.2, 0.0, True),
    ("grpo", 0.0, 0.2, 0.2, 0.0, False),  # mu = 1: old = current, detached
    ("bnpo", 0.04, 0.2, 0.28, 0.0, True),
    ("dr_grpo", 0.04, 0.2, 0.2, 0.0, True),
    ("dr_grpo", 0.0, 0.2, 0.28, 0.01, True),
    ("dapo", 0.0, 0.2, 0.28, 0.0, True),  # DAPO: token-level, clip-higher, no KL
    ("dapo", 0.1, 0.1, 0.3, 0.01, True),
]


@pytest.mark.parametrize(
    "case", range(len(CASES)), ids=["{}-beta{}-eps{}_{}-ent{}-old{}".format(*c) for c in CASES]
)
def test_loss_and_metrics_match_trl(case: int) -> None:
    loss_type, beta, eps_low, eps_high, entropy_coef, with_old = CASES[case]
    b = _batch(seed=case)
    # ours
    logps = b["logps"].clone().requires_grad_(True)
    loss, metrics = grpo_loss(
        logps,
        b["adv"],
        b["mask"],
        old_logps=b["old"] if with_old else None,
        ref_logps=b["ref"],
        epsilon_low=eps_low,
        epsilon_high=eps_high,
        beta=beta,
        loss_agg=loss_type,
        entropies=b["entropies"].clone().requires_grad_(True),
        entropy_coef=entropy_coef,
        max_completion_length=MAX_LEN,
    )
    loss.backward()
    # TRL, on the same tensors
    trl_logps = b["logps"].clone().requires_grad_(True)
    stub = _trl_stub(loss_type, beta, eps_low, eps_high, entropy_coef)
    stub._get_per_token_logps_and_entropies = lambda *a, **k: (trl_logps, b["entropies"], None)
    inputs = {
        "prompt_ids": torch.zeros(N, 2, dtype=torch.long),
        "prompt_mask": torch.ones(N, 2, dtype=torch.long),
        "completion_ids": torch.zeros(N, L, dtype=torch.long),
        "completion_mask": b["mask"],
        "advantages": b["adv"],
        "old_per_token_logps": b["old"] if with_old else None,
        "ref_per_token_logps": b["ref"],
        "num_items_in_batch": b["mask"].sum(),
    }
    trl_loss = GRPOTrainer._compute_loss(stub, None, inputs)
    trl_loss.backward()
    trl_metrics = {k: v[-1] for k, v in stub._metrics["train"].items()}

    torch.testing.assert_close(loss, trl_loss, atol=ATOL, rtol=0)
    torch.testing.assert_close(logps.grad, trl_logps.grad, atol=ATOL, rtol=0)
    names = {"clip_frac_low": "clip_ratio/low_mean", "clip_frac_high": "clip_ratio/high_mean"}
    names |= {"clip_frac_region": "clip_ratio/region_mean", "entropy": "entropy"}
    if beta != 0.0:
        names["kl"] = "kl"
    for ours_name, trl_name in names.items():
        assert metrics[ours_name].item() == pytest.approx(trl_metrics[trl_name], abs=ATOL), ours_name
    if entropy_coef != 0.0:
        assert metrics["policy_loss"].item() == pytest.approx(trl_metrics["policy_loss"], abs=ATOL)


def test_dapo_token_normaliser_matches_trl_num_items_in_batch() -> None:
    # DAPO's normaliser is the generation batch's token count (TRL: inputs["num_items_in_batch"]),
    # not this micro-batch's; ours takes it as num_tokens
    b = _batch(seed=7)
    total = b["mask"].sum() * 3  # as if this were one of three micro-batches of similar size
    ours, _ = grpo_loss(
        b["logps"],
        b["adv"],
        b["mask"],
        old_logps=b["old"],
        epsilon_low=0.2,
        beta=0.0,
        loss_agg="dapo",
        num_tokens=total,
    )
    stub = _trl_stub("dapo", 0.0, 0.2, 0.2, 0.0)
    stub._get_per_token_logps_and_entropies = lambda *a, **k: (b["logps"], b["entropies"], None)
    inputs = {
        "prompt_ids": torch.zeros(N, 2, dtype=torch.long),
        "prompt_mask": torch.ones(N, 2, dtype=torch.long),
        "completion_ids": torch.zeros(N, L, dtype=torch.long),
        "completion_mask": b["mask"],
        "advantages": b["adv"],
        "old_per_token_logps": b["old"],
        "num_items_in_batch": total,
    }
    torch.testing.assert_close(ours, GRPOTrainer._compute_loss(stub, None, inputs), atol=ATOL, rtol=0)


def test_logprobs_and_entropy_match_trl() -> None:
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 7, 50, generator=g) * 3  # [B, L, V]
    ids = torch.randint(0, 50, (3, 7), generator=g)  # [B, L]
    for temperature in (1.0, 0.7):
        torch.testing.assert_close(
            selective_log_softmax(logits, ids, temperature=temperature),
            trl_selective_log_softmax(logits, ids, temperature=temperature),
            atol=ATOL,
            rtol=0,
        )
    torch.testing.assert_close(entropy_from_logits(logits), trl_entropy(logits), atol=ATOL, rtol=0)
