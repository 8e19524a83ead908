"""Table-level aggregation: per-sample records of one benchmark -> the numbers a results table shows.

The per-problem math (unbiased pass@k, mean pass@1, majority vote over equivalent answers, bootstrap
CIs) lives in `r1lit.grading.metrics`, shared with the trainer; this module only groups records by
problem, picks the equivalence used for voting, and applies the guards:

- pass@k is reported only for k <= the smallest number of samples any problem has;
- cons@k needs k samples for every problem; with fewer it is None and `cons@k_note` says why;
- cons@k clusters answers with the shared grader's `is_equivalent` (math / int), exact letters for
  multiple choice, and is not defined for code (None);
- samples the code sandbox itself failed on (`detail["sandbox_error"]`) are counted
  (`sandbox_errors`, `sandbox_error_rate`), and `check_sandbox_health` refuses a benchmark where
  most samples are such errors instead of reporting the 0 % they would otherwise score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from r1lit.grading.metrics import bootstrap_ci, cons_at_k, mean_pass1, pass_at_k

Row = dict[str, Any]


def equivalence_for(kind: str) -> Callable[[str, str], bool] | None:
    """The answer equivalence cons@k votes with, for a grader kind (None: voting is not defined)."""
    if kind in ("math", "int"):
        from r1lit.grading import is_equivalent

        return is_equivalent
    if kind == "choice":
        return lambda a, b: a.strip().upper() == b.strip().upper()
    return None


def group_by_problem(rows: Sequence[Row]) -> list[list[Row]]:
    """Rows grouped per `problem_id` (first-appearance order), each group sorted by `sample_idx`."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row["problem_id"]), []).append(row)
    return [sorted(g, key=lambda r: r.get("sample_idx", 0)) for g in groups.values()]


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


def summarize(
    rows: Sequence[Row],
    k: int,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    equiv: Callable[[str, str], bool] | None = None,
) -> dict[str, Any]:
    """Metrics of one benchmark from its per-sample records.

    Args:
        rows: per-sample records with `problem_id`, `sample_idx`, `correct`, `pred`, `status`, `kind`,
            and optionally `finish_reason`, `n_tokens`.
        k: the intended samples per problem (the `k` of cons@k).
        n_boot: bootstrap resamples for the 95% CI of pass@1.
        seed: bootstrap seed.
        equiv: answer equivalence for cons@k; default from the records' `kind` (`equivalence_for`).

    Returns:
        Fractions in [0, 1]: `pass@1`, `pass@1_ci95`, `pass@k` ({k: value}), `cons@k` (or None),
        `unparseable_rate`, `truncated_rate`, `sandbox_error_rate`; counts `n_problems`, `n_samples`,
        `k`, `min_samples`, `sandbox_errors`;
        `mean_completion_tokens` and `status_counts`.
    """
    if not rows:
        raise ValueError("summarize needs at least one sample record")
    groups = group_by_problem(rows)
    correct = [[bool(r["correct"]) for r in g] for g in groups]
    answers = [[r.get("pred") for r in g] for g in groups]
    n_min = min(len(g) for g in groups)
    per_problem = [sum(c) / len(c) for c in correct]
    kinds = sorted({str(r.get("kind", "math")) for r in rows})
    equiv = equiv if equiv is not None else equivalence_for(kinds[0]) if len(kinds) == 1 else None
    cons, note = None, None
    if equiv is None:
        note = f"cons@k is not defined for kind(s) {kinds}"
    elif n_min < k:
        note = f"cons@{k} needs {k} samples per problem; the smallest problem has {n_min}"
    else:
        cons = cons_at_k(answers, correct, equiv, k)
    tokens = [r["n_tokens"] for r in rows if r.get("n_tokens") is not None]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
    return {
        "n_problems": len(groups),
        "n_samples": len(rows),
        "k": k,
        "min_samples": n_min,
        "pass@1": mean_pass1(correct),
        "pass@1_ci95": list(bootstrap_ci(per_problem, n_boot=n_boot, seed=seed)),
        "pass@k": {
            str(kk): sum(pass_at_k(len(c), sum(c), kk) for c in correct) / len(correct)
            for kk in pass_k_values(n_min, k)
        },  # fmt: skip
        "cons@k": cons,
        "cons@k_note": note,
        "unparseable_rate": _rate(rows, lambda r: r.get("status") == "no_answer"),
        "truncated_rate": _rate(
            rows, lambda r: None if r.get("finish_reason") is None else r["finish_reason"] == "length"
        ),
        "sandbox_errors": sum(is_sandbox_error(r) for r in rows),
        "sandbox_error_rate": sum(is_sandbox_error(r) for r in rows) / len(rows),
        "mean_completion_tokens": sum(tokens) / len(tokens) if tokens else None,
        "status_counts": dict(sorted(statuses.items())),
    }
