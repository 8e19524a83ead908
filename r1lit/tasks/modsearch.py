"""The `modsearch` task: find x with (a*x+b) mod p = c, a search whose answer is cheap to verify.

"Find x in 0..6 with (4*x+2) mod 7 = 3" -> "5". `p` is a small prime picked by the difficulty
(`PRIMES`), `a` in 1..9 (not a multiple of p, so the answer is unique), `b` in 0..9, `c` in 0..p-1.

Why this task: computing x in one shot is a modular inverse, which a 1M-parameter model cannot
learn (and the tiny world never shows it), but *checking* a guess is three facts from small tables
the model sees thousands of times in pretraining (`check_text`: "4*5=20, 20+2=22, 22 mod 7=1").
So "try, check, and when the check fails say so and try the next x" (`attempt_text`,
`retry_text`) is the one reliable route to the answer: the paper's "re-evaluate its first
approach", as in Countdown. `read_attempts` parses those attempts back out of a sampled text, with
whether each check's own arithmetic is right, for the style classifier and the aha-moment table.
"""

from __future__ import annotations

import random
import re

PRIMES = {1: 5, 2: 7, 3: 11, 4: 13}  # difficulty -> modulus: the search space grows with it
MAX_A, MAX_B = 9, 9
RETRY = "Wait,"  # the reflection phrase: `reflection/rate` counts "wait" (conf/stage/grpo.yaml)
_QUESTION = re.compile(r"Find x in 0\.\.(\d+) with \((\d+)\*x\+(\d+)\) mod (\d+) = (\d+)")
# "try x=5: 4*5=20, 20+2=22, 22 mod 7=1." (first attempt "Try", later ones "Let me try")
_ATTEMPT = re.compile(r"[Tt]ry x=(\d+): (\d+)\*(\d+)=(\d+), (\d+)\+(\d+)=(\d+), (\d+) mod (\d+)=(\d+)\.")
_REJECT = re.compile(r"\s*Wait, (\d+) is not (\d+)\.")


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


def attempt_text(a: int, b: int, p: int, x: int, first: bool) -> tuple[str, int]:
    """One attempt: "Try x=5: <check>." (first) or "Let me try x=5: <check>." and its residue."""
    check, residue = check_text(a, b, p, x)
    return f"{'Try' if first else 'Let me try'} x={x}: {check}.", residue


def retry_text(residue: int, c: int) -> str:
    """The reflection after a failed check, which the next attempt continues: "Wait, 1 is not 3."."""
    return f"{RETRY} {residue} is not {c}."


def read_attempts(text: str, question: str | None = None) -> list[dict]:
    """Every attempt in `text`, in order, with what its check found.

    Args:
        text: a completion (or its think text).
        question: the problem; with it each attempt is also checked against the problem's a, b, p.

    Returns:
        One dict per attempt: `x`, `residue` (what the text says (a*x+b) mod p is), `valid` (the
        check's three facts are right, and, with `question`, use the problem's a, b, p), and
        `rejected` (a reflection "Wait, r is not c." follows it).
    """
    params = parse_question(question) if question else None
    out = []
    for m in _ATTEMPT.finditer(text):
        x, a, x2, prod, prod2, b, total, total2, p, residue = (int(g) for g in m.groups())
        valid = (
            x2 == x
            and prod == a * x
            and prod2 == prod
            and total == prod + b
            and total2 == total
            and residue == total % p
        )
        if params is not None:
            valid = valid and (a, b, p) == (params[0], params[1], params[3])
        rejected = _REJECT.match(text, m.end()) is not None
        out.append({"x": x, "residue": residue, "valid": valid, "rejected": rejected})
    return out


def self_corrections(text: str, question: str) -> dict | None:
    """How a completion corrected itself, or None when it did not.

    A self-correction: a first attempt whose valid check failed (its residue is not c), a
    reflection, and later attempts up to one whose valid check passes; None otherwise (a bare
    "Wait", a wrong check, or no attempt that passes).

    Returns:
        `{"first": first x tried, "final": x whose check passed, "tries": number of attempts}`.
    """
    params = parse_question(question)
    attempts = read_attempts(text, question)
    if params is None or len(attempts) < 2:
        return None
    c = params[2]
    first = attempts[0]
    if not (first["valid"] and first["rejected"] and first["residue"] != c):
        return None
    for i, att in enumerate(attempts[1:], start=2):
        if not att["valid"]:
            return None
        if att["residue"] == c:
            return {"first": first["x"], "final": att["x"], "tries": i}
    return None
