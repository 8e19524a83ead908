"""Evaluation metrics over graded samples: pass@k, mean pass@1, majority vote / cons@k, bootstrap CIs.

Pure functions (numpy only for the bootstrap), shared by the trainer's periodic eval and the
``r1lit_eval`` harness. The DeepSeek-R1 paper reports pass@1 as the mean correctness over k sampled
responses per problem and cons@64 as the accuracy of the majority-voted answer over 64 samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem from ``n`` samples of which ``c`` are correct (Chen et al., 2021).

    ``1 - C(n-c, k) / C(n, k)``, evaluated as the product ``1 - prod_{i=n-c+1}^{n} (1 - k/i)``: no big
    binomials, no overflow, exact enough for n in the thousands.

    Raises:
        ValueError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:  # every k-subset contains a correct sample
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def mean_pass1(correct: Sequence[Sequence[bool]]) -> float:
    """Mean over problems of the fraction of correct samples (the paper's pass@1 with k samples).

    Args:
        correct: one list of per-sample verdicts per problem (problems may have different counts).

    Raises:
        ValueError: no problems, or a problem without samples.
    """
    if not correct or any(len(samples) == 0 for samples in correct):
        raise ValueError("mean_pass1 needs at least one problem and one sample per problem")
    return float(np.mean([sum(map(bool, samples)) / len(samples) for samples in correct]))


def _vote(answers: Sequence[str | None], equiv: Callable[[str, str], bool]) -> int | None:
    """Index of the first member of the largest cluster of equivalent answers (None if all are None)."""
    reps: list[int] = []  # index of each cluster's first member, in order of first occurrence
    counts: list[int] = []
    same_string: dict[str, int] = {}  # identical strings join a cluster without calling equiv
    for i, answer in enumerate(answers):
        if answer is None:
            continue
        cluster = same_string.get(answer)
        if cluster is None:
            cluster = next((j for j, r in enumerate(reps) if equiv(answer, answers[r])), None)
            if cluster is None:
                reps.append(i)
                counts.append(0)
                cluster = len(reps) - 1
            same_string[answer] = cluster
        counts[cluster] += 1
    if not reps:
        return None
    best = max(range(len(reps)), key=lambda j: (counts[j], -reps[j]))  # ties: earliest cluster wins
    return reps[best]


def majority_vote(answers: Sequence[str | None], equiv: Callable[[str, str], bool]) -> str | None:
    """The most frequent answer, clustering answers that ``equiv`` says are the same.

    Each cluster is represented by its first member; a tie goes to the cluster that appeared first;
    None (no answer) never wins. ``equiv(answer, representative)`` is called once per new distinct
    string and cluster until it matches (use ``r1lit.grading.is_equivalent`` for math answers).

    Returns:
        The representative answer of the winning cluster, or None when every answer is None.
    """
    idx = _vote(answers, equiv)
    return None if idx is None else answers[idx]


def majority_correct(
    answers: Sequence[str | None], correct: Sequence[bool], equiv: Callable[[str, str], bool]
) -> bool:
    """Is the majority-voted answer of one problem correct? The winning cluster takes the grader's
    verdict of its first member (its representative); no answer at all counts as wrong."""
    if len(answers) != len(correct):
        raise ValueError(f"{len(answers)} answers but {len(correct)} verdicts")
    idx = _vote(answers, equiv)
    return idx is not None and bool(correct[idx])


def cons_at_k(
    answers: Sequence[Sequence[str | None]],
    correct: Sequence[Sequence[bool]],
    equiv: Callable[[str, str], bool],
    k: int | None = None,
    *,
    allow_fewer: bool = False,
) -> float:
    """cons@k: the fraction of problems whose majority-voted answer (over ``k`` samples) is correct.

    Args:
        answers: per problem, the extracted answer of each sample in sampling order (None: no answer).
        correct: per problem, the grader's verdict of each sample (aligned with ``answers``).
        equiv: answer equivalence used to cluster the answers (``r1lit.grading.is_equivalent``).
        k: samples voted over per problem (the first ``k``); None votes over all of each problem's samples.
        allow_fewer: vote over the samples there are when a problem has fewer than ``k``, instead of raising.

    Raises:
        ValueError: no problems, mismatched lengths, ``k < 1``, or a problem with fewer than ``k``
            samples (unless ``allow_fewer``): a "cons@64" over 16 samples would be mislabelled.
    """
    if not answers or len(answers) != len(correct):
        raise ValueError(
            f"cons_at_k needs aligned, non-empty inputs ({len(answers)} vs {len(correct)} problems)"
        )
    if k is not None and k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    scores = []
    for i, (ans, ok) in enumerate(zip(answers, correct, strict=True)):
        if k is not None and len(ans) < k and not allow_fewer:
            raise ValueError(f"cons@{k} needs {k} samples per problem; problem {i} has {len(ans)}")
        n = len(ans) if k is None else min(k, len(ans))
        if n == 0:
            raise ValueError(f"problem {i} has no samples")
        scores.append(majority_correct(ans[:n], ok[:n], equiv))
    return sum(scores) / len(scores)


def bootstrap_ci(
    per_problem_scores: Sequence[float], n_boot: int = 1000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval for the mean score over problems.

    Problems are resampled with replacement ``n_boot`` times; the interval is the ``alpha/2`` and
    ``1 - alpha/2`` quantiles of the resampled means. Deterministic for a given ``seed``.

    Returns:
        ``(low, high)``.

    Raises:
        ValueError: no scores, ``n_boot < 1`` or ``alpha`` outside (0, 1).
    """
    scores = np.asarray(per_problem_scores, dtype=float)  # [P]
    if scores.size == 0 or n_boot < 1 or not 0 < alpha < 1:
        raise ValueError("bootstrap_ci needs scores, n_boot >= 1 and 0 < alpha < 1")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, scores.size, size=(n_boot, scores.size))  # [n_boot, P]
    means = scores[idx].mean(axis=1)  # [n_boot]
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
