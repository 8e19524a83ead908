"""Integer expressions of the synthetic tasks: the step-by-step reduction and the Countdown check.

A leaf module (standard library only): `synthetic` (problems and traces), `bigarith` (its own sampler)
and `checks` (the one check per task) all import it, so none of them has to import another.
"""

from __future__ import annotations

import ast


def arithmetic_steps(tokens: list[str]) -> list[tuple[str, int, str]]:
    """Reduce an expression one operation at a time: `*` first (left to right), then `+ -` left to right.

    Args:
        tokens: alternating operands and operators, e.g. ["8", "+", "7", "*", "3"].

    Returns:
        One `(operation, value, remaining expression)` per step, e.g. `("7*3=21", 21, "8+21")`.
    """
    toks = list(tokens)
    steps = []
    while len(toks) > 1:
        ops = toks[1::2]
        i = 2 * ops.index("*") + 1 if "*" in ops else 1
        a, op, b = int(toks[i - 1]), toks[i], int(toks[i + 1])
        value = a * b if op == "*" else a + b if op == "+" else a - b
        toks[i - 1 : i + 2] = [str(value)]
        steps.append((f"{a}{op}{b}={value}", value, "".join(toks)))
    return steps


def check_countdown(expression: str | None, numbers: list[int], target: int) -> bool:
    """True iff `expression` uses exactly `numbers` (each once), only `+ - *` and parentheses, and equals `target`.

    Never calls `eval`: the expression is parsed with `ast` and only integer literals and the three
    binary operators are accepted; anything else (names, calls, `**`, `/`, unary minus) is rejected.
    """
    if not expression or len(expression) > 200:
        return False
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return False
    used: list[int] = []

    def visit(node: ast.AST) -> int | None:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            used.append(node.value)
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult):
            a, b = visit(node.left), visit(node.right)
            if a is None or b is None:
                return None
            return (
                a * b if isinstance(node.op, ast.Mult) else a + b if isinstance(node.op, ast.Add) else a - b
            )
        return None

    value = visit(tree)
    return value is not None and value == target and sorted(used) == sorted(numbers)
