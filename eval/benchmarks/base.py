"""What a benchmark is: problems with a prompt and a gold answer, and a way to grade one completion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from r1lit.rollout.base import Prompt


@dataclass
class Problem:
    """One benchmark item, ready to generate for."""

    id: str  # stable across runs: the generation cache and per-sample outputs are keyed by it
    prompt: Prompt  # raw text or chat messages
    gold: str  # the reference answer (math/int/choice), or a JSON string of tests (code)
    kind: str  # grader kind: "math" | "int" | "choice" | "code"
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. subject, level, contest_date, permutation


@dataclass
class SampleGrade:
    """The verdict on one completion, as written to the per-sample JSONL."""

    correct: bool
    pred: str | None  # the extracted answer (or extracted program for code); None when none was found
    status: str  # "correct" | "incorrect" | "no_answer" | "bad_gold" | "timeout" | "error"
    detail: dict[str, Any] = field(default_factory=dict)  # e.g. tests passed / total for code


class Benchmark(Protocol):
    """A benchmark loads its problems (hub id + pinned revision, or a local file) and grades completions."""

    name: str

    def load(self) -> list[Problem]: ...

    def grade(self, problem: Problem, completion: str) -> SampleGrade: ...
