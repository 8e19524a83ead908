"""r1lit.grading: the one answer grader (extraction, math equivalence, timeouts) and eval metrics.

Public API (docs/DESIGN.md):
    extract_answer(text, kind="math") -> str | None
    grade(completion, gold, kind="math", timeout_s=5.0) -> Verdict
    is_equivalent(a, b, timeout_s=5.0) -> bool
    grade_many(completions, golds, kind="math", processes=0) -> list[Verdict]
Metrics (pass@k, cons@k, bootstrap CIs) live in ``r1lit.grading.metrics``; code execution in
``r1lit.grading.sandbox``.
"""

from r1lit.grading.extract import extract_answer
from r1lit.grading.grader import STATUSES, Verdict, grade, grade_many, is_equivalent

__all__ = ["STATUSES", "Verdict", "extract_answer", "grade", "grade_many", "is_equivalent"]
