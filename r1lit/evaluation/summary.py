"""The numbers of one benchmark from its per-sample rows: the one summary every evaluation reports.

`r1lit-eval`'s results tables, the pipeline's per-stage eval and the in-training held-out curves
(`heldout/pass@1`, ...) all come from `summarize`. The per-problem math (unbiased pass@k, mean pass@1,
majority vote over equivalent answers, bootstrap CIs) lives in `r1lit.grading.metrics`; this module
groups rows by problem, picks the equivalence used for voting, and applies the guards:

- problems whose gold is unusable (any sample graded `bad_gold`) say nothing about the model: they
  are left out of every number and counted in `bad_gold`;
- pass@k is reported only for k <= the smallest number of samples any problem has;
- cons@k needs k samples for every problem; with fewer it is None and `cons@k_note` says why;
- cons@k clusters answers with the shared grader's `is_equivalent` (math / int), exact letters for
  multiple choice, and is not defined for code (None);
- samples the code sandbox itself failed on (`detail["sandbox_error"]`) are counted
  (`sandbox_errors`, `sandbox_error_rate`), and `check_sandbox_health` refuses a benchmark where
  most samples are such errors instead of reporting the 0 % they would otherwise score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from r1lit.evaluation.rows import DEFAULT_KIND, Row, group_by_problem
from r1lit.grading.metrics import bootstrap_ci, cons_at_k, mean_pass1, pass_at_k

BAD_GOLD = "bad_gold"


def equivalence_for(kind: str) -> Callable[[str, str], bool] | None:
    """The answer equivalence cons@k votes with, for a grader kind (None: voting is not defined)."""
    if kind in ("math", "int"):
        from r1lit.grading import is_equivalent

        return is_equivalent
    if kind == "choice":
        return lambda a, b: a.strip().upper() == b.strip().upper()
    return None


def pass_k_values(n_min: int, k: int) -> list[int]:
    """The k's pass@k is reported for: powers of two and `k` itself, up to `n_min`."""
    ks = {1 << i for i in range(n_min.bit_length()) if 1 << i <= n_min}
    if k <= n_min:
        ks.add(k)
    return sorted(ks)


def _rate(rows: Sequence[Row], pred: Callable[[Row], bool | None]) -> float | None:
    flags = [pred(r) for r in rows]
    flags = [f for f in flags if f is not None]
    return sum(flags) / len(flags) if flags else None


def is_sandbox_error(row: Row) -> bool:
    """Whether the code sandbox itself (not the program) failed on this sample."""
    detail = row.get("detail")
    return isinstance(detail, dict) and bool(detail.get("sandbox_error"))


def check_sandbox_health(rows: Sequence[Row], name: str, max_rate: float = 0.5) -> None:
    """Raise RuntimeError when more than `max_rate` of a benchmark's samples are sandbox errors.

    Such a run measures the machine, not the model: its pass@1 would read as a silent 0 %.
    """
    errors = sum(is_sandbox_error(r) for r in rows)
    if rows and errors / len(rows) > max_rate:
        examples = [str(r.get("problem_id")) for r in rows if is_sandbox_error(r)][:3]
        raise RuntimeError(
            f"{name}: the code sandbox failed on {errors} of {len(rows)} samples (e.g. {examples}); "
            "see the per-sample `detail` and the log's 'sandbox error' lines (r1lit.grading.sandbox.probe())"
        )


def _cons(
    answers: list[list[Any]],
    correct: list[list[bool]],
    kinds: list[str],
    k: int,
    n_min: int,
    equiv: Callable[[str, str], bool] | None,
) -> tuple[float | None, str | None]:
    """cons@k and, when it is not defined, the note saying why."""
    equiv = equiv if equiv is not None else equivalence_for(kinds[0]) if len(kinds) == 1 else None
    if equiv is None:
        return None, f"cons@k is not defined for kind(s) {kinds}"
    if n_min < k:
        return None, f"cons@{k} needs {k} samples per problem; the smallest problem has {n_min}"
    return cons_at_k(answers, correct, equiv, k), None


def summarize(
    rows: Sequence[Row],
    k: int,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    equiv: Callable[[str, str], bool] | None = None,
) -> dict[str, Any]:
    """Metrics of one benchmark from its per-sample rows (`r1lit.evaluation.rows`).

    Args:
        rows: per-sample rows; read: `problem_id`, `sample_idx`, `correct`, `pred`, `status`, `kind`,
            and optionally `finish_reason`, `n_tokens`, `detail`.
        k: the intended samples per problem (the `k` of cons@k).
        n_boot: bootstrap resamples for the 95% CI of pass@1 (0: no CI, `pass@1_ci95` is None).
        seed: bootstrap seed.
        equiv: answer equivalence for cons@k; default from the rows' `kind` (`equivalence_for`).

    Returns:
        Over the problems with a usable gold: fractions in [0, 1] `pass@1`, `pass@1_ci95`, `pass@k`
        ({k: value}), `cons@k` (or None, with `cons@k_note`), `unparseable_rate`, `truncated_rate`,
        `sandbox_error_rate`; counts `n_problems`, `n_samples`, `k`, `min_samples`, `sandbox_errors`;
        `mean_completion_tokens`. `bad_gold`: problems left out; `status_counts`: over every row.

    Raises:
        ValueError: no rows, or no problem with a usable gold.
    """
    if not rows:
        raise ValueError("summarize needs at least one sample record")
    every = group_by_problem(rows)
    groups = [g for g in every if not any(r.get("status") == BAD_GOLD for r in g)]
    if not groups:
        raise ValueError(f"none of the {len(every)} problems has a usable gold (all graded {BAD_GOLD})")
    scored = [r for g in groups for r in g]
    correct = [[bool(r["correct"]) for r in g] for g in groups]
    answers = [[r.get("pred") for r in g] for g in groups]
    n_min = min(len(g) for g in groups)
    per_problem = [sum(c) / len(c) for c in correct]
    kinds = sorted({str(r.get("kind", DEFAULT_KIND)) for r in scored})
    cons, note = _cons(answers, correct, kinds, k, n_min, equiv)
    tokens = [r["n_tokens"] for r in scored if r.get("n_tokens") is not None]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
    ci = list(bootstrap_ci(per_problem, n_boot=n_boot, seed=seed)) if n_boot > 0 else None
    return {
        "n_problems": len(groups),
        "n_samples": len(scored),
        "k": k,
        "min_samples": n_min,
        "pass@1": mean_pass1(correct),
        "pass@1_ci95": ci,
        "pass@k": {
            str(kk): sum(pass_at_k(len(c), sum(c), kk) for c in correct) / len(correct)
            for kk in pass_k_values(n_min, k)
        },
        "cons@k": cons,
        "cons@k_note": note,
        "unparseable_rate": _rate(scored, lambda r: r.get("status") == "no_answer"),
        "truncated_rate": _rate(
            scored, lambda r: None if r.get("finish_reason") is None else r["finish_reason"] == "length"
        ),
        "sandbox_errors": sum(is_sandbox_error(r) for r in scored),
        "sandbox_error_rate": sum(is_sandbox_error(r) for r in scored) / len(scored),
        "mean_completion_tokens": sum(tokens) / len(tokens) if tokens else None,
        "bad_gold": len(every) - len(groups),
        "status_counts": dict(sorted(statuses.items())),
    }


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)  # a logger takes NaN, not None


def heldout_metrics(summary: dict[str, Any]) -> dict[str, float]:
    """A summary under the held-out eval's names (logged as `heldout/<name>`; figures read them).

    `pass@k` is pass@k at the summary's k; a number the summary leaves undefined (cons@k with fewer
    than k samples, or a kind without answer equivalence) is NaN.
    """
    return {
        "pass@1": summary["pass@1"],
        "cons@k": _number(summary["cons@k"]),
        "pass@k": _number(summary["pass@k"].get(str(summary["k"]))),
        "response_length": _number(summary["mean_completion_tokens"]),
        "truncated_frac": _number(summary["truncated_rate"]),
        "no_answer_frac": _number(summary["unparseable_rate"]),
        "bad_gold": float(summary["bad_gold"]),
    }
