"""The `modsearch` task: find x with (a*x+b) mod p = c, a search whose answer is cheap to verify.

"Find x in 0..6 with (4*x+2) mod 7 = 3" -> "5". `p` is a small prime picked by the difficulty
(`PRIMES`), `a` in 1..9 (not a multiple of p, so the answer is unique), `b` in 0..9, `c` in 0..p-1.

Why this task: computing x in one shot is a modular inverse, which a 1M-parameter model cannot
learn (and the tiny world never shows it), but *checking* a guess is three facts from small tables
the model sees thousands of times in pretraining (`check_text`: "4*5=20, 20+2=22, 22 mod 7=1").
Every check ends with its verdict ("1 is not 3." / "3 is 3.", `verdict_text`), so "try, check,
and when the check fails try the next x" ("Wait, let me try x=6: ...", `attempt_text`) is the one
reliable route to the answer: the paper's "re-evaluate its first approach", as in Countdown. `read_attempts` parses those attempts back out of a sampled text, with
whether each check's own arithmetic is right, for the style classifier and the aha-moment table.
"""

from __future__ import annotations

import random
import re

PRIMES = {1: 5, 2: 7, 3: 11, 4: 13}  # difficulty -> modulus: the search space grows with it
MAX_A, MAX_B = 9, 9
RETRY = "Wait, let me try"  # opens every attempt after the first; `reflection/rate` counts its "wait"
_QUESTION = re.compile(r"Find x in 0\.\.(\d+) with \((\d+)\*x\+(\d+)\) mod (\d+) = (\d+)")
# "Try x=5: 4*5=20, 20+2=22, 22 mod 7=1. 1 is not 3." (later attempts open with "Wait, let me try")
_ATTEMPT = re.compile(
    r"(Try|Wait, let me try) x=(\d+): (\d+)\*(\d+)=(\d+), (\d+)\+(\d+)=(\d+), (\d+) mod (\d+)=(\d+)\."
    r"(?: (\d+) is (not )?(\d+)\.)?"
)


def modulus(difficulty: int) -> int:
    """The prime of a difficulty (ValueError for one without a prime)."""
    if difficulty not in PRIMES:
        raise ValueError(f"modsearch difficulty must be one of {sorted(PRIMES)}, got {difficulty}")
    return PRIMES[difficulty]


def question_text(a: int, b: int, c: int, p: int) -> str:
    """The question, e.g. "Find x in 0..6 with (4*x+2) mod 7 = 3"."""
    return f"Find x in 0..{p - 1} with ({a}*x+{b}) mod {p} = {c}"


def parse_question(question: str) -> tuple[int, int, int, int] | None:
    """`(a, b, c, p)` of a question, or None when it is not a modsearch question."""
    m = _QUESTION.search(question)
    if m is None or int(m.group(1)) != int(m.group(4)) - 1:
        return None
    return int(m.group(2)), int(m.group(3)), int(m.group(5)), int(m.group(4))


def solve(a: int, b: int, c: int, p: int) -> int:
    """The unique x in 0..p-1 with (a*x+b) mod p = c (a search: p is small)."""
    return next(x for x in range(p) if (a * x + b) % p == c)


def sample(rng: random.Random, difficulty: int) -> dict:
    """A `{"question", "answer"}` record body of one difficulty."""
    p = modulus(difficulty)
    a = rng.choice([v for v in range(1, MAX_A + 1) if v % p])
    b, c = rng.randint(0, MAX_B), rng.randrange(p)
    return {"question": question_text(a, b, c, p), "answer": str(solve(a, b, c, p))}


def check_text(a: int, b: int, p: int, x: int) -> tuple[str, int]:
    """The verification of a guess and the residue it finds: ("4*5=20, 20+2=22, 22 mod 7=1", 1)."""
    product, total = a * x, a * x + b
    return f"{a}*{x}={product}, {product}+{b}={total}, {total} mod {p}={total % p}", total % p


def verdict_text(residue: int, c: int) -> str:
    """What a check found, compared with the target: "1 is not 3." or "3 is 3."."""
    return f"{residue} is {'' if residue == c else 'not '}{c}."


def attempt_text(a: int, b: int, c: int, p: int, x: int, first: bool) -> tuple[str, int]:
    """One attempt with its verdict and its residue.

    "Try x=5: 4*5=20, 20+2=22, 22 mod 7=1. 1 is not 3." (first) or "Wait, let me try x=6: ..." (a
    retry after a failed check: the reflection).
    """
    check, residue = check_text(a, b, p, x)
    return f"{'Try' if first else RETRY} x={x}: {check}. {verdict_text(residue, c)}", residue


def read_attempts(text: str, question: str | None = None) -> list[dict]:
    """Every attempt in `text`, in order, with what its check found.

    Args:
        text: a completion (or its think text).
        question: the problem; with it each attempt is also checked against the problem's a, b, p.

    Returns:
        One dict per attempt: `x`, `retry` (opened with "Wait, let me try"), `residue` (what the text
        says (a*x+b) mod p is), `passed` (its verdict says the residue is the target: True, False, or
        None without a verdict), `valid` (the check's three facts and its verdict are right, and,
        with `question`, use the problem's a, b, c, p).
    """
    params = parse_question(question) if question else None
    out = []
    for m in _ATTEMPT.finditer(text):
        x, a, x2, prod, prod2, b, total, total2, p, residue = (int(g) for g in m.groups()[1:11])
        said, target = m.group(12), m.group(14)
        passed = None if said is None else m.group(13) is None
        valid = (
            x2 == x
            and prod == a * x
            and prod2 == prod
            and total == prod + b
            and total2 == total
            and residue == total % p
            and said is not None
            and int(said) == residue
            and passed == (residue == int(target))
        )
        if params is not None:
            valid = valid and (a, b, p) == (params[0], params[1], params[3]) and int(target) == params[2]
        out.append(
            {"x": x, "retry": m.group(1) == RETRY, "residue": residue, "passed": passed, "valid": valid}
        )
    return out


def self_corrections(text: str, question: str) -> dict | None:
    """How a completion corrected itself, or None when it did not.

    A self-correction: a first attempt whose valid check failed, then retries ("Wait, let me try
    x=..."), each checked right, up to one whose check passes; None otherwise (a bare "Wait", a
    wrong check, or no attempt that passes).

    Returns:
        `{"first": first x tried, "final": x whose check passed, "tries": number of attempts}`.
    """
    params = parse_question(question)
    attempts = read_attempts(text, question)
    if params is None or len(attempts) < 2:
        return None
    first = attempts[0]
    if not (first["valid"] and first["passed"] is False) or first["retry"]:
        return None
    for i, att in enumerate(attempts[1:], start=2):
        if not (att["valid"] and att["retry"]):
            return None
        if att["passed"]:
            return {"first": first["x"], "final": att["x"], "tries": i}
    return None
