"""Synthetic verifiable tasks: multi-step integer arithmetic and Countdown puzzles.

Both tasks are seeded, have a difficulty knob (the number of operations), and split their question
space into `train` and `heldout` by a stable hash of the question text, so the two splits never
share a question whatever the seed or size. The embedded tiny model is pretrained on the train
split only; held-out accuracy is therefore measured on questions it has never seen.

- arithmetic: "Compute 8+7*3-5" -> "24". Operands are single digits, operators `+ - *` with the
  usual precedence, and every intermediate value of the step-by-step solution stays in [0, 99].
  `difficulty` = number of operators.
- countdown: "Using the numbers 3, 5, 7 once each, make 56 with + - * and parentheses" -> any
  expression using exactly those numbers once each that evaluates to 56 (`check_countdown`; the
  completion-level check every reward and eval path uses is `r1lit.tasks.check`).
  `difficulty` = number of operators = len(numbers) - 1. The stored `answer` is one valid solution.
- bigarith: "Compute 23*4+7-5" -> "94": products of a two-digit number by one digit, other operands
  one digit, intermediates in [0, 199] (`r1lit.tasks.bigarith`); solved and graded like arithmetic.
- modsearch: "Find x in 0..6 with (3*x+24) mod 10 = 9" -> "5": difficulty picks the range of x
  (`r1lit.tasks.modsearch`); graded by the integer check.
"""

from __future__ import annotations

import ast
import hashlib
import random
from typing import Literal

# a leaf module that bigarith and checks import too; check_countdown stays importable from here
from r1lit.tasks.expressions import arithmetic_steps, check_countdown  # noqa: F401

Split = Literal["train", "heldout"]
TASKS = ("arithmetic", "countdown", "bigarith", "modsearch")
SPLITS = ("train", "heldout")
HELDOUT_BUCKETS = 10  # 1 question in 10 (by hash) is held out
MAX_VALUE = 99  # every intermediate value of an arithmetic solution lies in [0, MAX_VALUE]
_OPS = "+-*"
_MAX_ATTEMPTS_PER_PROBLEM = 400


def question_split(question: str) -> Split:
    """The split a question belongs to, from a stable hash of its text (never Python's `hash`)."""
    digest = hashlib.sha256(f"r1lit-split:{question}".encode()).digest()
    return "heldout" if int.from_bytes(digest[:8], "big") % HELDOUT_BUCKETS == 0 else "train"


def _problem_id(task: str, split: str, difficulty: int, question: str) -> str:
    return f"{task}-{split}-d{difficulty}-{hashlib.sha1(question.encode()).hexdigest()[:12]}"


# ---------------------------------------------------------------- arithmetic


def _sample_arithmetic(rng: random.Random, difficulty: int) -> list[str] | None:
    tokens = [str(rng.randint(1, 9))]
    for _ in range(difficulty):
        tokens += [rng.choice(_OPS), str(rng.randint(1, 9))]
    if all(0 <= value <= MAX_VALUE for _, value, _ in arithmetic_steps(tokens)):
        return tokens
    return None


def _arithmetic_record(tokens: list[str]) -> tuple[str, str]:
    expression = "".join(tokens)
    answer = str(arithmetic_steps(tokens)[-1][1])
    return f"Compute {expression}", answer


# ---------------------------------------------------------------- countdown


def _sample_countdown(rng: random.Random, difficulty: int) -> tuple[list[int], int, str] | None:
    """A left-nested chain ((a op b) op c) ... over the numbers, with every partial value in [0, 99], target > 0."""
    numbers = [rng.randint(1, 9) for _ in range(difficulty + 1)]
    expr, value, top = str(numbers[0]), numbers[0], ""  # top: the outermost operator of `expr`
    for n in numbers[1:]:
        op = rng.choice(_OPS)
        expr = f"({expr}){op}{n}" if op == "*" and top in ("+", "-") else f"{expr}{op}{n}"
        value = value * n if op == "*" else value + n if op == "+" else value - n
        top = op
        if not 0 <= value <= MAX_VALUE:
            return None
    if value <= 0:
        return None
    return sorted(numbers), value, expr


def _countdown_question(numbers: list[int], target: int) -> str:
    listed = ", ".join(str(n) for n in numbers)
    return f"Using the numbers {listed} once each, make {target} with + - * and parentheses"


def countdown_steps(expression: str) -> list[str]:
    """The binary operations of an expression in evaluation order, e.g. "(3+5)*7" -> ["3+5=8", "8*7=56"]."""
    steps: list[str] = []

    def visit(node: ast.AST) -> int:
        if isinstance(node, ast.Constant):
            return int(node.value)
        assert isinstance(node, ast.BinOp)
        a, b = visit(node.left), visit(node.right)
        sym = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(node.op)]
        value = a * b if sym == "*" else a + b if sym == "+" else a - b
        steps.append(f"{a}{sym}{b}={value}")
        return value

    visit(ast.parse(expression, mode="eval").body)
    return steps


# ---------------------------------------------------------------- public API


def _sample(task: str, rng: random.Random, difficulty: int) -> dict | None:
    if task == "bigarith":
        from r1lit.tasks import bigarith  # lazily: only bigarith problems need it

        return bigarith.sample(rng, difficulty)
    if task == "modsearch":
        from r1lit.tasks import modsearch  # lazily, as bigarith

        return modsearch.sample(rng, difficulty)
    if task == "arithmetic":
        tokens = _sample_arithmetic(rng, difficulty)
        if tokens is None:
            return None
        question, answer = _arithmetic_record(tokens)
        return {"question": question, "answer": answer}
    sampled = _sample_countdown(rng, difficulty)
    if sampled is None:
        return None
    numbers, target, expr = sampled
    return {
        "question": _countdown_question(numbers, target),
        "answer": expr,
        "numbers": numbers,
        "target": target,
    }


def make_problems(
    split: Split, n: int, seed: int, difficulty: int, task: str = "arithmetic", unique: bool = True
) -> list[dict]:
    """Sample `n` problems of one task, split and difficulty.

    Args:
        split: "train" or "heldout"; the two never share a question (stable hash of the question).
        n: number of problems.
        seed: same (split, n, seed, difficulty, task) -> the same list.
        difficulty: number of operations (>= 1).
        task: "arithmetic", "countdown", "bigarith" or "modsearch".
        unique: no question repeats within the list (raises ValueError when the space is too small).

    Returns:
        Records with keys `id, question, answer, task, difficulty` (countdown adds `numbers, target`).
        `answer` is a string: the integer result, or for countdown one valid expression.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if difficulty < 1:
        raise ValueError(f"difficulty must be >= 1, got {difficulty}")
    rng = random.Random(f"r1lit:{task}:{split}:{difficulty}:{seed}")
    out: list[dict] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > _MAX_ATTEMPTS_PER_PROBLEM * max(n, 10):
            raise ValueError(
                f"could only find {len(out)} of {n} {'unique ' if unique else ''}{task} problems "
                f"for split={split} difficulty={difficulty}; lower n or raise the difficulty"
            )
        rec = _sample(task, rng, difficulty)
        if rec is None or question_split(rec["question"]) != split:
            continue
        if unique and rec["question"] in seen:
            continue
        seen.add(rec["question"])
        rec.update(task=task, difficulty=difficulty, id=_problem_id(task, split, difficulty, rec["question"]))
        out.append({k: rec[k] for k in ("id", "question", "answer", "task", "difficulty")} | rec)
    return out


def solution_trace(record: dict) -> str:
    """The step-by-step solution of a record, one line per operation.

    arithmetic: "7*3=21, so 8+21-5." ... "29-5=24." (each line does one operation and rewrites the rest).
    countdown: "3+5=8." "8*7=56." (the operations of the stored solution, in evaluation order).
    """
    if record["task"] in ("arithmetic", "bigarith"):
        tokens = _tokenize_expression(record["question"].removeprefix("Compute "))
        steps = arithmetic_steps(tokens)
        lines = [f"{op}, so {rest}." for op, _, rest in steps[:-1]] + [f"{steps[-1][0]}."]
        return "\n".join(lines)
    if record["task"] == "countdown":
        return "\n".join(f"{s}." for s in countdown_steps(record["answer"]))
    raise ValueError(f"unknown task {record['task']!r}; expected one of {TASKS}")


def _tokenize_expression(expression: str) -> list[str]:
    tokens: list[str] = []
    for ch in expression.replace(" ", ""):
        if ch.isdigit() and tokens and tokens[-1].isdigit():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def verify(record: dict, pred: str | None) -> bool:
    """Whether an already-extracted answer solves the record, by the one task check.

    Kept for callers that extract themselves; new code should call ``r1lit.tasks.check`` on the whole
    completion. The answer is boxed and handed to that check, so the rule is the same everywhere.
    """
    from r1lit.tasks.checks import check  # lazily: the grader loads only when a record is checked

    if pred is None or not pred.strip():
        return False
    return check(record, rf"\boxed{{{pred.strip()}}}").correct
