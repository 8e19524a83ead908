"""Per-step rollout statistics GRPO logs: completion lengths by outcome, and the reflection-word rate.

Plain functions over lists (no Lightning), so they are unit-testable and the same numbers can be
recomputed offline from saved samples.

- `length_stats`: completion length mean / min / max over all completions and split by correct vs
  incorrect and terminated ("stop") vs truncated ("length"); the paper's Figure 3 is the mean.
- `reflection_stats`: how often completions contain a reflection phrase ("wait", "let me check",
  "re-evaluate", ...): the measurable side of the paper's "aha moment" (§2.2.4, Table 3).
- `rollout_metrics`: all of a step's rollout scalars (rewards, accuracy, the two above).
- `merge_rank_metrics`: the DDP reduction of those per-rank dicts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from r1lit.modules.grpo_rollout import Rollout
from r1lit.rewards.compose import reward_metrics


def _summary(values: Sequence[float], prefix: str) -> dict[str, float]:
    if not values:
        return {}
    return {
        f"{prefix}/mean": sum(values) / len(values),
        f"{prefix}/min": float(min(values)),
        f"{prefix}/max": float(max(values)),
    }


def length_stats(
    lengths: Sequence[int], correct: Sequence[bool | None], truncated: Sequence[bool], prefix: str = "length"
) -> dict[str, float]:
    """Length mean/min/max overall and per outcome; splits with no member are left out.

    Args:
        lengths: completion lengths in tokens.
        correct: per completion, whether the answer was right (None: not graded / unknown).
        truncated: per completion, whether it hit `max_new_tokens`.
        prefix: metric name prefix.

    Returns:
        e.g. `{"length/mean": ..., "length/correct/max": ..., "length/truncated/min": ...,
        "length/truncated_frac": ...}`.
    """
    out = _summary([float(n) for n in lengths], prefix)
    splits = {
        "correct": [n for n, c in zip(lengths, correct, strict=True) if c is True],
        "incorrect": [n for n, c in zip(lengths, correct, strict=True) if c is False],
        "terminated": [n for n, t in zip(lengths, truncated, strict=True) if not t],
        "truncated": [n for n, t in zip(lengths, truncated, strict=True) if t],
    }
    for name, values in splits.items():
        out.update(_summary([float(n) for n in values], f"{prefix}/{name}"))
    out[f"{prefix}/truncated_frac"] = len(splits["truncated"]) / max(len(lengths), 1)
    return out


def reflection_pattern(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any phrase as whole words (None for no phrases)."""
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p.strip()).replace(r"\ ", r"\s+") for p in phrases if p.strip())
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def reflection_stats(
    texts: Sequence[str], pattern: re.Pattern[str] | None, prefix: str = "reflection"
) -> dict[str, float]:
    """Share of completions with at least one reflection phrase, and phrases per completion.

    Args:
        texts: completion texts.
        pattern: from `reflection_pattern`; None logs nothing.
        prefix: metric name prefix.

    Returns:
        `{"reflection/rate": fraction of texts with a hit, "reflection/per_completion": mean hit count}`.
    """
    if pattern is None or not texts:
        return {}
    counts = [len(pattern.findall(t)) for t in texts]
    return {
        f"{prefix}/rate": sum(c > 0 for c in counts) / len(texts),
        f"{prefix}/per_completion": sum(counts) / len(texts),
    }


def rollout_metrics(rollout: Rollout, reflection: re.Pattern[str] | None) -> dict[str, float]:
    """A step's rollout scalars: rewards (NaN dropped), the rollout's own, accuracy, lengths, reflection."""
    metrics = {k: v for k, v in reward_metrics(rollout.rewards).items() if v == v}  # drop NaN
    metrics.update(rollout.metrics)
    correct = rollout.correct
    if any(c is not None for c in correct):
        metrics["train/accuracy"] = sum(bool(c) for c in correct) / len(correct)
    truncated = [r == "length" for r in rollout.finish_reasons]
    metrics.update(length_stats(rollout.lengths, correct, truncated, prefix="length"))
    metrics.update(reflection_stats(rollout.texts, reflection))
    return metrics


def merge_rank_metrics(per_rank: Sequence[dict[str, float]]) -> dict[str, float]:
    """Merge per-rank metric dicts: `*/min` by min, `*/max` by max, the rest by mean over the ranks that have the key.

    A key absent on a rank (e.g. no correct completion there) is not counted as a zero.
    """
    merged: dict[str, float] = {}
    for key in sorted({k for d in per_rank for k in d}):
        values = [d[key] for d in per_rank if key in d]
        suffix = key.rsplit("/", 1)[-1]
        reduce = min if suffix == "min" else max if suffix == "max" else (lambda v: sum(v) / len(v))
        merged[key] = float(reduce(values))
    return merged
