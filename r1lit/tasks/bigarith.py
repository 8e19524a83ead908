"""The `bigarith` task: multi-step arithmetic with two-digit operands, where a product is worth re-checking.

"Compute 23*4+7-5" -> "94". Every `*` multiplies a two-digit number (10-99) by one digit (2-9), every
`+`/`-` operand that is not a factor has one digit (1-9), and every intermediate value of the
step-by-step solution lies in [0, 199]. `difficulty` = number of operators; at least one is `*`.
The solution reduces the expression exactly like the `arithmetic` task (`arithmetic_steps`: products
first, then left to right), and the task is graded by the same integer check (`r1lit.tasks.check`).

Why this task: a product like 23*4 is one step that a tiny model gets wrong now and then, and it can
be recomputed *another way*, digit by digit (20*4=80, 3*4=12, 80+12=92), with steps that are each easy.
That re-check is what the reflective style of the tiny R1-Zero world writes (`recheck_text`), and what
`find_corrections` recognises in a sampled trace: a product first written wrong, re-checked digit by
digit, and rewritten right.
"""

from __future__ import annotations

import random
import re

from r1lit.tasks.expressions import arithmetic_steps

MAX_VALUE = 199  # every intermediate value lies in [0, MAX_VALUE]: three-digit sums stay easy
RECHECK = "Wait, let me check:"
# "23*4=82. Wait, let me check: 20*4=80, 3*4=12, 80+12=92. So 23*4=92" (first value, re-check, final value).
_N = r"(\d{1,6})"  # a number; bounded, so a sampled 5,000-digit "number" cannot make int() raise
_CHECKED_PRODUCT = re.compile(
    rf"(?<!\d){_N}\*(\d)={_N}\. Wait, let me check: {_N}\*\2={_N}, (\d)\*\2={_N}, {_N}\+{_N}={_N}\. "
    rf"So \1\*\2={_N}(?!\d)"
)


def sample_tokens(rng: random.Random, difficulty: int) -> list[str] | None:
    """One candidate expression as tokens, or None when it breaks a rule (the caller draws again)."""
    ops = [rng.choice("+-*") for _ in range(difficulty)]
    if "*" not in ops or "**" in "".join(ops):
        return None
    # a number left of a `*` is the two-digit factor; the factor right of it and every other number one digit
    tokens = [str(rng.randint(10, 99) if ops[0] == "*" else rng.randint(1, 9))]
    for i, op in enumerate(ops):
        two_digits = i + 1 < len(ops) and ops[i + 1] == "*"
        tokens += [
            op,
            str(rng.randint(10, 99) if two_digits else rng.randint(2, 9) if op == "*" else rng.randint(1, 9)),
        ]
    if all(0 <= value <= MAX_VALUE for _, value, _ in arithmetic_steps(tokens)):
        return tokens
    return None


def sample(rng: random.Random, difficulty: int) -> dict | None:
    """A `{"question", "answer"}` record body, or None (see `sample_tokens`)."""
    tokens = sample_tokens(rng, difficulty)
    if tokens is None:
        return None
    return {"question": f"Compute {''.join(tokens)}", "answer": str(arithmetic_steps(tokens)[-1][1])}


def recheck_text(a: int, b: int) -> str:
    """The digit-by-digit re-check of a two-digit `a` times a one-digit `b`, ending with the right product.

    >>> recheck_text(23, 4)
    'Wait, let me check: 20*4=80, 3*4=12, 80+12=92. So 23*4=92'
    """
    tens, units = a - a % 10, a % 10
    return (
        f"{RECHECK} {tens}*{b}={tens * b}, {units}*{b}={units * b}, "
        f"{tens * b}+{units * b}={a * b}. So {a}*{b}={a * b}"
    )


def find_corrections(text: str) -> list[dict]:
    """Every digit-by-digit re-check of a product in `text`, with what it found.

    Only a re-check that really recomputes counts: the partial products and their sum are verified
    here, so a bare "Wait, let me check" (or a re-check with wrong arithmetic) is not a correction.

    Returns:
        One dict per re-check: `product` ("23*4"), `first` (the value written before the re-check),
        `final` (the value after it), `valid` (the re-check's own arithmetic is right and starts from
        the digits of the operand) and `corrected` (valid, first was wrong, final is right).
    """
    out = []
    for m in _CHECKED_PRODUCT.finditer(text):
        a, b, first = int(m.group(1)), int(m.group(2)), int(m.group(3))
        tens, tens_p, units, units_p = int(m.group(4)), int(m.group(5)), int(m.group(6)), int(m.group(7))
        left, right, total, final = int(m.group(8)), int(m.group(9)), int(m.group(10)), int(m.group(11))
        valid = (
            tens == a - a % 10
            and units == a % 10
            and tens_p == tens * b
            and units_p == units * b
            and (left, right) == (tens_p, units_p)
            and total == left + right
            and final == total
        )
        out.append(
            {
                "product": f"{a}*{b}",
                "first": first,
                "final": final,
                "valid": valid,
                "corrected": valid and first != a * b and final == a * b,
            }
        )
    return out
