"""Format, tag-count and reasoning-step rewards, including a prompt that prefilled `<think>`."""

from __future__ import annotations

from collections import Counter

import pytest

from r1lit.rewards.format import format_reward, reasoning_steps_reward, tag_count_reward

GOOD = "<think> 2 + 3 = 5 </think> <answer> 5 </answer>"
R1_ZERO_PROMPT = "... <answer> answer here </answer>. User: What is 2+3? Assistant:"
PREFILL_PROMPT = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n<think>\n"


@pytest.mark.parametrize(
    ("completion", "strict", "lenient"),
    [
        (GOOD, 1.0, 1.0),
        ("<think>\nreason\n</think>\n<answer>\n5\n</answer>\n", 1.0, 1.0),
        ("Sure! " + GOOD, 0.0, 1.0),  # text before the think block
        (GOOD + " Done.", 0.0, 1.0),  # text after the answer
        ("<think> a </think> <think> b </think> <answer> 5 </answer>", 0.0, 1.0),  # two think blocks
        ("<think> </think> <answer> 5 </answer>", 0.0, 0.0),  # empty reasoning
        ("<think> a </think> <answer> </answer>", 0.0, 0.0),  # empty answer
        ("<answer> 5 </answer> <think> a </think>", 0.0, 0.0),  # wrong order
        ("<think> a </think> 5", 0.0, 0.0),  # no answer tags
        ("", 0.0, 0.0),
    ],
)
def test_format_strict_and_lenient(completion: str, strict: float, lenient: float) -> None:
    prompts = [R1_ZERO_PROMPT]
    assert format_reward([completion], answer=["5"], prompts=prompts) == [strict]
    assert format_reward([completion], answer=["5"], prompts=prompts, mode="lenient") == [lenient]


def test_format_with_prefilled_think() -> None:
    inside = " 2 + 3 = 5 </think> <answer> 5 </answer>"  # starts inside the think block
    assert format_reward([inside], answer=["5"], prompts=[PREFILL_PROMPT]) == [1.0]
    assert format_reward([inside], answer=["5"], prompts=[R1_ZERO_PROMPT]) == [0.0]  # no prefill: no <think>
    # a model that repeats the tag after a prefill is still well formed (one <think>)
    assert format_reward(["<think>" + inside], answer=["5"], prompts=[PREFILL_PROMPT]) == [1.0]
    assert tag_count_reward([inside], prompts=[PREFILL_PROMPT]) == [1.0]
    assert tag_count_reward([inside]) == [0.75]  # without prompts nothing is restored


def test_format_without_answer_tags_and_stats() -> None:
    stats: Counter = Counter()
    completions = [
        "<think>x</think>\nThe answer is \\boxed{5}.",
        "x</think> \\boxed{5}",
        "<think>x</think>  ",
    ]
    rewards = format_reward(
        completions, prompts=[PREFILL_PROMPT, PREFILL_PROMPT, ""], answer_tags=False, stats=stats
    )
    assert rewards == [1.0, 1.0, 0.0]
    assert stats == Counter({"malformed": 1})


def test_format_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        format_reward([GOOD], answer=["5"], mode="loose")


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (GOOD, 1.0),
        ("<think> a </think> 5", 0.5),
        ("<think> a <think> b </think> <answer> 5 </answer>", 0.75),  # <think> twice
        ("no tags", 0.0),
    ],
)
def test_tag_count(completion: str, expected: float) -> None:
    assert tag_count_reward([completion], answer=["5"]) == [expected]


def test_reasoning_steps() -> None:
    completions = [
        "Step 1: add. Step 2: check. Step 3: answer.",  # 3 steps
        "1. add\n2. check",  # 2 numbered lines
        "- a\n* b\nFirst, x. Next, y. Finally, z.",  # 2 bullets + 3 transitions
        "The answer is 5.",
        "Compute 3.5 and 4.25",  # decimals inside a line are not list items
    ]
    assert reasoning_steps_reward(completions, answer=[""] * 5) == pytest.approx([1.0, 2 / 3, 1.0, 0.0, 0.0])
    assert reasoning_steps_reward(["1. a\n2. b"], min_steps=2) == [1.0]
