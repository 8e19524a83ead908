"""Structure rewards: the R1-Zero format reward (paper §2.2.2), tag counting and reasoning-step counting.

All three restore a `<think>` that the prompt prefilled (see `_text.with_prefill`) before looking at
the completion, so they are right for chat templates that open the think block themselves.

- `format_reward`: 1 when the turn is `<think> reasoning </think> <answer> answer </answer>` (the
  R1-Zero template, Table 1), else 0. `mode="strict"`: nothing but whitespace around the blocks and
  each tag exactly once; `mode="lenient"`: the blocks appear in that order, other text allowed.
  `answer_tags=False` checks the R1 / distill layout instead: a think block, then a non-empty answer.
- `tag_count_reward`: 0.25 for each of `<think>`, `</think>`, `<answer>`, `</answer>` that appears
  exactly once (a dense shaping signal, as in open-r1). Unlike open-r1 it does not demand newlines
  around the tags, since the R1-Zero template separates them with spaces.
- `reasoning_steps_reward`: min(1, steps / min_steps), where steps count "Step k:", numbered-list
  lines, bullet lines and the transition words First/Second/Third/Next/Then/Finally followed by a comma.
"""

from __future__ import annotations

import re
from collections import Counter

from r1lit.rewards._text import (
    ANSWER_CLOSE,
    ANSWER_OPEN,
    THINK_CLOSE,
    THINK_OPEN,
    bump,
    column,
    with_prefill,
)

_TAGS = (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE)
_STRICT_ANSWER = re.compile(r"\s*<think>(.*?)</think>\s*<answer>(.*?)</answer>\s*", re.DOTALL)
_LENIENT_ANSWER = re.compile(r"<think>(.*?)</think>.*?<answer>(.*?)</answer>", re.DOTALL)
_STRICT_THINK = re.compile(r"\s*<think>(.*?)</think>(.*)", re.DOTALL)
_LENIENT_THINK = re.compile(r"<think>(.*?)</think>(.*)", re.DOTALL)
_STEP = re.compile(
    r"Step \d+:"  # "Step 1:"
    r"|^[ \t]*\d+[.)][ \t]"  # "1. " / "2) " at the start of a line
    r"|^[ \t]*[-*•][ \t]"  # "- " / "* " bullets at the start of a line
    r"|\b(?:First|Second|Third|Next|Then|Finally),",  # transition words
    re.MULTILINE,
)
_MODES = ("strict", "lenient")
MALFORMED = "malformed"  # stats key; not `parse_failure`, which means "no answer could be extracted"


def _is_formatted(text: str, mode: str, answer_tags: bool) -> bool:
    """Whether one prefill-restored turn has the required layout (see module docstring)."""
    if answer_tags:
        match = (_STRICT_ANSWER.fullmatch if mode == "strict" else _LENIENT_ANSWER.search)(text)
        if match is None or not match.group(1).strip() or not match.group(2).strip():
            return False
        return mode != "strict" or all(text.count(tag) == 1 for tag in _TAGS)
    match = (_STRICT_THINK.fullmatch if mode == "strict" else _LENIENT_THINK.search)(text)
    if match is None or not match.group(1).strip() or not match.group(2).strip():
        return False
    if mode == "strict":
        return text.count(THINK_OPEN) == 1 and text.count(THINK_CLOSE) == 1
    return True


def format_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    mode: str = "strict",
    answer_tags: bool = True,
    stats: Counter | None = None,
    **columns,
) -> list[float]:
    """1.0 for a well-formed `<think>…</think> <answer>…</answer>` turn, else 0.0.

    Args:
        completions: generated texts (without the prompt).
        answer: unused (accepted for the common signature).
        mode: "strict" or "lenient" (see module docstring).
        answer_tags: require `<answer>…</answer>` after the think block (R1-Zero); False for the
            R1 chat layout `<think>…</think> final answer`.
        stats: optional Counter; `malformed` counts turns without the required layout.
        **columns: `prompts` (rendered prompt texts) is used to detect a prefilled `<think>`.

    Returns:
        One float per completion.
    """
    if mode not in _MODES:
        raise ValueError(f"format_reward mode must be one of {_MODES}, got {mode!r}")
    prompts = column(columns, "prompts", len(completions))
    rewards = [
        float(_is_formatted(with_prefill(c, p), mode, answer_tags))
        for c, p in zip(completions, prompts, strict=True)
    ]
    bump(stats, MALFORMED, rewards.count(0.0))
    return rewards


def tag_count_reward(
    completions: list[str], *, answer: list[str] | None = None, stats: Counter | None = None, **columns
) -> list[float]:
    """0.25 for each of the four R1-Zero tags that occurs exactly once (prefilled `<think>` restored).

    Args:
        completions: generated texts.
        answer: unused.
        stats: unused (nothing can fail).
        **columns: `prompts` is used to detect a prefilled `<think>`.

    Returns:
        One value in {0, 0.25, 0.5, 0.75, 1} per completion.
    """
    prompts = column(columns, "prompts", len(completions))
    rewards = []
    for completion, prompt in zip(completions, prompts, strict=True):
        text = with_prefill(completion, prompt)
        rewards.append(0.25 * sum(text.count(tag) == 1 for tag in _TAGS))
    return rewards


def count_reasoning_steps(text: str) -> int:
    """Number of step markers in `text` (see module docstring for what counts)."""
    return len(_STEP.findall(text))


def reasoning_steps_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    min_steps: int = 3,
    stats: Counter | None = None,
    **columns,
) -> list[float]:
    """min(1, steps / min_steps): rewards visibly step-by-step reasoning.

    Args:
        completions: generated texts.
        answer: unused.
        min_steps: the number of steps that earns the full reward.
        stats: unused.
        **columns: ignored.

    Returns:
        One value in [0, 1] per completion.
    """
    if min_steps < 1:
        raise ValueError(f"min_steps must be >= 1, got {min_steps}")
    return [min(1.0, count_reasoning_steps(c) / min_steps) for c in completions]
