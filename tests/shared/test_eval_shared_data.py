"""The harness on the real benchmark files in ../shared/data: loaders, and rescoring published generations."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf
from r1lit_eval.benchmarks import registry
from r1lit_eval.rescore import rescore_external

pytestmark = pytest.mark.shared_data
CONF = Path(__file__).resolve().parents[2] / "conf" / "benchmark"
SKYTHOUGHT = [  # file, reported accuracy (the harness's own metrics.json)
    ("gen_skythought_qwen2.5-14b-instruct_math500_greedy.jsonl", 80.4),
    ("gen_skythought_qwen2.5-math-7b_math500_greedy.jsonl", 52.4),
    ("gen_skythought_sky-t1-math-reflection-0.5-32b_aime24_greedy.jsonl", 36.7),
]


def load(name: str, data_dir: Path) -> list:
    cfg = OmegaConf.to_container(OmegaConf.load(CONF / f"{name}.yaml"), resolve=True)
    return registry.build_benchmark(name, cfg["loader"], cfg["local_file"], data_dir).load()


@pytest.mark.parametrize("name,count", [("aime24", 30), ("aime25", 30), ("amc23", 40), ("math500", 500)])
def test_math_benchmarks_load_from_the_local_files(shared_data: Path, name: str, count: int) -> None:
    problems = load(name, shared_data)
    assert len(problems) == count and len({p.id for p in problems}) == count
    assert all(
        p.gold and "put your final answer within \\boxed{}" in p.prompt[-1]["content"] for p in problems
    )
    if name.startswith("aime"):
        assert all(0 <= int(p.gold) <= 999 for p in problems)
    if name == "amc23":
        assert all(p.gold.lstrip("-").isdigit() for p in problems)  # 27.0 -> "27"
    if name == "aime25":
        assert problems[0].id == "aime_2025_I-1" and problems[0].gold == "70"


@pytest.mark.parametrize("file,reported", SKYTHOUGHT)
def test_rescoring_skythought_generations_reproduces_their_accuracy(
    shared_data: Path, file: str, reported: float
) -> None:
    fields = {"response": "code[0]", "gold": "answer", "id": "idx"}
    rows, summary = rescore_external(shared_data / file, fields, kind="math", timeout_s=30.0, n_boot=100)
    assert abs(100 * summary["pass@1"] - reported) <= 0.5, (file, 100 * summary["pass@1"])
    assert summary["n_samples"] == len(rows) == summary["n_problems"]


def test_rescoring_eight_samples_per_problem(shared_data: Path) -> None:
    """Qwen2.5-Math's maj@k example: 100 problems x 8 samples; their own verdicts average 91.0%."""
    fields = {"response": "code", "gold": "answer", "id": "idx"}
    _, summary = rescore_external(
        shared_data / "gen_qwen25math_math_cot_100_8samples.jsonl", fields, timeout_s=30.0, n_boot=100
    )
    assert summary["k"] == 8 and summary["n_samples"] == 800
    assert abs(100 * summary["pass@1"] - 91.0) <= 1.0
    assert (
        summary["cons@k"] is not None
        and summary["pass@k"]["8"] >= summary["cons@k"] >= summary["pass@1"] - 0.05
    )
