"""Accuracy reward (paper §2.2.2, "accuracy rewards"): 1 if the final answer matches the gold, else 0.

Grading goes through the one check per task, `r1lit.tasks.check` (the shared grader for math, the
Countdown rule for Countdown: the same call the held-out eval, the rejection-sampling filter and
the benchmarks make). It needs the task columns (`task`, `numbers`, `target`, `tests`) besides
`answer`; the prompt datamodule passes every record field as a column. Grading, this status table
and the failure counts are `r1lit.rewards._grading.GraderOptions`, shared with the cosine reward:

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
from typing import Any

from r1lit.rewards._grading import DEFAULT_GRADER, GraderOptions


def accuracy_reward(
    completions: list[str],
    *,
    answer: list[str | None] | None,
    kind: str = DEFAULT_GRADER.kind,
    timeout_s: float = DEFAULT_GRADER.timeout_s,
    unparseable_gold: float | None = DEFAULT_GRADER.unparseable_gold,
    answer_after_think: bool = DEFAULT_GRADER.answer_after_think,
    stats: Counter | None = None,
    **columns: Any,
) -> list[float | None]:
    """1.0 for a correct final answer, 0.0 otherwise, `unparseable_gold` when the gold cannot be parsed.

    Args:
        completions: generated texts.
        answer: gold answers, one per completion.
        kind, timeout_s, unparseable_gold, answer_after_think: the grader options (`GraderOptions`).
        stats: optional Counter receiving `parse_failure` / `bad_gold` / `timeout` / `error` counts.
        **columns: the task columns (`task`, `numbers`, `target`, `tests`); `prompts` (for a
            prefilled `<think>`) when `answer_after_think` is set.

    Returns:
        One float (or None) per completion.
    """
    grader = GraderOptions(kind, timeout_s, unparseable_gold, answer_after_think)
    return grader.rewards(completions, answer, stats, columns, score=lambda _, correct: float(correct))
