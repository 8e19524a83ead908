"""Benchmark loaders, prompts and grading on small local files (the real files: tests/shared)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from r1lit_eval.benchmarks import registry
from r1lit_eval.benchmarks.gpqa import OPTION_COLUMNS, option_permutation
from r1lit_eval.benchmarks.math_benchmarks import field_value, gold_to_str

from r1lit.io import write_jsonl

CONF = Path(__file__).resolve().parents[2] / "conf" / "benchmark"
INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

# Invented questions in GPQA's column layout (not GPQA content).
GPQA_ROWS = [
    {"Record ID": "r1", "Question": "Which gas makes up most of Earth's atmosphere?", "Correct Answer": "Nitrogen",
     "Incorrect Answer 1": "Oxygen", "Incorrect Answer 2": "Argon", "Incorrect Answer 3": "Carbon dioxide",
     "Subdomain": "Chemistry (general)", "High-level domain": "Chemistry"},
    {"Record ID": "r2", "Question": "How many chromosomes does a typical human somatic cell have?",
     "Correct Answer": "46", "Incorrect Answer 1": "23", "Incorrect Answer 2": "44", "Incorrect Answer 3": "48",
     "Subdomain": "Genetics", "High-level domain": "Biology"},
]  # fmt: skip


def bench_cfg(name: str) -> dict:
    return OmegaConf.to_container(OmegaConf.load(CONF / f"{name}.yaml"), resolve=True)


def build(name: str, local_path: Path) -> object:
    cfg = bench_cfg(name)
    return registry.build_benchmark(name, cfg["loader"] | {"local_path": str(local_path)})


def test_unknown_benchmark_lists_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown benchmark 'aime2024'.*aime24.*gpqa.*synthetic"):
        registry.check_name("aime2024")


def test_unknown_loader_key_names_it() -> None:
    with pytest.raises(ValueError, match=r"benchmark.aime24.loader has unknown keys \['splt'\]"):
        registry.check_loader("aime24", {"splt": "test"})


def test_every_benchmark_yaml_has_the_protocol_keys_and_a_registered_name() -> None:
    names = sorted(p.stem for p in CONF.glob("*.yaml"))
    assert names == registry.available()
    expected_k = {"aime24": 64, "math500": 4, "gpqa": 8, "livecodebench": 16}
    for name in names:
        cfg = bench_cfg(name)
        assert cfg["sampling"]["temperature"] == 0.6 and cfg["sampling"]["top_p"] == 0.95, name
        assert cfg["k"] == expected_k.get(name, cfg["k"]), name
        if name != "synthetic":  # the paper's budget; the tiny model's synthetic set needs far less
            assert cfg["sampling"]["max_new_tokens"] == 32768, name


def test_local_path_from_data_dir() -> None:
    loader = registry.resolve_local_path({"local_path": None}, "aime24.jsonl", "/data")
    assert loader["local_path"] == "/data/aime24.jsonl"
    assert (
        registry.resolve_local_path({"local_path": "/x.jsonl"}, "aime24.jsonl", "/data")["local_path"]
        == "/x.jsonl"
    )


def test_math_benchmark_prompt_ids_and_grading(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "aime.jsonl", [{"id": 7, "problem": "Find x.", "answer": "025"}])
    bench = build("aime24", path)
    (p,) = bench.load()
    assert p.id == "7" and p.gold == "025" and p.kind == "int"
    assert p.prompt == [{"role": "user", "content": f"Find x.\n{INSTRUCTION}"}]
    assert bench.grade(p, "<think>hmm</think> The answer is \\boxed{25}.").correct
    wrong = bench.grade(p, "\\boxed{26}")
    assert not wrong.correct and wrong.pred == "26" and wrong.status == "incorrect"
    assert bench.grade(p, "no idea").status == "no_answer"
    assert bench.provenance["rows"] == 1 and len(bench.provenance["sha256"]) == 64


def test_composite_ids_float_golds_and_duplicates(tmp_path: Path) -> None:
    assert field_value({"competition": "aime_2025_I", "id": 3}, ["competition", "id"]) == "aime_2025_I-3"
    assert gold_to_str(27.0) == "27" and gold_to_str(2.5) == "2.5" and gold_to_str(" 5 ") == "5"
    path = write_jsonl(tmp_path / "amc.jsonl", [{"id": 1, "question": "Q", "answer": 27.0}] * 2)
    with pytest.raises(ValueError, match="duplicate problem id '1'"):
        build("amc23", path).load()


def test_raw_template_and_force_think_free_prompt(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [{"unique_id": "u", "problem": "1+1?", "answer": "2"}])
    cfg = bench_cfg("math500")
    bench = registry.build_benchmark("math500", cfg["loader"] | {"local_path": str(path), "template": "raw"})
    assert bench.load()[0].prompt == f"1+1?\n{INSTRUCTION}"


def test_gpqa_shuffles_with_a_recorded_seeded_permutation(tmp_path: Path) -> None:
    path = tmp_path / "gpqa.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(GPQA_ROWS[0]))
        writer.writeheader()
        writer.writerows(GPQA_ROWS)
    bench = build("gpqa", path)
    problems = bench.load()
    assert [p.id for p in problems] == ["r1", "r2"]
    for p, row in zip(problems, GPQA_ROWS, strict=True):
        perm = p.meta["permutation"]
        assert sorted(perm) == [0, 1, 2, 3] and perm == option_permutation(0, row["Record ID"])
        gold_pos = "ABCD".index(p.gold)
        assert p.meta["options"][gold_pos] == row["Correct Answer"]
        assert p.meta["options"] == [row[OPTION_COLUMNS[j]] for j in perm]
        text = p.prompt[0]["content"]
        assert text.startswith("Answer the following multiple choice question.")
        assert f"{p.gold}) {row['Correct Answer']}" in text and row["Question"] in text
        assert bench.grade(p, f"Reasoning...\nAnswer: {p.gold}").correct
        other = "ABCD"[(gold_pos + 1) % 4]
        assert not bench.grade(p, f"Answer: {other}").correct
    assert build("gpqa", path).load()[0].meta == problems[0].meta  # same seed, same order
    perms = {tuple(option_permutation(s, "r1")) for s in range(20)}
    assert len(perms) > 1  # the seed matters


def test_gpqa_missing_columns_are_reported(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [{"Question": "Q", "Correct Answer": "a"}])
    with pytest.raises(ValueError, match="Incorrect Answer 1"):
        build("gpqa", path).load()


def test_synthetic_heldout_problems_and_grading() -> None:
    cfg = bench_cfg("synthetic")
    bench = registry.build_benchmark("synthetic", cfg["loader"] | {"n": 5})
    problems = bench.load()
    assert len(problems) == 5 and len({p.id for p in problems}) == 5
    p = problems[0]
    assert isinstance(p.prompt, str) and p.prompt.endswith("Assistant:") and "Compute" in p.prompt
    assert bench.grade(p, f"<think> steps </think> <answer> {p.gold} </answer>").correct
    assert not bench.grade(p, "<think> steps </think> <answer> -1 </answer>").correct
    assert bench.provenance["seed"] == 1234 and bench.provenance["split"] == "heldout"


def test_synthetic_countdown_accepts_any_valid_expression() -> None:
    cfg = bench_cfg("synthetic")
    bench = registry.build_benchmark(
        "synthetic", cfg["loader"] | {"n": 3, "task": "countdown", "difficulty": 2, "kind": "math"}
    )
    p = bench.load()[0]
    assert bench.grade(p, f"<answer>{p.gold}</answer>").correct
    assert not bench.grade(p, "<answer>1+1</answer>").correct
    assert bench.grade(p, "nothing").status == "no_answer"


def test_hub_failure_says_how_to_use_a_local_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'org/set' on the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(OSError, match=r"OfflineModeIsEnabled.*data_dir=.*loader.local_path="):
        registry.load_records(
            local_path=None, hub_id="org/set", hub_config=None, revision="abc", split="test"
        )


def test_code_benchmark_rows_missing_a_field_name_file_row_and_field(tmp_path: Path) -> None:
    """LiveCodeBench and HumanEval files fail at load, naming the file, the record and the field."""
    row = {"question_id": "q1", "question_content": "Print 1.", "contest_date": "2024-09-01T00:00:00"}
    path = write_jsonl(tmp_path / "lcb.jsonl", [row, {k: v for k, v in row.items() if k != "contest_date"}])
    with pytest.raises(ValueError, match=r"lcb\.jsonl record 2 has no field 'contest_date'"):
        build("livecodebench", path).load()
    humaneval = write_jsonl(
        tmp_path / "he.jsonl", [{"task_id": "HumanEval/0", "prompt": "def f():\n", "test": ""}]
    )
    with pytest.raises(ValueError, match=r"he\.jsonl record 1 has no field 'entry_point'"):
        build("humaneval", humaneval).load()
