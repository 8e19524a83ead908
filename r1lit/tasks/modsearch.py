"""The `modsearch` task: find x with (a*x+b) mod 10 = c, a search whose answer is cheap to verify.

"Find x in 0..6 with (3*x+24) mod 10 = 9" -> "5". The difficulty sets how many x there are to try
(`RANGES`: 0..4, 0..6, 0..9); `a` is 3 or 7 and `b` in 0..99. Those `a` have an inverse mod 10, so
every x in the range gives a different c: one solution, and every x equally likely to be it. Other
`a` fail one of these: a=1 and a=9 are inverted by one subtraction (x = c-b or b-c mod 10), which
RL learned to answer directly; even `a` and 5 repeat within 5 steps, and the rejection that keeps
one solution made x=2..4 half again as likely as the rest (a better blind guess).

Why this task: computing x in one shot is a modular inverse, which a 1M-parameter model cannot
learn (and the tiny world never shows it), but *checking* a guess takes facts every child knows
(`check_text`, for x=6: "3*6=18, 8+4=12, 2+1=3: no."): a one-digit product, its units digit plus
b's, that units digit plus the complement of c (10-c: 1 for c=9), and the verdict "yes" exactly
when the last sum ends in 0. Every fact reads two adjacent one-digit numbers (the tokenizer splits
digits) and the verdict reads one digit. The modulus is 10 so that "mod" is reading a units digit.

What did not work (the tiny model after 1000 pretraining steps; teacher-forced or sampled at T=1):
a prime modulus ("4*5=20, 20+2=22, 22 mod 7=1": 50 % of checks right; "4*5 mod 7=6, 6+2 mod 7=1":
18 %, residues mod 7 are a table without structure, the grokking task), and every verdict that
compares the found digit with c ("1 is not 3.", "so 2. Want 9: no.", "2 vs 9: no."): equality of
two digits was learned slowly, a true "yes" got probability 0.28-0.59, so retries walked past the
answer. The complement turns the comparison into "does this digit read 0".

A pass is followed by "The answer is 5." (`attempt_text`), so what follows a pass reads differently
from what follows a fail: the policy's "go on after a fail" did not then leak into "go on after a
pass" (it had: retries after "yes" that walked past the answer). So "try, check, and when the check
fails try the next x" ("Wait, let me try x=6: ...") is the one reliable route to the answer: the
paper's "re-evaluate its first approach", as in Countdown. `read_attempts` parses those attempts back
out of a sampled text, with whether each check's own arithmetic is right, for the style classifier
and the aha-moment table.
"""

from __future__ import annotations

import random
import re

MODULUS = 10
RANGES = {1: 5, 2: 7, 3: 10}  # difficulty -> how many x (0..n-1): the search space grows with it
FACTORS, MAX_B = (3, 7), 99
RETRY = "Wait, let me try"  # opens every attempt after the first; `reflection/rate` counts its "wait"
_N = r"(\d{1,6})"  # a number; bounded, so a sampled 5,000-digit "number" cannot make int() raise
_QUESTION = re.compile(rf"Find x in 0\.\.{_N} with \({_N}\*x\+{_N}\) mod 10 = {_N}")
# "Try x=5: 3*5=15, 5+4=9, 9+1=10: yes." (later attempts open with "Wait, let me try")
_ATTEMPT = re.compile(
    rf"(Try|Wait, let me try) x={_N}: {_N}\*{_N}={_N}, {_N}\+{_N}={_N}, {_N}\+{_N}={_N}(?:: (yes|no)\.)?"
)


def search_range(difficulty: int) -> int:
    """How many x a problem of this difficulty has to choose from (ValueError for an unknown one)."""
    if difficulty not in RANGES:
        raise ValueError(f"modsearch difficulty must be one of {sorted(RANGES)}, got {difficulty}")
    return RANGES[difficulty]


def question_text(a: int, b: int, c: int, n: int) -> str:
    """The question, e.g. "Find x in 0..6 with (3*x+24) mod 10 = 9"."""
    return f"Find x in 0..{n - 1} with ({a}*x+{b}) mod {MODULUS} = {c}"


def parse_question(question: str) -> tuple[int, int, int, int] | None:
    """`(a, b, c, n)` of a question (x in 0..n-1), or None when it is not a modsearch question."""
    m = _QUESTION.search(question)
    if m is None:
        return None
    return int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(1)) + 1


def solutions(a: int, b: int, c: int, n: int) -> list[int]:
    """Every x in 0..n-1 with (a*x+b) mod 10 = c (a search: n is small)."""
    return [x for x in range(n) if (a * x + b) % MODULUS == c]


def solve(a: int, b: int, c: int, n: int) -> int:
    """The one x in 0..n-1 with (a*x+b) mod 10 = c (ValueError when there is not exactly one)."""
    found = solutions(a, b, c, n)
    if len(found) != 1:
        raise ValueError(f"({a}*x+{b}) mod 10 = {c} has {len(found)} solutions in 0..{n - 1}, not one")
    return found[0]


def sample(rng: random.Random, difficulty: int) -> dict:
    """A `{"question", "answer"}` record body of one difficulty (x, a, b uniform; see the module docstring)."""
    n = search_range(difficulty)
    x, a, b = rng.randrange(n), rng.choice(FACTORS), rng.randint(0, MAX_B)
    return {"question": question_text(a, b, (a * x + b) % MODULUS, n), "answer": str(x)}


def complement(c: int) -> int:
    """What a check adds to reach a multiple of 10 when the units digit is c: 10-c, and 0 for c=0."""
    return (MODULUS - c) % MODULUS


def check_text(a: int, b: int, c: int, x: int) -> tuple[str, int]:
    """The verification of a guess and the units digit of a*x+b it finds.

    ("3*6=18, 8+4=12, 2+1=3: no.", 2) for (3*x+24) mod 10 = 9 and x=6; a pass ends "...=10: yes.".
    """
    product = a * x
    units = product % MODULUS
    total = units + b % MODULUS  # only b's units digit reaches the answer's
    residue = total % MODULUS
    shifted = residue + complement(c)
    verdict = "yes" if shifted % MODULUS == 0 else "no"
    text = (
        f"{a}*{x}={product}, {units}+{b % MODULUS}={total}, {residue}+{complement(c)}={shifted}: {verdict}."
    )
    return text, residue


def attempt_text(a: int, b: int, c: int, x: int, first: bool) -> tuple[str, int]:
    """One attempt with its verdict and the units digit of a*x+b its check found.

    "Try x=5: 3*5=15, 5+4=9, 9+1=10: yes. The answer is 5." (first; a pass states its x, see the
    module docstring) or "Wait, let me try x=6: ..." (a retry after a failed check: the reflection).
    """
    check, residue = check_text(a, b, c, x)
    text = f"{'Try' if first else RETRY} x={x}: {check}"
    if residue == c:
        text += f" The answer is {x}."
    return text, residue


def read_attempts(text: str, question: str | None = None) -> list[dict]:
    """Every attempt in `text`, in order, with what its check found.

    Args:
        text: a completion (or its think text).
        question: the problem; with it each attempt is also checked against the problem's a, b, c, range.

    Returns:
        One dict per attempt: `x`, `retry` (opened with "Wait, let me try"), `residue` (what the text
        says (a*x+b) mod 10 is), `passed` (its verdict says the check passed: True, False, or None
        without a verdict), `valid` (the check's four facts and its verdict are right, and, with
        `question`, use the problem's a, b's units digit and c's complement, and x is in its range).
    """
    params = parse_question(question) if question else None
    out = []
    for m in _ATTEMPT.finditer(text):
        x, a, x2, prod, units, b, total, residue, shift, shifted = (int(g) for g in m.groups()[1:11])
        verdict = m.group(12)
        passed = None if verdict is None else verdict == "yes"
        valid = (
            x2 == x
            and prod == a * x
            and units == prod % MODULUS
            and b < MODULUS
            and total == units + b
            and residue == total % MODULUS
            and shift < MODULUS
            and shifted == residue + shift
            and passed == (shifted % MODULUS == 0)
        )
        if params is not None:
            pa, pb, pc, n = params
            valid = valid and a == pa and b == pb % MODULUS and shift == complement(pc) and x < n
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
