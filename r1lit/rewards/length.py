"""Length-shaping rewards, measured in tokens.

- `cosine_length_reward` (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in LLMs",
  §4.1 / Eq. 1): with progress p = clamp(L / max_len, 0, 1) and c = (1 + cos(pi * p)) / 2,
      correct: min_value_correct + (max_value_correct - min_value_correct) * c   (shorter is better)
      wrong:   max_value_wrong   + (min_value_wrong   - max_value_wrong)   * c   (longer is better)
  Two deliberate fixes over the widely copied open-r1 version: L counts *tokens* (`completion_ids`
  lengths, or the tokenizer-free pre-token count of `_text.approx_token_count` when ids are not
  passed) instead of characters, and p is clamped, so an answer twice as long as `max_len` gets the
  minimum reward instead of wrapping around the cosine back to the maximum.
- `overlong_reward` (DAPO, Yu et al. 2025, Eq. 13 "soft overlong punishment"): 0 while
  L <= max_len - cache_len, then linear down to -1 at L = max_len, and -1 beyond.
"""

from __future__ import annotations

import math
from collections import Counter

from r1lit.rewards._grading import DEFAULT_GRADER, GraderOptions
from r1lit.rewards._text import bump, token_lengths

OVERLONG = "overlong"  # stats key: completions inside or past the punishment interval


def cosine_scale(length: int, max_len: int, at_zero: float, at_max: float) -> float:
    """Cosine interpolation from `at_zero` (length 0) to `at_max` (length >= max_len), clamped."""
    progress = min(1.0, max(0.0, length / max_len))
    weight = 0.5 * (1.0 + math.cos(math.pi * progress))  # 1 at length 0, 0 at max_len
    return at_max + (at_zero - at_max) * weight


def cosine_length_reward(
    completions: list[str],
    *,
    answer: list[str | None] | None,
    max_len: int,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    min_value_wrong: float = -1.0,
    max_value_wrong: float = -0.5,
    kind: str = DEFAULT_GRADER.kind,
    timeout_s: float = DEFAULT_GRADER.timeout_s,
    unparseable_gold: float | None = DEFAULT_GRADER.unparseable_gold,
    answer_after_think: bool = DEFAULT_GRADER.answer_after_think,
    stats: Counter | None = None,
    **columns,
) -> list[float | None]:
    """Correctness reward scaled by length with a clamped cosine schedule (see module docstring).

    Args:
        completions: generated texts.
        answer: gold answers (checked by `r1lit.tasks.check`, like `accuracy_reward`; None for a
            code or general sample).
        max_len: length in tokens at which the schedule reaches its end values.
        min_value_correct, max_value_correct: reward range of correct answers (max at length 0).
        min_value_wrong, max_value_wrong: reward range of wrong answers (min at length 0).
        kind, timeout_s, unparseable_gold, answer_after_think: the grader options (`GraderOptions`),
            shared with `accuracy_reward`.
        stats: optional Counter receiving the grader's failure counts.
        **columns: `completion_ids` (token lengths) and `prompts` are used when present.

    Returns:
        One float (or None) per completion.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")
    lengths = token_lengths(completions, columns.get("completion_ids"))

    def score(i: int, correct: bool) -> float:
        if correct:  # shorter is better
            return cosine_scale(lengths[i], max_len, max_value_correct, min_value_correct)
        return cosine_scale(lengths[i], max_len, min_value_wrong, max_value_wrong)  # longer is better

    grader = GraderOptions(kind, timeout_s, unparseable_gold, answer_after_think)
    return grader.rewards(completions, answer, stats, columns, score)


def overlong_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    max_len: int,
    cache_len: int,
    stats: Counter | None = None,
    **columns,
) -> list[float]:
    """DAPO soft overlong punishment: 0, then linear to -1 over the last `cache_len` tokens, -1 beyond.

    Args:
        completions: generated texts.
        answer: unused.
        max_len: L_max, the generation budget in tokens.
        cache_len: L_cache, the width of the punishment interval (0 < cache_len <= max_len).
        stats: optional Counter; `overlong` counts completions longer than max_len - cache_len.
        **columns: `completion_ids` gives token lengths (else the tokenizer-free fallback).

    Returns:
        One value in [-1, 0] per completion.
    """
    if not 0 < cache_len <= max_len:
        raise ValueError(f"need 0 < cache_len <= max_len, got cache_len={cache_len}, max_len={max_len}")
    start = max_len - cache_len
    rewards = []
    for length in token_lengths(completions, columns.get("completion_ids")):
        if length <= start:
            rewards.append(0.0)
        else:
            rewards.append(-min(1.0, (length - start) / cache_len))
    bump(stats, OVERLONG, sum(r < 0 for r in rewards))
    return rewards
