"""LiveCodeBench code generation (`livecodebench/code_generation_lite`), as DeepSeek-R1 reports it.

Rows come from the hub at a pinned revision (the release's `test*.jsonl` files, read as JSON so no
loading script runs) or from a local .jsonl with the same columns, e.g. ../shared/data's
`livecodebench_v5_public_tests.jsonl` (public tests only: pass@1 there is an upper bound on the
official score). Problems are kept when `contest_date` lies in [start_date, end_date]; the default
window 2024-08-01 .. 2025-01-31 is the paper's (279 problems in the shared file).

Prompt: LiveCodeBench's generic code-generation prompt (its system message, then the question, then
the starter code for functional/LeetCode problems or the "read from stdin" instruction for stdin
problems, each with a ```python block), sent as ONE user message (DeepSeek-R1 advises no system
prompt) for `template: chat`, or as plain text for `template: raw`.
Gold: `r1lit.grading.code_tests.tests_to_gold(tests, func_name)`. Grade: the last ```python block
of the completion passes every test in the sandbox (`detail` holds passed / total / per-test status,
and `sandbox_error`: the sandbox itself failed on a test, counted by `r1lit.evaluation.summary`).
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from pathlib import Path
from typing import Any

from r1lit_eval.benchmarks.base import Problem, SampleGrade
from r1lit_eval.benchmarks.registry import file_sha256, missing_field, read_local_records

from r1lit.grading.code_tests import TestCase, parse_tests, run_tests, tests_to_gold
from r1lit.grading.sandbox import Limits
from r1lit.rollout.base import Prompt

HUB_ID = "livecodebench/code_generation_lite"
HUB_REVISION = "0fe84c3912ea0c4d4a78037083943e8f0c4dd505"  # holds test.jsonl .. test6.jsonl (release_v6)
RELEASE_FILES = {
    f"release_v{n}": [f"test{'' if i == 1 else i}.jsonl" for i in range(1, n + 1)] for n in range(1, 7)
}

REQUIRED_FIELDS = ("question_id", "question_content", "contest_date")  # tests may be empty, these may not
SYSTEM_MESSAGE = (
    "You are an expert Python programmer. You will be given a question (problem specification) and will "
    "generate a correct Python program that matches the specification and passes all tests. You will NOT "
    "return anything except for the program."
)
FORMAT_WITH_STARTER = (
    "You will use the following starter code to write the solution to the problem and enclose your code "
    "within delimiters."
)
FORMAT_STDIN = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on "
    "the sample inputs). Enclose your code within delimiters as follows."
)


def build_question(content: str, starter_code: str) -> str:
    """LiveCodeBench's question block: question, format instruction + code block, answer cue."""
    fmt, code = (FORMAT_WITH_STARTER, starter_code) if starter_code else (FORMAT_STDIN, "# YOUR CODE HERE")
    return (
        f"### Question:\n{content}\n\n### Format: {fmt}\n```python\n{code}\n```\n\n"
        "### Answer: (use the provided format with backticks)\n\n"
    )


class _StrOnlyUnpickler(pickle.Unpickler):
    """Private tests are a pickled JSON string: refuse any object that is not a plain value."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} from dataset text")


def decode_tests(blob: str | list | None) -> list[dict[str, Any]]:
    """Test cases from a `*_test_cases` field: a JSON string/list, or base64(zlib(pickle(JSON string)))."""
    if not blob:
        return []
    if isinstance(blob, list):
        return blob
    try:
        return json.loads(blob)
    except json.JSONDecodeError:
        raw = zlib.decompress(base64.b64decode(blob))
        return json.loads(_StrOnlyUnpickler(io.BytesIO(raw)).load())


class LiveCodeBench:
    """LiveCodeBench code generation in a contest-date window, graded by running tests in the sandbox."""

    def __init__(
        self,
        name: str = "livecodebench",
        local_path: str | None = None,
        hub_id: str = HUB_ID,
        revision: str = HUB_REVISION,
        version_tag: str = "release_v5",
        start_date: str = "2024-08-01",
        end_date: str = "2025-01-31",
        template: str = "chat",
        timeout_s: float = 6.0,
        memory_mb: int = 2048,
        stop_on_first_failure: bool = True,
        float_tol: float = 1e-6,
        site_packages: bool = False,
    ) -> None:
        if template not in ("chat", "raw"):
            raise ValueError(f"benchmark.{name}.loader.template must be 'chat' or 'raw', got {template!r}")
        if not local_path and version_tag not in RELEASE_FILES:
            raise ValueError(
                f"unknown LiveCodeBench version_tag {version_tag!r}; known: {sorted(RELEASE_FILES)}"
            )
        self.name = name
        self.local_path, self.hub_id, self.revision, self.version_tag = (
            local_path,
            hub_id,
            revision,
            version_tag,
        )
        self.start_date, self.end_date = start_date, end_date
        self.template = template
        # the program's file tree never holds the data; hidden too in case site-packages are exposed
        hidden = (str(Path(local_path).resolve().parent),) if local_path else ()
        self.limits = Limits(
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            hide_paths=Limits().hide_paths + hidden,
            expose_site_packages=site_packages,
        )
        self.stop_on_first_failure = stop_on_first_failure
        self.float_tol = float_tol
        self.provenance: dict[str, Any] = {}

    def _rows(self) -> list[dict[str, Any]]:
        if self.local_path:
            rows = read_local_records(self.local_path)
            self.provenance = {"local_path": str(self.local_path), "sha256": file_sha256(self.local_path)}
            return rows
        import datasets

        files = [f"hf://datasets/{self.hub_id}@{self.revision}/{f}" for f in RELEASE_FILES[self.version_tag]]
        rows = [dict(r) for r in datasets.load_dataset("json", data_files=files, split="train")]
        self.provenance = {"hub_id": self.hub_id, "revision": self.revision, "version_tag": self.version_tag}
        return rows

    def prompt(self, row: dict[str, Any]) -> Prompt:
        """The generation prompt for one row."""
        text = f"{SYSTEM_MESSAGE}\n\n{build_question(row['question_content'], row.get('starter_code') or '')}"
        return [{"role": "user", "content": text}] if self.template == "chat" else text

    def load(self) -> list[Problem]:
        """The problems whose contest date lies in [start_date, end_date], in file order."""
        problems = []
        for i, row in enumerate(self._rows()):
            missing = [f for f in REQUIRED_FIELDS if f not in row]
            if missing:
                raise missing_field(
                    self.name, self.provenance, i, missing[0], "the LiveCodeBench columns", row
                )
            date = str(row["contest_date"])[:10]
            if not self.start_date <= date <= self.end_date:
                continue
            public = decode_tests(row.get("public_test_cases"))
            private = decode_tests(row.get("private_test_cases"))
            meta_field = row.get("metadata") or "{}"
            func_name = (json.loads(meta_field) if isinstance(meta_field, str) else meta_field).get(
                "func_name"
            )
            tests = [TestCase(t["input"], t["output"], t.get("testtype", "stdin")) for t in public + private]
            problems.append(
                Problem(
                    id=str(row["question_id"]),
                    prompt=self.prompt(row),
                    gold=tests_to_gold(tests, func_name),
                    kind="code",
                    meta={
                        "platform": row.get("platform"),
                        "difficulty": row.get("difficulty"),
                        "contest_date": date,
                        "title": row.get("question_title"),
                        "n_public": len(public),
                        "n_private": len(private),
                    },
                )
            )
        self.provenance.update({"window": [self.start_date, self.end_date], "problems": len(problems)})
        return problems

    def grade(self, problem: Problem, completion: str) -> SampleGrade:
        """Run the completion's last ```python block on the problem's tests; correct = all pass."""
        from r1lit.grading import extract_answer

        code = extract_answer(completion, kind="code")
        if code is None:
            return SampleGrade(False, None, "no_answer", {"passed": 0, "total": None})
        try:
            tests, func_name = parse_tests(problem.gold)
        except ValueError as err:
            return SampleGrade(False, code, "bad_gold", {"error": str(err)})
        report = run_tests(
            code,
            tests,
            func_name,
            self.limits,
            float_tol=self.float_tol,
            stop_on_first_failure=self.stop_on_first_failure,
        )
        detail = {
            **report.to_detail(),
            "sandbox_error": any(o.status == "sandbox_error" for o in report.outcomes),
        }
        return SampleGrade(report.all_passed, code, code_status(report.first_failure), detail)


def code_status(first_failure: str | None) -> str:
    """A SampleGrade status from the first failing test's status (None: all passed)."""
    if first_failure is None:
        return "correct"
    return {"timeout": "timeout", "sandbox_error": "error"}.get(first_failure, "incorrect")
