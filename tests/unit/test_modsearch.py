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

QUESTION = "Find x in 0..6 with (4*x+2) mod 7 = 3"  # 4*5+2 = 22 = 3*7+1 -> no; x=2: 10 = 7+3 -> 2


def _answer(think: str, x: int) -> str:
    return f" <think> {think} </think> <answer> {x} </answer>"


def test_problems_have_one_solution_and_disjoint_splits() -> None:
    train = make_problems("train", 300, 0, 2, task="modsearch")
    heldout = make_problems("heldout", 50, 0, 2, task="modsearch")
    assert not {p["question"] for p in train} & {p["question"] for p in heldout}
    for p in train + heldout:
        a, b, c, mod = parse_question(p["question"])
        assert mod == 7 and [x for x in range(mod) if (a * x + b) % mod == c] == [int(p["answer"])]
    assert sample(random.Random(0), 3)["question"].startswith("Find x in 0..10 ")
    with pytest.raises(ValueError, match="difficulty"):
        sample(random.Random(0), 9)


def test_check_right_wrong_garbage_bad_gold() -> None:
    record = {"task": "modsearch", "answer": str(solve(4, 2, 3, 7))}
    assert record["answer"] == "2"
    assert check(record, _answer("Try x=2: 4*2=8, 8+2=10, 10 mod 7=3. 3 is 3.", 2)).status == "correct"
    assert check(record, _answer("The answer is 5.", 5)).status == "incorrect"
    assert check(record, "x is two, I think").status == "no_answer"
    assert check(record, _answer("", 2 * 7)).status == "incorrect"  # right mod 7 is not the x asked for
    assert check({"task": "modsearch", "answer": None}, _answer("", 2)).status == "bad_gold"
    assert check({"task": "modsearch", "answer": "two"}, _answer("", 2)).status == "bad_gold"


def test_think_styles_and_their_answers() -> None:
    assert think_text(QUESTION, "direct", 5) == ("The answer is 5.", 5)
    once, x = think_text(QUESTION, "check-once", 5)
    assert once == "Try x=5: 4*5=20, 20+2=22, 22 mod 7=1. 1 is not 3." and x == 5  # lazy: answers anyway
    reflective, x = think_text(QUESTION, "reflective", 5)
    assert x == 2 and reflective.startswith(once + " Wait, let me try x=6: 4*6=24, 24+2=26, 26 mod 7=5.")
    assert reflective.endswith("Wait, let me try x=2: 4*2=8, 8+2=10, 10 mod 7=3. 3 is 3.")  # 5, 6, 0, 1, 2
    assert think_text(QUESTION, "reflective", 2) == ("Try x=2: 4*2=8, 8+2=10, 10 mod 7=3. 3 is 3.", 2)


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
    first, _ = attempt_text(4, 2, 3, 7, 5, first=True)
    second, _ = attempt_text(4, 2, 3, 7, 2, first=False)
    assert classify_search_style(_answer("The answer is 2.", 2)) == "direct"
    assert classify_search_style(_answer(first, 5)) == "check-once"
    assert classify_search_style(_answer(f"{first} {second}", 2)) == "reflective"
    dangling = _answer(f"{first} Wait, let me try x=2.", 5)  # a reflection with no checked attempt after it
    assert classify_search_style(dangling) == "other"
    assert classify_search_style(_answer(f"{first} Wait, let me check.", 5)) == "check-once"
    assert classify_search_style("no think block") == "other"


def test_self_corrections_read_from_the_text() -> None:
    first, _ = attempt_text(4, 2, 3, 7, 5, first=True)
    second, _ = attempt_text(4, 2, 3, 7, 2, first=False)
    fixed = _answer(f"{first} {second}", 2)
    assert [a["passed"] for a in read_attempts(fixed, QUESTION)] == [False, True]
    assert self_corrections(fixed, QUESTION) == {"first": 5, "final": 2, "tries": 2}
    wrong_check = fixed.replace("22 mod 7=1. 1 is", "22 mod 7=4. 4 is")
    assert read_attempts(wrong_check, QUESTION)[0]["valid"] is False
    assert self_corrections(wrong_check, QUESTION) is None
    wrong_verdict = fixed.replace("3 is 3.", "3 is not 3.")  # the check passed but the verdict says not
    assert read_attempts(wrong_verdict, QUESTION)[1]["valid"] is False
    assert self_corrections(wrong_verdict, QUESTION) is None
    other_problem = "Find x in 0..6 with (3*x+2) mod 7 = 3"
    assert self_corrections(fixed, other_problem) is None  # the checks must use the problem's a, b, p
    assert self_corrections(_answer(first, 5), QUESTION) is None
