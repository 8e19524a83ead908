"""Code-execution reward through the sandbox: fraction of tests passed, failures counted."""

from __future__ import annotations

from collections import Counter

import pytest

from r1lit.grading import code_tests  # not `import tests_to_gold`: pytest would collect it as a test
from r1lit.rewards.code import code_reward

ADD_TESTS = [
    {"input": "2 3\n", "output": "5", "testtype": "stdin"},
    {"input": "1 1\n", "output": "2", "testtype": "stdin"},
    {"input": "4 4\n", "output": "8", "testtype": "stdin"},
    {"input": "0 7\n", "output": "7", "testtype": "stdin"},
]


def _fenced(program: str) -> str:
    return f"<think> add them </think>\n```python\n{program}\n```"


def test_fraction_of_tests_passed_and_stats() -> None:
    completions = [
        _fenced("a, b = map(int, input().split())\nprint(a + b)"),  # 4 / 4
        _fenced("a, b = map(int, input().split())\nprint(a * b if a == b else a + b)"),  # 1+1 -> 1, 4*4 -> 16
        "The answer is a + b.",  # no code block
        _fenced("print(5)"),  # tests missing
    ]
    stats: Counter = Counter()
    tests = [ADD_TESTS, ADD_TESTS, ADD_TESTS, None]
    task = ["code"] * 4
    rewards = code_reward(completions, answer=[""] * 4, tests=tests, task=task, stats=stats, workers=2)
    assert rewards == [1.0, 0.5, 0.0, None]
    assert stats == Counter({"wrong_answer": 1, "parse_failure": 1, "bad_gold": 1})
    binary = code_reward(completions[:2], tests=tests[:2], binary=True)
    assert binary == [1.0, 0.0]


def test_not_a_code_sample_is_not_applicable_not_bad_gold() -> None:
    """Mixed-task batches: a math sample is another reward's business, whatever its `answer` holds."""
    stats: Counter = Counter()
    completions = [_fenced("a, b = map(int, input().split())\nprint(a + b)"), "\\boxed{42}", "\\boxed{42}"]
    rewards = code_reward(
        completions,
        answer=["", "42", "42"],
        tests=[ADD_TESTS, None, None],
        task=["code", "math", None],
        stats=stats,
    )
    assert rewards == [1.0, None, None]
    assert stats == Counter({"not_applicable": 2})


def test_gold_from_answer_column_functional_and_timeout() -> None:
    gold = code_tests.tests_to_gold(
        [
            {"input": "3", "output": "9", "testtype": "functional"},
            {"input": "-2", "output": "4", "testtype": "functional"},
        ],
        func_name="square",
    )
    completions = [
        _fenced("def square(x):\n    return x * x"),
        _fenced("while True:\n    pass"),  # never returns
    ]
    stats: Counter = Counter()
    rewards = code_reward(
        completions, answer=[gold, gold], timeout_s=1.0, stop_on_first_failure=True, stats=stats
    )
    assert rewards == [1.0, 0.0]
    assert stats["timeout"] == 1


@pytest.mark.parametrize("gold", ["not json", '{"tests": []}', '[{"input": "1"}]'])
def test_malformed_gold_is_excluded(gold: str) -> None:
    assert code_reward([_fenced("print(1)")], answer=[gold]) == [None]


def test_sandbox_errors_are_excluded_counted_and_fatal_when_most(monkeypatch) -> None:
    from r1lit.grading import sandbox

    program = _fenced("a, b = map(int, input().split())\nprint(a + b)")
    monkeypatch.setattr(sandbox, "LAUNCHER", sandbox.LAUNCHER.with_name("no_such_launcher.py"))
    stats: Counter = Counter()
    with pytest.raises(RuntimeError, match="sandbox failed on 2 of 2"):
        code_reward([program, program], tests=[ADD_TESTS[:1]] * 2, stats=stats)
    assert stats == Counter({"sandbox_error": 2})
    few = code_reward([program], tests=[ADD_TESTS[:1]], max_sandbox_error_rate=1.0)
    assert few == [None]  # excluded from advantages, not scored 0
