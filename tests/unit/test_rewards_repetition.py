"""N-gram repetition penalty with hand-computed values."""

from __future__ import annotations

import pytest

from r1lit.rewards.repetition import repeated_ngram_fraction, repetition_reward, words


def test_repetition_hand_computed() -> None:
    completions = [
        "a b c a b c",  # trigrams: abc bca cab abc -> 3 distinct of 4 -> -(1 - 3/4)
        "the cat sat on the mat",  # 4 distinct trigrams of 4 -> 0
        "go go go go go",  # 1 distinct of 3 -> -(2/3)
        "too short",  # fewer than 3 words -> 0
        "",
    ]
    rewards = repetition_reward(completions, ngram_size=3, max_penalty=1.0)
    assert rewards == pytest.approx([-0.25, 0.0, -2 / 3, 0.0, 0.0])
    assert repetition_reward(["a b c a b c"], ngram_size=3, max_penalty=0.5) == pytest.approx([-0.125])


def test_repetition_case_insensitive_and_cjk_words() -> None:
    assert words("Go GO 好好") == ["go", "go", "好", "好"]
    # bigrams of 好 好 好 好: 1 distinct of 3
    assert repetition_reward(["好好好好"], ngram_size=2) == pytest.approx([-2 / 3])


def test_repetition_on_tokens() -> None:
    ids = [[1, 2, 1, 2, 1]]  # bigrams: 12 21 12 21 -> 2 distinct of 4
    assert repetition_reward(["ignored"], ngram_size=2, unit="token", completion_ids=ids) == pytest.approx(
        [-0.5]
    )
    with pytest.raises(ValueError, match="completion_ids"):
        repetition_reward(["x"], unit="token")


def test_repetition_validates_options() -> None:
    with pytest.raises(ValueError, match="magnitude"):
        repetition_reward(["x"], max_penalty=-1.0)
    assert repeated_ngram_fraction([1, 1], 1) == 0.5
