"""The grader options the correctness rewards share (`accuracy_reward`, `cosine_length_reward`), written once.

Both rewards check each completion with its task's rule (`r1lit.tasks.check`) and map the Verdict's
status the same way (the table in r1lit.rewards.accuracy): `not_applicable` -> None, `bad_gold` ->
`unparseable_gold`, anything else -> the reward's own score of a correct or wrong answer. Their YAML
keys (`kind`, `timeout_s`, `unparseable_gold`, `answer_after_think`) are the fields of `GraderOptions`;
the reward signatures take their defaults from `DEFAULT_GRADER`.

Private to `r1lit.rewards`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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

_FAILURE_KEYS = {  # grader status -> stats key
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


@dataclass(frozen=True)
class GraderOptions:
    """How a correctness reward grades: the options `accuracy_reward` and `cosine_length_reward` share.

    Attributes:
        kind: answer kind passed to the grader ("math", "int", "choice"; code goes to `code_reward`).
        timeout_s: per-comparison time limit in the grader.
        unparseable_gold: reward when the grader reports `bad_gold` (None excludes the sample).
        answer_after_think: grade only the text after `</think>` (a prefilled `<think>` is restored
            from `prompts`): an answer inside a think block that never ends earns nothing.
    """

    kind: str = "math"
    timeout_s: float = 5.0
    unparseable_gold: float | None = None
    answer_after_think: bool = False

    def statuses(
        self,
        completions: list[str],
        answer: list[Any] | None,
        stats: Counter | None,
        columns: Mapping[str, Any],
    ) -> list[str]:
        """Check every completion with its task's rule (``r1lit.tasks.check``); count failures in `stats`.

        Args:
            completions: generated texts.
            answer: gold answers, one per completion (None: no golds, every sample is ``bad_gold``).
            stats: optional Counter for ``parse_failure``, ``bad_gold``, ``timeout``, ``error``, ``not_applicable``.
            columns: ``prompts`` and the task columns (``task``, ``numbers``, ``target``, ``tests``).

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
            text = _graded_text(completion, prompt, self.answer_after_think)
            checked = applies(record)  # before freezing: `tests` marks a code record but is not hashable
            status = (
                _check_status(text, _freeze(record), self.kind, float(self.timeout_s))
                if checked
                else NOT_APPLICABLE
            )
            if status in _FAILURE_KEYS:
                bump(stats, _FAILURE_KEYS[status])
            statuses.append(status)
        return statuses

    def rewards(
        self,
        completions: list[str],
        answer: list[Any] | None,
        stats: Counter | None,
        columns: Mapping[str, Any],
        score: Callable[[int, bool], float],
    ) -> list[float | None]:
        """Grade every completion and turn its status into a reward; `score(i, correct)` scores a graded one.

        Returns:
            None for a sample this reward does not apply to (compose.py skips it), `unparseable_gold`
            for a bad gold, else `score(i, status == "correct")`.
        """
        rewards: list[float | None] = []
        for i, status in enumerate(self.statuses(completions, answer, stats, columns)):
            if status == NOT_APPLICABLE:
                rewards.append(None)  # not a math sample (a program, a general prompt): see compose.py
            elif status == "bad_gold":
                rewards.append(self.unparseable_gold)
            else:
                rewards.append(score(i, status == "correct"))
        return rewards


DEFAULT_GRADER = GraderOptions()  # the reward signatures' defaults (the YAMLs set every field)
