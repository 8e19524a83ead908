"""GPQA Diamond: 4-option multiple choice, zero-shot, in the simple-evals style used by DeepSeek-R1.

Each question's options (the correct answer + three incorrect ones) are shuffled by a permutation
drawn from `random.Random(f"{seed}:{record id}")`, so the order is reproducible, independent of the
row order and of other questions, and recorded in `Problem.meta["permutation"]` (position i shows
option `permutation[i]`, where option 0 is the correct answer). The prompt asks for a last line
"Answer: X"; the shared grader's `choice` kind extracts the letter.

Rows come from the gated hub dataset (`Idavidrein/gpqa`, config `gpqa_diamond`) or from a local
.csv/.jsonl with the same columns (`Question`, `Correct Answer`, `Incorrect Answer 1..3`, `Record ID`).
"""

from __future__ import annotations

import random
from typing import Any

from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.benchmarks.math_benchmarks import verdict_to_grade
from r1lit_eval.benchmarks.registry import RecordSource, missing_field

from r1lit.rollout.base import Prompt

LETTERS = "ABCD"
OPTION_COLUMNS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
QUERY_TEMPLATE = (
    "Answer the following multiple choice question. The last line of your response should be of the "
    "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. "
    "Think step by step before answering.\n\n{question}\n\nA) {A}\nB) {B}\nC) {C}\nD) {D}"
)


def option_permutation(seed: int, record_id: str) -> list[int]:
    """The seeded shuffle of the 4 options for one question (option 0 = the correct answer)."""
    perm = list(range(len(OPTION_COLUMNS)))
    random.Random(f"{seed}:{record_id}").shuffle(perm)
    return perm


def build_query(question: str, options: list[str]) -> str:
    """The simple-evals multiple-choice prompt for already-ordered options."""
    return QUERY_TEMPLATE.format(question=question.strip(), **dict(zip(LETTERS, options, strict=True)))


class GPQA:
    """GPQA (Diamond by default) with seeded, recorded option shuffling."""

    def __init__(
        self,
        name: str,
        seed: int,
        template: str = "chat",
        local_path: str | None = None,
        hub_id: str | None = None,
        hub_config: str | None = None,
        revision: str | None = None,
        split: str | None = "train",
        timeout_s: float = 5.0,
    ) -> None:
        if template not in ("chat", "raw"):
            raise ValueError(f"benchmark.{name}.loader.template must be 'chat' or 'raw', got {template!r}")
        self.name = name
        self.seed = seed
        self.template = template
        self.source = RecordSource(local_path, hub_id, hub_config, revision, split)
        self.timeout_s = timeout_s
        self.provenance: dict[str, Any] = {}

    def _problem(self, i: int, row: dict[str, Any]) -> Problem:
        missing = [c for c in ("Question", *OPTION_COLUMNS) if row.get(c) is None]
        if missing:
            raise missing_field(self.name, self.provenance, i, missing[0], "the GPQA columns", row)
        record_id = str(row.get("Record ID") or f"{self.name}-{i}")
        originals = [str(row[c]).strip() for c in OPTION_COLUMNS]
        perm = option_permutation(self.seed, record_id)
        options = [originals[j] for j in perm]
        gold = LETTERS[perm.index(0)]
        text = build_query(str(row["Question"]), options)
        prompt: Prompt = [{"role": "user", "content": text}] if self.template == "chat" else text
        meta = {
            "permutation": perm,
            "seed": self.seed,
            "options": options,
            "subdomain": row.get("Subdomain"),
            "domain": row.get("High-level domain"),
        }
        return Problem(id=record_id, prompt=prompt, gold=gold, kind="choice", meta=meta)

    def load(self) -> list[Problem]:
        rows, self.provenance = self.source.load()
        return [self._problem(i, row) for i, row in enumerate(rows)]

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        """Extract the chosen letter ("Answer: X") and compare it with the shuffled position of the correct option."""
        from r1lit.grading import grade

        return verdict_to_grade(grade(completion, problem.gold, kind="choice", timeout_s=self.timeout_s))
