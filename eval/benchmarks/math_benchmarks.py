"""Math benchmarks with a single final answer: AIME 2024, AIME 2025, MATH-500, AMC 2023.

All four are one class configured by YAML (`conf/benchmark/{aime24,aime25,math500,amc23}.yaml`):
where the rows come from, which columns hold the id / question / answer, and the prompt.

The prompt is the one DeepSeek-R1 recommends for benchmarking: no system prompt, the question in a
user message followed by "Please reason step by step, and put your final answer within \\boxed{}."
(`template: chat`). `template: raw` sends the same text without a chat template (base models), and any
template of `r1lit.prompts` (e.g. `r1_zero`) is accepted too. Forcing the response to start
with `<think>\\n` is a run-level option (`force_think`), applied by the runner.
Grading is the shared grader `r1lit.grading.grade`.
"""

from __future__ import annotations

from typing import Any

from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.benchmarks.registry import RecordSource, missing_field

from r1lit.rollout.base import Prompt

OWN_TEMPLATES = ("chat", "raw")


def field_value(row: dict[str, Any], spec: str | list[str] | None) -> Any:
    """The value of column `spec` in `row`; a list of columns joins the present ones with "-"."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return row.get(spec)
    parts = [str(row[c]) for c in spec if row.get(c) is not None]
    return "-".join(parts) if parts else None


def gold_to_str(value: Any) -> str:
    """A gold answer as text: integral floats (AMC's `27.0`) become `27`, everything else `str`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def render_prompt(template: str, question: str, instruction: str) -> Prompt:
    """The prompt for one question.

    Args:
        template: "chat" (one user message), "raw" (plain text), or an `r1lit.prompts` name.
        question: the problem statement.
        instruction: appended after the question on its own line for "chat" / "raw".
    """
    text = f"{question}\n{instruction}" if instruction else question
    if template == "chat":
        return [{"role": "user", "content": text}]
    if template == "raw":
        return text
    from r1lit.prompts import build_prompt  # other templates are the training ones

    return build_prompt(template, question)


def verdict_to_grade(verdict: Any) -> SampleGrade:
    """Convert an `r1lit.grading.Verdict` into the harness's `SampleGrade`."""
    detail = dict(getattr(verdict, "detail", None) or {})
    return SampleGrade(correct=bool(verdict.correct), pred=verdict.pred, status=verdict.status, detail=detail)


class MathBenchmark:
    """A final-answer math benchmark loaded from a local file or the hub, graded by the shared grader."""

    def __init__(
        self,
        name: str,
        fields: dict[str, Any],
        instruction: str,
        template: str = "chat",
        kind: str = "math",
        local_path: str | None = None,
        hub_id: str | None = None,
        hub_config: str | None = None,
        revision: str | None = None,
        split: str | None = "test",
        timeout_s: float = 5.0,
    ) -> None:
        missing = {"question", "answer"} - set(fields)
        if missing:
            raise ValueError(f"benchmark.{name}.loader.fields lacks {sorted(missing)}")
        self.name = name
        self.fields = dict(fields)
        self.instruction = instruction
        self.template = template
        self.kind = kind
        self.source = RecordSource(local_path, hub_id, hub_config, revision, split)
        self.timeout_s = timeout_s
        self.provenance: dict[str, Any] = {}

    def load(self) -> list[Problem]:
        """All problems, in file order; ids come from the `id` field(s), else `<name>-<row index>`."""
        rows, self.provenance = self.source.load()
        problems, seen = [], set()
        for i, row in enumerate(rows):
            question = field_value(row, self.fields["question"])
            answer = field_value(row, self.fields["answer"])
            for role, value in (("question", question), ("answer", answer)):
                if value is None:
                    key = f"benchmark.{self.name}.loader.fields.{role}"
                    raise missing_field(self.name, self.provenance, i, self.fields[role], key, row)
            pid = field_value(row, self.fields.get("id"))
            pid = f"{self.name}-{i}" if pid is None else str(pid)
            if pid in seen:
                raise ValueError(f"{self.name}: duplicate problem id {pid!r} (row {i}); fix loader.fields.id")
            seen.add(pid)
            meta = {
                k: row[v]
                for k, v in self.fields.items()
                if k not in ("id", "question", "answer") and v in row
            }
            problems.append(
                Problem(
                    id=pid,
                    prompt=render_prompt(self.template, str(question), self.instruction),
                    gold=gold_to_str(answer),
                    kind=self.kind,
                    meta=meta,
                )
            )
        return problems

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        """Extract the final answer from `completion` and compare it with the gold via the shared grader."""
        from r1lit.grading import grade

        return verdict_to_grade(grade(completion, problem.gold, kind=problem.kind, timeout_s=self.timeout_s))
