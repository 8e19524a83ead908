"""GRPOModule's argument checks (r1lit.modules.grpo_args): every problem named at once, before a model loads."""

from __future__ import annotations

import pytest

from r1lit.modules.grpo_args import check_args
from r1lit.rewards.compose import RewardTerm
from r1lit.rollout.base import SamplingParams

GOOD = {
    "rewards": [RewardTerm("accuracy", len)], "sampling": SamplingParams(n=4, temperature=1.0), "beta": 0.0,
    "epsilon_low": 0.2, "learning_rate": 1e-6, "num_iterations": 1, "max_refill_rounds": 0,
    "micro_batch_size": None, "logprob_chunk_size": 512, "is_correction": "auto", "is_cap": 2.0,
    "length_buckets": 1, "gradient_checkpointing": False, "share_prompt_prefix": True, "accuracy_term": "accuracy",
}  # fmt: skip


def test_good_arguments_pass() -> None:
    check_args(GOOD)
    check_args({**GOOD, "accuracy_term": None, "micro_batch_size": 8, "is_correction": "token_truncate"})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"rewards": []}, "at least one reward term"),
        ({"sampling": SamplingParams(n=1)}, "sampling.n=1: GRPO needs a group of at least 2"),
        ({"sampling": SamplingParams(n=2, temperature=0.0)}, "sampling.temperature must be > 0"),
        ({"num_iterations": 0}, "num_iterations must be >= 1"),
        ({"micro_batch_size": 0}, "micro_batch_size must be >= 1 or null"),
        ({"is_correction": "nope"}, "is_correction must be auto or one of"),
        ({"gradient_checkpointing": True}, "set share_prompt_prefix=false"),
        ({"accuracy_term": "acc"}, r"accuracy_term='acc' is not a reward term \(terms: \['accuracy'\]\)"),
    ],
)
def test_each_bad_value_is_named(bad: dict, message: str) -> None:
    with pytest.raises(ValueError, match=f"^stage.module: .*{message}"):
        check_args({**GOOD, **bad})


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ValueError) as err:
        check_args({**GOOD, "beta": -1.0, "length_buckets": 0, "logprob_chunk_size": 0})
    assert str(err.value).count(";") == 2  # three problems in one message
