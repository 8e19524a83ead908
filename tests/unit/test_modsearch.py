"""The search world: modsearch problems and their one check, the corpus styles, the style classifier and
the self-corrections the aha table looks for (read from text, so forgeries and wrong checks do not count)."""

from __future__ import annotations

import random

import pytest

from r1lit.tasks import check
from r1lit.tasks.modsearch import (
    attempt_text,
    parse_question,
    read_attempts,
    sample,
    self_corrections,
    solve,
)
from r1lit.tasks.synthetic import make_problems
from r1lit.tiny.corpus_search import build_corpus, sample_response, think_text
from r1lit.tiny.specs import get_spec
from r1lit.tiny.style_stats import classify_search_style, classify_style

QUESTION = "Find x in 0..6 with (3*x+24) mod 10 = 9"  # x=1: 3+4 = 7 -> no; x=5: 15 -> 5+4 = 9 -> 5


def _answer(think: str, x: int) -> str:
    return f" <think> {think} </think> <answer> {x} </answer>"


def test_problems_have_one_solution_and_disjoint_splits() -> None:
    train = make_problems("train", 1000, 0, 2, task="modsearch")
    heldout = make_problems("heldout", 100, 0, 2, task="modsearch")
    assert not {p["question"] for p in train} & {p["question"] for p in heldout}
    for p in train + heldout:
        a, b, c, n = parse_question(p["question"])
        assert n == 7 and [x for x in range(n) if (a * x + b) % 10 == c] == [int(p["answer"])]
    answers = [int(p["answer"]) for p in train]
    assert all(115 <= answers.count(x) <= 175 for x in range(7))  # no x is a better blind guess
    assert make_problems("heldout", 5, 0, 3, task="modsearch")[0]["question"].startswith("Find x in 0..9 ")
    with pytest.raises(ValueError, match="difficulty"):
        sample(random.Random(0), 9)
    with pytest.raises(ValueError, match="4 solutions"):
        solve(5, 0, 0, 7)  # 5*x ends in 0 for x = 0, 2, 4, 6


def test_check_right_wrong_garbage_bad_gold() -> None:
    record = {"task": "modsearch", "answer": str(solve(3, 24, 9, 7))}
    assert record["answer"] == "5"
    assert (
        check(record, _answer("Try x=5: 3*5=15, 5+4=9, 9+1=10: yes. The answer is 5.", 5)).status == "correct"
    )
    assert check(record, _answer("The answer is 2.", 2)).status == "incorrect"
    assert check(record, "x is two, I think").status == "no_answer"
    assert check(record, _answer("", 15)).status == "incorrect"  # right mod 10 is not the x asked for
    assert check({"task": "modsearch", "answer": None}, _answer("", 2)).status == "bad_gold"
    assert check({"task": "modsearch", "answer": "two"}, _answer("", 2)).status == "bad_gold"


def test_think_styles_and_their_answers() -> None:
    assert think_text(QUESTION, "direct", 5) == ("The answer is 5.", 5)
    once, x = think_text(QUESTION, "check-once", 6)
    assert once == "Try x=6: 3*6=18, 8+4=12, 2+1=3: no." and x == 6  # lazy: answers anyway; 1 = 10-9
    reflective, x = think_text(QUESTION, "reflective", 6)
    assert x == 5 and reflective.startswith(once + " Wait, let me try x=0: 3*0=0, 0+4=4, 4+1=5: no.")
    assert reflective.endswith(
        "Wait, let me try x=5: 3*5=15, 5+4=9, 9+1=10: yes. The answer is 5."
    )  # 6, 0, .., 5
    assert reflective.count("Wait") == 6
    assert think_text(QUESTION, "reflective", 5) == (
        "Try x=5: 3*5=15, 5+4=9, 9+1=10: yes. The answer is 5.",
        5,
    )
    zero_target, _ = think_text("Find x in 0..6 with (7*x+50) mod 10 = 0", "check-once", 0)
    assert zero_target == "Try x=0: 7*0=0, 0+0=0, 0+0=0: yes. The answer is 0."  # complement of 0 is 0


def test_corpus_styles_follow_the_spec_and_are_classified() -> None:
    spec = get_spec("r1lit-tiny-search")
    rng = random.Random(0)
    records = make_problems("train", 400, 0, 2, task="modsearch")
    styles, right = {"direct": 0, "check-once": 0, "reflective": 0}, {"check-once": 0, "reflective": 0}
    for rec in records * 5:
        response, meta = sample_response(rec, spec, rng)
        styles[meta["style"]] += 1
        ok = check(rec, response).correct
        if meta["style"] in right:
            right[meta["style"]] += ok
        seen = classify_style(response, "modsearch")
        if meta["style"] == "reflective":
            assert ok and seen in ("reflective", "check-once")  # a first guess that passes needs no retry
            assert self_corrections(response, rec["question"]) is not None or seen == "check-once"
        else:
            assert seen == meta["style"]
    n = len(records) * 5
    assert styles["direct"] / n == pytest.approx(1 - spec.p_long, abs=0.03)
    assert styles["reflective"] / n == pytest.approx(spec.p_long * spec.p_reflect, abs=0.02)
    assert right["check-once"] / styles["check-once"] < 0.25  # right only when the guess was
    docs = build_corpus(spec.replace(batch_size=4), 64, 0)
    assert len(docs) == 64 and all(r.endswith("<|im_end|>") for _, r in docs)


def test_classifier_needs_a_retry_followed_by_a_new_attempt() -> None:
    first, _ = attempt_text(3, 24, 9, 6, first=True)
    second, _ = attempt_text(3, 24, 9, 5, first=False)
    assert classify_search_style(_answer("The answer is 2.", 2)) == "direct"
    assert classify_search_style(_answer(first, 5)) == "check-once"
    assert classify_search_style(_answer(f"{first} {second}", 2)) == "reflective"
    dangling = _answer(f"{first} Wait, let me try x=2.", 5)  # a reflection with no checked attempt after it
    assert classify_search_style(dangling) == "other"
    assert classify_search_style(_answer(f"{first} Wait, let me check.", 5)) == "check-once"
    assert classify_search_style("no think block") == "other"


def test_self_corrections_read_from_the_text() -> None:
    first, _ = attempt_text(3, 24, 9, 6, first=True)
    second, _ = attempt_text(3, 24, 9, 5, first=False)
    fixed = _answer(f"{first} {second}", 5)
    assert [a["passed"] for a in read_attempts(fixed, QUESTION)] == [False, True]
    assert self_corrections(fixed, QUESTION) == {"first": 6, "final": 5, "tries": 2}
    for forged in (
        "3*6=18, 8+4=12, 2+1=3: yes.",  # the check failed but the verdict says it passed
        "3*6=18, 8+4=11, 1+1=2: no.",  # a wrong sum, the rest consistent with it
        "3*6=17, 7+4=11, 1+1=2: no.",  # a wrong product, the rest consistent with it
        "3*6=18, 18+4=22, 2+1=3: no.",  # the product not cut to its units digit
        "3*6=18, 8+4=12, 12+1=13: no.",  # the sum not cut to its units digit
    ):
        bad = fixed.replace("3*6=18, 8+4=12, 2+1=3: no.", forged)
        assert bad != fixed and read_attempts(bad, QUESTION)[0]["valid"] is False, forged
        assert self_corrections(bad, QUESTION) is None
    other_target = fixed.replace("2+1=3: no.", "2+2=4: no.")  # right arithmetic, but 2 is not 10-9
    assert read_attempts(other_target)[0]["valid"] and not read_attempts(other_target, QUESTION)[0]["valid"]
    out_of_range = _answer(attempt_text(3, 24, 9, 8, first=True)[0], 8)
    assert read_attempts(out_of_range, QUESTION)[0]["valid"] is False  # x=8 is not in 0..6
    wrong_verdict = fixed.replace("9+1=10: yes.", "9+1=10: no.")  # the check passed but the verdict says not
    assert read_attempts(wrong_verdict, QUESTION)[1]["valid"] is False
    assert self_corrections(wrong_verdict, QUESTION) is None
    other_problem = "Find x in 0..6 with (3*x+22) mod 10 = 9"
    assert self_corrections(fixed, other_problem) is None  # the checks must use the problem's a, b, c
    same_units = "Find x in 0..6 with (3*x+14) mod 10 = 9"  # only b's units digit is in a check
    assert self_corrections(fixed, same_units) == {"first": 6, "final": 5, "tries": 2}
    assert self_corrections(_answer(first, 6), QUESTION) is None
    huge = fixed.replace("3*6=18", "3*6=" + "1" * 5000)  # int() refuses strings over 4,300 digits
    assert [a["x"] for a in read_attempts(huge, QUESTION)] == [5] and classify_search_style(huge) == "other"
