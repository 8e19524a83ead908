"""Code-execution reward (paper §2.2.2: "for LeetCode problems, a compiler can be used to generate
feedback based on predefined test cases"): the fraction of test cases the extracted program passes.

The program is the last fenced code block (`r1lit.grading.extract_answer(text, kind="code")`); it
runs only in the sandbox, through `r1lit.grading.code_tests.run_tests` (one isolated process per
test). The tests come from the `tests` column when given (a list of `{"input", "output",
"testtype"}` dicts, or a code-gold dict/string), else from `answer`, which then holds the code-gold
JSON string of `code_tests.tests_to_gold` (`{"tests": [...], "func_name": ...}`).

| outcome                                   | reward             | stats key                 |
|-------------------------------------------|--------------------|---------------------------|
| k of n tests pass                         | k / n              | first failure's status    |
| `binary=True`                             | 1 if all pass else 0 |                         |
| no code block                             | 0.0                | `parse_failure`           |
| missing / malformed tests (a code sample) | None               | `bad_gold`                |
| not a code sample (mixed-task batches)    | None               | `not_applicable`          |
| the sandbox itself failed on any test     | None               | `sandbox_error`           |

"First failure's status" is one of `wrong_answer`, `timeout`, `memory`, `runtime_error`,
`output_limit` (counted once per program). Sandbox failures are not the model's fault, so the sample
is excluded rather than punished; a batch where more than `max_sandbox_error_rate` of the samples
are sandbox failures raises RuntimeError (a broken sandbox would otherwise train on nothing, quietly).

The programs run exactly as the eval harness runs them (`code_tests.run_tests`, same `Limits`
defaults): in a file tree holding the interpreter and its standard library only, so a program
cannot read the tests it is graded against, the checkout, the data or anyone's home.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from r1lit.grading import extract_answer
from r1lit.grading.code_tests import parse_tests, run_tests
from r1lit.grading.sandbox import Limits
from r1lit.rewards._text import BAD_GOLD, PARSE_FAILURE, bump, column
from r1lit.tasks.checks import NOT_APPLICABLE

SANDBOX_ERROR = "sandbox_error"


def _score_one(
    completion: str,
    gold: Any,
    task: Any,
    language: str,
    limits: Limits,
    stop_on_first_failure: bool,
    binary: bool,
) -> tuple[float | None, str | None]:
    """(reward, stats key or None) for one completion."""
    if task and task != "code":
        return None, NOT_APPLICABLE  # e.g. a math sample in a mixed batch: another reward judges it
    try:
        tests, func_name = parse_tests(gold)
    except (ValueError, TypeError):  # json errors are ValueErrors
        # Without a `task` column, tests are what mark a code sample: no parseable tests, not ours.
        return None, BAD_GOLD if task == "code" else NOT_APPLICABLE
    program = extract_answer(completion, kind="code", language=language)
    if program is None:
        return 0.0, PARSE_FAILURE
    report = run_tests(program, tests, func_name, limits, stop_on_first_failure=stop_on_first_failure)
    if any(o.status == SANDBOX_ERROR for o in report.outcomes):
        return None, SANDBOX_ERROR
    if binary:
        return float(report.all_passed), report.first_failure
    return report.passed / report.total, report.first_failure


def code_reward(
    completions: list[str],
    *,
    answer: list[str] | None = None,
    language: str = "python",
    timeout_s: float = 5.0,
    memory_mb: int = 1024,
    site_packages: bool = False,
    stop_on_first_failure: bool = False,
    binary: bool = False,
    workers: int = 1,
    max_sandbox_error_rate: float = 0.5,
    stats: Counter | None = None,
    **columns,
) -> list[float | None]:
    """Fraction of test cases passed by each completion's program (see module docstring).

    Args:
        completions: generated texts.
        answer: code golds (JSON strings) when there is no `tests` column.
        language: fenced-block language to extract (only Python runs in the sandbox today).
        timeout_s: wall-clock limit per test.
        memory_mb: memory of the program (all its processes together) per test.
        site_packages: programs may also import the interpreter's site-packages (numpy, ...), not
            only the standard library; keep it equal to the eval benchmarks' `site_packages`.
        stop_on_first_failure: skip the remaining tests after a failure (they count as not passed).
        binary: 1.0 only when every test passes (the paper's rule-based reward), else the fraction.
        workers: completions judged concurrently (each test is its own sandboxed process).
        max_sandbox_error_rate: raise when more than this fraction of the batch are sandbox errors.
        stats: optional Counter for `parse_failure`, `bad_gold`, `not_applicable`, `sandbox_error` and
            failure statuses.
        **columns: `tests` (per-item tests) and `task` (a sample whose task is not "code" gets None) when given.

    Returns:
        One float (or None) per completion.

    Raises:
        RuntimeError: more than `max_sandbox_error_rate` of the batch hit sandbox errors.
    """
    n = len(completions)
    golds = column(columns, "tests", n) if columns.get("tests") is not None else column({"a": answer}, "a", n)
    tasks = column(columns, "task", n)
    limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb, expose_site_packages=site_packages)

    def score(item: tuple[str, Any, Any]) -> tuple[float | None, str | None]:
        return _score_one(*item, language, limits, stop_on_first_failure, binary)

    items = list(zip(completions, golds, tasks, strict=True))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="r1lit-code-reward") as pool:
            results = list(pool.map(score, items))
    else:
        results = [score(item) for item in items]
    for _, key in results:
        if key is not None:
            bump(stats, key)
    errors = sum(key == SANDBOX_ERROR for _, key in results)
    if results and errors / len(results) > max_sandbox_error_rate:
        raise RuntimeError(
            f"code reward: the sandbox failed on {errors} of {len(results)} samples; "
            "see the log's 'sandbox error' lines and r1lit.grading.sandbox.probe()"
        )
    return [reward for reward, _ in results]
