"""One evaluator (issue 15 §2): r1lit-eval, the pipeline's per-stage eval and GRPO's held-out eval give the
same numbers on the same samples, through r1lit.evaluation (rows, summarize, results folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from r1lit_eval.benchmarks.synthetic import SyntheticBenchmark
from r1lit_eval.cache import GenerationCache
from r1lit_eval.runner import RunOptions, run_benchmark

from paper_figs.io import read_eval_dir
from r1lit.evaluation.results import read_results, write_results
from r1lit.evaluation.rows import group_by_problem, prompt_result, result_rows
from r1lit.evaluation.summary import summarize
from r1lit.io import read_jsonl
from r1lit.modules import heldout
from r1lit.rollout.base import SamplingParams
from r1lit.rollout.fake import ScriptedGenerator
from r1lit.stages.heldout_eval import generate_rows
from r1lit.tasks.synthetic import make_problems

K = 4


def _rows(
    pid: str,
    preds: list[str | None],
    correct: list[bool],
    status: list[str] | None = None,
    tokens: tuple[int, ...] = (10, 20, 30, 40),
    finish: tuple[str, ...] = ("stop",) * 4,
    kind: str = "math",
) -> list[dict]:
    """One problem's rows (the fields summarize reads, plus a completion and gold)."""
    status = status or [
        "no_answer" if p is None else "correct" if c else "incorrect"
        for p, c in zip(preds, correct, strict=True)
    ]
    fields = zip(preds, correct, status, finish, tokens, strict=True)
    return [
        {
            "benchmark": "b",
            "problem_id": pid,
            "sample_idx": j,
            "kind": kind,
            "prompt": None,
            "completion": f"text {j}",
            "gold": "g",
            "pred": p,
            "correct": c,
            "status": s,
            "finish_reason": f,
            "n_tokens": n,
        }
        for j, (p, c, s, f, n) in enumerate(fields)
    ]


def hand_rows() -> list[dict]:
    """Three scored problems and one with an unusable gold (numbers worked out in the test)."""
    return (
        # "1/2" and "0.5" are one answer: 2 votes beat "3" (by raw strings, three singletons and "3" wins)
        _rows(
            "p1",
            ["3", "1/2", "0.5", None],
            [False, True, True, False],
            finish=("stop", "stop", "stop", "length"),
        )
        + _rows("p2", ["7", "8", "8", "7"], [False, True, True, False], tokens=(5, 5, 5, 5))  # tie: "7" first
        + _rows("p3", ["2", "2", "3", "3"], [False] * 4, tokens=(1, 2, 3, 4))
        + _rows("p4", ["5"] * 4, [False] * 4, status=["bad_gold"] * 4, tokens=(999,) * 4)
    )


def heldout_view(rows: list[dict]) -> list[dict]:
    return [prompt_result(group) for group in group_by_problem(rows)]


def test_heldout_and_r1lit_eval_give_the_same_numbers_on_hand_built_samples() -> None:
    rows = hand_rows()
    ours = summarize(rows, K)
    held = heldout.summarize(heldout_view(rows), k=K)
    assert ours["pass@1"] == pytest.approx(1 / 3) and ours["cons@k"] == pytest.approx(1 / 3)
    assert summarize(rows, K, equiv=lambda a, b: a == b)["cons@k"] == 0.0  # raw strings: "3" wins p1
    assert (
        ours["pass@k"][str(K)] == pytest.approx(2 / 3) and ours["bad_gold"] == 1 and ours["n_problems"] == 3
    )
    assert held["heldout/pass@1"] == ours["pass@1"]
    assert held["heldout/cons@k"] == ours["cons@k"]
    assert held["heldout/pass@k"] == ours["pass@k"][str(K)]
    assert held["heldout/response_length"] == ours["mean_completion_tokens"] == pytest.approx(130 / 12)
    assert held["heldout/truncated_frac"] == ours["truncated_rate"] == pytest.approx(1 / 12)
    assert held["heldout/no_answer_frac"] == ours["unparseable_rate"] == pytest.approx(1 / 12)
    assert held["heldout/bad_gold"] == 1.0


def test_cons_at_k_votes_by_answer_kind_in_both() -> None:
    letters = _rows("q", ["b", "B", "A", "A"], [True, True, False, False], kind="choice")
    assert summarize(letters, K)["cons@k"] == 1.0  # "b" == "B" for multiple choice
    assert heldout.summarize(heldout_view(letters), k=K)["heldout/cons@k"] == 1.0


def test_every_problem_bad_gold_is_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError, match="usable gold"):
        summarize(_rows("p", ["1"] * 4, [False] * 4, status=["bad_gold"] * 4), K)


def test_per_prompt_view_round_trips_to_the_same_summary() -> None:
    rows = hand_rows()
    back = result_rows(heldout_view(rows))
    assert summarize(back, K, n_boot=0) == summarize(rows, K, n_boot=0)


def _script(records: list[dict]):
    """Per problem i: right, wrong, right, no answer, shifted by i so problems differ."""

    def answer(prompt: str, j: int) -> str:
        i, record = next((i, r) for i, r in enumerate(records) if r["question"] in prompt)
        pick = (i + j) % 4
        return ["<answer>{}</answer>", "<answer>-1</answer>", r"so \boxed{{{}}}", "no idea"][pick].format(
            record["answer"]
        )

    return answer


def test_stage_eval_and_r1lit_eval_agree_sample_for_sample(tmp_path: Path) -> None:
    records = make_problems("heldout", 6, seed=0, difficulty=2, task="arithmetic")
    generator = ScriptedGenerator(_script(records))
    sampling = SamplingParams(n=K, temperature=0.6, top_p=0.95, max_new_tokens=32, seed=0)
    stage_rows = generate_rows(generator, records, "r1_zero", sampling, "int", "synthetic", batch_size=4)
    stage = summarize(stage_rows, K)
    bench = SyntheticBenchmark("synthetic", n=6, seed=0, difficulty=2, kind="int")
    opts = RunOptions(k=K, params=sampling, batch_size=8, progress=False)
    harness = run_benchmark(
        "synthetic", bench, generator, GenerationCache(tmp_path / "cache"), opts, tmp_path / "eval"
    )
    for key in ("pass@1", "cons@k", "pass@k", "pass@1_ci95", "unparseable_rate", "n_problems", "bad_gold"):
        assert stage[key] == harness[key], key
    assert 0 < stage["pass@1"] < 1 and stage["unparseable_rate"] == 0.25
    verdicts = {(r["problem_id"], r["sample_idx"], r["pred"], r["correct"], r["status"]) for r in stage_rows}
    eval_rows = read_jsonl(tmp_path / "eval" / "samples" / "synthetic.jsonl")
    assert verdicts == {
        (r["problem_id"], r["sample_idx"], r["pred"], r["correct"], r["status"]) for r in eval_rows
    }
    assert [list(r) for r in stage_rows] == [list(r) for r in eval_rows]  # one row format, same keys in order


def test_stage_eval_folder_is_an_r1lit_eval_folder(tmp_path: Path) -> None:
    rows = hand_rows()
    summary = summarize(rows, K)
    write_results(tmp_path, "synthetic", summary, rows, {"label": "m", "name_or_path": "m"})
    assert read_results(tmp_path)["benchmarks"]["synthetic"]["pass@1"] == summary["pass@1"]
    found = read_eval_dir(tmp_path)
    assert found.model == "m" and found.benchmarks["synthetic"]["response_length"] == pytest.approx(130 / 12)
