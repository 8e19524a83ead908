"""The harness's summary is the one in `r1lit.evaluation.summary` (shared with the pipeline and GRPO's
held-out eval); these names stay importable from here for the report pages that still use this path."""

from r1lit.evaluation.rows import group_by_problem
from r1lit.evaluation.summary import (
    check_sandbox_health,
    equivalence_for,
    is_sandbox_error,
    pass_k_values,
    summarize,
)

__all__ = [
    "check_sandbox_health",
    "equivalence_for",
    "group_by_problem",
    "is_sandbox_error",
    "pass_k_values",
    "summarize",
]
