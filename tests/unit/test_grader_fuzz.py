"""Fuzzing the grader: pathological and random inputs never raise, never hang, always give a verdict.

Each call is bounded by ``timeout_s`` (the sympy/math-verify part runs in a killable worker); the
wall-clock slack below covers a replacement worker's start-up on a loaded 2-core machine.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from r1lit.grading import STATUSES, Verdict, extract_answer, grade, is_equivalent

TIMEOUT_S = 0.5
SLACK_S = 20.0  # start-up of a replacement worker (imports sympy) after a kill, on a busy machine

PATHOLOGICAL = [
    r"\boxed{2^{10^{10}}}",
    r"\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}",  # thousands of nested braces
    "\\boxed{" * 5000,  # thousands of unclosed boxes
    r"\boxed{" + r"\frac{1}{" * 300 + "2" + "}" * 301,  # a deep fraction tower
    "x" * 1_000_000,  # a 1 MB string
    r"\boxed{" + "1+" * 300_000 + "1}",  # a 1 MB answer
    r"\boxed{\frac{}{}\sqrt[}{\left(\right]\begin{pmatrix}}",  # invalid LaTeX
    r"\boxed{\\\\\\}",
    r"\boxed{$$$}",
    r"\boxed{½ + √2 − ٣ + 🙂}",  # unicode
    "<think>\u0000\ufeff</think><answer>\udcff</answer>",  # NUL, BOM, a lone surrogate
    r"\boxed{\sum_{n=1}^{10^{100}} n^{n}}",
    "",
    None,
]


def _check(verdict: Verdict, started: float) -> None:
    assert isinstance(verdict, Verdict) and verdict.status in STATUSES
    assert verdict.correct is (verdict.status == "correct")
    assert verdict.pred is None or isinstance(verdict.pred, str)
    assert time.perf_counter() - started < TIMEOUT_S + SLACK_S


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_pathological_inputs_give_a_verdict(text: str | None) -> None:
    for completion, gold in [(text, "1"), (r"\boxed{1}", text)]:  # as a completion, as a gold
        started = time.perf_counter()
        _check(grade(completion, gold, timeout_s=TIMEOUT_S), started)
    for kind, gold in [("int", "025"), ("choice", "C")]:
        started = time.perf_counter()
        _check(grade(text, gold, kind, timeout_s=TIMEOUT_S), started)
    assert is_equivalent(text, text) is bool(text)  # identical strings: the fast path, no worker
    if not text:
        assert grade(text, "1").status == "no_answer" and grade("\\boxed{1}", text).status == "bad_gold"


_TOKENS = st.sampled_from(
    [
        "1", "0", "025", "-", "+", "^", "_", ".", ",", "=", "<", "\\le", "(", ")", "[", "]", "{", "}",
        "\\{", "\\}", "$", "\\(", "\\)", "\\frac", "\\sqrt", "\\pi", "\\infty", "\\pm", "\\cdot", "\\%",
        "\\text{", "\\boxed{", "\\left(", "\\right)", "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\",
        "x", "y", "e", "i", "\\in", "\\cup", "!", "|", "^\\circ", "10^{10^{10}}", " ", "\n",
        "<answer>", "</answer>", "</think>", "The final answer is ", "Answer: C", "é", "中", "\u200b",
    ]
)  # fmt: skip
_LATEX = st.lists(_TOKENS, max_size=25).map("".join)
_ANY_TEXT = st.one_of(_LATEX, st.text(max_size=60), st.none())


@settings(
    max_examples=60,
    deadline=None,  # the bound is asserted per call in _check
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: a CI failure is reproducible
)
@given(body=_LATEX, gold=_ANY_TEXT, kind=st.sampled_from(["math", "int", "choice"]))
@example(body="2^{10^{10}}", gold="2^{10^{10}}+1", kind="math")
@example(body="\\frac{1}{0}", gold="\\infty", kind="math")
def test_random_latex_never_raises(body: str, gold: str | None, kind: str) -> None:
    for completion in (f"so \\boxed{{{body}}}", body):
        started = time.perf_counter()
        _check(grade(completion, gold, kind, timeout_s=TIMEOUT_S), started)
        found = extract_answer(completion, kind="int" if kind == "int" else "math")
        assert found is None or isinstance(found, str)
