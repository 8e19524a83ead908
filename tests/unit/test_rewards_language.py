"""Language-consistency reward: proportion of target-language words in the chain of thought."""

from __future__ import annotations

from collections import Counter

import pytest

from r1lit.rewards.language import chain_of_thought, language_consistency_reward, language_counts

PREFILL = "<|im_start|>assistant\n<think>"


def test_language_counts_ignore_numbers_math_code_and_variables() -> None:
    text = "Let x = 12. 所以 $x^2 = 144$ \\frac{1}{2} `print(y)` Привет, OK!"
    # en: Let, OK; zh: 所, 以; other: Привет; ignored: x, 12, math, \frac, code, punctuation
    assert language_counts(text) == Counter({"en": 2, "zh": 2, "other": 1})


def test_language_consistency_hand_computed() -> None:
    completions = [
        "<think>First compute the sum</think><answer>5</answer>",  # 4 en / 4
        "<think>我们 compute 和</think><answer>5</answer>",  # en: compute; zh: 我, 们, 和 -> en 1/4
        "no think tags here at all",  # whole completion: 6 en / 6
        "<think> 2 + 3 = 5 </think> <answer>5</answer>",  # no words -> empty_value
    ]
    stats: Counter = Counter()
    rewards = language_consistency_reward(completions, target="en", stats=stats)
    assert rewards == pytest.approx([1.0, 0.25, 1.0, 0.0])
    assert stats["empty_cot"] == 1
    zh = language_consistency_reward(completions[:2], target="zh")
    assert zh == pytest.approx([0.0, 0.75])
    assert language_consistency_reward(completions[3:], target="en", empty_value=1.0) == [1.0]


def test_language_only_counts_the_think_block_with_prefill() -> None:
    completion = "思考 think </think> The answer is five."  # prompt opened <think>
    assert chain_of_thought(completion, PREFILL) == "思考 think "
    assert language_consistency_reward([completion], target="zh", prompts=[PREFILL]) == pytest.approx([2 / 3])


def test_language_auto_target() -> None:
    completions = ["<think>答案是五</think>", "<think>答案 is five</think>"]
    by_column = language_consistency_reward(completions, target="auto", language=["zh", "en"])
    assert by_column == pytest.approx([1.0, 2 / 4])  # en: is, five; zh: 答, 案
    by_question = language_consistency_reward(
        completions, target="auto", question=["二加三是多少？", "What is 2+3?"]
    )
    assert by_question == pytest.approx([1.0, 0.5])
    with pytest.raises(ValueError, match="auto"):
        language_consistency_reward(completions, target="auto")
    with pytest.raises(ValueError, match="target"):
        language_consistency_reward(completions, target="fr")
