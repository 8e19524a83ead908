"""Math answer equivalence: a cheap in-process check, then math-verify in a bounded worker.

``quick_equal`` settles the common cases without sympy (identical canonical strings, plain
integers/decimals such as the RL tasks' answers and AIME's "025" vs "25"). Everything else goes to
``check`` inside a worker process (see ``timeout.py``), which parses both sides with math-verify
(LaTeX first, then plain expressions; boxed answers first) and calls ``math_verify.verify``.
math-verify's own signal timeouts are disabled there (``parsing_timeout=None``,
``timeout_seconds=None``) because the worker is killed from outside instead.

The comparison is asymmetric the way math-verify's is: ``gold`` first. Intervals and relations are
compared only when the prediction is the set (``allow_set_relation_comp=False``), variables matter
(``strict=True``) and floats are compared after rounding to ``float_rounding`` decimals.
"""

from __future__ import annotations

from functools import lru_cache

from r1lit.grading.normalize import canonical, plain_number

FLOAT_ROUNDING = 6  # math-verify's default: decimals kept when comparing floats


def quick_equal(pred: str, gold: str, float_rounding: int = FLOAT_ROUNDING) -> bool | None:
    """Decide ``pred == gold`` without sympy when that is certain; None means "ask math-verify".

    True for identical canonical forms; True/False for two plain numbers whose decimals all survive
    the rounding (so math-verify would compare them exactly too).
    """
    if canonical(pred) == canonical(gold):
        return True
    a, b = plain_number(pred), plain_number(gold)
    if a is None or b is None:
        return None
    if a == b:
        return True
    exact = all(_decimals(s) <= float_rounding for s in (pred, gold))
    return False if exact else None


def _decimals(s: str) -> int:
    s = canonical(s)
    return len(s) - s.index(".") - 1 if "." in s else 0


@lru_cache(maxsize=1)
def _configs() -> tuple:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig

    return (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())


@lru_cache(maxsize=8192)
def _parse(text: str) -> list:
    """math-verify parse, cached: a gold is compared with many samples. Runs in the worker only."""
    from math_verify import parse

    return parse(text, list(_configs()), parsing_timeout=None)


def check(
    pred: str,
    gold: str,
    float_rounding: int = FLOAT_ROUNDING,
    strict: bool = True,
    allow_set_relation_comp: bool = False,
) -> str:
    """math-verify comparison of two math-verify inputs (see ``normalize.to_mv_input``). Worker-side.

    ``float_rounding``, ``strict`` and ``allow_set_relation_comp`` are math-verify's ``verify`` options
    (defaults as in math-verify).

    Returns:
        ``"correct"``, ``"incorrect"`` or ``"bad_gold"`` (math-verify found nothing in the gold).
    """
    from math_verify import verify

    gold_parsed = _parse(gold)
    if not gold_parsed:
        return "bad_gold"
    pred_parsed = _parse(pred)
    if not pred_parsed:
        return "incorrect"
    ok = verify(
        gold_parsed,
        pred_parsed,
        float_rounding=float_rounding,
        strict=strict,
        allow_set_relation_comp=allow_set_relation_comp,
        timeout_seconds=None,
    )
    return "correct" if ok else "incorrect"


def parse_str(text: str) -> str | None:
    """The string math-verify extracted from ``text`` (for reports); None if it found nothing."""
    parsed = _parse(text)
    return str(parsed[-1]) if parsed else None


def parsed_count() -> int:
    """How many distinct texts this process has parsed and cached (shows whether a worker is warm)."""
    return _parse.cache_info().currsize
