"""GraderOptions: the one status -> reward rule of the correctness rewards, and their YAML keys."""

from __future__ import annotations

import dataclasses
import inspect
from collections import Counter
from pathlib import Path

import pytest
import yaml

from r1lit.rewards._grading import GraderOptions
from r1lit.rewards.accuracy import accuracy_reward
from r1lit.rewards.length import cosine_length_reward

CONF = Path(__file__).resolve().parents[2] / "conf" / "reward"


def test_rewards_map_statuses_once() -> None:
    completions = ["\\boxed{5}", "\\boxed{6}", "\\boxed{5}", "\\boxed{5}"]
    answer = ["5", "5", "", "5"]
    columns = {"task": ["arithmetic", "arithmetic", "arithmetic", "code"]}
    stats: Counter = Counter()
    rewards = GraderOptions(unparseable_gold=0.25).rewards(
        completions, answer, stats, columns, score=lambda i, correct: 10.0 * i + correct
    )
    assert rewards == [1.0, 10.0, 0.25, None]  # correct, wrong, bad gold, not applicable
    assert stats == Counter({"bad_gold": 1, "not_applicable": 1})


def test_answer_count_must_match() -> None:
    with pytest.raises(ValueError, match="2 answers for 1 completions"):
        GraderOptions().statuses(["\\boxed{5}"], ["5", "5"], None, {})


@pytest.mark.parametrize(("name", "fn"), [("accuracy", accuracy_reward), ("cosine", cosine_length_reward)])
def test_reward_signatures_and_yaml_carry_every_grader_option(name: str, fn: object) -> None:
    params = inspect.signature(fn).parameters
    yaml_fn = yaml.safe_load((CONF / f"{name}.yaml").read_text())[name]["fn"]
    for field in dataclasses.fields(GraderOptions):
        assert params[field.name].default == field.default
        assert yaml_fn[field.name] == field.default  # the YAML states the same defaults
