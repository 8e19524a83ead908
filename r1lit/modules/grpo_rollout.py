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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from r1lit.algos import group_advantages, groups_with_signal, rewards_to_tensor
from r1lit.data.batching import batch_indices
from r1lit.rewards.compose import RewardBatch, compute_rewards
from r1lit.rollout.base import Completion
from r1lit.rollout.context import count_capped, warn_capped_once

if TYPE_CHECKING:
    from r1lit.modules.grpo import GRPOModule

_NOT_COLUMNS = ("step", "prompt")


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
            self, prompts=[self.prompts[b] for b in keep], groups=[self.groups[b] for b in keep], rewards=rewards,
            columns={k: [v[i] for i in rows] for k, v in self.columns.items()}, correct=[self.correct[i] for i in rows],
        )  # fmt: skip


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
        first, prompts=[x for p in parts for x in p.prompts], groups=[x for p in parts for x in p.groups],
        rewards=rewards, columns={k: [v for p in parts for v in p.columns[k]] for k in first.columns},
        correct=[c for p in parts for c in p.correct],
    )  # fmt: skip


def sample_and_score(module: GRPOModule, batch: dict[str, Any], seed: int) -> Rollout:
    """Sample G completions for each prompt of `batch` and compute every reward term."""
    params = dataclasses.replace(module.sampling, seed=seed)
    groups = module.generator.generate(batch["prompt"], params)
    g = params.n
    prompts = [module.tokenizer.decode(group[0].prompt_token_ids) for group in groups]
    flat = [c for group in groups for c in group]
    context = getattr(module.generator, "max_context", None)
    warn_capped_once("GRPO rollouts", flat, params.max_new_tokens, context)
    columns = {
        k: [v for v in values for _ in range(g)] for k, values in batch.items() if k not in _NOT_COLUMNS
    }
    columns["prompts"] = [p for p in prompts for _ in range(g)]
    columns["completion_ids"] = [c.token_ids for c in flat]
    rewards = compute_rewards(module.rewards, [c.text for c in flat], **columns)
    term = module.hparams.accuracy_term
    correct = [None if v is None else v > 0 for v in rewards.components[term]] if term else [None] * len(flat)
    return Rollout(int(batch["step"]), prompts, groups, rewards, columns, correct)


def refill_batch(module: GRPOModule, step: int, refill_round: int) -> dict[str, Any]:
    """This rank's share of a fresh, deterministic batch of training prompts for (step, round)."""
    dm = module.trainer.datamodule
    idx = batch_indices(dm.n_train(), dm.batch_size, dm.seed + 7_919 * refill_round, step)
    idx = idx[module.global_rank :: module.trainer.world_size]
    return dm.to_batch([dm.train_records[i] for i in idx], step)


def collect_rollout(module: GRPOModule, batch: dict[str, Any]) -> Rollout:
    """The step's rollout with advantages (and dynamic sampling when enabled)."""
    hp, step = module.hparams, int(batch["step"])
    first = sample_and_score(module, batch, module.rollout_seed(step))
    g, n_groups = first.group_size, len(first.groups)
    signal = groups_with_signal(first.reward_tensor, g)  # [B]
    capped, _ = count_capped(first.completions, module.sampling.max_new_tokens)
    metrics = {
        "train/zero_variance_frac": 1.0 - float(signal.float().mean()),
        "train/context_capped_frac": capped / len(first.completions),
    }
    rollout = first
    if hp.dynamic_sampling:
        kept = [first.take_groups(signal.nonzero()[:, 0].tolist())]
        dropped = [first.take_groups((~signal).nonzero()[:, 0].tolist())]
        have, rounds = int(signal.sum()), 0
        while rounds < hp.max_refill_rounds and module.trainer.strategy.reduce_boolean_decision(
            have < n_groups, all=False
        ):
            rounds += 1
            extra = sample_and_score(
                module, refill_batch(module, step, rounds), module.rollout_seed(step, rounds)
            )
            extra_signal = groups_with_signal(extra.reward_tensor, g)
            kept.append(extra.take_groups(extra_signal.nonzero()[:, 0].tolist()))
            dropped.append(extra.take_groups((~extra_signal).nonzero()[:, 0].tolist()))
            have += int(extra_signal.sum())
        pool = concat([p for p in kept + dropped if p.groups])
        rollout = pool.take_groups(list(range(n_groups)))  # signal groups first, dropped ones fill any gap
        metrics["dynamic/refill_rounds"] = float(rounds)
        metrics["dynamic/signal_frac"] = min(have, n_groups) / n_groups
    rollout.advantages = group_advantages(rollout.reward_tensor, g, hp.reward_scale)  # [N]
    rollout.metrics = metrics
    return rollout
