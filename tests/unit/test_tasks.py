"""Synthetic tasks: determinism, disjoint splits, correct answers and traces, the countdown checker."""

from __future__ import annotations

import ast

import pytest

from r1lit.tasks.synthetic import (
    check_countdown,
    make_problems,
    question_split,
    solution_trace,
    verify,
)

KEYS = {"id", "question", "answer", "task", "difficulty"}


@pytest.mark.parametrize("task", ["arithmetic", "countdown", "bigarith"])
def test_deterministic_and_seed_dependent(task: str) -> None:
    a = make_problems("train", 50, seed=1, difficulty=3, task=task)
    assert a == make_problems("train", 50, seed=1, difficulty=3, task=task)
    assert a != make_problems("train", 50, seed=2, difficulty=3, task=task)
    assert all(set(r) >= KEYS and r["task"] == task and r["difficulty"] == 3 for r in a)
    assert all(isinstance(r["answer"], str) for r in a)
    assert len({r["question"] for r in a}) == len(a) == len({r["id"] for r in a})


@pytest.mark.parametrize("task", ["arithmetic", "countdown", "bigarith"])
@pytest.mark.parametrize("difficulty", [2, 3, 4])
def test_train_and_heldout_never_share_a_question(task: str, difficulty: int) -> None:
    train = {r["question"] for s in range(3) for r in make_problems("train", 300, s, difficulty, task)}
    heldout = {r["question"] for s in range(3) for r in make_problems("heldout", 100, s, difficulty, task)}
    assert train and heldout and not train & heldout
    assert all(question_split(q) == "train" for q in train)
    assert all(question_split(q) == "heldout" for q in heldout)


def _eval_expression(expr: str) -> int:
    """Independent reference: Python's own precedence rules on a checked literal-only AST."""
    tree = ast.parse(expr, mode="eval")
    assert all(
        isinstance(n, ast.Expression | ast.BinOp | ast.Constant | ast.operator) for n in ast.walk(tree)
    )
    return eval(compile(tree, "<expr>", "eval"))  # noqa: S307 - literals and + - * only, checked above


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4, 5])
def test_arithmetic_answers_and_traces_are_correct(difficulty: int) -> None:
    for rec in make_problems("train", 100, seed=0, difficulty=difficulty):
        expr = rec["question"].removeprefix("Compute ")
        assert sum(expr.count(op) for op in "+-*") == difficulty
        assert int(rec["answer"]) == _eval_expression(expr)
        lines = solution_trace(rec).splitlines()
        assert len(lines) == difficulty
        for line in lines:  # every "a op b=c" step is right, and so is every rewritten remainder
            step, _, rest = line.rstrip(".").partition(", so ")
            lhs, rhs = step.split("=")
            assert _eval_expression(lhs) == int(rhs)
            if rest:
                assert _eval_expression(rest) == int(rec["answer"])
        assert lines[-1].rstrip(".").split("=")[1] == rec["answer"]


def test_arithmetic_trace_example() -> None:
    rec = {"task": "arithmetic", "question": "Compute 8+7*3-5", "answer": "24"}
    assert solution_trace(rec) == "7*3=21, so 8+21-5.\n8+21=29, so 29-5.\n29-5=24."


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4])
def test_countdown_reference_solutions_pass_the_checker(difficulty: int) -> None:
    for rec in make_problems("train", 100, seed=0, difficulty=difficulty, task="countdown"):
        assert len(rec["numbers"]) == difficulty + 1
        assert check_countdown(rec["answer"], rec["numbers"], rec["target"])
        assert verify(rec, rec["answer"])
        assert solution_trace(rec).splitlines()[-1].endswith(f"={rec['target']}.")


@pytest.mark.parametrize(
    "expr, ok",
    [
        ("(3+5)*7", True),
        ("7*(5+3)", True),
        ("7*5+3", False),  # wrong value
        ("(3+5)*7+0", False),  # uses a number not given
        ("(3+5)*7*1", False),
        ("8*7", False),  # does not use every number
        ("(3+5)**7", False),  # operator not allowed
        ("__import__('os')", False),
        ("-3+5*7", False),  # unary minus not allowed
        ("(3+5)/1*7", False),
        ("", False),
        (None, False),
        ("(3+5*7", False),  # syntax error
    ],
)
def test_check_countdown(expr: str | None, ok: bool) -> None:
    assert check_countdown(expr, [3, 5, 7], 56) is ok


def test_verify_arithmetic() -> None:
    rec = make_problems("heldout", 1, seed=0, difficulty=3)[0]
    assert verify(rec, rec["answer"]) and verify(rec, f" {rec['answer']} ")
    assert not verify(rec, str(int(rec["answer"]) + 1))
    assert not verify(rec, None) and not verify(rec, "twelve")


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        make_problems("train", 1, 0, 2, task="sudoku")
    with pytest.raises(ValueError, match="unknown split"):
        make_problems("test", 1, 0, 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="difficulty"):
        make_problems("train", 1, 0, 0)
    with pytest.raises(ValueError, match="could only find"):
        make_problems("heldout", 500, 0, 1)  # only a few dozen one-operation questions are held out


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4])
def test_bigarith_follows_its_rules_and_is_solved_right(difficulty: int) -> None:
    from r1lit.tasks import check
    from r1lit.tasks.synthetic import _tokenize_expression

    for rec in make_problems("train", 100, seed=0, difficulty=difficulty, task="bigarith"):
        expr = rec["question"].removeprefix("Compute ")
        tokens = _tokenize_expression(expr)
        ops = tokens[1::2]
        assert len(ops) == difficulty and "*" in ops and "**" not in "".join(ops)
        for j, number in enumerate(tokens[::2]):  # a two-digit number times one digit; the rest one digit
            is_factor = j < len(ops) and ops[j] == "*"
            assert len(number) == (2 if is_factor else 1)
        assert int(rec["answer"]) == _eval_expression(expr)
        lines = solution_trace(rec).splitlines()
        assert len(lines) == difficulty
        for line in lines:
            lhs, rhs = line.rstrip(".").partition(", so ")[0].split("=")
            assert 0 <= int(rhs) <= 199 and _eval_expression(lhs) == int(rhs)
        # graded by the one check registry, as an integer
        assert check(rec, f"<answer> {rec['answer']} </answer>").correct
        assert not check(rec, f"<answer> {int(rec['answer']) + 1} </answer>").correct


def test_bigarith_recheck_finds_corrections_only_when_it_recomputes() -> None:
    from r1lit.tasks.bigarith import find_corrections, recheck_text

    assert recheck_text(23, 4) == "Wait, let me check: 20*4=80, 3*4=12, 80+12=92. So 23*4=92"
    fixed = find_corrections(f"23*4=82. {recheck_text(23, 4)}, so 92+17.")
    assert fixed == [{"product": "23*4", "first": 82, "final": 92, "valid": True, "corrected": True}]
    confirmed = find_corrections(f"23*4=92. {recheck_text(23, 4)}, so 92+17.")
    assert confirmed[0]["valid"] and not confirmed[0]["corrected"]
    # a re-check whose own arithmetic is wrong, or that ends on another value, corrects nothing
    forged = "23*4=82. Wait, let me check: 20*4=80, 3*4=12, 80+12=82. So 23*4=82"
    assert find_corrections(forged)[0]["valid"] is False
    assert find_corrections("23*4=82. Wait, let me check: 23*4=92.") == []
    # a sampled number too long for int() (over 4,300 digits) is not a re-check, and raises nothing
    huge = "9" * 5000
    assert find_corrections(f"23*4=82. Wait, let me check: 20*4=80, 3*4=12, 80+12=92. So 23*4={huge}") == []
    assert (
        find_corrections(f"{huge}23*4=82. {recheck_text(23, 4)}") == []
    )  # 23 is the tail of a longer number
