"""String normalisation for answers: cheap canonical forms and the inputs we hand to math-verify.

math-verify (and its latex2sympy2 parser) does most of the work. This module holds only what it does
not do, or does wrong, for R1-style answers, and the integer/plain-number forms that let the grader
decide most RL checks without sympy:

- ``normalize_int``: AIME answers, ``"025"`` == ``"25"`` == ``"25.0"`` == ``"\\boxed{025}"``.
- ``plain_number``: exact value of a plain decimal ("1,000.5", "-.5"), for the in-process fast path.
- ``canonical``: a spacing/wrapper-insensitive string form; identical forms are equal answers.
- ``to_mv_input``: how an extracted answer string is given to ``math_verify.parse``. Each fix below is
  covered by a test in tests/unit/test_equivalence.py:
    * the answer is re-wrapped in ``$...$`` instead of ``\\boxed{}``: math-verify fails on
      ``\\boxed{10\\%}`` but parses ``$10\\%$``;
    * prose ("Jane started 3 hours ago", "答案是 \\frac{2}{5}") is passed without ``$`` so math-verify's free-text extraction
      finds the number instead of parsing the sentence as a product of single-letter symbols;
    * inside an extracted answer, math delimiters and currency signs are noise and are dropped
      (``\\boxed{12 $ and $13}``, ``\\boxed{\\$16,\\!386.20}`` defeat math-verify otherwise);
    * thin spaces after thousands commas (``11,\\! 111``) are dropped before parsing, or the number
      reads as a list.
"""

from __future__ import annotations

import re
from fractions import Fraction

_WRAPPER_RE = re.compile(r"\\(?:left|right|displaystyle)(?![A-Za-z])|\\[!,;: ]|\$|~")
_FRAC_RE = re.compile(r"\\[dtc]frac")
_TEXT_UNIT_RE = re.compile(r"\\(?:text|textnormal|mbox|mathrm)\s*\{[^{}]*\}")
_DEGREE_RE = re.compile(r"\^\s*\{?\\circ\}?|°")
_PLAIN_NUMBER_RE = re.compile(r"^[+-]?(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_COMMAND_RE = re.compile(r"\\[A-Za-z]+")
_TEXT_GROUP_RE = re.compile(
    r"\\(?:text|textbf|textit|textnormal|mbox|mathrm|mathbf|operatorname)\s*\{[^{}]*\}"
)
# Words start after a non-letter and are matched possessively: without that, a long run of letters
# makes the regex quadratic (20k letters took seconds).
_PROSE_RE = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}+[\s,]++[A-Za-z]{2,}+[\s,]++[A-Za-z]{2,}")
# Two letters of a script other than Latin or Greek (Greek letters are math symbols): Chinese, Japanese,
# Russian... text around a formula ("答案是 \\frac{2}{5}"), which "$...$" would turn into symbols.
_OTHER_SCRIPT_RE = re.compile(r"[^\W\d_A-Za-z\u0370-\u03ff]{2}")
_THIN_SPACE_RE = re.compile(r"\\!\s*")  # "11,\! 111" is one number
_MAX_PLAIN_DIGITS = 4000  # int() refuses longer strings (CPython's int_max_str_digits)


def canonical(ans: str) -> str:
    """A spacing- and wrapper-insensitive form of an answer: equal forms mean equal answers.

    Removes whitespace, ``$``, ``\\left``/``\\right``, thin spaces (``\\!``, ``\\,``) and maps
    ``\\dfrac``/``\\tfrac``/``\\cfrac`` to ``\\frac``. Nothing that could change the value.
    """
    ans = _FRAC_RE.sub(r"\\frac", ans)
    ans = _WRAPPER_RE.sub("", ans)
    ans = ans.replace("{,}", ",")
    return "".join(ans.split())


def plain_number(ans: str) -> Fraction | None:
    """Exact value of a plain decimal such as ``"025"``, ``"-1,000.50"`` or ``".5"``; None for anything else.

    Commas count only as thousands separators in groups of three ("1,22" is not a number here: it is
    a European decimal or a pair, and math-verify decides).
    """
    s = _THIN_SPACE_RE.sub("", ans).strip()
    if any(c.isspace() for c in s):  # "32, 349" is a pair, "1 000" is for math-verify to read
        return None
    s = canonical(s)
    if s.startswith("\\boxed{") and s.endswith("}"):
        s = s[len("\\boxed{") : -1]
    if (
        not s
        or len(s) > _MAX_PLAIN_DIGITS
        or not _PLAIN_NUMBER_RE.match(s)
        or not any(c.isdigit() for c in s)
    ):
        return None
    try:
        return Fraction(s.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return None


def normalize_int(ans: str | None) -> str | None:
    """Canonical integer string of an AIME-style answer, or None if it is not an integer.

    ``"025"``, ``"25"``, ``"25.0"``, ``"\\boxed{025}"``, ``"$25$"``, ``"25^\\circ"`` and
    ``"25 \\text{ minutes}"`` all give ``"25"``.
    """
    if not isinstance(ans, str):
        return None
    s = _TEXT_UNIT_RE.sub("", ans)
    s = _DEGREE_RE.sub("", s).replace("\\%", "")
    value = plain_number(s)
    if value is None or value.denominator != 1:
        return None
    return str(value.numerator)


def looks_like_prose(ans: str) -> bool:
    """True when ``ans`` is a sentence rather than a formula: three English words, or two letters of a
    non-Latin script, outside ``\\text{}``."""
    bare = _TEXT_GROUP_RE.sub(" ", ans)
    bare = _COMMAND_RE.sub(" ", bare)
    return bool(_PROSE_RE.search(bare) or _OTHER_SCRIPT_RE.search(bare))


_DELIMITER_RE = re.compile(r"\\[()\[\]]|(?<!\\)\$")


def to_mv_input(ans: str, extracted: bool = True) -> str:
    """The string to give ``math_verify.parse`` for an answer (see the module docstring).

    Args:
        ans: the answer.
        extracted: True when ``ans`` came out of a box/tag/"final answer" (then math delimiters and
            currency signs inside it are noise: ``\\boxed{12 $ and $13}``, ``\\boxed{\\$16.50}``);
            False for a raw string, which keeps its own ``$...$`` for math-verify to find.
    """
    ans = ans.strip()
    has_delimiters = bool(_DELIMITER_RE.search(ans)) or "\\boxed" in ans
    if not extracted and has_delimiters:
        return ans
    if extracted:
        ans = _THIN_SPACE_RE.sub("", _DELIMITER_RE.sub(" ", ans).replace("\\$", "")).strip()
    if looks_like_prose(ans):
        return ans  # math-verify's own free-text extraction finds the math in it
    return "$" + " ".join(ans.split()) + "$"
