"""Accuracy reward (paper §2.2.2, "accuracy rewards"): 1 if the final answer matches the gold, else 0.

Grading goes through the one shared grader, `r1lit.grading.grade`; this file only maps a Verdict's
status to a reward and counts failures:

| status      | reward              | stats key        |
|-------------|---------------------|------------------|
| correct     | 1.0                 | -                |
| incorrect   | 0.0                 | -                |
| no_answer   | 0.0                 | `parse_failure`  |
| timeout     | 0.0                 | `timeout`        |
| error       | 0.0                 | `error`          |
| bad_gold    | `unparseable_gold`  | `bad_gold`       |

`unparseable_gold=None` (the default) excludes the sample from the advantages (the composed total is
None, see compose.py); the from-scratch R1 walkthrough instead gives 0.5. open-r1 gives 1.0, which
silently rewards every completion of a broken problem.

The grader already ignores a *closed* think block (it searches after the last `</think>`), but
grades the whole text when there is none. `answer_after_think=True` additionally requires a closed
think block (a prefilled `<think>` is restored from `prompts`): an answer boxed inside a think
block that never ends then earns nothing.

`kind="code"` is not graded here: use `code_reward` (execution in the sandbox).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from r1lit.grading import grade
from r1lit.rewards._text import (
    BAD_GOLD,
    ERROR,
    PARSE_FAILURE,
    TIMEOUT,
    bump,
    column,
    split_think,
    with_prefill,
)

_FAILURE_KEYS = {"no_answer": PARSE_FAILURE, "timeout": TIMEOUT, "error": ERROR, "bad_gold": BAD_GOLD}


@lru_cache(maxsize=1024)  # bounded: keys hold completion texts
def _grade_status(completion: str, gold: str, kind: str, timeout_s: float) -> str:
    """Memoised `grade(...).status`: accuracy and cosine rewards in one step grade the same pairs."""
    return grade(completion, gold, kind=kind, timeout_s=timeout_s).status


def _graded_text(completion: str, prompt: str | None, answer_after_think: bool) -> str:
    """The part of the completion the grader sees."""
    if not answer_after_think:
        return completion
    _, rest = split_think(with_prefill(completion, prompt))
    return rest or ""  # no closed think block -> nothing to grade (no_answer)


def grade_statuses(
    completions: list[str],
    answer: list[str],
    *,
    kind: str = "math",
    timeout_s: float = 5.0,
    answer_after_think: bool = False,
    prompts: list[str | None] | None = None,
    stats: Counter | None = None,
) -> list[str]:
    """Grade every completion against its gold answer; count non-correct/incorrect statuses in `stats`.

    Returns:
        One Verdict status per completion ("correct", "incorrect", "no_answer", "bad_gold", ...).
    """
    if len(answer) != len(completions):
        raise ValueError(f"{len(answer)} answers for {len(completions)} completions")
    prompts = prompts if prompts is not None else [None] * len(completions)
    statuses = []
    for completion, gold, prompt in zip(completions, answer, prompts, strict=True):
        text = _graded_text(completion, prompt, answer_after_think)
        status = _grade_status(text, str(gold), kind, float(timeout_s))
        if status in _FAILURE_KEYS:
            bump(stats, _FAILURE_KEYS[status])
        statuses.append(status)
    return statuses


def accuracy_reward(
    completions: list[str],
    *,
    answer: list[str],
    kind: str = "math",
    timeout_s: float = 5.0,
    unparseable_gold: float | None = None,
    answer_after_think: bool = False,
    stats: Counter | None = None,
    **columns,
) -> list[float | None]:
    """1.0 for a correct final answer, 0.0 otherwise, `unparseable_gold` when the gold cannot be parsed.

    Args:
        completions: generated texts.
        answer: gold answers, one per completion.
        kind: answer kind passed to the grader ("math", "int", "choice", "code").
        timeout_s: per-comparison time limit in the grader.
        unparseable_gold: reward when the grader reports `bad_gold` (None excludes the sample).
        answer_after_think: grade only the text after `</think>`.
        stats: optional Counter receiving `parse_failure` / `bad_gold` / `timeout` / `error` counts.
        **columns: `prompts` is used (for a prefilled `<think>`) when `answer_after_think` is set.

    Returns:
        One float (or None) per completion.
    """
    prompts = column(columns, "prompts", len(completions))
    statuses = grade_statuses(
        completions,
        answer,
        kind=kind,
        timeout_s=timeout_s,
        answer_after_think=answer_after_think,
        prompts=prompts,
        stats=stats,
    )
    return [unparseable_gold if s == "bad_gold" else float(s == "correct") for s in statuses]
