"""One GRPO step's rollout: sample G completions per prompt, score them, compute advantages.

With dynamic sampling (DAPO §3.2) groups whose rewards are all equal (zero advantage, no signal) are
dropped and replaced by groups of fresh prompts, drawn deterministically from the training set for
(step, refill round), until the batch is full or `max_refill_rounds` is spent; if it is still short,
dropped groups fill the remainder (they only add KL), so every rank always trains on the same number of
groups. Under DDP every rank does the same number of refill rounds (any rank short -> all sample), so
collective calls stay aligned.

Budgets are capped by the policy's context (`r1lit.rollout.context`, inside the generator): a sample
that reaches the cap ends with finish reason "length" (masked like any truncated sample when
`mask_truncated`), the first step where this happens warns once with counts, and every step logs
`train/context_capped_frac`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from r1lit.algos import group_advantages, groups_with_signal, rewards_to_tensor
from r1lit.rewards.compose import RewardBatch, RewardTerm, compute_rewards
from r1lit.rollout.base import Completion, Generator, SamplingParams
from r1lit.rollout.context import count_capped, warn_capped_once

_NOT_COLUMNS = ("step", "prompt")
RefillFn = Callable[[int, int], dict[str, Any]]  # (step, refill round) -> this rank's fresh batch
AnyRank = Callable[[bool], bool]  # True when the flag is True on any rank


@dataclass(frozen=True)
class RolloutSampler:
    """What a step's rollout samples with and scores by; the module builds it, tests build their own."""

    generator: Generator
    tokenizer: Any  # `.decode(prompt_token_ids)` gives the prompt text the rewards see
    rewards: Sequence[RewardTerm]
    sampling: SamplingParams  # `n` is the group size G; the seed is replaced per (step, refill round)
    seed: int  # with the rank, seeds every step's sampling
    rank: int
    accuracy_term: str | None  # reward term whose value > 0 counts as correct (None: unknown)
    reward_scale: str  # advantage denominator, see r1lit.algos.group_advantages
    dynamic_sampling: bool  # drop zero-variance groups and refill with fresh prompts (DAPO)
    max_refill_rounds: int

    def seed_for(self, step: int, refill_round: int = 0) -> int:
        """Per-step sampling seed: a resumed run re-samples exactly what an uninterrupted one would."""
        return ((self.seed * 1_000_003 + step) * 131 + refill_round) * 8191 + self.rank


@dataclass
class Rollout:
    """Sampled and scored completions of one step: B groups of G, flattened group-major to N = B*G rows."""

    step: int
    prompts: list[str]  # [B] rendered prompt text
    groups: list[list[Completion]]  # [B][G]
    rewards: RewardBatch  # N rows
    columns: dict[str, list[Any]] = field(default_factory=dict)  # per-row record columns ([N] each)
    correct: list[bool | None] = field(default_factory=list)  # [N] from the accuracy term (None: unknown)
    advantages: torch.Tensor = field(default_factory=lambda: torch.zeros(0))  # [N]
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def group_size(self) -> int:
        return len(self.groups[0])

    @property
    def completions(self) -> list[Completion]:
        return [c for group in self.groups for c in group]

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.completions]

    @property
    def lengths(self) -> list[int]:
        return [len(c.token_ids) for c in self.completions]

    @property
    def finish_reasons(self) -> list[str]:
        return [c.finish_reason for c in self.completions]

    @property
    def completion_tokens(self) -> int:
        return sum(self.lengths)

    @property
    def reward_tensor(self) -> torch.Tensor:
        """[N] float32 totals, NaN where a reward was None."""
        return rewards_to_tensor(self.rewards.total)

    def take_groups(self, keep: list[int]) -> Rollout:
        """The rollout restricted to groups `keep` (in that order)."""
        g = self.group_size
        rows = [b * g + j for b in keep for j in range(g)]
        rb = self.rewards
        rewards = RewardBatch(
            [rb.total[i] for i in rows],
            {k: [v[i] for i in rows] for k, v in rb.components.items()},
            rb.weights,
            rb.stats,
        )
        return dataclasses.replace(
            self,
            prompts=[self.prompts[b] for b in keep],
            groups=[self.groups[b] for b in keep],
            rewards=rewards,
            columns={k: [v[i] for i in rows] for k, v in self.columns.items()},
            correct=[self.correct[i] for i in rows],
        )


def concat(parts: list[Rollout]) -> Rollout:
    """Groups of several rollouts of the same step, in order."""
    first = parts[0]
    stats: dict[str, Counter] = {}
    for p in parts:
        for name, counts in p.rewards.stats.items():
            stats[name] = stats.get(name, Counter()) + counts
    rewards = RewardBatch(
        [v for p in parts for v in p.rewards.total],
        {k: [v for p in parts for v in p.rewards.components[k]] for k in first.rewards.components},
        first.rewards.weights,
        stats,
    )
    return dataclasses.replace(
        first,
        prompts=[x for p in parts for x in p.prompts],
        groups=[x for p in parts for x in p.groups],
        rewards=rewards,
        columns={k: [v for p in parts for v in p.columns[k]] for k in first.columns},
        correct=[c for p in parts for c in p.correct],
    )


def sample_and_score(sampler: RolloutSampler, batch: dict[str, Any], seed: int) -> Rollout:
    """Sample G completions for each prompt of `batch` and compute every reward term."""
    params = dataclasses.replace(sampler.sampling, seed=seed)
    groups = sampler.generator.generate(batch["prompt"], params)
    g = params.n
    prompts = [sampler.tokenizer.decode(group[0].prompt_token_ids) for group in groups]
    flat = [c for group in groups for c in group]
    context = getattr(sampler.generator, "max_context", None)
    warn_capped_once("GRPO rollouts", flat, params.max_new_tokens, context)
    columns = {
        k: [v for v in values for _ in range(g)] for k, values in batch.items() if k not in _NOT_COLUMNS
    }
    columns["prompts"] = [p for p in prompts for _ in range(g)]
    columns["completion_ids"] = [c.token_ids for c in flat]
    rewards = compute_rewards(sampler.rewards, [c.text for c in flat], **columns)
    term = sampler.accuracy_term
    correct = [None if v is None else v > 0 for v in rewards.components[term]] if term else [None] * len(flat)
    return Rollout(int(batch["step"]), prompts, groups, rewards, columns, correct)


def _sort_groups(rollout: Rollout, signal: torch.Tensor, kept: list[Rollout], dropped: list[Rollout]) -> int:
    """Append the groups with signal to `kept`, the others to `dropped` (in order); return how many had it."""
    kept.append(rollout.take_groups(signal.nonzero()[:, 0].tolist()))  # signal: [B] bool
    dropped.append(rollout.take_groups((~signal).nonzero()[:, 0].tolist()))
    return int(signal.sum())


def collect_rollout(
    sampler: RolloutSampler, batch: dict[str, Any], refill: RefillFn, any_rank: AnyRank
) -> Rollout:
    """The step's rollout with advantages (and dynamic sampling when `sampler.dynamic_sampling`).

    Args:
        sampler: how to sample and score (see `RolloutSampler`).
        batch: this rank's prompts for the step (`{"step", "prompt", "answer", ...}` columns).
        refill: `(step, refill_round) -> batch`, this rank's fresh prompts for a refill round (only
            called with dynamic sampling; `PromptDataModule.refill_batch` provides it).
        any_rank: `flag -> bool`, True when the flag is True on any rank (under DDP every rank must take
            the same number of refill rounds; a single process passes `lambda flag: flag`).

    Returns:
        B groups of G scored completions, B = the batch's number of prompts, with `advantages` [B*G].
    """
    step = int(batch["step"])
    first = sample_and_score(sampler, batch, sampler.seed_for(step))
    g, n_groups = first.group_size, len(first.groups)
    signal = groups_with_signal(first.reward_tensor, g)  # [B]
    capped, _ = count_capped(first.completions, sampler.sampling.max_new_tokens)
    metrics = {
        "train/zero_variance_frac": 1.0 - float(signal.float().mean()),
        "train/context_capped_frac": capped / len(first.completions),
    }
    rollout = first
    if sampler.dynamic_sampling:
        kept: list[Rollout] = []
        dropped: list[Rollout] = []
        have, rounds = _sort_groups(first, signal, kept, dropped), 0
        while rounds < sampler.max_refill_rounds and any_rank(have < n_groups):
            rounds += 1
            extra = sample_and_score(sampler, refill(step, rounds), sampler.seed_for(step, rounds))
            have += _sort_groups(extra, groups_with_signal(extra.reward_tensor, g), kept, dropped)
        pool = concat([p for p in kept + dropped if p.groups])
        rollout = pool.take_groups(list(range(n_groups)))  # signal groups first, dropped ones fill any gap
        metrics["dynamic/refill_rounds"] = float(rounds)
        metrics["dynamic/signal_frac"] = min(have, n_groups) / n_groups
    rollout.advantages = group_advantages(rollout.reward_tensor, g, sampler.reward_scale)  # [N]
    rollout.metrics = metrics
    return rollout
