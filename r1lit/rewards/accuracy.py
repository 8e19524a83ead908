"""Accuracy reward (paper §2.2.2, "accuracy rewards"): 1 if the final answer matches the gold, else 0.

Grading goes through the one check per task, `r1lit.tasks.check` (the shared grader for math, the
Countdown rule for Countdown: the same call the held-out eval, the rejection-sampling filter and
the benchmarks make). It needs the task columns (`task`, `numbers`, `target`, `tests`) besides
`answer`; the prompt datamodule passes every record field as a column. This file only maps a
Verdict's status to a reward and counts failures:

| status      | reward              | stats key        |
|-------------|---------------------|------------------|
| correct     | 1.0                 | -                |
| incorrect   | 0.0                 | -                |
| no_answer   | 0.0                 | `parse_failure`  |
| timeout     | 0.0                 | `timeout`        |
| error       | 0.0                 | `error`          |
| bad_gold    | `unparseable_gold`  | `bad_gold`       |
| not_applicable | None             | `not_applicable` |

`bad_gold` covers a missing, None or empty gold (never graded as the string "None"). A code or
general record (`task` "code"/"general", or a `tests` column) is `not_applicable`: the reward returns
None for it, which compose.py skips for that sample instead of dropping the sample.

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
from typing import Any

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
from r1lit.tasks.checks import NOT_APPLICABLE, applies, check, records_from_columns

_FAILURE_KEYS = {
    "no_answer": PARSE_FAILURE,
    "timeout": TIMEOUT,
    "error": ERROR,
    "bad_gold": BAD_GOLD,
    NOT_APPLICABLE: NOT_APPLICABLE,
}

FrozenRecord = tuple[tuple[str, Any], ...]


def _freeze(record: dict[str, Any]) -> FrozenRecord:
    """A hashable form of a checkable task record (lists become tuples), for the memo below."""
    return tuple(
        (k, tuple(v) if isinstance(v, list) else v)
        for k, v in sorted(record.items())
        if k not in ("id", "tests")
    )


@lru_cache(maxsize=1024)  # bounded: keys hold completion texts
def _check_status(completion: str, record: FrozenRecord, kind: str, timeout_s: float) -> str:
    """Memoised ``check(...).status``: accuracy and cosine rewards in one step grade the same pairs."""
    as_dict = {k: list(v) if isinstance(v, tuple) else v for k, v in record}
    return check(as_dict, completion, kind=kind, timeout_s=timeout_s).status


def _graded_text(completion: str, prompt: str | None, answer_after_think: bool) -> str:
    """The part of the completion the grader sees."""
    if not answer_after_think:
        return completion
    _, rest = split_think(with_prefill(completion, prompt))
    return rest or ""  # no closed think block -> nothing to grade (no_answer)


def grade_statuses(
    completions: list[str],
    answer: list[Any] | None,
    *,
    kind: str = "math",
    timeout_s: float = 5.0,
    answer_after_think: bool = False,
    stats: Counter | None = None,
    **columns: Any,
) -> list[str]:
    """Check every completion with its task's rule (``r1lit.tasks.check``); count failures in `stats`.

    Args:
        completions: generated texts.
        answer: gold answers, one per completion (None: no golds, every sample is ``bad_gold``).
        kind, timeout_s, answer_after_think: as in ``accuracy_reward``.
        stats: optional Counter for ``parse_failure``, ``bad_gold``, ``timeout``, ``error``, ``not_applicable``.
        **columns: ``prompts`` and the task columns (``task``, ``numbers``, ``target``, ``tests``).

    Returns:
        One status per completion ("correct", "incorrect", "no_answer", "bad_gold", "not_applicable", ...).
    """
    n = len(completions)
    if answer is not None and len(answer) != n:
        raise ValueError(f"{len(answer)} answers for {n} completions")
    records = records_from_columns(
        {**columns, "answer": list(answer) if answer is not None else [None] * n}, n
    )
    prompts = column(columns, "prompts", n)
    statuses = []
    for completion, record, prompt in zip(completions, records, prompts, strict=True):
        text = _graded_text(completion, prompt, answer_after_think)
        checked = applies(record)  # before freezing: `tests` marks a code record but is not hashable
        status = _check_status(text, _freeze(record), kind, float(timeout_s)) if checked else NOT_APPLICABLE
        if status in _FAILURE_KEYS:
            bump(stats, _FAILURE_KEYS[status])
        statuses.append(status)
    return statuses


def accuracy_reward(
    completions: list[str],
    *,
    answer: list[str | None] | None,
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
        **columns: the task columns (`task`, `numbers`, `target`, `tests`); `prompts` (for a
            prefilled `<think>`) when `answer_after_think` is set.

    Returns:
        One float (or None) per completion.
    """
    statuses = grade_statuses(
        completions,
        answer,
        kind=kind,
        timeout_s=timeout_s,
        answer_after_think=answer_after_think,
        stats=stats,
        **columns,
    )
    return [_reward(s, unparseable_gold) for s in statuses]


def _reward(status: str, unparseable_gold: float | None) -> float | None:
    if status == NOT_APPLICABLE:
        return None  # not a math sample: this reward does not count for it (compose.py)
    if status == "bad_gold":
        return unparseable_gold
    return float(status == "correct")
