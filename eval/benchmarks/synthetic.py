"""The synthetic held-out set: seeded arithmetic / Countdown problems the tiny model never trained on.

Problems come from `r1lit.tasks.synthetic.make_problems("heldout", n, seed, difficulty, task)` (or
a local JSONL of such records), rendered with a training template (`r1_zero` by default, so a model
trained with that template is scored on the prompt format it knows). Arithmetic answers go through
the task's one check, `r1lit.tasks.check` (the call the training reward makes): arithmetic answers
through the shared grader, Countdown solutions by the Countdown rule (any valid expression is right;
the bare target is not). A record without an answer is graded `bad_gold`.
"""

from __future__ import annotations

from typing import Any

from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.benchmarks.math_benchmarks import render_prompt, verdict_to_grade
from r1lit_eval.benchmarks.registry import file_sha256, read_local_records

from r1lit.tasks.checks import gold_text


class SyntheticBenchmark:
    """Held-out synthetic problems, generated on the fly (no download) or read from a JSONL file."""

    def __init__(
        self,
        name: str,
        n: int,
        seed: int,
        difficulty: int,
        task: str = "arithmetic",
        split: str = "heldout",
        template: str = "r1_zero",
        instruction: str = "",
        kind: str = "math",
        local_path: str | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        self.name = name
        self.spec = {"split": split, "n": n, "seed": seed, "difficulty": difficulty, "task": task}
        self.template = template
        self.instruction = instruction
        self.kind = kind
        self.local_path = local_path
        self.timeout_s = timeout_s
        self.provenance: dict[str, Any] = {}

    def records(self) -> list[dict[str, Any]]:
        """The raw task records (`id, question, answer, task, difficulty`, Countdown adds `numbers, target`)."""
        if self.local_path:
            rows = read_local_records(self.local_path)
            self.provenance = {
                "local_path": self.local_path,
                "sha256": file_sha256(self.local_path),
                "rows": len(rows),
            }
            return rows
        from r1lit.tasks.synthetic import make_problems

        self.provenance = {"generator": "r1lit.tasks.synthetic.make_problems", **self.spec}
        return make_problems(**self.spec)

    def load(self) -> list[Problem]:
        problems = []
        for rec in self.records():
            meta = {k: rec[k] for k in ("task", "difficulty", "numbers", "target") if k in rec}
            prompt = render_prompt(self.template, rec["question"], self.instruction)
            problems.append(
                Problem(
                    id=str(rec["id"]),
                    prompt=prompt,
                    gold=gold_text(rec.get("answer")) or "",
                    kind=self.kind,
                    meta=meta,
                )
            )
        return problems

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        """The task's one check (``r1lit.tasks.check``), the same call as the training reward's."""
        from r1lit.tasks import check

        record = {**problem.meta, "answer": problem.gold}
        return verdict_to_grade(check(record, completion, kind=problem.kind, timeout_s=self.timeout_s))
