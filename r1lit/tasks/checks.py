"""One correctness check per task: completion + task record -> ``Verdict``.

Every path that asks "is this completion right?" calls ``check``: the accuracy and cosine rewards,
the in-training held-out eval (``r1lit.modules.heldout``), the rejection-sampling filter
(``r1lit.stages.filters``) and the eval benchmarks (``r1lit_eval.benchmarks``). A reward that checks
less than the eval does is what the policy learns to exploit (answering Countdown with the bare
target once earned the math reward), so there is no second rule anywhere.

| task (``task_of``)    | check                                                                 |
|-----------------------|-----------------------------------------------------------------------|
| ``math`` (default)    | ``r1lit.grading.grade(completion, answer, kind)``                      |
| ``arithmetic``        | ``grade(..., kind="int")``: the answer is an integer                  |
| ``bigarith``          | the same integer check as ``arithmetic``                              |
| ``modsearch``         | the same integer check: the x that solves (a*x+b) mod 10 = c          |
| ``countdown``         | the extracted expression uses ``numbers`` once each, makes ``target``  |
| ``code``, ``general`` | none here (sandbox / reward model): ``NOT_APPLICABLE``                |

A record is a mapping with ``answer`` and, where its task needs them, ``task``, ``numbers``,
``target`` (the prompt datamodule passes every record field as a column; ``records_from_columns``
turns the columns back into records). A missing, None or empty gold is ``bad_gold``, never the
string "None".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from r1lit.grading import Verdict, extract_answer, grade
from r1lit.tasks.expressions import check_countdown

NOT_APPLICABLE = "not_applicable"  # a status beside the grader's: no answer check for this task
RECORD_FIELDS = ("id", "task", "answer", "numbers", "target", "tests")  # what a check may read
UNCHECKED_TASKS = ("code", "general")  # graded by execution / a reward model, not here
# LaTeX / typographic operators a model may write in a Countdown expression, as Python operators.
_INTEGER = re.compile(r"[-−]?\d+")  # the grader's pred: commas and a trailing .0 already dropped
_COUNTDOWN_OPS = re.compile(r"\\times|\\cdot|×|·|\\left|\\right|\$")


def gold_text(value: Any) -> str | None:
    """The gold answer as text, or None when there is none (None, NaN, empty or blank)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def task_of(record: Mapping[str, Any]) -> str:
    """The record's task: its ``task`` field, else ``code`` when it carries tests (a ``tests`` field or a
    code-gold answer, ``{"tests": ...}`` from ``code_tests.tests_to_gold``), else ``math``."""
    task = record.get("task")
    if task:
        return str(task)
    answer = record.get("answer")
    code_gold = isinstance(answer, str) and answer.lstrip().startswith('{"tests"')
    return "code" if record.get("tests") is not None or code_gold else "math"


def records_from_columns(columns: Mapping[str, Any], n: int) -> list[dict[str, Any]]:
    """The ``RECORD_FIELDS`` of n items from column-wise data (absent columns are left out)."""
    present = [k for k in RECORD_FIELDS if isinstance(columns.get(k), list | tuple)]
    for key in present:
        if len(columns[key]) != n:
            raise ValueError(f"column {key!r} has {len(columns[key])} items for {n} completions")
    return [{k: columns[k][i] for k in present} for i in range(n)]


def _check_math(record: Mapping[str, Any], completion: str | None, kind: str, timeout_s: float) -> Verdict:
    return grade(completion, gold_text(record.get("answer")), kind=kind, timeout_s=timeout_s)


def _check_arithmetic(
    record: Mapping[str, Any], completion: str | None, kind: str, timeout_s: float
) -> Verdict:
    verdict = grade(completion, gold_text(record.get("answer")), kind="int", timeout_s=timeout_s)
    if verdict.correct and not _INTEGER.fullmatch(verdict.pred or ""):
        # The grader evaluates expressions, so copying the question ("3+4*2") would equal its value:
        # an arithmetic answer must be the number itself.
        return Verdict.of("incorrect", verdict.pred)
    return verdict


def _check_countdown(
    record: Mapping[str, Any], completion: str | None, kind: str, timeout_s: float
) -> Verdict:
    numbers, target = record.get("numbers"), record.get("target")
    pred = extract_answer(completion, "math")
    if not numbers or target is None:
        return Verdict.of("bad_gold", pred)
    if pred is None:
        return Verdict.of("no_answer")
    expression = _COUNTDOWN_OPS.sub(
        lambda m: "*" if m.group() in ("\\times", "\\cdot", "×", "·") else "", pred
    )
    ok = check_countdown(expression, [int(x) for x in numbers], int(target))
    return Verdict.of("correct" if ok else "incorrect", pred)


CHECKS: dict[str, Callable[[Mapping[str, Any], str | None, str, float], Verdict]] = {
    "math": _check_math,
    "arithmetic": _check_arithmetic,
    "bigarith": _check_arithmetic,
    "modsearch": _check_arithmetic,
    "countdown": _check_countdown,
}


def applies(record: Mapping[str, Any]) -> bool:
    """Whether ``check`` grades this record (False for code and general prompts)."""
    return task_of(record) not in UNCHECKED_TASKS


def check(
    record: Mapping[str, Any], completion: str | None, *, kind: str = "math", timeout_s: float = 5.0
) -> Verdict:
    """Grade one completion by its task's rule (see the module table).

    Args:
        record: the task record (``answer``; ``task``, ``numbers``, ``target`` where needed).
        completion: the raw model output.
        kind: grader kind for plain math records ("math", "int", "choice"); synthetic tasks use their own.
        timeout_s: bound on the math-verify work.

    Returns:
        A Verdict; status ``NOT_APPLICABLE`` for code and general records.

    Raises:
        ValueError: a task with no check (a configuration error, not a data error).
    """
    task = task_of(record)
    if task in UNCHECKED_TASKS:
        return Verdict.of(NOT_APPLICABLE)
    if task not in CHECKS:
        raise ValueError(f"task {task!r} has no answer check; known: {sorted(CHECKS)} and {UNCHECKED_TASKS}")
    return CHECKS[task](record, completion, kind, timeout_s)
