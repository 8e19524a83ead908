"""Rescoring saved generations without a model: field specs, external files, and our own runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from r1lit_eval.rescore import field_values, rescore_external, rescore_run

from r1lit.evaluation.results import save_results
from r1lit.io import read_jsonl, write_jsonl


def test_field_specs() -> None:
    rec = {"code": ["a", "b"], "answer": "5", "idx": 3}
    assert field_values(rec, "code[0]") == ["a"]
    assert field_values(rec, "code[-1]") == ["b"]
    assert field_values(rec, "code[*]") == field_values(rec, "code") == ["a", "b"]
    assert field_values(rec, "answer") == ["5"]
    with pytest.raises(KeyError, match="'gold' not in record"):
        field_values(rec, "gold")
    with pytest.raises(ValueError, match="not a list"):
        field_values(rec, "answer[0]")


def test_external_file_all_samples_and_first_sample(tmp_path: Path) -> None:
    path = tmp_path / "gen.jsonl"
    write_jsonl(path, [
        {"idx": 0, "answer": 4.0, "code": ["\\boxed{4}", "\\boxed{5}", "\\boxed{4}"]},
        {"idx": 1, "answer": "7", "code": ["no answer", "\\boxed{7}", "\\boxed{8}"]},
    ])  # fmt: skip
    rows, first = rescore_external(path, {"response": "code[0]", "gold": "answer", "id": "idx"}, kind="int")
    assert first["pass@1"] == 0.5 and first["unparseable_rate"] == 0.5 and len(rows) == 2
    rows, every = rescore_external(path, {"response": "code", "gold": "answer"}, kind="int")
    assert every["k"] == 3 and every["pass@1"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    # problem 0: "4" wins 2-1 (right); problem 1: "7" and "8" tie 1-1, the first cluster ("7") wins (right)
    assert every["cons@k"] == 1.0
    with pytest.raises(ValueError, match="fields lacks"):
        rescore_external(path, {"response": "code"})


def test_rescore_run_regrades_with_the_current_grader(tmp_path: Path) -> None:
    out = tmp_path / "run"
    row = {"benchmark": "aime24", "problem_id": "p", "sample_idx": 0, "kind": "int", "prompt": "Q",
           "response_prefix": "", "completion": "\\boxed{025}", "gold": "25", "pred": "025", "correct": False,
           "status": "incorrect", "detail": {}, "finish_reason": "stop", "n_tokens": 3, "n_prompt_tokens": 1}  # fmt: skip
    wrong = row | {
        "sample_idx": 1,
        "completion": "\\boxed{26}",
        "pred": "26",
        "correct": True,
        "status": "correct",
    }
    write_jsonl(
        out / "samples" / "aime24.jsonl", [row, wrong]
    )  # saved by an older grader that got both wrong
    write_jsonl(
        out / "samples" / "aime24.problems.jsonl",
        [{"problem_id": "p", "gold": "25", "kind": "int", "meta": {}}],
    )
    config = {
        "loader": {"fields": {"question": "problem", "answer": "answer"}, "instruction": "", "kind": "int"}
    }
    save_results({"model": {}, "benchmarks": {"aime24": {"k": 2, "pass@1": 0.5, "config": config}}}, out)
    results = rescore_run(out, n_boot=20, workers=2)
    s = results["benchmarks"]["aime24"]
    assert s["pass@1"] == 0.5 and s["rescore"] == {"changed_verdicts": 2, "pass@1_before": 0.5}
    rescored = read_jsonl(out / "rescored" / "samples" / "aime24.jsonl")
    assert [(r["sample_idx"], r["correct"], r["pred"]) for r in rescored] == [
        (0, True, "25"),
        (1, False, "26"),
    ]
    assert (
        json.loads((out / "results.json").read_text())["benchmarks"]["aime24"]["pass@1"] == 0.5
    )  # untouched


def test_rescore_of_a_torn_samples_file_names_the_file_and_line(tmp_path: Path) -> None:
    out = tmp_path / "run"
    samples = out / "samples" / "aime24.jsonl"
    write_jsonl(samples, [{"problem_id": "p", "sample_idx": 0}])
    with open(samples, "a") as fh:
        fh.write('{"problem_id": "p", "sample_')  # cut short
    save_results({"model": {}, "benchmarks": {"aime24": {"k": 1, "pass@1": 0.0, "config": None}}}, out)
    with pytest.raises(ValueError, match=rf"{samples}:2: not a JSON record"):
        rescore_run(out, n_boot=20)
