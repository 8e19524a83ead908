"""LiveCodeBench on ../shared/data's public-test file: the paper's window, prompt shape, and grading."""

from __future__ import annotations

from collections import Counter

import pytest
from r1lit_eval.benchmarks.livecodebench import FORMAT_STDIN, FORMAT_WITH_STARTER, LiveCodeBench

from r1lit.grading.code_tests import parse_tests

pytestmark = pytest.mark.shared_data
FILE = "livecodebench_v5_public_tests.jsonl"


@pytest.fixture(scope="module")
def problems(shared_data):
    bench = LiveCodeBench(local_path=str(shared_data / FILE), timeout_s=3.0, memory_mb=1024)
    return bench, {p.id: p for p in bench.load()}


def fenced(code: str) -> str:
    return f"<think>easy</think>\nHere is my solution:\n```python\n{code}```\n"


def test_paper_window_has_279_problems(problems, shared_data):
    bench, by_id = problems
    assert len(by_id) == 279
    assert Counter(p.meta["platform"] for p in by_id.values()) == {"atcoder": 175, "leetcode": 104}
    assert all("2024-08-01" <= p.meta["contest_date"] <= "2025-01-31" for p in by_id.values())
    assert bench.provenance["problems"] == 279 and len(bench.provenance["sha256"]) == 64
    for p in by_id.values():
        tests, func_name = parse_tests(p.gold)
        assert tests and p.kind == "code"
        assert (func_name is not None) == (p.meta["platform"] == "leetcode")
    everything = LiveCodeBench(
        local_path=str(shared_data / FILE), start_date="2000-01-01", end_date="2099-12-31"
    )
    assert len(everything.load()) == 879


def test_prompt_shapes(problems):
    _, by_id = problems
    stdin_prompt = by_id["abc365_a"].prompt
    assert len(stdin_prompt) == 1 and stdin_prompt[0]["role"] == "user"
    text = stdin_prompt[0]["content"]
    assert "### Question:\nYou are given an integer Y between 1583 and 2023." in text
    assert f"### Format: {FORMAT_STDIN}\n```python\n# YOUR CODE HERE\n```" in text
    assert text.rstrip().endswith("### Answer: (use the provided format with backticks)")
    functional = by_id["3606"].prompt[0]["content"]
    assert (
        f"### Format: {FORMAT_WITH_STARTER}\n```python\nclass Solution:\n    def minElement(self"
        in functional
    )
    assert "Read the inputs from stdin" not in functional


def test_grades_stdin_problem(problems):
    bench, by_id = problems
    leap = by_id["abc365_a"]  # Leap Year: 365 or 366 days
    right = "y = int(input())\nprint(366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365)\n"
    grade = bench.grade(leap, fenced(right))
    assert (grade.correct, grade.status, grade.detail["passed"], grade.detail["total"]) == (
        True,
        "correct",
        4,
        4,
    )
    wrong = "y = int(input())\nprint(366 if y % 4 == 0 else 365)\n"  # fails 1800 (3rd test)
    grade = bench.grade(leap, fenced(wrong))
    assert (grade.correct, grade.status, grade.detail["passed"], grade.detail["first_failure"]) == (
        False,
        "incorrect",
        2,
        "wrong_answer",
    )
    assert bench.grade(leap, "I think the answer is 365.").status == "no_answer"
    cheat = f"print(len(open({bench.local_path!r}).read()))\n"  # the expected outputs are hidden
    assert bench.grade(leap, fenced(cheat)).detail["first_failure"] == "runtime_error"
    impatient = LiveCodeBench(local_path=bench.local_path, timeout_s=0.5)  # grade() needs no load()
    assert impatient.grade(leap, fenced("while True:\n    pass\n")).status == "timeout"


def test_grades_functional_problem(problems):
    bench, by_id = problems
    digits = by_id["3606"]  # minimum element after replacing each number by its digit sum
    right = (
        "class Solution:\n"
        "    def minElement(self, nums: List[int]) -> int:\n"
        "        return min(sum(map(int, str(n))) for n in nums)\n"
    )
    grade = bench.grade(digits, fenced(right))
    assert (
        grade.correct and grade.status == "correct" and grade.detail["passed"] == grade.detail["total"] == 3
    )
    wrong = right.replace("min(", "max(")
    grade = bench.grade(digits, fenced(wrong))
    assert (
        not grade.correct and grade.status == "incorrect" and grade.detail["first_failure"] == "wrong_answer"
    )


def test_data_file_under_tmp_grades_normally(problems, tmp_path):
    """A data file under /tmp made every sample a silent sandbox error (the hide-mount failed)."""
    import shutil

    bench, by_id = problems
    local = tmp_path / FILE
    shutil.copy(bench.local_path, local)
    moved = LiveCodeBench(local_path=str(local), timeout_s=3.0)
    right = "y = int(input())\nprint(366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365)\n"
    grade = moved.grade(by_id["abc365_a"], fenced(right))
    assert (grade.correct, grade.detail["sandbox_error"]) == (True, False)
    cheat = f"print(len(open({str(local)!r}).read()))\n"  # and the data stays out of reach
    assert moved.grade(by_id["abc365_a"], fenced(cheat)).detail["first_failure"] == "runtime_error"


def test_exit_idiom_passes(problems):
    """`print(x); exit()` (AtCoder idiom; exit() was undefined) passes."""
    bench, by_id = problems
    right = "y = int(input())\nprint(366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365)\nexit()\n"
    assert bench.grade(by_id["abc365_a"], fenced(right)).correct
