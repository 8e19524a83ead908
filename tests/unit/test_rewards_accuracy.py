"""Accuracy reward through the shared grader: status -> reward mapping, bad gold, stats, prefill."""

from __future__ import annotations

from collections import Counter

import pytest

from r1lit.rewards.accuracy import accuracy_reward

PREFILL = "<|im_start|>assistant\n<think>\n"


def test_accuracy_statuses_and_stats() -> None:
    completions = [
        "<think> 2+3 </think> <answer> \\boxed{5} </answer>",  # correct
        "<think> 2+3 </think> <answer> \\boxed{\\frac{10}{2}} </answer>",  # correct (equivalent)
        "<think> 2+3 </think> <answer> \\boxed{6} </answer>",  # incorrect
        "I do not know.",  # no_answer -> 0, parse_failure
        "\\boxed{5}",  # gold unusable -> None, bad_gold
    ]
    stats: Counter = Counter()
    rewards = accuracy_reward(completions, answer=["5", "5", "5", "5", ""], stats=stats)
    assert rewards == [1.0, 1.0, 0.0, 0.0, None]
    assert stats == Counter({"parse_failure": 1, "bad_gold": 1})


def test_accuracy_unparseable_gold_value() -> None:
    assert accuracy_reward(["\\boxed{5}"], answer=[""], unparseable_gold=0.5) == [0.5]


def test_accuracy_answer_after_think() -> None:
    boxed_while_thinking = " 2+3 is \\boxed{5} ..."  # prefilled think block never closed
    assert accuracy_reward([boxed_while_thinking], answer=["5"], prompts=[PREFILL]) == [1.0]
    assert accuracy_reward(
        [boxed_while_thinking], answer=["5"], prompts=[PREFILL], answer_after_think=True
    ) == [0.0]
    closed = " 2+3 </think> \\boxed{5}"
    assert accuracy_reward([closed], answer=["5"], prompts=[PREFILL], answer_after_think=True) == [1.0]


def test_accuracy_int_kind_and_length_check() -> None:
    assert accuracy_reward(["\\boxed{025}"], answer=["25"], kind="int") == [1.0]
    with pytest.raises(ValueError, match="answers"):
        accuracy_reward(["a", "b"], answer=["1"])
