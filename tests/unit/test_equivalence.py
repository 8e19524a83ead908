"""Math equivalence: each normalisation r1lit adds on top of math-verify, AIME integers, and timeouts.

Every fix listed in ``r1lit/grading/normalize.py`` has a test here that goes through ``grade`` (the
verdict we need) and, where it helps, the exact string handed to math-verify.
"""

from __future__ import annotations

import functools
import multiprocessing
import threading
import time
from fractions import Fraction

import pytest

from r1lit.grading import equivalence, grade, grade_many, is_equivalent, timeout
from r1lit.grading.equivalence import quick_equal
from r1lit.grading.grader import gold_chunks
from r1lit.grading.normalize import canonical, plain_number, to_mv_input
from r1lit.grading.timeout import BoundedTimeout, WorkerError, call_bounded, shutdown_workers
from r1lit.grading.warm_up import WARM_UP_PAIRS

# --- normalisations handed to math-verify (normalize.to_mv_input) -------------------------------


def test_answers_are_rewrapped_in_dollars_not_boxes() -> None:
    # math-verify parses "$10\%$" but not "\boxed{10\%}": we always hand it the former.
    assert to_mv_input(r"10\%") == r"$10\%$"
    assert grade(r"so \boxed{10\%}", r"10\%").status == "correct"
    assert grade(r"so \boxed{10}", r"10\%").status == "correct"  # MATH golds carry the % sign
    assert grade(r"so \boxed{11\%}", r"10\%").status == "incorrect"


def test_prose_answers_go_to_free_text_extraction() -> None:
    # "$The answer is 12 apples$" would parse as a product of single-letter symbols.
    assert to_mv_input("The answer is 12 apples") == "The answer is 12 apples"
    assert grade(r"\boxed{The answer is 12 apples}", "12").status == "correct"
    assert grade(r"\boxed{The answer is 13 apples}", "12").status == "incorrect"


@pytest.mark.parametrize(
    ("completion", "gold"),
    [
        (r"\boxed{12 $ and $13}", r"12\text{ and }13"),  # delimiters inside a box are noise
        (r"\boxed{\$16,\!386.20}", "16386.20"),  # currency sign and thin space
        (r"\boxed{\(\frac{1}{2}\)}", "0.5"),
    ],
)
def test_delimiters_and_currency_inside_an_extracted_answer_are_dropped(completion: str, gold: str) -> None:
    assert grade(completion, gold).status == "correct"


def test_raw_strings_keep_their_own_delimiters() -> None:
    # A raw (not extracted) string may be free text whose $...$ tells math-verify where the math is.
    assert to_mv_input("we get $x=3$ here", extracted=False) == "we get $x=3$ here"
    assert to_mv_input(r"12 $ and $13", extracted=True) == "$12 and 13$"


def test_thin_spaces_after_thousands_commas() -> None:
    assert to_mv_input(r"11,\! 111,\! 111,\! 100") == "$11,111,111,100$"
    assert grade(r"\boxed{11111111100}", r"11,\! 111,\! 111,\! 100").status == "correct"
    assert grade(r"\boxed{10080}", r"10,\!080").status == "correct"


def test_choice_text_answers_match_letters() -> None:
    # Handled by math-verify itself (r1lit's own reduction was removed: same verdicts on all data).
    assert grade(r"\boxed{\textbf{(B)}}", r"\text{(B)}").status == "correct"
    assert grade(r"\boxed{C}", r"\text{(C)}").status == "correct"
    assert grade(r"\boxed{C}", r"\text{(D)}").status == "incorrect"


# --- the in-process fast path (equivalence.quick_equal, normalize.canonical/plain_number) -------------


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        (r"\dfrac{1}{2}", r"\frac{1}{2}", True),  # identical canonical forms
        (r"\left( 1, 2 \right)", "(1,2)", True),
        ("1,000", "1000", True),  # exact plain numbers
        ("0.50", ".5", True),
        ("3", "4", False),
        ("0.3333333", "0.333333", None),  # more decimals than the rounding: math-verify decides
        (r"\frac{1}{2}", "0.5", None),  # not plain: math-verify decides
        ("1,22", "1.22", None),  # "1,22" is not a thousands-separated number
    ],
)
def test_quick_equal(pred: str, gold: str, expected: bool | None) -> None:
    assert quick_equal(pred, gold) is expected


def test_plain_number_and_canonical() -> None:
    assert plain_number("-1,000.50") == Fraction(-2001, 2)
    assert plain_number(r"\boxed{025}") == 25
    assert plain_number("32, 349") is None and plain_number("1 000") is None
    assert plain_number("9" * 5000) is None  # beyond int()'s digit limit: left to math-verify
    assert canonical(r"\left[ 2,\infty \right)") == r"[2,\infty)"


# --- AIME integers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "gold", "status"),
    [
        (r"\boxed{25}", "025", "correct"),
        (r"\boxed{025}", "25", "correct"),
        (r"\boxed{25.0}", "025", "correct"),
        (r"\boxed{\frac{50}{2}}", "025", "correct"),  # not an int literal: math equivalence decides
        (r"\boxed{26}", "025", "incorrect"),
        (r"\boxed{250}", "025", "incorrect"),  # leading, not trailing, zeros are dropped
        ("no answer", "025", "no_answer"),
        (r"\boxed{25}", "twenty-five", "bad_gold"),
    ],
)
def test_aime_leading_zeros(completion: str, gold: str, status: str) -> None:
    verdict = grade(completion, gold, kind="int")
    assert verdict.status == status
    assert verdict.correct is (status == "correct")


def test_math_kind_also_ignores_leading_zeros() -> None:
    assert grade(r"\boxed{25}", "025").status == "correct"
    assert is_equivalent("025", r"\boxed{25}")


def test_overlong_answers_are_not_sent_to_math_verify() -> None:
    long_sum = "+".join(["1"] * 1500)  # 2,999 characters
    assert grade(rf"\boxed{{{long_sum}}}", "1500").status == "incorrect"
    assert grade(r"\boxed{1500}", rf"\boxed{{{long_sum}}}").status == "bad_gold"
    assert (
        grade(rf"\boxed{{{long_sum}}}", rf"\boxed{{{long_sum}}}").status == "correct"
    )  # identical: fast path


def test_is_equivalent_for_clustering() -> None:
    assert is_equivalent(r"\frac{1}{2}", "0.5")
    assert is_equivalent(r"\boxed{x^2+2x+1}", "(x+1)^2")
    assert not is_equivalent("(2,3)", "[2,3]")  # interval bracket types matter
    assert not is_equivalent("", "1") and not is_equivalent(None, "1")


def test_grade_many_pool_keeps_order_and_verdicts() -> None:
    completions = [
        r"\boxed{\frac{1}{2}}",
        r"\boxed{0.5}",
        r"\boxed{3}",
        "none",
        r"\boxed{\sqrt{4}}",
        r"\boxed{2}",
    ]
    golds = ["0.5", "3", "3", "3", None, "2"]  # interleaved golds: items are grouped by gold internally
    expected = ["correct", "incorrect", "correct", "no_answer", "bad_gold", "correct"]
    assert [v.status for v in grade_many(completions, golds)] == expected
    assert [v.status for v in grade_many(completions, golds, processes=2)] == expected
    with pytest.raises(ValueError, match="golds"):
        grade_many(completions, golds[:-1], processes=2)


def test_gold_chunks_keep_a_gold_together_unless_it_is_too_big() -> None:
    #        items: 0  1  2  3  4  5  6  7  8  (sorted by gold rank)
    gold_of = [0, 0, 1, 1, 1, 2, 3, 3, 3]
    order = list(range(9))
    assert gold_chunks(order, gold_of, 3) == [[0, 1], [2, 3, 4], [5], [6, 7, 8]]
    assert gold_chunks(order, gold_of, 2) == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]  # gold 1, 3 cut in pieces
    assert gold_chunks(order, gold_of, 100) == [order]
    assert gold_chunks([], [], 4) == []


def test_grade_many_spreads_one_problem_over_all_processes() -> None:
    shutdown_workers()
    verdicts = grade_many([rf"\boxed{{\frac{{{k}}}{{2}}}}" for k in range(16)], ["0.5"] * 16, processes=2)
    assert [v.correct for v in verdicts] == [k == 1 for k in range(16)]
    assert len(timeout._idle) == 2  # both threads started a worker: the single gold was split


# --- worker start-up: the parser is warm before the first check --------------------------------------

WARM_UP_TEXTS = sorted({text for pair in WARM_UP_PAIRS for text in pair})


def test_a_fresh_worker_has_parsed_every_warm_up_shape_before_its_first_check() -> None:
    shutdown_workers()
    parsed = call_bounded(equivalence.parsed_count, timeout_s=60.0)  # the first call to a new worker
    assert parsed == len(WARM_UP_TEXTS)


@pytest.mark.parametrize("text", WARM_UP_TEXTS)
def test_every_warm_up_shape_is_read_by_math_verify(text: str) -> None:
    # A shape math-verify reads nothing from would not walk the parser's grammar paths it is there for.
    assert call_bounded(equivalence.parse_str, text, timeout_s=60.0) is not None


# --- timeouts: bounded off the main thread and inside worker processes ---------------------------------


def test_call_bounded_kills_a_slow_call() -> None:
    call_bounded(time.sleep, 0, timeout_s=60.0)  # a warm worker, so the bound below is the call only
    start = time.perf_counter()
    with pytest.raises(BoundedTimeout):
        call_bounded(time.sleep, 30, timeout_s=0.5)
    assert time.perf_counter() - start < 5.0
    assert call_bounded(pow, 2, 10, timeout_s=60.0) == 1024  # a replacement worker serves the next call
    with pytest.raises(WorkerError, match="ZeroDivisionError"):
        call_bounded(divmod, 1, 0, timeout_s=60.0)
    with pytest.raises(WorkerError, match="could not be sent back"):
        call_bounded(threading.Lock, timeout_s=60.0)  # a lock does not pickle; the worker survives
    assert call_bounded(pow, 3, 2, timeout_s=60.0) == 9


def test_timeout_works_off_the_main_thread() -> None:
    out: list[object] = []

    def run() -> None:
        try:
            call_bounded(time.sleep, 30, timeout_s=0.5)
        except BoundedTimeout as e:
            out.append(e)
        out.append(grade(r"\boxed{\frac{1}{2}}", "0.5"))

    thread = threading.Thread(target=run)
    start = time.perf_counter()
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive() and time.perf_counter() - start < 120
    assert isinstance(out[0], BoundedTimeout)
    assert out[1].status == "correct"


def test_timeout_works_in_daemonic_worker_processes() -> None:
    # multiprocessing Pool workers are daemonic and not the main thread of the parent: math-verify's
    # signal timeout cannot be used there, ours must still hold.
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        slow = pool.apply_async(functools.partial(call_bounded, time.sleep, 30, timeout_s=0.5))
        with pytest.raises(BoundedTimeout):
            slow.get(timeout=120)
        graded = pool.apply(grade, (r"so \boxed{\sqrt{4}}", "2", "math", 60.0))
    assert graded.status == "correct"


def test_a_huge_power_is_bounded() -> None:
    grade(r"\boxed{\frac{1}{2}}", "0.5")  # warm worker
    start = time.perf_counter()
    verdict = grade(r"\boxed{2^{10^{10}}}", r"2^{10^{10}}+1", timeout_s=1.0)
    assert verdict.status in ("incorrect", "timeout", "error")
    verdict = grade(r"\boxed{2^{10^{10}} \cdot 3^{10^{9}} - 1}", r"6^{10^{10}}", timeout_s=1.0)
    assert verdict.status in ("incorrect", "timeout", "error")
    assert time.perf_counter() - start < 10.0


def test_non_english_text_without_math_delimiters_reaches_math_verify_as_text() -> None:
    # "$答案是 \frac{2}{5}$" would read the characters as symbols; math-verify alone finds 2/5 in the text.
    assert to_mv_input(r"答案是 \frac{2}{5}", extracted=False) == r"答案是 \frac{2}{5}"
    assert is_equivalent(r"答案是 \frac{2}{5}", "0.4")
    assert grade(r"答案是 \frac{2}{5}", "0.4").status == "correct"
    assert to_mv_input(r"2\alpha + β") == r"$2\alpha + β$"  # Greek letters are math, not prose
