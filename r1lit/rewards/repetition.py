"""N-gram repetition penalty (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in LLMs",
§4.3 and Appendix C.2):

    reward = -(1 - unique_ngrams / total_ngrams) * max_penalty        (in [-max_penalty, 0])

`max_penalty` is a positive magnitude. Units are words (`unit="word"`: lower-cased whitespace-separated
chunks, with every CJK character its own word so Chinese text is not one giant "word") or tokens
(`unit="token"`: the `completion_ids` column). A completion with fewer than `ngram_size` units has
no n-grams and gets 0. Also usable as a rejection-sampling filter on single items.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from r1lit.rewards._text import CJK_CHARS

_WORD = re.compile(rf"[{CJK_CHARS}]|[^\s{CJK_CHARS}]+")
_UNITS = ("word", "token")


def words(text: str) -> list[str]:
    """Lower-cased whitespace-separated words, each CJK character a word of its own."""
    return _WORD.findall(text.lower())


def repeated_ngram_fraction(units: Sequence, ngram_size: int) -> float:
    """1 - (distinct n-grams / n-grams) over `units`; 0 when there are fewer than `ngram_size` units."""
    total = len(units) - ngram_size + 1
    if total <= 0:
        return 0.0
    distinct = {tuple(units[i : i + ngram_size]) for i in range(total)}
    return 1.0 - len(distinct) / total


def repetition_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    ngram_size: int = 3,
    max_penalty: float = 1.0,
    unit: str = "word",
    stats: Counter | None = None,
    **columns,
) -> list[float]:
    """Penalise repeated n-grams: -(1 - unique/total) * max_penalty.

    Args:
        completions: generated texts.
        answer: unused.
        ngram_size: n.
        max_penalty: magnitude of the most negative reward (>= 0).
        unit: "word" or "token" (needs the `completion_ids` column).
        stats: unused.
        **columns: `completion_ids` when `unit="token"`.

    Returns:
        One value in [-max_penalty, 0] per completion.
    """
    if max_penalty < 0:
        raise ValueError(f"max_penalty is a magnitude and must be >= 0, got {max_penalty}")
    if ngram_size < 1:
        raise ValueError(f"ngram_size must be >= 1, got {ngram_size}")
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")
    if unit == "token":
        ids = columns.get("completion_ids")
        if ids is None:
            raise ValueError("repetition_reward(unit='token') needs the completion_ids column")
        sequences: list[Sequence] = list(ids)
    else:
        sequences = [words(c) for c in completions]
    if len(sequences) != len(completions):
        raise ValueError(f"{len(sequences)} id sequences for {len(completions)} completions")
    # `0.0 - x` keeps a zero fraction at +0.0 rather than -0.0.
    return [0.0 - repeated_ngram_fraction(seq, ngram_size) * max_penalty for seq in sequences]
