"""Run a program against test cases in the sandbox and judge its outputs the way LiveCodeBench does.

Two kinds of test (LiveCodeBench's `testtype`):
  stdin       the input is piped to the program as a script; its stdout must match the expected
              output line by line after stripping (see `stdout_matches`).
  functional  the program is loaded as a module and `Solution().<func_name>(*args)` (or the
              top-level `<func_name>`) is called with args = one JSON value per input line; the
              return value crosses the sandbox as a plain value (`sandbox_wire`: `Fraction`,
              `Decimal` and numpy scalars by value, objects with a rigged `__eq__` not at all) and
              must equal the expected JSON value (see `functional_matches`).
Every test runs in its own sandboxed process (`r1lit.grading.sandbox`); expected outputs never
enter the sandbox and the comparison runs in the harness, so a program can only pass by printing /
returning the right answer: exiting early, forging output or patching builtins gains nothing.

A code gold (`Problem.gold`, the `answer` column of a code reward) is the JSON string made by
`tests_to_gold`: `{"tests": [{"input", "output", "testtype"}, ...], "func_name": str | null}`.
`parse_tests` also accepts LiveCodeBench's bare list of tests.

Deliberate differences from LiveCodeBench's `testing_util.py`:
  - a fresh process per test (LCB runs all tests in one process with signal.alarm timeouts);
  - stdin lines also match when their whitespace-separated tokens are equal (LCB: numeric tokens only);
  - functional outputs also match within `float_tol` (LCB compares with `==` only), including
    `Fraction` / `Decimal` results (LCB: exact `==`); like LCB, a returned tuple counts as a list
    at the top level only;
  - `stop_on_first_failure` is a switch (LCB always stops at the first failing test).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from r1lit.grading import sandbox_wire
from r1lit.grading.sandbox import Limits, RunResult, SandboxPool, run

# Imports that competitive-programming and LeetCode solutions take for granted (LeetCode starter code
# uses `List` without importing it). Run in the program's globals before it, as LiveCodeBench does.
PREAMBLE = """\
import bisect, collections, copy, datetime, functools, heapq, itertools, json, math, operator, random
import re, statistics, string, sys
from bisect import *
from collections import *
from copy import *
from datetime import *
from functools import *
from heapq import *
from itertools import *
from math import *
from operator import *
from random import *
from statistics import *
from string import *
from typing import *
from builtins import *
sys.setrecursionlimit(50000)
"""
TEST_STATUSES = (
    "passed",
    "wrong_answer",
    "timeout",
    "memory",
    "runtime_error",
    "output_limit",
    "sandbox_error",
    "not_run",
)


@dataclass(frozen=True)
class TestCase:
    """One test: `input` / `output` text and its kind ("stdin" or "functional")."""

    __test__ = False  # not a pytest test class

    input: str
    output: str
    testtype: str = "stdin"


@dataclass
class TestOutcome:
    """What one test did; `status` is one of TEST_STATUSES."""

    __test__ = False  # not a pytest test class

    status: str
    wall_s: float = 0.0
    message: str = ""  # why it failed: a short expected-vs-got, or the last line of stderr

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class TestReport:
    """All tests of one program."""

    __test__ = False  # not a pytest test class

    outcomes: list[TestOutcome] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def all_passed(self) -> bool:
        return self.total > 0 and self.passed == self.total

    @property
    def first_failure(self) -> str | None:
        """The status of the first failing test (None when all passed)."""
        return next((o.status for o in self.outcomes if not o.passed), None)

    def to_detail(self) -> dict[str, Any]:
        """A JSON-able summary for per-sample results."""
        return {
            "passed": self.passed,
            "total": self.total,
            "first_failure": self.first_failure,
            "tests": [
                {"status": o.status, "wall_s": round(o.wall_s, 4), "message": o.message}
                for o in self.outcomes
            ],
        }


def parse_tests(gold: str | list | dict) -> tuple[list[TestCase], str | None]:
    """Tests and function name from a code gold (see module docstring). Raises ValueError when malformed."""
    data = json.loads(gold) if isinstance(gold, str) else gold
    func_name = None
    if isinstance(data, dict):
        func_name = data.get("func_name")
        data = data.get("tests")
    if not isinstance(data, list) or not data:
        raise ValueError("a code gold needs a non-empty list of tests")
    tests = []
    for t in data:
        if not isinstance(t, dict) or not {"input", "output"} <= set(t):
            raise ValueError(f"malformed test case: {str(t)[:200]}")
        tests.append(TestCase(str(t["input"]), str(t["output"]), t.get("testtype", "stdin")))
    if any(t.testtype == "functional" for t in tests) and not func_name:
        raise ValueError("functional tests need a func_name")
    return tests, func_name


def tests_to_gold(tests: Sequence[TestCase | dict], func_name: str | None = None) -> str:
    """The canonical code gold string for `tests`."""
    rows = [
        t if isinstance(t, dict) else {"input": t.input, "output": t.output, "testtype": t.testtype}
        for t in tests
    ]
    return json.dumps({"tests": rows, "func_name": func_name})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(tok) for tok in line.split()]
    except InvalidOperation:
        return None


def stdout_matches(got: str, expected: str) -> bool:
    """LiveCodeBench's stdout check: same number of stripped lines (outer blank lines ignored); each
    line equal, or equal token by token, or equal as exact decimals token by token ("1.50" == "1.5")."""
    got_lines, exp_lines = _lines(got), _lines(expected)
    if len(got_lines) != len(exp_lines):
        return False
    for g, e in zip(got_lines, exp_lines, strict=True):
        if g == e or g.split() == e.split():
            continue
        g_dec, e_dec = _decimals(g), _decimals(e)
        if g_dec is None or e_dec is None or g_dec != e_dec:
            return False
    return True


def _number(x: Any) -> bool:
    return isinstance(x, int | float | Fraction | Decimal) and not isinstance(x, bool)


def functional_matches(got: Any, expected: Any, float_tol: float = 1e-6) -> bool:
    """Equal values; numbers where either side is not an int may differ by `float_tol` (rel or abs).

    `got` is a plain value rebuilt by the harness (`sandbox_wire.decode`), `expected` a JSON value.
    """
    if got == expected:
        return True
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            functional_matches(g, e, float_tol) for g, e in zip(got, expected, strict=True)
        )
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(
            functional_matches(got[k], expected[k], float_tol) for k in got
        )
    if _number(got) and _number(expected) and not (isinstance(got, int) and isinstance(expected, int)):
        try:
            return math.isclose(float(got), float(expected), rel_tol=float_tol, abs_tol=float_tol)
        except OverflowError:
            return False
    return False


def _short(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[: n // 2] + " ... " + text[-n // 2 :]


def judge(result: RunResult, test: TestCase, float_tol: float = 1e-6) -> TestOutcome:
    """Turn one sandbox run of `test` into a TestOutcome."""
    if result.status != "ok":
        tail = result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else []
        return TestOutcome(result.status, result.wall_s, _short(tail[0]) if tail else "")
    if test.testtype == "functional":
        try:
            got = sandbox_wire.decode(result.stdout)
            got = list(got) if isinstance(got, tuple) else got  # LCB: a tuple result counts as a list
            ok = functional_matches(got, json.loads(test.output), float_tol)
        except (ValueError, TypeError):
            ok = False  # no return value, or the expected output is not JSON
    else:
        ok = stdout_matches(result.stdout, test.output)
    message = "" if ok else f"expected {_short(test.output)!r}, got {_short(result.stdout)!r}"
    return TestOutcome("passed" if ok else "wrong_answer", result.wall_s, message)


def run_tests(
    program: str,
    tests: Sequence[TestCase],
    func_name: str | None = None,
    limits: Limits | None = None,
    *,
    stop_on_first_failure: bool = False,
    pool: SandboxPool | None = None,
    float_tol: float = 1e-6,
    preamble: str = PREAMBLE,
) -> TestReport:
    """Run `program` on every test (each in its own sandboxed process) and judge the outputs.

    Args:
        program: Python source.
        tests: the test cases; functional ones call `func_name`.
        func_name: the method / function called by functional tests.
        limits: sandbox limits per test (`timeout_s` is per test).
        stop_on_first_failure: run tests in order and mark the rest "not_run" after a failure
            (LiveCodeBench's behaviour; saves time on wrong programs). Otherwise all tests run,
            concurrently on `pool` when one is given.
        pool: a SandboxPool to run tests concurrently on.
        float_tol: tolerance for float outputs of functional tests.
        preamble: trusted code run before the program (default: the LiveCodeBench-style imports).
    """

    def job(test: TestCase) -> dict[str, Any]:
        call = func_name if test.testtype == "functional" else None
        return {"source": program, "stdin": test.input, "limits": limits, "call": call, "preamble": preamble}

    if stop_on_first_failure or pool is None:
        outcomes: list[TestOutcome] = []
        for test in tests:
            if stop_on_first_failure and outcomes and not outcomes[-1].passed:
                outcomes.append(TestOutcome("not_run"))
                continue
            outcomes.append(judge(run(**job(test)), test, float_tol))
        return TestReport(outcomes)
    results = pool.map(job(t) for t in tests)
    return TestReport([judge(r, t, float_tol) for r, t in zip(results, tests, strict=True)])
