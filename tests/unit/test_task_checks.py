"""One truth per task: the accuracy reward, the held-out eval, the rejection-sampling filter and the
eval benchmarks give the same verdict on every completion of every task (r1lit/tasks/checks.py)."""

from __future__ import annotations

import pytest
from r1lit_eval.benchmarks.base import Problem
from r1lit_eval.benchmarks.math_benchmarks import MathBenchmark
from r1lit_eval.benchmarks.synthetic import SyntheticBenchmark

from r1lit.modules.heldout import score_groups, summarize
from r1lit.rewards.accuracy import accuracy_reward
from r1lit.rollout.base import Completion
from r1lit.stages.filters import TraceFilters, rejection_reasons
from r1lit.tasks import check, gold_text, task_of
from r1lit.tasks.synthetic import make_problems, verify

ONLY_CORRECTNESS = TraceFilters(
    require_correct=True, answer_kind="math", format="none", min_language_consistency=None,
    language_target="en", max_repetition=None, repetition_ngram=3, max_tokens=None, min_tokens=None,
    drop_code_blocks=False, max_paragraph_chars=None, dedup=False, max_per_prompt=None,
)  # fmt: skip
GARBAGE = ["", "no idea", r"\boxed{}", r"\boxed{None}", "<answer></answer>", r"\boxed{1/0}"]


def _completions(record: dict) -> list[str]:
    """Right, wrong, bare-target and garbage completions for one record."""
    texts = [rf"so \boxed{{{record['answer']}}}", rf"<answer>{record['answer']}</answer>", *GARBAGE]
    if record.get("task") == "countdown":
        n = record["numbers"]
        latex = record["answer"].replace("*", r" \times ")
        texts += [
            rf"\boxed{{{record['target']}}}",  # the bare target: the old math reward paid 1.0 for it
            rf"\boxed{{{'+'.join(map(str, n))}}}",  # uses the numbers, (usually) the wrong value
            rf"\boxed{{{record['answer']}+0}}",  # right value, a number not given
            rf"\boxed{{{latex}}}",
        ]
    else:
        same = rf"\boxed{{{record['answer']}.0}}" if record.get("task") else r"\boxed{0.5}"
        texts += [r"\boxed{9999}", same]
    return texts


def _records() -> list[dict]:
    out = make_problems("heldout", 4, seed=0, difficulty=2, task="arithmetic")
    out += make_problems("heldout", 4, seed=0, difficulty=2, task="countdown")
    out += [{"id": "m1", "question": "Half of one?", "answer": r"\frac{1}{2}"}]
    out += [{"id": "m2", "question": "No gold", "answer": None}]  # a record without an answer
    return out


def _four_paths(record: dict, texts: list[str]) -> dict[str, list[bool | None]]:
    columns = {k: [record[k]] * len(texts) for k in ("task", "numbers", "target") if k in record}
    reward = accuracy_reward(texts, answer=[record["answer"]] * len(texts), **columns)
    batch = {"id": [record["id"]], "answer": [record["answer"]]} | {k: [v[0]] for k, v in columns.items()}
    group = [Completion(text=t, token_ids=[1], logprobs=[0.0], finish_reason="stop") for t in texts]
    heldout = score_groups([group], batch, kind="math")[0]["correct"]
    reasons = rejection_reasons(
        texts, [1] * len(texts), [False] * len(texts), prompt="p", answer=str(record["answer"]),
        filters=ONLY_CORRECTNESS, record=record,
    )  # fmt: skip
    meta = {k: record[k] for k in ("task", "numbers", "target") if k in record}
    problem = Problem(
        id=record["id"], prompt="p", gold=gold_text(record["answer"]) or "", kind="math", meta=meta
    )
    bench = SyntheticBenchmark("synthetic", n=1, seed=0, difficulty=2) if "task" in record else _math_bench()
    return {
        "reward": [None if r is None else r == 1.0 for r in reward],
        "heldout": heldout,
        "filter": [r is None for r in reasons],
        "benchmark": [bench.grade(problem, t).correct for t in texts],
        "check": [check(record, t).correct for t in texts],
    }


def _math_bench() -> MathBenchmark:
    return MathBenchmark("math", fields={"question": "problem", "answer": "answer"}, instruction="")


@pytest.mark.parametrize("record", _records(), ids=lambda r: r["id"])
def test_every_path_gives_the_same_verdict(record: dict) -> None:
    texts = _completions(record) if record["answer"] is not None else [r"\boxed{None}", r"\boxed{1}"]
    paths = _four_paths(record, texts)
    truth = paths.pop("check")
    if record["answer"] is None:  # bad gold: excluded from the reward, never correct anywhere
        assert paths.pop("reward") == [None] * len(texts)
    for name, verdicts in paths.items():
        assert verdicts == truth, f"{name} disagrees with the task check on {record['id']}"
    assert truth[0] is (record["answer"] is not None)  # the stored answer, boxed, is right
    assert not any(truth[2:2 + len(GARBAGE)])  # fmt: skip


def test_countdown_bare_target_and_operator_spellings() -> None:
    rec = {"task": "countdown", "numbers": [3, 5, 7], "target": 56, "answer": "(3+5)*7"}
    assert check(rec, r"\boxed{56}").status == "incorrect"
    assert check(rec, r"\boxed{(3+5)*7}").status == "correct"
    assert check(rec, r"\boxed{(5+3) \times 7}").status == "correct"
    assert check(rec, r"\boxed{7 \cdot (3+5)}").status == "correct"
    assert check(rec, "no answer").status == "no_answer"
    assert check({"task": "countdown", "answer": "(3+5)*7"}, r"\boxed{(3+5)*7}").status == "bad_gold"
    assert verify(rec, "(3+5)*7") and not verify(rec, "56")  # the extracted-answer helper: same rule


def test_arithmetic_answer_is_the_number_not_the_question_copied() -> None:
    """The grader evaluates expressions: copying the question would equal its value without computing it."""
    rec = make_problems("heldout", 1, seed=0, difficulty=2, task="arithmetic")[0]
    expression = rec["question"].split("Compute ", 1)[-1].rstrip("?. ")
    assert check(rec, f"<answer> {expression} </answer>").status == "incorrect", expression
    assert check(rec, f"<answer> {rec['answer']} </answer>").status == "correct"
    as_written = f"<answer> {int(rec['answer']):,}.0 </answer>"  # "1,000.0" is a number too
    assert check(rec, as_written).status == "correct"
    assert check({"task": "arithmetic", "answer": "7"}, "<answer> 14/2 </answer>").status == "incorrect"


def test_missing_gold_is_bad_gold_never_the_string_none() -> None:
    for gold in (None, "", "  ", float("nan")):
        assert check({"answer": gold}, r"\boxed{None}").status == "bad_gold"
    assert accuracy_reward([r"\boxed{None}"], answer=[None]) == [None]


def test_task_of() -> None:
    assert task_of({"answer": "1"}) == "math"
    assert task_of({"task": "countdown"}) == "countdown"
    assert task_of({"answer": "", "tests": [{"input": "", "output": ""}]}) == "code"
    assert task_of({"answer": '{"tests": [], "func_name": null}'}) == "code"
    assert check({"task": "code", "answer": ""}, "x").status == "not_applicable"
    with pytest.raises(ValueError, match="no answer check"):
        check({"task": "essay", "answer": "x"}, "x")


def test_heldout_summary_leaves_bad_gold_prompts_out() -> None:
    def result(status: str, correct: bool) -> dict:
        return {
            "correct": [correct],
            "preds": ["1"],
            "status": [status],
            "lengths": [3],
            "truncated": [False],
        }

    metrics = summarize([result("correct", True), result("bad_gold", False)], k=1)
    assert metrics["heldout/pass@1"] == 1.0 and metrics["heldout/bad_gold"] == 1.0
