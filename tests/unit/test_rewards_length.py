"""Cosine length scaling (on tokens, clamped) and DAPO soft overlong punishment, with hand-computed values."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from r1lit.rewards._text import approx_token_count, token_lengths
from r1lit.rewards.length import cosine_length_reward, cosine_scale, overlong_reward

RIGHT, WRONG = (
    "<think> ok </think> <answer> \\boxed{5} </answer>",
    "<think> ok </think> <answer> \\boxed{7} </answer>",
)


def test_cosine_scale_endpoints_and_clamp() -> None:
    assert cosine_scale(0, 100, 1.0, 0.5) == pytest.approx(1.0)
    assert cosine_scale(50, 100, 1.0, 0.5) == pytest.approx(0.75)  # cos(pi/2) = 0 -> midpoint
    assert cosine_scale(25, 100, 1.0, 0.5) == pytest.approx(0.5 + 0.5 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert cosine_scale(100, 100, 1.0, 0.5) == pytest.approx(0.5)
    # the unclamped formula gives cos(2*pi) = 1 -> the *maximum* again at twice max_len
    assert cosine_scale(200, 100, 1.0, 0.5) == pytest.approx(0.5)


def test_cosine_reward_uses_token_lengths() -> None:
    ids = [[0] * 0, [0] * 50, [0] * 100, [0] * 400]
    rewards = cosine_length_reward([RIGHT] * 4, answer=["5"] * 4, max_len=100, completion_ids=ids)
    assert rewards == pytest.approx([1.0, 0.75, 0.5, 0.5])  # shorter is better, clamped at 0.5
    rewards = cosine_length_reward([WRONG] * 4, answer=["5"] * 4, max_len=100, completion_ids=ids)
    assert rewards == pytest.approx([-1.0, -0.75, -0.5, -0.5])  # longer is better, clamped at -0.5


def test_cosine_reward_counts_tokens_not_characters() -> None:
    # 1,000 characters but 2 tokens: a character-based reward would give the minimum.
    long_chars = RIGHT + " " * 1000
    assert cosine_length_reward([long_chars], answer=["5"], max_len=100, completion_ids=[[1, 2]])[
        0
    ] == pytest.approx(0.5 + 0.25 * (1 + math.cos(math.pi * 0.02)))
    # tokenizer-free fallback: < think > ok < / think > < answer > \ boxed { 5 } < / answer > -> 20
    assert approx_token_count(RIGHT) == 20
    expected = 0.5 + 0.25 * (1 + math.cos(math.pi * 20 / 50))
    assert cosine_length_reward([RIGHT], answer=["5"], max_len=50) == pytest.approx([expected])


def test_cosine_reward_bad_gold() -> None:
    stats: Counter = Counter()
    rewards = cosine_length_reward([RIGHT], answer=[""], max_len=10, stats=stats, completion_ids=[[1]])
    assert rewards == [None] and stats["bad_gold"] == 1
    assert cosine_length_reward([RIGHT], answer=[""], max_len=10, unparseable_gold=0.5) == [0.5]


def test_overlong_reward() -> None:
    # L_max = 100, L_cache = 20: 0 up to 80 tokens, linear to -1 at 100, -1 beyond
    ids = [[0] * n for n in (10, 80, 85, 90, 100, 150)]
    stats: Counter = Counter()
    rewards = overlong_reward([""] * 6, max_len=100, cache_len=20, completion_ids=ids, stats=stats)
    assert rewards == pytest.approx([0.0, 0.0, -0.25, -0.5, -1.0, -1.0])
    assert stats["overlong"] == 4
    # single item, text fallback: "one two three" -> 3 pre-tokens, past max_len - cache_len = 2
    assert overlong_reward(["one two three"], max_len=4, cache_len=2) == pytest.approx([-0.5])
    with pytest.raises(ValueError, match="cache_len"):
        overlong_reward([""], max_len=10, cache_len=11)


def test_token_lengths_fallback_and_mismatch() -> None:
    assert token_lengths(["12 apples, 北京!"], None) == [7]  # 1 2 apples , 北 京 !
    assert token_lengths(["a", "b"], [[1, 2, 3], []]) == [3, 0]
    with pytest.raises(ValueError):
        token_lengths(["a"], [[1], [2]])
