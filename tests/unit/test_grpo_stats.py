"""GRPO's per-step statistics against hand-computed values: lengths by outcome, reflection rate, DDP merge."""

from __future__ import annotations

import pytest

from r1lit.modules.grpo_stats import (
    length_stats,
    merge_rank_metrics,
    reflection_pattern,
    reflection_stats,
    rollout_metrics,
)


def test_length_stats_splits_by_outcome_and_leaves_out_empty_splits() -> None:
    stats = length_stats([4, 10, 6, 12], [True, False, True, None], [False, False, False, True])
    assert stats["length/mean"] == pytest.approx(8.0)
    assert (stats["length/min"], stats["length/max"]) == (4.0, 12.0)
    assert stats["length/correct/mean"] == pytest.approx(5.0)
    assert stats["length/incorrect/mean"] == pytest.approx(10.0)  # None (ungraded) is in neither split
    assert stats["length/terminated/max"] == 10.0
    assert stats["length/truncated/min"] == 12.0
    assert stats["length/truncated_frac"] == pytest.approx(0.25)
    nothing_right = length_stats([3, 5], [False, False], [False, False])
    assert not any(k.startswith(("length/correct/", "length/truncated/")) for k in nothing_right)


def test_reflection_rate_counts_whole_phrases_case_insensitively() -> None:
    pattern = reflection_pattern(["wait", "let me check"])
    texts = ["Wait, let me  check: 3*4=12.", "await the answer", "no reflection here", "wait wait"]
    stats = reflection_stats(texts, pattern)
    assert stats["reflection/rate"] == pytest.approx(2 / 4)  # "await" is not "wait"
    assert stats["reflection/per_completion"] == pytest.approx((2 + 0 + 0 + 2) / 4)
    assert reflection_stats(texts, reflection_pattern([])) == {}


def test_merge_rank_metrics_reduces_by_suffix_over_the_ranks_that_have_the_key() -> None:
    rank0 = {"length/mean": 4.0, "length/min": 2.0, "length/max": 9.0, "length/correct/mean": 3.0}
    rank1 = {"length/mean": 6.0, "length/min": 1.0, "length/max": 7.0}
    merged = merge_rank_metrics([rank0, rank1])
    assert merged == {"length/mean": 5.0, "length/min": 1.0, "length/max": 9.0, "length/correct/mean": 3.0}


def test_rollout_metrics_join_rewards_accuracy_lengths_and_reflection() -> None:
    from r1lit.modules.grpo_rollout import Rollout
    from r1lit.rewards.compose import RewardBatch
    from r1lit.rollout.base import Completion

    texts = [("wait, 4", "stop", 3), ("5", "length", 5)]
    group = [Completion(t, list(range(n)), [0.0] * n, reason, [1, 2]) for t, reason, n in texts]
    rewards = RewardBatch([1.0, None], {"acc": [1.0, None]}, {"acc": 1.0})
    rollout = Rollout(
        0, ["q"], [group], rewards, correct=[True, None], metrics={"train/zero_variance_frac": 0.0}
    )
    metrics = rollout_metrics(rollout, reflection_pattern(["wait"]))
    assert metrics["reward/total/mean"] == 1.0 and "reward/acc/std" in metrics
    assert metrics["train/accuracy"] == 0.5 and metrics["train/zero_variance_frac"] == 0.0
    assert metrics["length/truncated/max"] == 5.0 and metrics["reflection/rate"] == 0.5
    empty = RewardBatch([None, None], {"acc": [None, None]}, {"acc": 1.0})
    unknown = rollout_metrics(Rollout(0, ["q"], [group], empty, correct=[None, None]), None)
    assert "train/accuracy" not in unknown and "reward/total/mean" not in unknown  # NaN means are dropped


def test_packed_rollout_counts_each_prompt_once_per_sample() -> None:
    from r1lit.modules.rollout_batch import pack_completions
    from r1lit.rollout.base import Completion

    groups = [
        [Completion("", [5] * n, [], "stop", [1, 2, 3]) for n in (2, 4)],
        [Completion("", [5], [], "stop", [7])] * 2,
    ]
    assert pack_completions(groups, pad_id=0).n_tokens == (3 + 2) + (3 + 4) + (1 + 1) * 2
