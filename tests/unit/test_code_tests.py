"""Output comparison (LiveCodeBench rules) and running programs against stdin / call-based tests."""

from __future__ import annotations

import json

import pytest

from r1lit.grading.code_tests import (
    TestCase,
    functional_matches,
    parse_tests,
    run_tests,
    stdout_matches,
)
from r1lit.grading.code_tests import tests_to_gold as make_gold  # aliased: pytest collects test_* names
from r1lit.grading.sandbox import Limits, SandboxPool

LIMITS = Limits(timeout_s=1.0, memory_mb=512)


@pytest.mark.parametrize(
    ("got", "expected", "match"),
    [
        ("3\n", "3\n", True),
        ("3", "3\n\n", True),  # outer blank lines do not count
        ("  1 2  \r\n3\n", "1 2\n3", True),  # each line is stripped
        ("1   2\n", "1 2\n", True),  # token-wise equal
        ("1.50 2\n", "1.5 2.0\n", True),  # exact decimals
        ("1e3\n", "1000\n", True),
        ("0.3333333\n", "0.33333333\n", False),  # no float tolerance on stdout (as LiveCodeBench)
        ("Yes\n", "yes\n", False),
        ("1\n\n2\n", "1\n2\n", False),  # an inner blank line is a line
        ("1\n2\n", "1\n", False),
        ("", "0\n", False),
    ],
)
def test_stdout_matches(got, expected, match):
    assert stdout_matches(got, expected) is match


@pytest.mark.parametrize(
    ("got", "expected", "match"),
    [
        ([1, 2], [1, 2], True),
        (3, 3.0, True),
        (0.1 + 0.2, 0.3, True),  # float tolerance
        ([[1.0000001, "a"]], [[1.0, "a"]], True),
        ({"a": 2.5}, {"a": 2.5000001}, True),
        (1.1, 1.0, False),
        ([1, 2], [1, 2, 3], False),
        ("1", 1, False),
        (None, 0, False),
        (10**18 + 1, 10**18, False),  # ints are exact
    ],
)
def test_functional_matches(got, expected, match):
    assert functional_matches(got, expected) is match


def test_parse_tests_formats_and_errors():
    lcb = json.dumps([{"input": "1\n", "output": "2\n", "testtype": "stdin"}])
    tests, func = parse_tests(lcb)
    assert tests == [TestCase("1\n", "2\n", "stdin")] and func is None
    gold = make_gold([TestCase("[1]", "1", "functional")], "f")
    assert parse_tests(gold) == ([TestCase("[1]", "1", "functional")], "f")
    for bad in (
        "not json",
        "[]",
        json.dumps([{"input": "1"}]),
        json.dumps({"tests": [{"input": "1", "output": "1", "testtype": "functional"}]}),
    ):
        with pytest.raises(ValueError):
            parse_tests(bad)


STDIN_TESTS = [TestCase("2 3\n", "5\n"), TestCase("10 -4\n", "6\n"), TestCase("0 0\n", "0\n")]


def test_stdin_program_passes_and_fails():
    good = run_tests("a, b = map(int, input().split())\nprint(a + b)\n", STDIN_TESTS, limits=LIMITS)
    assert (good.passed, good.total, good.all_passed, good.first_failure) == (3, 3, True, None)
    wrong = run_tests("a, b = map(int, input().split())\nprint(a * b)\n", STDIN_TESTS, limits=LIMITS)
    assert [o.status for o in wrong.outcomes] == ["wrong_answer", "wrong_answer", "passed"]
    assert "expected '5\\n', got '6\\n'" in wrong.outcomes[0].message
    crash = run_tests("raise SystemExit(input()[5])", STDIN_TESTS[:1], limits=LIMITS)
    assert crash.outcomes[0].status == "runtime_error" and "IndexError" in crash.outcomes[0].message


def test_functional_program_with_leetcode_preamble():
    tests = [TestCase("[1, 2, 3]\n2", "[3, 5]", "functional"), TestCase("[4]\n1", "[4]", "functional")]
    program = (
        "class Solution:\n"
        "    def windowSums(self, nums: List[int], k: int) -> List[int]:\n"  # `List` comes from the preamble
        "        print('debug output is ignored')\n"
        "        return tuple(sum(nums[i:i + k]) for i in range(len(nums) - k + 1))\n"
    )
    report = run_tests(program, tests, "windowSums", LIMITS)
    assert report.all_passed, report.to_detail()
    floats = run_tests(
        "def avg(xs):\n    return sum(xs) / 3\n",
        [TestCase("[0.1, 0.1, 0.1]", "0.1", "functional")],
        "avg",
        LIMITS,
    )
    assert floats.all_passed
    missing = run_tests("class Solution:\n    pass\n", tests[:1], "windowSums", LIMITS)
    assert missing.outcomes[0].status == "runtime_error"


def test_stop_on_first_failure_and_timeouts():
    tests = [TestCase("1\n", "1\n"), TestCase("2\n", "2\n"), TestCase("3\n", "3\n")]
    program = "x = int(input())\nwhile x == 2:\n    pass\nprint(x)\n"
    report = run_tests(program, tests, limits=Limits(timeout_s=0.3), stop_on_first_failure=True)
    assert [o.status for o in report.outcomes] == ["passed", "timeout", "not_run"]
    detail = report.to_detail()
    assert (detail["passed"], detail["total"], detail["first_failure"]) == (1, 3, "timeout")


def test_pool_runs_all_tests_in_order():
    tests = [TestCase(f"{i}\n", f"{i * i}\n") for i in range(6)]
    with SandboxPool(max_workers=2) as pool:
        report = run_tests(
            "n = int(input())\nprint(n * n if n != 4 else -1)\n", tests, limits=LIMITS, pool=pool
        )
    assert [o.passed for o in report.outcomes] == [True, True, True, True, False, True]


def test_functional_results_compare_by_value_like_livecodebench():
    """Fraction / Decimal results compare by value (JSON could not carry them: a runtime error before);
    a tuple result counts as a list at the top level only, as in LiveCodeBench's checker."""
    cases = {
        "from fractions import Fraction\ndef f(x):\n    return Fraction(x, 2)\n": ("3", "1.5", True),
        "from decimal import Decimal\ndef f(x):\n    return Decimal(x) / 4\n": ("1", "0.25", True),
        "def f(x):\n    return (x, x)\n": ("2", "[2, 2]", True),
        "def f(x):\n    return [(x, x)]\n": ("2", "[[2, 2]]", False),
        "class E(int):\n    __eq__ = lambda s, o: True\n    __hash__ = int.__hash__\ndef f(x):\n    return E(0)\n": (
            "2",
            "7",
            False,
        ),
    }
    for program, (arg, expected, ok) in cases.items():
        report = run_tests(program, [TestCase(arg, expected, "functional")], "f", LIMITS)
        assert report.all_passed is ok, (program, report.to_detail())


def test_functional_matches_numbers_of_any_exact_type():
    from decimal import Decimal
    from fractions import Fraction

    assert functional_matches(Fraction(1, 3), 0.3333333333)
    assert functional_matches(Decimal("2.5"), 2.5) and not functional_matches(Decimal("2.5"), 3)
    assert not functional_matches(Fraction(1, 2), "0.5")
