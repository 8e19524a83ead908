"""Weighted composition of reward functions, the metrics the reward callback logs, and config wiring.

Every reward is `fn(completions, *, answer, **columns) -> list[float | None]`. `compute_rewards`
calls each term with the same columns plus a fresh `stats` Counter (how a reward reports counts
such as `parse_failure` without printing or keeping module state), and combines them:

    total[i] = sum(weight_t * value_t[i] for every term t with weight_t != 0 and value_t[i] not None)

**None rule** (mixed-task RL: math, code and general prompts in one batch). A reward returns None
for a sample it does not apply to (`accuracy` on a program or a general prompt, `code` on a math
problem) or cannot judge (an unparseable gold, a sandbox failure). Per sample:

- a None term is skipped: it neither adds nor drops anything, so with `reward=[accuracy,code]` a
  right math answer totals 1.0 and a right program totals 1.0;
- the sample is excluded (total None, no advantage) when *every* weighted **outcome** term is None
  for it. Outcome terms (`outcome: true` in conf/reward: accuracy, code, cosine, reward_model)
  judge the result; shaping terms (`outcome: false`: format, tag_count, length, repetition,
  language...) only adjust it. So a math sample whose gold is broken does not escape with its
  format reward alone, and a completion cannot earn shaping rewards by making every outcome
  reward return None. (A config with no outcome term excludes a sample only when all terms are None.)
- weights are **not** renormalised: each weight means the same thing on every sample. Nothing is
  lost by it: GRPO compares samples of one prompt, and those share one task and one set of
  applicable terms.

Zero-weight terms are diagnostics: computed, reported, never part of the total, and their Nones do
not matter. A non-finite value (NaN/inf, e.g. from a broken reward model) is turned into None and
counted as `non_finite`.

Config: the Hydra group `conf/reward/` has one file per reward holding its function and weight,
`{<name>: {weight: float, outcome: bool, fn: {_target_: ..., _partial_: true, <options>}}}`, so
`reward=[accuracy,format,cosine] reward.cosine.weight=0.5` composes a run's rewards. GRPO's stage
config hands them to its module (`stage.module.rewards: ${reward}`), which builds its `RewardTerm`s
once with `build_reward_terms` and records `reward_config(...)` (plain data) in its checkpoints. A term
can be dropped from a composed config with `reward.<name>=null`.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from r1lit.rewards._text import PARSE_FAILURE

RewardFn = Callable[..., Sequence[float | None]]
NONE = "none"  # stats key added by compute_rewards: values that came back None
NON_FINITE = "non_finite"


@dataclass(frozen=True)
class RewardTerm:
    """One named, weighted reward function; `outcome` terms decide whether a sample counts (None rule)."""

    name: str
    fn: RewardFn
    weight: float = 1.0
    outcome: bool = True


@dataclass
class RewardBatch:
    """Rewards of one batch of N completions."""

    total: list[float | None]  # [N] weighted sum of non-None terms, None when no outcome term applies
    components: dict[str, list[float | None]]  # name -> [N] unweighted values
    weights: dict[str, float]
    stats: dict[str, Counter] = field(default_factory=dict)  # name -> counts reported by the reward

    @property
    def n(self) -> int:
        """Number of completions."""
        return len(self.total)


def _clean(name: str, values: Sequence[Any], n: int, stats: Counter) -> list[float | None]:
    """Check the length, cast to float, turn non-finite values into None (counted)."""
    if len(values) != n:
        raise ValueError(f"reward {name!r} returned {len(values)} values for {n} completions")
    out: list[float | None] = []
    for value in values:
        if value is None:
            out.append(None)
        elif not math.isfinite(float(value)):
            stats[NON_FINITE] += 1
            out.append(None)
        else:
            out.append(float(value))
    stats[NONE] += sum(v is None for v in out)
    return out


def compute_rewards(
    terms: Sequence[RewardTerm],
    completions: list[str],
    answer: list[str] | None = None,
    **columns: Any,
) -> RewardBatch:
    """Evaluate every term on a batch and combine them with their weights (see the None rule above).

    Args:
        terms: the rewards to compute (names must be unique).
        completions: N generated texts.
        answer: N gold answers (None for rewards that need none, e.g. filters).
        **columns: passed to every reward (`prompts`, `completion_ids`, `tests`, ...); `stats` is reserved.

    Returns:
        A RewardBatch with the total, the per-term values and the per-term stats.
    """
    if "stats" in columns:
        raise ValueError("'stats' is reserved: compute_rewards gives each reward its own Counter")
    names = [t.name for t in terms]
    if len(set(names)) != len(names):
        raise ValueError(f"reward names must be unique, got {names}")
    n = len(completions)
    components: dict[str, list[float | None]] = {}
    stats: dict[str, Counter] = {}
    for term in terms:
        stats[term.name] = Counter()
        values = term.fn(completions, answer=answer, stats=stats[term.name], **columns)
        components[term.name] = _clean(term.name, values, n, stats[term.name])
    total = combine(terms, components, n)
    return RewardBatch(total, components, {t.name: t.weight for t in terms}, stats)


def combine(
    terms: Sequence[RewardTerm], components: Mapping[str, list[float | None]], n: int
) -> list[float | None]:
    """Per-sample totals by the None rule of the module docstring."""
    weighted = [t for t in terms if t.weight != 0]
    deciders = [t for t in weighted if t.outcome] or weighted
    total: list[float | None] = []
    for i in range(n):
        if all(components[t.name][i] is None for t in deciders):
            total.append(None)  # no outcome reward applies: nothing to learn from this sample
            continue
        values = [(t.weight, components[t.name][i]) for t in weighted]
        total.append(sum(w * v for w, v in values if v is not None))
    return total


def score_one(fn: RewardFn, completion: str, answer: str | None = None, **item: Any) -> float | None:
    """Score a single completion (e.g. a rejection-sampling filter); `item` holds one value per column.

    Example: `score_one(language_consistency_reward, text, prompts=prompt) < 0.95` flags mixed language.
    """
    columns = {key: [value] for key, value in item.items()}
    return fn([completion], answer=None if answer is None else [answer], **columns)[0]


def _mean_std(values: Sequence[float | None]) -> tuple[float, float]:
    """Mean and population std of the non-None values (NaN when there are none)."""
    xs = [v for v in values if v is not None]
    if not xs:
        return math.nan, math.nan
    mean = sum(xs) / len(xs)
    return mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))


def reward_metrics(batch: RewardBatch, prefix: str = "reward") -> dict[str, float]:
    """Scalars to log for a batch: per-term and total mean/std, None rates and failure rates.

    Keys: `{prefix}/total/{mean,std,none_rate}`, `{prefix}/{name}/{mean,std}`, and
    `{prefix}/{name}/{key}_rate` for every count a reward reported (`none`, `parse_failure`,
    `bad_gold`, ...), plus `{prefix}/parse_failure_rate`: the largest rate of `parse_failure` (no
    answer / no code block could be extracted) over the terms, which with one grader-based term is
    simply its rate. Rates are counts / N; means and stds skip Nones (NaN when all are None).
    """
    n = max(batch.n, 1)
    metrics: dict[str, float] = {}
    metrics[f"{prefix}/total/mean"], metrics[f"{prefix}/total/std"] = _mean_std(batch.total)
    metrics[f"{prefix}/total/none_rate"] = sum(v is None for v in batch.total) / n
    parse_failure = 0.0
    for name, values in batch.components.items():
        metrics[f"{prefix}/{name}/mean"], metrics[f"{prefix}/{name}/std"] = _mean_std(values)
        counts = batch.stats.get(name, Counter())
        for key in sorted(set(counts) | {NONE}):
            metrics[f"{prefix}/{name}/{key}_rate"] = counts[key] / n
        parse_failure = max(parse_failure, counts[PARSE_FAILURE] / n)
    metrics[f"{prefix}/parse_failure_rate"] = parse_failure
    return metrics


def build_reward_terms(reward_cfg: Mapping[str, Any] | None) -> list[RewardTerm]:
    """Turn the `reward` config (`{name: {weight, outcome, fn}}`) into RewardTerms, in order.

    Args:
        reward_cfg: the config as Hydra instantiates it (each `fn` a partial: what GRPOModule gets from
            `stage.module.rewards: ${reward}`), or as `reward_config` records it (each `fn` its
            `{_target_, _partial_: true, **options}` mapping); entries set to None are skipped.

    Returns:
        One RewardTerm per entry.
    """
    terms = []
    for name, entry in (reward_cfg or {}).items():
        if entry is None:
            continue
        if "fn" not in entry or "weight" not in entry:
            raise ValueError(f"reward.{name} needs `fn` and `weight`, got keys {sorted(entry)}")
        fn = entry["fn"]
        if isinstance(fn, Mapping) and fn.get("_partial_") is True and "_target_" in fn:
            fn = _partial_from_config(fn)
        if not callable(fn):
            raise TypeError(f"reward.{name}.fn is {type(fn).__name__}; did you forget `_partial_: true`?")
        # `outcome` belongs in every conf/reward file; absent, the term is an outcome term, which can
        # only exclude more samples, never let a shaping reward carry one on its own.
        outcome = bool(entry["outcome"]) if "outcome" in entry else True
        terms.append(RewardTerm(name=str(name), fn=fn, weight=float(entry["weight"]), outcome=outcome))
    return terms


def _partial_from_config(fn_cfg: Mapping[str, Any]) -> RewardFn:
    """What Hydra makes of a `fn` node with `_partial_: true`: its `_target_` with the options bound."""
    module, _, attr = str(fn_cfg["_target_"]).rpartition(".")
    options = {k: v for k, v in fn_cfg.items() if k not in ("_target_", "_partial_")}
    return functools.partial(getattr(importlib.import_module(module), attr), **options)


def reward_config(reward_cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `reward` config as plain data, each `fn` partial back to `{_target_, _partial_: true, **options}`.

    What a checkpoint's hyperparameters record: YAML-able, loadable with `torch.load(weights_only=True)`,
    and `build_reward_terms` rebuilds the same terms from it.
    """
    plain: dict[str, Any] = {}
    for name, entry in (reward_cfg or {}).items():
        if entry is None:
            continue
        fn = entry.get("fn")
        if isinstance(fn, functools.partial) and not fn.args:
            target = f"{fn.func.__module__}.{fn.func.__qualname__}"
            fn = {"_target_": target, "_partial_": True, **fn.keywords}
        if not isinstance(fn, Mapping):
            raise TypeError(
                f"reward.{name}.fn is {type(fn).__name__}: not a partial of a function or its config"
            )
        plain[str(name)] = {**entry, "fn": dict(fn)}
    return plain
