"""`collect_rollout` through its explicit interface: a RolloutSampler, a refill callback and an any-rank
reducer, with the scripted generator and no Lightning trainer (dynamic sampling's refill order and counts)."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import pytest

from r1lit.data.batching import batch_indices
from r1lit.data.prompt_datamodule import PromptDataModule
from r1lit.modules.grpo_rollout import RolloutSampler, collect_rollout
from r1lit.rewards.compose import RewardTerm
from r1lit.rollout.base import SamplingParams
from r1lit.rollout.fake import ScriptedGenerator

G = 2


def _right(completions: list[str], **_: Any) -> list[float]:
    return [1.0 if c == "right" else 0.0 for c in completions]


def _script(prompt: str, j: int) -> str:
    """Prompts containing "mix" get one right and one wrong answer (signal); the rest two wrong ones (none)."""
    return "right" if "mix" in prompt and j == 0 else "wrong"


class _Decode:
    """The generator's char ids back to text (what a tokenizer's decode does for the real backends)."""

    def decode(self, ids: list[int]) -> str:
        return "".join(map(chr, ids))


def _sampler(dynamic: bool, max_rounds: int = 3, rank: int = 0) -> RolloutSampler:
    return RolloutSampler(
        generator=ScriptedGenerator(_script), tokenizer=_Decode(), rewards=[RewardTerm("acc", _right)],
        sampling=SamplingParams(n=G, max_new_tokens=16), seed=3, rank=rank, accuracy_term="acc",
        reward_scale="group", dynamic_sampling=dynamic, max_refill_rounds=max_rounds,
    )  # fmt: skip


def _batch(step: int, prompts: list[str]) -> dict[str, Any]:
    return {"step": step, "prompt": prompts, "answer": ["1"] * len(prompts)}


class _Refills:
    """A refill callback serving scripted batches per round; records every (step, round) it is asked for."""

    def __init__(self, rounds: dict[int, list[str]]) -> None:
        self.rounds, self.calls = rounds, []

    def __call__(self, step: int, refill_round: int) -> dict[str, Any]:
        self.calls.append((step, refill_round))
        return _batch(step, self.rounds[refill_round])


def _local(flag: bool) -> bool:
    return flag


def test_without_dynamic_sampling_the_batch_is_kept_as_sampled() -> None:
    sampler, refill, asked = _sampler(dynamic=False), _Refills({}), []
    rollout = collect_rollout(
        sampler, _batch(7, ["mix a", "b", "mix c"]), refill, lambda f: asked.append(f) or f
    )
    assert rollout.prompts == ["mix a", "b", "mix c"] and rollout.group_size == G
    assert refill.calls == [] and asked == []  # neither the data nor the other ranks are consulted
    assert rollout.advantages.shape == (3 * G,) and rollout.correct == [
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    assert rollout.metrics["train/zero_variance_frac"] == pytest.approx(1 / 3)
    assert "dynamic/refill_rounds" not in rollout.metrics
    assert [params.seed for _, params in sampler.generator.calls] == [sampler.seed_for(7)]


def test_refill_keeps_signal_groups_in_order_and_stops_when_full() -> None:
    sampler = _sampler(dynamic=True)
    refill = _Refills({1: ["r1 x", "mix r1 y", "r1 z"], 2: ["mix r2 x", "mix r2 y", "r2 z"], 3: ["never"]})
    rollout = collect_rollout(sampler, _batch(5, ["a", "mix b", "c"]), refill, _local)
    assert refill.calls == [(5, 1), (5, 2)]  # full after round 2: round 3 is never drawn
    assert rollout.prompts == ["mix b", "mix r1 y", "mix r2 x"]  # first batch's, then each round's, in order
    assert len(rollout.groups) == 3 and all(len(g) == G for g in rollout.groups)
    assert rollout.metrics["dynamic/refill_rounds"] == 2.0 and rollout.metrics["dynamic/signal_frac"] == 1.0
    assert rollout.metrics["train/zero_variance_frac"] == pytest.approx(2 / 3)  # of the step's own batch
    assert [params.seed for _, params in sampler.generator.calls] == [
        sampler.seed_for(5, r) for r in (0, 1, 2)
    ]
    assert rollout.advantages.abs().sum() > 0 and rollout.advantages.shape == (3 * G,)


def test_when_rounds_run_out_dropped_groups_fill_the_gap_in_order() -> None:
    refill = _Refills({1: ["d", "e", "f"]})
    rollout = collect_rollout(
        _sampler(dynamic=True, max_rounds=1), _batch(0, ["a", "mix b", "c"]), refill, _local
    )
    assert refill.calls == [(0, 1)]
    assert rollout.prompts == ["mix b", "a", "c"]  # the signal group, then the step's dropped ones first
    assert rollout.metrics["dynamic/signal_frac"] == pytest.approx(1 / 3)
    assert rollout.advantages[2:].abs().sum() == 0  # filler groups carry no advantage


def test_every_rank_refills_while_any_rank_is_short() -> None:
    asked: list[bool] = []

    def another_rank_short(flag: bool) -> bool:  # stands in for the strategy's all-reduce
        asked.append(flag)
        return True

    refill = _Refills({1: ["mix x"], 2: ["mix y"]})
    rollout = collect_rollout(
        _sampler(dynamic=True, max_rounds=2), _batch(1, ["mix a"]), refill, another_rank_short
    )
    assert asked == [False, False]  # this rank was full from the start ...
    assert refill.calls == [(1, 1), (1, 2)]  # ... and still sampled every round the others needed
    assert rollout.prompts == ["mix a"] and rollout.metrics["dynamic/refill_rounds"] == 2.0


def test_seeds_differ_by_step_round_and_rank() -> None:
    seeds = [_sampler(True, rank=r).seed_for(s, k) for r in (0, 1) for s in range(4) for k in range(3)]
    assert len(set(seeds)) == len(seeds)
    assert _sampler(True).seed_for(2, 1) == _sampler(False).seed_for(2, 1)  # a pure function of its inputs


def _datamodule(n: int = 10, batch_size: int = 4) -> PromptDataModule:
    records = [{"id": f"q{i}", "question": f"question {i}?", "answer": str(i)} for i in range(n)]
    dm = PromptDataModule(lambda: records, None, "r1_zero", batch_size, eval_batch_size=2, seed=11)
    dm.setup()
    return dm


def test_datamodule_refill_is_deterministic_and_sharded_like_training_batches() -> None:
    dm = _datamodule()
    whole = dm.refill_batch(step=3, refill_round=1, rank=0, world_size=1)
    shards = [dm.refill_batch(3, 1, rank=r, world_size=2) for r in (0, 1)]
    assert whole["step"] == 3 and len(whole["prompt"]) == 4
    assert [x for pair in zip(*(s["id"] for s in shards), strict=True) for x in pair] == whole["id"]
    assert dm.refill_batch(3, 1, 0, 1) == whole  # a resumed run refills with the same prompts
    expected = batch_indices(10, 4, 11 + 7_919, 3)
    assert whole["id"] == [f"q{i}" for i in expected]
    assert dm.refill_batch(3, 2, 0, 1)["id"] != whole["id"]  # each round draws its own order


def test_collect_rollout_with_the_datamodule_refill() -> None:
    dm = _datamodule()
    refill = functools.partial(dm.refill_batch, rank=0, world_size=1)
    rollout = collect_rollout(
        _sampler(dynamic=True, max_rounds=2), dm.refill_batch(0, 0, 0, 1), refill, _local
    )
    assert len(rollout.groups) == 4  # no "mix" prompt: nothing has signal, the step's own groups fill in
    assert Counter(rollout.columns["id"]) == Counter({i: G for i in dm.refill_batch(0, 0, 0, 1)["id"]})
    assert rollout.metrics["dynamic/refill_rounds"] == 2.0 and rollout.metrics["dynamic/signal_frac"] == 0.0
