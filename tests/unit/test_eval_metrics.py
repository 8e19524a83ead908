"""Table-level metrics of the eval harness (r1lit.evaluation.summary) on hand-computed examples."""

from __future__ import annotations

import math

import pytest

from r1lit.evaluation.rows import group_by_problem
from r1lit.evaluation.summary import check_sandbox_health, equivalence_for, pass_k_values, summarize


def rows_for(
    problem_id: str, verdicts: list[bool], preds: list[str | None], kind: str = "math", **extra
) -> list[dict]:
    return [
        {"problem_id": problem_id, "sample_idx": i, "correct": c, "pred": p, "kind": kind,
         "status": "no_answer" if p is None else ("correct" if c else "incorrect"), **extra}
        for i, (c, p) in enumerate(zip(verdicts, preds, strict=True))
    ]  # fmt: skip


def exact(a: str, b: str) -> bool:
    return a == b


def test_pass1_is_mean_over_problems_of_mean_over_samples() -> None:
    rows = rows_for("a", [True, False, False, False], ["1", "2", "2", "3"]) + rows_for(
        "b", [True] * 4, ["5"] * 4
    )
    s = summarize(rows, k=4, equiv=exact)
    assert s["pass@1"] == pytest.approx((0.25 + 1.0) / 2)
    assert s["n_problems"] == 2 and s["n_samples"] == 8 and s["min_samples"] == 4


def test_unbiased_pass_at_k_by_hand() -> None:
    # n=4, c=1: pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6 = 0.5; pass@4 = 1
    rows = rows_for("a", [True, False, False, False], ["1", "2", "3", "4"])
    s = summarize(rows, k=4, equiv=exact)
    assert s["pass@k"] == {"1": pytest.approx(0.25), "2": pytest.approx(0.5), "4": pytest.approx(1.0)}


def test_cons_at_k_votes_over_equivalent_answers_not_strings() -> None:
    # "1/2", "0.5", "\\frac{1}{2}" are one cluster (3 votes) beating "7" (2 votes); the cluster is correct.
    preds = ["7", "1/2", "7", "0.5", "\\frac{1}{2}"]
    rows = rows_for("a", [False, True, False, True, True], preds)
    from r1lit.grading import is_equivalent

    def patient(a: str, b: str) -> bool:  # the shared grader's equivalence, patient on a loaded machine
        return is_equivalent(a, b, timeout_s=60)

    assert equivalence_for("math") is is_equivalent  # what summarize uses by default for math answers
    assert summarize(rows, k=5, equiv=patient)["cons@k"] == 1.0
    assert summarize(rows, k=5, equiv=exact)["cons@k"] == 0.0  # raw strings: "7" wins 2 to 1


def test_cons_at_k_guard_when_fewer_than_k_samples() -> None:
    rows = rows_for("a", [True, True], ["3", "3"]) + rows_for("b", [True], ["4"])
    s = summarize(rows, k=2, equiv=exact)
    assert s["cons@k"] is None and "smallest problem has 1" in s["cons@k_note"]
    assert s["pass@k"].keys() == {"1"}  # pass@2 is not defined for the problem with one sample


def test_cons_not_defined_for_code_and_letters_vote_exactly() -> None:
    code = rows_for("a", [True, False], ["print(1)", "print(2)"], kind="code")
    assert summarize(code, k=2)["cons@k"] is None
    letters = rows_for("q", [True, True, False], ["B", "b", "C"], kind="choice")
    assert summarize(letters, k=3)["cons@k"] == 1.0
    assert equivalence_for("code") is None


def test_unparseable_and_truncated_rates() -> None:
    rows = rows_for("a", [False, False, True, False], [None, "1", "2", None])
    for row, reason in zip(rows, ["length", "stop", "stop", "length"], strict=True):
        row["finish_reason"], row["n_tokens"] = reason, 10
    s = summarize(rows, k=4, equiv=exact)
    assert s["unparseable_rate"] == 0.5 and s["truncated_rate"] == 0.5
    assert s["mean_completion_tokens"] == 10
    assert s["status_counts"] == {"correct": 1, "incorrect": 1, "no_answer": 2}


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic() -> None:
    rows = []
    for p in range(30):
        rows += rows_for(f"p{p}", [p % 3 == 0, p % 2 == 0], ["1", "2"])
    a, b = summarize(rows, k=2, equiv=exact, seed=1), summarize(rows, k=2, equiv=exact, seed=1)
    lo, hi = a["pass@1_ci95"]
    assert lo <= a["pass@1"] <= hi and lo < hi
    assert a["pass@1_ci95"] == b["pass@1_ci95"]


def test_grouping_sorts_samples_and_keeps_problem_order() -> None:
    rows = [
        {"problem_id": "b", "sample_idx": 1},
        {"problem_id": "a", "sample_idx": 0},
        {"problem_id": "b", "sample_idx": 0},
    ]
    groups = group_by_problem(rows)
    assert [[r["sample_idx"] for r in g] for g in groups] == [[0, 1], [0]]
    assert groups[0][0]["problem_id"] == "b"


def test_pass_k_values() -> None:
    assert pass_k_values(64, 64) == [1, 2, 4, 8, 16, 32, 64]
    assert pass_k_values(5, 5) == [1, 2, 4, 5]
    assert pass_k_values(3, 8) == [1, 2]
    assert not math.isnan(summarize(rows_for("a", [True], ["1"]), k=1, equiv=exact)["pass@1"])


def test_empty_input_is_an_error() -> None:
    with pytest.raises(ValueError):
        summarize([], k=1)


def test_sandbox_errors_are_counted_and_a_mostly_broken_run_fails() -> None:
    broken = {"detail": {"sandbox_error": True}, "status": "error"}
    rows = rows_for("a", [False] * 3, ["x"] * 3, kind="code", **broken) + rows_for(
        "b", [True], ["y"], kind="code"
    )
    s = summarize(rows, k=1)
    assert (s["sandbox_errors"], s["sandbox_error_rate"]) == (3, 0.75)
    with pytest.raises(RuntimeError, match="sandbox failed on 3 of 4"):
        check_sandbox_health(rows, "humaneval")
    check_sandbox_health(rows[2:], "humaneval")  # 1 of 2: not most
    check_sandbox_health(rows_for("c", [True], ["1"]), "math")  # no detail: no sandbox errors
