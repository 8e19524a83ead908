"""Mixed-task RL (math + code in one batch): a reward that does not apply to a sample does not count
for it, and a sample no outcome reward applies to is excluded (r1lit/rewards/compose.py None rule)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import hydra
from omegaconf import OmegaConf

from r1lit.rewards.compose import RewardTerm, build_reward_terms, compute_rewards

CONF = Path(__file__).resolve().parents[2] / "conf" / "reward"
TESTS = [
    {"input": "2\n", "output": "4\n", "testtype": "stdin"},
    {"input": "5\n", "output": "10\n", "testtype": "stdin"},
]
RIGHT_PROGRAM = "```python\nprint(2 * int(input()))\n```"
WRONG_PROGRAM = "```python\nprint(int(input()) + 1)\n```"


def _terms(*names: str) -> list[RewardTerm]:
    """The rewards exactly as conf/reward/<name>.yaml builds them (weights, outcome flags, options)."""
    cfg = OmegaConf.merge(*(OmegaConf.load(CONF / f"{name}.yaml") for name in names))
    return build_reward_terms(hydra.utils.instantiate(cfg))


def test_math_and_code_in_one_batch() -> None:
    completions = [r"so \boxed{4}", r"so \boxed{5}", RIGHT_PROGRAM, WRONG_PROGRAM]
    batch = compute_rewards(
        _terms("accuracy", "code"),
        completions,
        answer=["4", "4", "", ""],
        task=["math", "math", "code", "code"],
        tests=[None, None, TESTS, TESTS],
    )
    assert batch.components["accuracy"] == [1.0, 0.0, None, None]  # not a math sample: not applicable
    assert batch.components["code"][2:] == [1.0, 0.0]
    assert batch.total == [1.0, 0.0, 1.0, 0.0]  # was [1.0 -> None] before: one None dropped the sample
    assert batch.stats["accuracy"]["not_applicable"] == 2 and batch.stats["accuracy"]["bad_gold"] == 0


def test_a_shaping_reward_cannot_carry_a_sample_whose_outcome_is_unknown() -> None:
    # A record without an answer: accuracy is None (bad gold); the format reward alone must not count.
    text = "<think>x</think> <answer>\\boxed{None}</answer>"
    batch = compute_rewards(_terms("accuracy", "format"), [text, text], answer=[None, "None"])
    assert batch.components["format"] == [1.0, 1.0]
    assert batch.total == [
        None,
        2.0,
    ]  # gold None is bad_gold (excluded); only the literal gold "None" matches
    assert batch.stats["accuracy"] == Counter({"bad_gold": 1, "none": 1})


def test_a_tests_column_alone_marks_a_code_sample() -> None:
    batch = compute_rewards(
        _terms("accuracy", "code"), [r"so \boxed{4}", RIGHT_PROGRAM], answer=["4", ""], tests=[None, TESTS]
    )
    assert batch.components["accuracy"] == [1.0, None] and batch.total == [1.0, 1.0]
