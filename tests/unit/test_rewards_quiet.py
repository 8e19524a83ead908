"""Rewards never print: failures are counted in `stats` (and logged by the caller), not written out.

A print inside a reward runs once per completion per step and floods the training log (a common
peer bug), so the reward package is checked statically, and the cheap rewards are run on failure-laden
batches with stdout/stderr captured at the file-descriptor level (grading workers included).
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

import r1lit.rewards
from r1lit.rewards.accuracy import accuracy_reward
from r1lit.rewards.format import format_reward, reasoning_steps_reward, tag_count_reward
from r1lit.rewards.language import language_consistency_reward
from r1lit.rewards.length import cosine_length_reward, overlong_reward
from r1lit.rewards.repetition import repetition_reward

REWARDS_DIR = Path(r1lit.rewards.__file__).parent
WRITERS = {"print", "pprint", "breakpoint"}


def _writes_to_stdout(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in WRITERS
    # sys.stdout.write(...), sys.stderr.write(...)
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "write"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr in ("stdout", "stderr")
    )


@pytest.mark.parametrize("path", sorted(REWARDS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_print_in_reward_modules(path: Path) -> None:
    tree = ast.parse(path.read_text())
    offenders = [n.lineno for n in ast.walk(tree) if _writes_to_stdout(n)]
    assert not offenders, f"{path.name} writes to stdout/stderr at lines {offenders}"


def test_the_static_check_catches_a_print() -> None:
    tree = ast.parse("def r(c):\n    print(c)\n    import sys\n    sys.stderr.write('x')\n")
    assert sum(_writes_to_stdout(n) for n in ast.walk(tree)) == 2


BAD_BATCH = [
    "no tags, no answer",
    "<think>unclosed",
    "<think>a</think><answer></answer>",
    "\\boxed{" * 50,
    "",
    "<think>" + "same words again " * 200 + "</think><answer>\\boxed{7}</answer>",
]
GOLDS = ["5", "", "\\frac{", "5", "5", "5"]  # unparseable and empty golds included


def test_rewards_on_failures_are_silent(capfd: pytest.CaptureFixture[str]) -> None:
    stats: Counter = Counter()
    n = len(BAD_BATCH)
    ids = [[1] * (i * 40) for i in range(n)]
    outputs = [
        accuracy_reward(BAD_BATCH, answer=GOLDS, stats=stats, timeout_s=2.0),
        format_reward(BAD_BATCH, answer=GOLDS, stats=stats),
        tag_count_reward(BAD_BATCH),
        reasoning_steps_reward(BAD_BATCH),
        cosine_length_reward(BAD_BATCH, answer=GOLDS, max_len=100, completion_ids=ids, stats=stats),
        overlong_reward(BAD_BATCH, max_len=100, cache_len=20, completion_ids=ids, stats=stats),
        repetition_reward(BAD_BATCH, stats=stats),
        language_consistency_reward(BAD_BATCH, target="en", stats=stats),
    ]
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert all(len(values) == n for values in outputs)
    assert stats["bad_gold"] >= 2 and stats["parse_failure"] >= 1  # counted instead of printed
