"""Answer extraction: boxes, <answer> tags, "final answer is", choice letters, code blocks, AIME ints."""

from __future__ import annotations

import time

import pytest

from r1lit.grading import extract_answer
from r1lit.grading.extract import (
    answer_tag,
    extract_choice,
    extract_code,
    final_answer,
    last_boxed,
    last_number,
)
from r1lit.grading.normalize import normalize_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"so \boxed{5}.", "5"),
        (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{\left( 3, \frac{\pi}{2} \right)}", r"\left( 3, \frac{\pi}{2} \right)"),
        (r"\boxed{\{1,2\}}", r"\{1,2\}"),  # escaped braces nest like plain ones
        (r"\fbox{7}", "7"),
        (r"\boxed {8}", "8"),
        (r"$\boxed 9$", "9"),  # no braces
        (r"first \boxed{1}, then on reflection \boxed{2}", "2"),  # the last box wins
        (r"\boxed{\boxed{3}}", "3"),
        (r"answer \boxed{4} then \boxed{}. \boxed{}.", "4"),  # empty boxes carry no answer
        (r"\boxed{4} and a truncated \boxed{5", "4"),  # an unclosed box carries no answer
        ("no box here", None),
    ],
)
def test_last_boxed(text: str, expected: str | None) -> None:
    assert last_boxed(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"roots \boxed{1}, \boxed{2}", "1, 2"),
        (r"\boxed{6} and \boxed{8}", "6, 8"),
        (r"\[\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}\]", "(2, 2), (6, 2)"),
        (r"\boxed{1} papers and \boxed{2} bins", "1, 2"),
        (r"\boxed{1} no no no no no \boxed{2}", "2"),  # a sentence in between: the earlier box is superseded
        (r"\boxed{5}. But wait, let me recheck the second case again. \boxed{7}", "7"),
    ],
)
def test_adjacent_boxes_form_one_answer(text: str, expected: str) -> None:
    assert last_boxed(text) == expected


def test_boxed_modes() -> None:
    text = r"\boxed{1} and \boxed{2}, later \boxed{3}"
    assert last_boxed(text, mode="first") == "1"
    assert last_boxed(text, mode="all") == "1, 2, 3"
    assert last_boxed(r"\boxed{1} and \boxed{2}", mode="last_single") == "2"
    with pytest.raises(ValueError):
        last_boxed(text, mode="middle")


def test_answer_tag_r1_zero_format() -> None:
    assert answer_tag("<think>3+14=17</think> <answer> 17 </answer>") == "17"
    assert answer_tag(r"<answer>so \boxed{17}</answer>") == "17"
    assert answer_tag("<answer>1</answer> <answer>2</answer>") == "2"
    assert answer_tag("<answer>  </answer>") is None
    assert answer_tag("<answer>17") is None  # truncated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Final Answer: The final answer is $28 \\%$. I hope it is correct.", "28 \\%"),
        ("Final Answer: The final answer is 7.78.", "7.78"),
        ("so the final answer is: 17", "17"),
        ("Final Answer: The largest $n$ is 34.", "34"),
        ("**Final Answer:** $(1, 2)$", "(1, 2)"),
        ("final answer is \\(\\frac{1}{2}\\)", "\\frac{1}{2}"),
        ("no marker", None),
    ],
)
def test_final_answer(text: str, expected: str | None) -> None:
    assert final_answer(text) == expected


def test_default_order_boxed_then_tag_then_final_answer() -> None:
    both = "<answer>3</answer> The final answer is 5.\nOn reflection \\boxed{4}."
    assert extract_answer(both) == "4"
    assert extract_answer("<answer>3</answer> The final answer is 5") == "3"
    assert extract_answer("The final answer is 5") == "5"
    assert extract_answer(both, strategies=("final_answer", "boxed")) == "5"
    assert extract_answer(both, strategies=("answer_tag",)) == "3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Minerva style: intermediate results boxed, then the stated final answer (Math-Verify case).
        (
            r"so \boxed{200}, then \boxed{255}. Final Answer: The final answer is $10,455$. I hope it is correct.",
            "10,455",
        ),
        (r"Final Answer: The final answer is $\boxed{7}$.", "7"),  # the statement holds the box
        ("\\boxed{7}\n\n**Final Answer**", "7"),  # an empty statement after the box
        ("**Final Answer**\n\\boxed{7}", "7"),
    ],
)
def test_a_final_answer_statement_after_the_last_box_wins(text: str, expected: str) -> None:
    assert extract_answer(text) == expected
    assert extract_answer(text, strategies=("boxed",)) != "10,455"  # only when final_answer is enabled


@pytest.mark.parametrize(
    ("wrapped", "expected"),
    [
        ('the final answer is \\"$12 $ and $13 $\\".', "12 $ and $13"),
        ("the final answer is “x+1”", "x+1"),
        (r"the final answer is \( \frac{1}{2} \)", r"\frac{1}{2}"),
        (r"the final answer is \[ 3 \]", "3"),
        ("the final answer is **5**.", "5"),
    ],
)
def test_wrappers_around_a_stated_answer_are_dropped(wrapped: str, expected: str) -> None:
    assert extract_answer(wrapped) == expected


def test_answer_tags_pair_each_close_with_the_nearest_open() -> None:
    assert answer_tag("<answer>a<answer>b</answer>") == "b"
    assert answer_tag("<answer>1</answer> junk </answer>") == "1"
    assert answer_tag("<ANSWER> 3 </Answer>") == "3"


def test_last_number_is_opt_in() -> None:
    text = "so there are 1,234 apples and 7 pears"
    assert extract_answer(text) is None
    assert extract_answer(text, strategies=("boxed", "last_number")) == "7"
    assert last_number("total 1,234") == "1234"
    assert last_number("none") is None


def test_only_the_text_after_think_is_searched() -> None:
    assert extract_answer(r"<think>maybe \boxed{3}</think> The answer is \boxed{4}") == "4"
    assert extract_answer(r"<think>maybe \boxed{3}</think> I am not sure.") is None
    assert extract_answer(r"<think>unfinished \boxed{3}") == "3"  # no closed think block: whole text


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("025", "25"),
        ("25", "25"),
        ("25.0", "25"),
        ("25.00", "25"),
        (r"\boxed{025}", "25"),
        ("$25$", "25"),
        (r"25^\circ", "25"),
        (r"204 \text{ minutes}", "204"),
        ("1,000", "1000"),
        ("-7", "-7"),
        ("0", "0"),
        ("000", "0"),
        ("25.5", None),
        (r"\frac{1}{2}", None),
        ("x", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_int_for_aime(answer: str | None, expected: str | None) -> None:
    assert normalize_int(answer) == expected


def test_int_kind_extracts_canonical_integer() -> None:
    assert extract_answer(r"so \boxed{025}", kind="int") == "25"
    assert extract_answer(r"so \boxed{25.0}", kind="int") == "25"
    assert extract_answer(r"so \boxed{\frac{50}{2}}", kind="int") == r"\frac{50}{2}"  # left to the grader


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Answer: C", "C"),
        ("The correct answer is (B).", "B"),
        ("**Answer:** d", "D"),
        (r"so \boxed{C}", "C"),
        (r"\boxed{\text{(A)}}", "A"),
        ("I compared the options and (D) fits best", "D"),
        ("B", "B"),
        ("Answer: E", None),  # not one of A-D
        ("A hint: none of these", None),  # an article, not a choice
    ],
)
def test_choice_letters(text: str, expected: str | None) -> None:
    assert extract_choice(text) == expected


def test_choice_letters_configurable() -> None:
    assert extract_choice("Answer: E", letters="ABCDE") == "E"
    assert extract_answer("<think>(A)?</think> Answer: B", kind="choice") == "B"


def test_code_blocks() -> None:
    text = "```python\nprint(1)\n```\ntext\n```py\nprint(2)\n```\n```bash\nls\n```"
    assert extract_code(text) == "print(2)\n"
    assert extract_code(text, language="bash") == "ls\n"
    assert extract_code("```\nx = 1\n```") == "x = 1\n"  # an unlabelled block as a fallback
    assert extract_code("no code") is None
    assert extract_answer(text, kind="code") == "print(2)\n"


def test_bad_inputs_give_none() -> None:
    for text in (None, "", 17, b"\\boxed{1}"):
        assert extract_answer(text) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        extract_answer("x", kind="essay")


@pytest.mark.parametrize(
    "text",
    [
        "\\boxed{" * 20_000,  # thousands of unclosed boxes
        "\\boxed{" + "{" * 100_000 + "1" + "}" * 100_001,  # deep nesting
        "x" * 1_000_000,
        "final answer is " * 50_000,
        "<answer>" * 100_000,
        "(A) " * 200_000,
        "```" * 300_000,  # fence openers without a newline
        "answer" + " " * 1_000_000,  # long whitespace after a choice marker
        "\n" * 1_000_000,
        r"final answer is \(" + " " * 1_000_000 + "x",
        "\\boxed{1" + " " * 1_000_000 + r"\)}",
    ],
)
def test_extraction_is_fast_on_pathological_text(text: str) -> None:
    start = time.perf_counter()
    for kind in ("math", "choice", "code"):
        extract_answer(text, kind=kind)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is for sure D", "D"),
        ("The answer is most likely (B).", "B"),
        ("D. it can't be A or B", "D"),
        ("**C**: the other options contradict the data", "C"),
        ("The answer is probably a guess", None),  # an article after filler words, not a choice
    ],
)
def test_choice_letters_after_filler_words_or_leading_the_reply(text: str, expected: str | None) -> None:
    assert extract_choice(text) == expected


@pytest.mark.parametrize(
    "text", [r"答案是 \frac{2}{5}", r"所以最终答案为 \frac{2}{5}。", r"答案：$\frac{2}{5}$"]
)
def test_chinese_answer_statements_without_math_delimiters(text: str) -> None:
    assert extract_answer(text) == r"\frac{2}{5}"
